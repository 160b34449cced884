"""Benchmark tasks: real offline data, plus variants and broken models.

A task gives a `Dataset` and the model a user would write for it; for the
fault-injection tasks the model is the broken one from `advisor.testing.faults`.
"""
from __future__ import annotations

import dataclasses

import numpy as np

PLAIN = ["digits", "mnist-5k", "mnist1d", "breast-cancer", "wine"]
VARIANTS = ["mnist-5k-small", "mnist-5k-imbalanced"]
FAULTS = ["fault:sigmoid-deep", "fault:bad-init", "fault:high-lr", "fault:unscaled"]
ALL = PLAIN + VARIANTS + FAULTS
SMOKE = ["iris"]


def _subsample(dataset, keep_fraction: float, seed: int, only_class: int | None = None):
    """Keep `keep_fraction` of the training split (of one class, or stratified)."""
    from advisor.data.dataset import Dataset

    x, y = dataset.arrays["train"]
    rng = np.random.default_rng(seed)
    keep = np.ones(len(y), bool)
    for c in np.unique(y) if only_class is None else [only_class]:
        idx = np.flatnonzero(y == c)
        drop = rng.permutation(idx)[int(np.ceil(keep_fraction * len(idx))):]
        keep[drop] = False
    arrays = dict(dataset.arrays, train=(x[keep], y[keep]))
    counts = {k: int(len(v[1])) for k, v in arrays.items()}
    return Dataset(arrays, dataclasses.replace(dataset.info, counts=counts))


def load_task(name: str, seed: int = 0):
    """(dataset, build_model) for a task; build_model(info) returns a compiled model."""
    from advisor.data import load
    from advisor.model.defaults import default_model

    if name.startswith("fault:"):
        from advisor.testing.faults import bench_case

        dataset, build = bench_case(name.split(":", 1)[1], seed=seed)

        def broken(info):
            return build(info)

        broken.fixed_architecture = True  # arms keep the user's (broken) architecture
        return dataset, broken
    if name == "mnist-5k-small":
        return _subsample(load("mnist-5k", seed=seed), 0.10, seed), default_model
    if name == "mnist-5k-imbalanced":
        return _subsample(load("mnist-5k", seed=seed), 0.05, seed, only_class=0), default_model
    return load(name, seed=seed), default_model
