"""Activation: replace hidden-layer activations (never the output's), and the activation families.

The families below are the one definition the project uses (the advisor's
model inspection and rule book read them from here).
"""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_choice
from recipes.architecture.rebuild import layer_activation
from recipes.registry import register
from recipes.training_setup import ACTIVATION_STAGE

# Activation families by Keras name.
SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign")
# Units that output exactly 0 for every negative input: the ones that can die.
HARD_ZERO_RELU = ("relu", "relu6")
RELU_FAMILY = HARD_ZERO_RELU + ("leaky_relu", "elu", "prelu")
SMOOTH_RELU = ("gelu", "silu", "swish", "mish", "celu", "hard_silu", "hard_swish")
HE_ACTIVATIONS = RELU_FAMILY + SMOOTH_RELU  # He initialization suits them (S3, S4)
# Nothing bounds what they pass on: exponential grows without limit, softplus and a hidden
# layer with no activation at all ("linear": the stack collapses into one linear map) pass
# large values straight through - suspects when the loss diverges or gradients explode.
UNBOUNDED = ("exponential", "softplus", "linear")
EXOTIC = UNBOUNDED + ("relu6", "hard_silu", "hard_swish", "celu", "squareplus", "sparse_plus",
                      "log_sigmoid", "hard_tanh", "soft_shrink", "hard_shrink", "tanh_shrink",
                      "sparse_sigmoid", "threshold")
# Zero output, or zero slope, around zero: a unit whose inputs start small (every default
# initializer makes them small) passes neither signal nor gradient, so the layer cannot start.
DEAD_ZONE = ("soft_shrink", "hard_shrink", "tanh_shrink", "threshold")
# Normalize across units: in a hidden layer they are deliberate (attention, gating), never swapped.
NORMALIZING = ("softmax", "log_softmax")

# Hidden activations a model may be switched to (those this Keras version has).
TARGETS = tuple(name for name in (
    "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "celu", "relu6",
    "hard_silu", "tanh", "sigmoid", "hard_sigmoid", "softsign", "softplus")
    if hasattr(keras.activations, name))
TUNED_TARGETS = ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "tanh")
SWAPS = {
    "saturating": SATURATING,
    "relu": HARD_ZERO_RELU,
    "unbounded": UNBOUNDED,
    "exotic": EXOTIC,
    "dead_zone": DEAD_ZONE,
}


def matching_initializer(activation: str | None) -> str:
    """He (uniform) for the ReLU family, LeCun for SELU, Glorot otherwise (tanh, sigmoid, linear)."""
    if activation in HE_ACTIVATIONS:
        return "he_uniform"
    if activation == "selu":
        return "lecun_normal"
    return "glorot_uniform"


@register
class Activation(Recipe):
    """Change the activation of hidden Dense/Conv layers and hidden activation layers.

    When to use: vanishing gradients or saturated units with sigmoid/tanh
    (S3, S4: "don't use sigmoid") -> swap "saturating" to ReLU; dying ReLU ->
    swap "relu" to leaky_relu / elu / selu; divergence or exploding gradients
    with exponential, softplus or activation-free hidden layers -> swap
    "unbounded" to ReLU; exploding gradients [AT] -> "all" to tanh.

    Each swapped layer's kernel starts fresh from the initializer that suits
    its new activation (He uniform for the ReLU family, GELU and SiLU; LeCun
    normal for SELU; Glorot uniform for tanh/sigmoid). An `Initializer`
    recipe in the same plan runs later and has the last word.

    Args:
        to: the new activation: any hidden activation Keras has ("relu",
            "leaky_relu", "elu", "selu", "gelu", "silu", "tanh", ...; see TARGETS).
        swap: which activations to replace: "saturating" (sigmoid, tanh, ...),
            "relu" (relu, relu6), "unbounded" (exponential, softplus, hidden
            layers with no activation), "exotic" (those and rarer ones: relu6,
            hard_silu, celu, ...), "dead_zone" (soft/hard/tanh shrink and
            threshold: zero output or slope near zero), "all" (every hidden activation except
            softmax / log_softmax, linear hidden layers included) or "any" (every hidden
            activation: a softmax between two Dense layers of a plain stack is a bug, not a gate).

    Example:
        >>> import keras
        >>> from recipes import Activation, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([Activation(to="relu", swap="saturating")]).build(my_model)
        >>> [layer.get_config()["activation"] for layer in model.layers[1:]]   # the output keeps softmax
        ['relu', 'softmax']
    """

    name = "activation"

    def __init__(self, to: str = "relu", swap: str = "saturating"):
        self.to = check_choice(self, "to", to, TARGETS)
        self.swap = check_choice(self, "swap", swap, (*SWAPS, "all", "any"))

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((ACTIVATION_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(to=self.tune_choice(hp, "to", list(TUNED_TARGETS)))

    def swaps(self, activation: str | None) -> bool:
        """Whether this recipe replaces `activation` ("linear" = a hidden layer without one)."""
        if activation is None or activation == self.to:
            return False
        if self.swap == "any":
            return True
        if self.swap == "all":
            return activation not in NORMALIZING
        return activation in SWAPS[self.swap]

    def _edit(self, spec):
        if spec.in_head:
            return
        if spec.kind not in ("dense", "conv"):
            # Activation layers, and ReLU() / LeakyReLU() / ELU() / Softmax() layers, which become
            # Activation layers. A linear one adds nothing: the kernel layer before it is the linear one.
            current = spec.activation if spec.kind == "activation" else layer_activation(spec.source)
            if current not in (None, "linear") and not spec.source.weights and self.swaps(current):
                kept = {key: spec.config[key] for key in ("name", "trainable", "dtype") if key in spec.config}
                spec.layer_class, spec.config = keras.layers.Activation, {**kept, "activation": self.to}
            return
        own = spec.activation
        if own not in (None, "linear"):
            changed = self.swaps(own)
            if changed:
                spec.config["activation"] = self.to
        elif spec.next_activation is not None:
            # Dense -> (BN) -> Activation layer: that layer is swapped when it is cloned, and this
            # kernel, which feeds it, follows the new activation's initializer.
            changed = self.swaps(spec.next_activation)
            if changed:
                spec.next_activation = self.to
        else:
            changed = own == "linear" and self.swaps("linear")
            if changed:
                spec.config["activation"] = self.to
        if changed:
            spec.config["kernel_initializer"] = matching_initializer(self.to)
            spec.keep_weights = False
