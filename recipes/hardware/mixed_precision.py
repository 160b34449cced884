"""MixedPrecision: compute in bfloat16/float16 where the hardware supports it, output in float32."""
from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from recipes.base import Recipe, check_choice
from recipes.registry import register

POLICIES = ("auto", "mixed_bfloat16", "mixed_float16")
CPU_BF16_FLAGS = ("amx_tile", "avx512_bf16")


def cpu_supports_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU flags include AMX tiles or AVX512-BF16 (Linux /proc/cpuinfo)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    return any(flag in flags for flag in CPU_BF16_FLAGS)


def detect_policy(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The fastest safe policy here: mixed_float16 on GPUs with compute capability >= 7.0,
    mixed_bfloat16 on TPUs and bf16-capable CPUs, otherwise float32."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capabilities = [tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
                        for gpu in gpus]
        return "mixed_float16" if min(capabilities) >= (7, 0) else "float32"
    if tf.config.list_physical_devices("TPU") or cpu_supports_bf16(cpuinfo):
        return "mixed_bfloat16"
    return "float32"


@register
class MixedPrecision(Recipe):
    """Run hidden layers in 16-bit floats, keeping variables and the output layer in float32.

    When to use: large data or slow epochs on hardware with fast 16-bit math
    (docs/references.md#knowledge-6: 1.5-1.6x per epoch for a small conv net on an AVX512-BF16 CPU without AMX). float16
    gets loss scaling (`LossScaleOptimizer`); the output head stays float32.

    The policy is set on each rebuilt layer, NOT through
    `keras.mixed_precision.set_global_policy`: the user's session and other
    models stay float32, and the built model saves and loads with its policy.

    Args:
        policy: "auto" (detect: see `detect_policy`; float32 when nothing helps),
            "mixed_bfloat16" or "mixed_float16".

    Example:
        >>> import keras
        >>> from recipes import MixedPrecision, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([MixedPrecision("mixed_bfloat16")]).build(my_model)
        >>> [layer.compute_dtype for layer in model.layers]   # the output layer stays float32
        ['float32', 'bfloat16', 'float32']
    """

    name = "mixed_precision"
    slot = "precision"

    def __init__(self, policy: str = "auto"):
        self.policy = check_choice(self, "policy", policy, POLICIES)

    def apply(self, setup):
        policy = detect_policy() if self.policy == "auto" else self.policy
        return setup.replace(dtype_policy=None if policy == "float32" else policy)
