"""`TrainData`: the training split as numpy arrays, whatever form the caller had it in."""
from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

ADAPT_SAMPLES = 10_000


def as_dataset(data, what: str = "train") -> tf.data.Dataset:
    """An unbatched `tf.data.Dataset` of (x, y) from a dataset or an (x, y) numpy tuple."""
    if isinstance(data, tf.data.Dataset):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return tf.data.Dataset.from_tensor_slices(data)
    raise ValueError(f"{what} must be an unbatched tf.data.Dataset of (x, y) or an (x, y) tuple of "
                     f"arrays, got {type(data).__name__}")


class TrainData:
    """The training split, read once, as arrays.

    When to use: recipes that need the data itself (Normalize adapts on x,
    ClassWeights counts y, schedules need the number of samples).

    Args:
        train: an unbatched `tf.data.Dataset` yielding (x, y), an (x, y) tuple,
            or a `TrainData` (passed through).
        labels: the dataset's labels in its order, when the caller has them
            without reading the inputs (a folder of images streamed from disk):
            then nothing reads the whole dataset into memory.

    Example:
        >>> import numpy as np
        >>> TrainData((np.zeros((5, 2)), np.arange(5))).n
        5
    """

    def __new__(cls, train, labels=None):
        return train if isinstance(train, TrainData) else super().__new__(cls)

    def __init__(self, train, labels=None):
        if train is self:
            return
        self._source, self._labels = train, None if labels is None else np.asarray(labels)
        if isinstance(train, tuple) and len(train) == 2:
            if len(train[0]) != len(train[1]):
                raise ValueError(f"train x and y differ in length: {len(train[0])} vs {len(train[1])}")
            return
        dataset = as_dataset(train)
        spec = dataset.element_spec
        if not (isinstance(spec, tuple) and len(spec) >= 2):
            raise ValueError(f"train dataset must yield (x, y) pairs, got elements {spec}")
        if spec[0].shape.rank and spec[0].shape[0] is None:
            raise ValueError(f"train dataset looks batched (x shape {spec[0].shape}); "
                             "pass it before .batch()")

    @functools.cached_property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self._source, tuple):
            return np.asarray(self._source[0]), np.asarray(self._source[1])
        xs, ys = [], []
        for batch in self._source.batch(4096).as_numpy_iterator():
            xs.append(batch[0])
            ys.append(batch[1])
        if not xs:
            raise ValueError("train dataset is empty")
        return np.concatenate(xs), np.concatenate(ys)

    @property
    def x(self) -> np.ndarray:
        return self.arrays[0]

    @property
    def y(self) -> np.ndarray:
        return self._labels if self._labels is not None else self.arrays[1]

    @property
    def adapt_inputs(self):
        """What preprocessing layers' ``adapt()`` reads: x, or for a stream with known
        labels the first `ADAPT_SAMPLES` inputs in batches (a mean and variance per
        channel settle long before; reading a folder of photos whole would not fit)."""
        if self._labels is None:
            return self.x
        return self._source.take(ADAPT_SAMPLES).batch(256).map(lambda x, y: x)

    @property
    def n(self) -> int:
        if self._labels is not None:
            return len(self._labels)
        if isinstance(self._source, tf.data.Dataset):
            cardinality = int(self._source.cardinality())
            if cardinality >= 0:
                return cardinality
        return len(self.y)
