"""L2: a `keras.regularizers.L2` weight penalty on every Dense/Conv kernel."""
from __future__ import annotations

from recipes.base import Recipe, check_number
from recipes.kernel_penalty import add_kernel_penalty
from recipes.registry import register
from recipes.setup import REGULARIZER_STAGE


@register
class L2(Recipe):
    """Penalize large weights: loss += strength * sum(kernel ** 2), on every Dense/Conv layer.

    When to use: overfitting, especially in shallow networks (S2).

    Args:
        strength: the L2 factor (> 0), typically 1e-5 to 1e-2.

    Example:
        >>> model = Plan([L2(1e-4)]).build(my_model)   # doctest: +SKIP
        >>> model.losses   # one penalty tensor per kernel  # doctest: +SKIP
    """

    name = "l2"

    def __init__(self, strength: float = 1e-4):
        self.strength = check_number(self, "strength", strength, 0, low_open=True)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((REGULARIZER_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(strength=self.tune_float(hp, "strength", 1e-6, 1e-2, log=True))

    def _edit(self, spec):
        add_kernel_penalty(spec, l2=self.strength)
