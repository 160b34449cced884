"""Initializer: re-initialize every Dense/Conv kernel to suit its activation."""
from __future__ import annotations

from recipes.architecture.activation import HE_ACTIVATIONS
from recipes.base import Recipe, check_choice
from recipes.registry import register
from recipes.training_setup import INITIALIZER_STAGE

KINDS = ("auto", "he_normal", "he_uniform", "glorot_uniform", "lecun_normal")


def initializer_for(activation: str | None) -> str:
    """He for the ReLU family, LeCun for SELU, Glorot otherwise (tanh, sigmoid, softmax, linear)."""
    if activation in HE_ACTIVATIONS:
        return "he_normal"
    if activation == "selu":
        return "lecun_normal"
    return "glorot_uniform"


@register
class Initializer(Recipe):
    """Swap kernel initializers; those layers start from fresh weights.

    When to use: initialization that does not match the activation
    (S3, S4: Glorot for tanh, He for ReLU, LeCun for SELU), all-zero kernels,
    vanishing/exploding gradients at the start.

    Args:
        kind: "auto" (chosen per layer from its activation, or that of the
            Activation layer it feeds - read after any Activation swap), or
            one Keras initializer for every layer:
            "he_normal", "he_uniform", "glorot_uniform", "lecun_normal".

    Example:
        >>> import keras
        >>> from recipes import Activation, Initializer, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([Activation(to="selu"), Initializer()]).build(my_model)
        >>> [type(layer.kernel_initializer).__name__ for layer in model.layers[1:]]   # selu, softmax
        ['LecunNormal', 'GlorotUniform']
    """

    name = "initializer"

    def __init__(self, kind: str = "auto"):
        self.kind = check_choice(self, "kind", kind, KINDS)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((INITIALIZER_STAGE, self._edit),))

    def _edit(self, spec):
        if spec.kind not in ("dense", "conv"):
            return
        kind = initializer_for(spec.effective_activation) if self.kind == "auto" else self.kind
        spec.config["kernel_initializer"] = kind
        spec.keep_weights = False  # the point is a fresh start from the new initializer
