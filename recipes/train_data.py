"""`TrainData`: the training split as numpy arrays, whatever form the caller had it in."""
from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf


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
    ClassWeights counts y, schedules need the number of samples). The data fits
    in memory for every source the advisor reads.

    Args:
        train: an unbatched `tf.data.Dataset` yielding (x, y), or an (x, y) tuple.

    Example:
        >>> import numpy as np
        >>> TrainData((np.zeros((5, 2)), np.arange(5))).n
        5
    """

    def __init__(self, train):
        self._source = train
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
        return self.arrays[1]

    @property
    def n(self) -> int:
        if isinstance(self._source, tf.data.Dataset):
            cardinality = int(self._source.cardinality())
            if cardinality >= 0:
                return cardinality
        return len(self.y)
