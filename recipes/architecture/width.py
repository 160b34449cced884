"""Width: scale the units of hidden Dense layers and the filters of hidden Conv layers."""
from __future__ import annotations

from recipes.base import Recipe, check_number
from recipes.registry import register
from recipes.training_setup import SIZE_STAGE

SIZE_KEYS = {"dense": "units", "conv": "filters"}


@register
class Width(Recipe):
    """Multiply every hidden layer's size by `factor`; the output layer keeps its size.

    When to use: underfitting - the training metric itself is poor (S0:
    "bigger model"), or the model cannot even fit a small subset. A factor
    below 1 shrinks an oversized model. Sizes are rounded, at least 1. A
    resized layer starts from fresh weights, and so does the layer after it
    (its kernel's input size changed); other layers keep theirs. Models whose
    hidden sizes must match something fixed (a residual Add onto the input)
    cannot be resized.

    Args:
        factor: the size multiplier (> 0): 2.0 doubles every hidden Dense's
            units and every hidden Conv's filters.

    Example:
        >>> import keras
        >>> from recipes import Plan, Width
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([Width(factor=2.0)]).build(my_model)
        >>> [layer.units for layer in model.layers[1:]]
        [16, 3]
    """

    name = "width"

    def __init__(self, factor: float = 2.0):
        self.factor = check_number(self, "factor", factor, 0, low_open=True)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((SIZE_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(factor=self.tune_float(hp, "factor", 0.25, 4.0, log=True))

    def _edit(self, spec):
        key = SIZE_KEYS.get(spec.kind)
        if not spec.hidden_kernel_layer or not isinstance(spec.config.get(key), int):
            return  # EinsumDense and the like have no single size to scale
        size = max(1, int(spec.config[key] * self.factor + 0.5))
        if size != spec.config[key]:
            spec.config[key] = size
            # Its weights no longer fit; the next layer's kernel shape changes too, and the
            # rebuild only copies weights whose shapes still fit, so it starts fresh as well.
            spec.keep_weights = False
