"""One kernel penalty for L1 and L2: a Keras L1 / L2 / L1L2 regularizer on every Dense/Conv kernel."""
from __future__ import annotations

from typing import ClassVar

import keras

from recipes.base import Recipe, check_number
from recipes.training_setup import REGULARIZER_STAGE

KNOWN = (keras.regularizers.L1, keras.regularizers.L2, keras.regularizers.L1L2)


class KernelPenalty(Recipe):
    """Base of `L1` and `L2`: `strength` of the `norm` ("l1" or "l2") added to
    every Dense/Conv kernel's regularizer; the search tunes it on a log scale
    within `strength_range`."""

    norm: ClassVar[str] = ""
    strength_range: ClassVar[tuple[float, float]] = (0.0, 0.0)

    def __init__(self, strength: float):
        self.strength = check_number(self, "strength", strength, 0, low_open=True)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((REGULARIZER_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(strength=self.tune_float(hp, "strength", *self.strength_range, log=True))

    def _edit(self, spec):
        add_kernel_penalty(spec, **{self.norm: self.strength})


def add_kernel_penalty(spec, l1: float = 0.0, l2: float = 0.0) -> None:
    """Give a Dense/Conv `LayerSpec` a kernel regularizer of existing + (l1, l2).

    L1 and L2 recipes (and a penalty the user already set) add up into one
    L1 / L2 / L1L2 regularizer. A custom regularizer of the user's is kept as is.
    """
    if spec.kind not in ("dense", "conv"):
        return
    existing = keras.regularizers.get(spec.config.get("kernel_regularizer"))
    if existing is not None and not isinstance(existing, KNOWN):
        return
    old = existing.get_config() if existing is not None else {}
    l1 = l1 + float(old.get("l1", 0.0))
    l2 = l2 + float(old.get("l2", 0.0))
    if l1 and l2:
        spec.config["kernel_regularizer"] = keras.regularizers.L1L2(l1=l1, l2=l2)
    elif l1:
        spec.config["kernel_regularizer"] = keras.regularizers.L1(l1)
    else:
        spec.config["kernel_regularizer"] = keras.regularizers.L2(l2)
