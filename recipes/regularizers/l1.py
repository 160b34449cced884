"""L1: a `keras.regularizers.L1` weight penalty on every Dense/Conv kernel."""
from __future__ import annotations

from recipes.registry import register
from recipes.regularizers.kernel_penalty import KernelPenalty


@register
class L1(KernelPenalty):
    """Penalize weights' absolute values: loss += strength * sum(|kernel|), on every Dense/Conv layer.

    When to use: overfitting with many irrelevant inputs; L1 drives weights to
    exactly zero. Combined with L2 it becomes one L1L2 regularizer.

    Args:
        strength: the L1 factor (> 0), typically 1e-6 to 1e-3.

    Example:
        >>> import keras
        >>> from recipes import L1, L2, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([L1(1e-5), L2(1e-4)]).build(my_model)
        >>> [type(layer.kernel_regularizer).__name__ for layer in model.layers[1:]]
        ['L1L2', 'L1L2']
    """

    name = "l1"
    norm = "l1"
    strength_range = (1e-7, 1e-3)

    def __init__(self, strength: float = 1e-5):
        super().__init__(strength)
