"""Input statistics in one pass over arrays or batches: per-feature moments, pooled into global and
per-channel ones.

Why by hand: numpy's ``std(dtype=float64)`` on a 70,000 x 784 split copies
it to float64 whole (440 MB) and the nan* functions are slower still. Here
rows are read in chunks, counts/sums/squares are accumulated in float64, and
everything else (global, per-channel, per-feature spread) is pooled from
those sums. Non-finite values are skipped, so NaN/inf never reach the stats.
"""
from __future__ import annotations

import dataclasses

import numpy as np

_CHUNK_VALUES = 1 << 23  # 64 MB of float64 per chunk: 10,700 rows of MNIST, 55 of 224x224 RGB


@dataclasses.dataclass
class Moments:
    """Count, sum, sum of squares, min and max per feature (float64 arrays)."""

    count: np.ndarray
    total: np.ndarray
    squares: np.ndarray
    min: np.ndarray
    max: np.ndarray

    def pooled(self, groups: int = 1):
        """(min, max, mean, std) lists over `groups` interleaved feature groups
        (channels are the last axis, so feature i belongs to group i % groups).
        Entries are None where a group has no finite value."""
        def pool(a, reduce):
            return reduce(a.reshape(-1, groups), axis=0)

        count = pool(self.count, np.sum)
        with np.errstate(all="ignore"):
            mean = pool(self.total, np.sum) / count
            var = np.maximum(pool(self.squares, np.sum) / count - mean ** 2, 0.0)
        stats = (pool(self.min, np.min), pool(self.max, np.max), mean, np.sqrt(var))
        return tuple([float(v) if c > 0 else None for v, c in zip(s, count)] for s in stats)

    def feature_std(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            mean = self.total / self.count
            return np.sqrt(np.maximum(self.squares / self.count - mean ** 2, 0.0))

    def constant(self) -> np.ndarray:
        """Indices of features that never change (or have no finite value)."""
        return np.flatnonzero(~(self.max > self.min))


def empty_moments(n_features: int) -> Moments:
    return Moments(np.zeros(n_features), np.zeros(n_features), np.zeros(n_features),
                   np.full(n_features, np.inf), np.full(n_features, -np.inf))


def add_rows(m: Moments, x: np.ndarray) -> Moments:
    """Accumulate the rows of x (N, ...) into m, in chunks of `_CHUNK_VALUES` (float64 copies stay small)."""
    flat = x.reshape(len(x), len(m.count))
    rows = max(1, _CHUNK_VALUES // max(1, flat.shape[1]))
    for start in range(0, len(flat), rows):
        chunk = flat[start:start + rows].astype(np.float64)
        finite = np.isfinite(chunk)
        if finite.all():
            m.count += len(chunk)
            low, high = chunk.min(0), chunk.max(0)
        else:
            m.count += finite.sum(0)
            low = np.where(finite, chunk, np.inf).min(0)
            high = np.where(finite, chunk, -np.inf).max(0)
            chunk = np.where(finite, chunk, 0.0)
        m.total += chunk.sum(0)
        m.squares += np.einsum("ij,ij->j", chunk, chunk)
        np.minimum(m.min, low, out=m.min)
        np.maximum(m.max, high, out=m.max)
    return m


def feature_moments(x: np.ndarray) -> Moments:
    """Per-feature moments of x (N, ...) flattened to (N, F), skipping NaN/inf.

    Example:
        >>> m = feature_moments(np.array([[0.0, 1.0], [2.0, np.nan]]))
        >>> m.pooled()[2]   # mean of 0, 1, 2
        [1.0]
    """
    return add_rows(empty_moments(int(np.prod(x.shape[1:]))), x)
