"""`StreamedSplits`: what a `Dataset` too large for memory is backed by (image files, TFDS records)."""
from __future__ import annotations

import numpy as np


class StreamedSplits:
    """Per split: labels and one digest per sample, known without decoding; samples decoded per batch.

    Subclasses hold `labels` and `fingerprints` ({split: array}) and `input_shape`,
    and define `stream(split, shuffle_seed)` (unbatched (x, y) in `labels` order
    unless shuffled) and `subset(split, indices)` (the same kind, holding only
    those samples of that split, in `labels` order).
    """

    labels: dict[str, np.ndarray]
    fingerprints: dict[str, np.ndarray]
    input_shape: tuple[int, ...]

    def stream(self, split: str, shuffle_seed: int | None = None):
        raise NotImplementedError

    def subset(self, split: str, indices) -> "StreamedSplits":
        raise NotImplementedError

    def read_batches(self, split: str, indices, batch_size: int):
        """Numpy (x, y) batches of the samples at `indices` of one split, decoded in parallel."""
        part = self.subset(split, indices)
        yield from part.stream(split).batch(batch_size).prefetch(2).as_numpy_iterator()

    def read(self, split: str, indices) -> tuple[np.ndarray, np.ndarray]:
        """The samples at `indices` of one split, decoded into arrays (empty ones keep their shape)."""
        batches = list(self.read_batches(split, indices, 256))
        if not batches:
            return np.zeros((0, *self.input_shape), np.float32), self.labels[split][:0]
        return tuple(np.concatenate(parts) for parts in zip(*batches))
