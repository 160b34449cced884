"""BatchNorm: `keras.layers.BatchNormalization` between each hidden Dense/Conv layer and its activation."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.registry import register
from recipes.training_setup import NORMALIZATION_STAGE


@register
class BatchNorm(Recipe):
    """Normalize pre-activations: Dense/Conv (no activation) -> BatchNormalization -> Activation.

    When to use: vanishing or exploding gradients, saturated or dying units,
    slow convergence (AUTOTRAINER's last repair for each). BN goes before the
    activation (S2); the activation is split out into its own layer. The
    output layer is left alone.

    Args:
        momentum: moving-average momentum of the batch statistics.
        epsilon: added to the variance for numerical stability.

    Example:
        >>> import keras
        >>> from recipes import BatchNorm, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([BatchNorm()]).build(my_model)
        >>> [type(layer).__name__ for layer in model.layers]
        ['InputLayer', 'Dense', 'BatchNormalization', 'Activation', 'Dense']
    """

    name = "batch_norm"

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3):
        self.momentum = check_number(self, "momentum", momentum, 0, 1, high_open=True)
        self.epsilon = check_number(self, "epsilon", epsilon, 0, low_open=True)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((NORMALIZATION_STAGE, self._edit),))

    def _edit(self, spec):
        if not spec.hidden_kernel_layer:
            return
        name = spec.config["name"]
        activation = spec.config.get("activation", "linear")
        axis = 1 if spec.config.get("data_format") == "channels_first" else -1
        spec.config["activation"] = "linear"
        spec.after.append((keras.layers.BatchNormalization, {
            "axis": axis, "momentum": self.momentum, "epsilon": self.epsilon, "name": f"{name}_bn"}))
        if activation not in (None, "linear"):
            spec.after.append((keras.layers.Activation, {"activation": activation, "name": f"{name}_act"}))
