"""Activation: replace hidden-layer activations (never the output's)."""
from __future__ import annotations

from recipes.base import Recipe, check_choice
from recipes.registry import register
from recipes.setup import ACTIVATION_STAGE

TARGETS = ("relu", "leaky_relu", "elu", "selu")
SWAPS = {
    "saturating": ("sigmoid", "tanh", "hard_sigmoid", "softsign"),
    "relu": ("relu", "relu6"),
}


@register
class Activation(Recipe):
    """Change the activation of hidden Dense/Conv layers and hidden Activation layers.

    When to use: vanishing gradients or saturated units with sigmoid/tanh
    (S3, S4: "don't use sigmoid") -> swap "saturating" to ReLU; dying ReLU ->
    swap "relu" to leaky_relu / elu / selu (pair SELU with Initializer for LeCun).

    Args:
        to: the new activation: "relu", "leaky_relu", "elu" or "selu".
        swap: which activations to replace: "saturating" (sigmoid, tanh, ...),
            "relu" (relu, relu6) or "all" (every non-linear hidden activation).

    Example:
        >>> model = Plan([Activation(to="relu", swap="saturating")]).build(my_model)  # doctest: +SKIP
    """

    name = "activation"

    def __init__(self, to: str = "relu", swap: str = "saturating"):
        self.to = check_choice(self, "to", to, TARGETS)
        self.swap = check_choice(self, "swap", swap, (*SWAPS, "all"))

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((ACTIVATION_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(to=self.tune_choice(hp, "to", list(TARGETS)))

    def _edit(self, spec):
        if spec.in_head or spec.kind not in ("dense", "conv", "activation"):
            return
        current = spec.activation
        if self.swap == "all":
            swap = current not in (None, "linear", "softmax")
        else:
            swap = current in SWAPS[self.swap]
        if swap:
            spec.config["activation"] = self.to
