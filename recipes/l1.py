"""L1: a `keras.regularizers.L1` weight penalty on every Dense/Conv kernel."""
from __future__ import annotations

from recipes.base import Recipe, check_number
from recipes.kernel_penalty import add_kernel_penalty
from recipes.registry import register
from recipes.setup import REGULARIZER_STAGE


@register
class L1(Recipe):
    """Penalize weights' absolute values: loss += strength * sum(|kernel|), on every Dense/Conv layer.

    When to use: overfitting with many irrelevant inputs; L1 drives weights to
    exactly zero. Combined with L2 it becomes one L1L2 regularizer.

    Args:
        strength: the L1 factor (> 0), typically 1e-6 to 1e-3.

    Example:
        >>> model = Plan([L1(1e-5), L2(1e-4)]).build(my_model)   # doctest: +SKIP
    """

    name = "l1"

    def __init__(self, strength: float = 1e-5):
        self.strength = check_number(self, "strength", strength, 0, low_open=True)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((REGULARIZER_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(strength=self.tune_float(hp, "strength", 1e-7, 1e-3, log=True))

    def _edit(self, spec):
        add_kernel_penalty(spec, l1=self.strength)
