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
        >>> model = Plan([L2(1e-4)]).build(my_model)   # doctest: +SKIP
        >>> model.losses   # one penalty tensor per kernel  # doctest: +SKIP
    """

    name = "l2"
    norm = "l2"
    strength_range = (1e-6, 1e-2)

    def __init__(self, strength: float = 1e-4):
        super().__init__(strength)
