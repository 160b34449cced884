"""Decide mixed precision by measuring it, not by believing a spec sheet.

bfloat16 on a CPU with AMX/AVX512-BF16, or float16 on a GPU with compute
capability >= 7.0, is only *able* to be faster; whether it is depends on the
model (small dense nets often get slower from the casts). So we time a few
train steps of the user's model under each policy and keep the faster one.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import keras

from advisor.errors import AdvisorError
from advisor.hardware.detect import detect_hardware

# A mixed policy must beat float32 by this factor to count as faster. Project
# choice, from noise measured on the shared 2-core build machine: two identical
# float32 conv nets timed as below differed by at most 2.5% (a 12% outlier with
# longer rounds), while plain medians of back-to-back runs differed up to 2x.
MIXED_PRECISION_MIN_SPEEDUP = 1.10


def time_policies(build_model: Callable[[], Any], batch: tuple, steps: int = 3, warmup: int = 2,
                  rounds: int = 8, policies: Sequence[str] | None = None) -> dict[str, Any]:
    """Time train steps of a model under float32 and the hardware's mixed policy.

    When to use: before planning, to decide whether the `mixed_precision`
    recipe pays off on this machine for this model.

    Each policy gets its own freshly built model (built under that global
    policy). Warm-up steps (tracing, oneDNN kernel selection) are excluded;
    the timed steps run in short `rounds` that alternate between policies, and
    the fastest round counts: load from other processes only ever adds time,
    so the minimum is the steadiest estimate of what the model itself costs.
    The global dtype policy is restored afterwards, even on error.

    Args:
        build_model: no-argument callable returning a fresh compiled model.
        batch: one `(x, y)` training batch.
        steps: timed train steps per round.
        warmup: untimed steps per policy before timing.
        rounds: alternating timing rounds; the fastest round is kept.
        policies: policies to compare; default `["float32"]` plus
            `detect_hardware().mixed_policies()`.

    Returns:
        `{"times": {policy: seconds per step}, "faster": policy,
          "speedup": float32 time / fastest mixed time (1.0 if none),
          "steps": steps, "rounds": rounds}`.

    Example:
        >>> import keras
        >>> import numpy as np
        >>> def make_cnn():
        ...     inputs = keras.Input((16, 16, 1))
        ...     x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
        ...     outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(x))
        ...     model = keras.Model(inputs, outputs)
        ...     model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        ...     return model
        >>> x, y = np.random.rand(64, 16, 16, 1).astype("float32"), np.arange(64) % 2
        >>> r = time_policies(make_cnn, (x, y), steps=2, rounds=1)
        >>> sorted(r["times"]) == sorted(set(r["times"])) and r["faster"] in r["times"]
        True
    """
    if steps < 1 or warmup < 0 or rounds < 1:
        raise AdvisorError(f"time_policies needs steps >= 1, warmup >= 0, rounds >= 1; "
                           f"got steps={steps}, warmup={warmup}, rounds={rounds}")
    if policies is None:
        policies = ["float32"] + detect_hardware().mixed_policies()
    policies = list(dict.fromkeys(policies))
    if "float32" not in policies:
        policies.insert(0, "float32")
    x, y = batch

    previous = keras.config.dtype_policy()
    try:
        models = {}
        for policy in policies:
            keras.config.set_dtype_policy(policy)
            models[policy] = build_model()
            for _ in range(warmup):
                models[policy].train_on_batch(x, y)
        per_round: dict[str, list[float]] = {p: [] for p in policies}
        for _ in range(rounds):
            for policy in policies:
                start = time.perf_counter()
                for _ in range(steps):
                    models[policy].train_on_batch(x, y)
                per_round[policy].append((time.perf_counter() - start) / steps)
    finally:
        keras.config.set_dtype_policy(previous)

    times = {p: min(t) for p, t in per_round.items()}
    mixed = [p for p in policies if p != "float32"]
    best_mixed = min(mixed, key=times.__getitem__) if mixed else None
    speedup = times["float32"] / times[best_mixed] if best_mixed else 1.0
    faster = best_mixed if best_mixed and speedup >= MIXED_PRECISION_MIN_SPEEDUP else "float32"
    return {"times": times, "faster": faster, "speedup": speedup, "steps": steps, "rounds": rounds}
