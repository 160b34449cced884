"""Exact-duplicate inputs within train and across splits (leakage), by hashing samples.

One blake2b digest per row of bytes (the only per-sample Python work), or for
image files a fingerprint of the file's bytes, then numpy set operations on
the digests. Exact bytes, so -0.0 and 0.0 differ and
near-duplicates are not found: this catches copies, not look-alikes.
"""
from __future__ import annotations

import hashlib

import numpy as np


def row_hashes(x: np.ndarray) -> np.ndarray:
    """A 16-byte digest per sample.

    Example:
        >>> h = row_hashes(np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]], np.float32))
        >>> bool(h[0] == h[1]), bool(h[0] == h[2])
        (True, False)
    """
    rows = np.ascontiguousarray(x.reshape(len(x), int(np.prod(x.shape[1:]))))
    return np.array([hashlib.blake2b(r, digest_size=16).digest() for r in rows], dtype="S16")


def duplicate_stats(hashes: dict, train_labels: np.ndarray, classify: bool = True) -> dict:
    """Duplicates in train, inputs repeated with different labels, and leakage counts.

    Args:
        hashes: {"train", "val", "test"}: one digest per sample (`row_hashes`, or
            an image file's fingerprint).
        train_labels: the train split's labels, in the order of its digests.
        classify: count label conflicts (meaningless for regression targets).

    Returns:
        n_duplicates_train (rows repeating an earlier train row),
        n_conflicting_duplicates (distinct train inputs seen with >1 label),
        leaked {"val": val rows also in train, "test": test rows also in train,
        "val_test": test rows also in val}.
    """
    unique, inverse = np.unique(hashes["train"], return_inverse=True)
    n_dup = len(hashes["train"]) - len(unique)
    conflicting = 0
    if n_dup and classify:
        pairs = np.unique(np.stack([inverse.ravel(), train_labels]), axis=1)  # distinct (input, label)
        conflicting = int((np.bincount(pairs[0]) > 1).sum())
    leaked = {"val": int(np.isin(hashes["val"], unique).sum()),
              "test": int(np.isin(hashes["test"], unique).sum()),
              "val_test": int(np.isin(hashes["test"], hashes["val"]).sum())}
    return {"n_duplicates_train": int(n_dup), "n_conflicting_duplicates": conflicting, "leaked": leaked}
