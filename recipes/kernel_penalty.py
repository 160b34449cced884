"""Adding an L1/L2 kernel penalty to a layer config, combining with one already there."""
from __future__ import annotations

import keras

KNOWN = (keras.regularizers.L1, keras.regularizers.L2, keras.regularizers.L1L2)


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
