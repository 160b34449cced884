"""L2: a `keras.regularizers.L2` weight penalty on every Dense/Conv kernel."""
from __future__ import annotations

from recipes.registry import register
from recipes.regularizers.kernel_penalty import KernelPenalty


@register
class L2(KernelPenalty):
    """Penalize large weights: loss += strength * sum(kernel ** 2), on every Dense/Conv layer.

    When to use: overfitting, especially in shallow networks (S2).

    Args:
        strength: the L2 factor (> 0), typically 1e-5 to 1e-2.

    Example:
        >>> import keras
        >>> from recipes import L2, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([L2(1e-4)]).build(my_model)
        >>> [type(layer.kernel_regularizer).__name__ for layer in model.layers[1:]]
        ['L2', 'L2']
        >>> len(model.losses)   # one penalty tensor per kernel
        2
    """

    name = "l2"
    norm = "l2"
    strength_range = (1e-6, 1e-2)

    def __init__(self, strength: float = 1e-4):
        super().__init__(strength)
