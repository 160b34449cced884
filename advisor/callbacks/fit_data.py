"""The one door to Keras's internals: a sample of the data a running `fit` reads.

Keras gives callbacks no access to the training data, so `advisor.Watch` (when
the user gives it no `sample=`) finds the running `fit` loop on the call stack
and reads a few samples from its data adapter or iterator without taking them
from the fit. Every private attribute this reads is here, and
`tests/callbacks/test_fit_data.py` checks them against the installed Keras, so
an upgrade that changes them fails there; at run time a change only costs Watch
its gradient and activation checks (one line says so), never the user's fit.
"""
from __future__ import annotations

import sys

import keras
import numpy as np
import tensorflow as tf

# Samples in the fixed batch gradients and activations are measured on, once per
# epoch. 64 keeps the monitor under ~5% of an epoch even for a CNN on 28x28 images
# (256 cost 15-25% there); a unit active on 5% of inputs still looks dead on
# only 0.95**64 = 4% of such batches.
MONITOR_SAMPLES = 64
# A sample read from the fit's own data takes at most this many of its first batches.
_PEEK_BATCHES = 8


def fit_locals() -> dict | None:
    """The locals of the Keras `fit` loop that is calling the current callback hook
    (its data iterator `iterator`, `epoch_iterator`, `validation_data`), or None.

    Keras gives callbacks no access to the data; `on_train_batch_begin` is
    called synchronously from the loop, so the loop's frame is on the stack."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "fit" and "epoch_iterator" in frame.f_code.co_varnames:
            return frame.f_locals
        frame = frame.f_back
    return None


def _to_host(value, strategy):
    """A batch element as numpy; per-replica values (MirroredStrategy) concatenated."""
    if isinstance(value, tf.distribute.DistributedValues):
        parts = strategy.experimental_local_results(value) if strategy is not None else value.values
        return np.concatenate([np.asarray(p) for p in parts])
    if isinstance(value, (tf.SparseTensor, tf.RaggedTensor)):
        raise TypeError(f"{type(value).__name__} inputs are not sampled")
    return np.asarray(value)


def _peek_iterator(iterator, n: int) -> list:
    """The next batches of a tf.data iterator (up to `n` samples), then its state restored:
    the fit reads the same batches in the same order afterwards. [] when the iterator
    cannot be saved (a Python generator or py_function inside the pipeline)."""
    if not (hasattr(iterator, "_serialize_to_tensors") and hasattr(iterator, "_restore_from_tensors")):
        return []
    try:
        state = iterator._serialize_to_tensors()
    except (tf.errors.OpError, ValueError, TypeError, NotImplementedError):
        return []
    batches, seen = [], 0
    try:
        while seen < n and len(batches) < _PEEK_BATCHES:
            batches.append(iterator.get_next())
            seen += _batch_len(batches[-1])
    except (tf.errors.OutOfRangeError, StopIteration):
        pass
    finally:
        iterator._restore_from_tensors(state)
    return batches


def _batch_len(batch) -> int:
    first = tf.nest.flatten(batch)[0]
    if isinstance(first, tf.distribute.DistributedValues):
        return sum(int(v.shape[0]) for v in first.values)
    shape = getattr(first, "shape", ())
    return int(shape[0]) if len(shape) else 1


def _rows(array, index):
    if isinstance(array, np.ndarray):
        return array[index]
    if tf.is_tensor(array):
        return tf.gather(array, index).numpy()
    return np.asarray(array)[index]


def _sample_batches(loop: dict, n: int) -> tuple[list, int | None]:
    """(batches holding at least `n` samples where the data has them, the fit's batch size)
    read without taking anything from the fit:

    - arrays: `n` rows spread evenly over them (no random draw; a first batch of
      arrays sorted by class would hold one class);
    - a Python generator: the first batches Keras already read from it to learn its
      shapes; a PyDataset: its first items;
    - tf.data: the fit's own iterator is saved, read and restored, so the sample is
      the fit's first batches and the fit still reads every batch in the same order
      (this costs one extra start of the pipeline and a copy of its state). A pipeline
      that cannot be saved (a Python function inside it) is read by a fresh pass,
      which draws one more shuffle seed from it.
    """
    epoch_iterator = loop.get("epoch_iterator")
    adapter = getattr(epoch_iterator, "data_adapter", None)
    inputs = getattr(adapter, "_inputs", None)
    if inputs is not None and hasattr(adapter, "_num_samples"):  # keras ArrayDataAdapter
        total = int(adapter._num_samples)
        index = np.unique(np.linspace(0, total - 1, min(n, total)).round().astype(np.int64))
        return [tf.nest.map_structure(lambda a: None if a is None else _rows(a, index), inputs)], \
            getattr(adapter, "_batch_size", None)
    if getattr(adapter, "_first_batches", None):
        return list(adapter._first_batches), None
    py_dataset = getattr(adapter, "py_dataset", None)
    if py_dataset is not None:
        batches, seen = [], 0
        count = getattr(py_dataset, "num_batches", None) or _PEEK_BATCHES
        while seen < n and len(batches) < min(count, _PEEK_BATCHES):
            batches.append(py_dataset[len(batches)])
            seen += _batch_len(batches[-1])
        return batches, None
    batches = _peek_iterator(loop.get("iterator"), n)
    if not batches and isinstance(getattr(adapter, "_dataset", None), tf.data.Dataset):
        seen = 0
        for batch in adapter._dataset.take(_PEEK_BATCHES):
            batches.append(batch)
            seen += _batch_len(batch)
            if seen >= n:
                break
    return batches, None


def read_training_sample(loop: dict, n: int = MONITOR_SAMPLES):
    """`(x, y, batch_size)`: `n` samples of the training data the running fit reads
    (`loop` = `fit_locals()`), without taking them from it (see `_sample_batches`);
    None if they cannot be read. Works for arrays, tf.data, generators and PyDatasets."""
    epoch_iterator = loop.get("epoch_iterator")
    strategy = getattr(epoch_iterator, "_distribute_strategy", None)
    batches, batch_size = _sample_batches(loop, n)
    if not batches:
        return None
    unpacked = [keras.utils.unpack_x_y_sample_weight(b if isinstance(b, tuple) else (b,)) for b in batches]
    batch_size = batch_size or _batch_len(batches[0])

    def join(parts):
        return tf.nest.map_structure(lambda *v: np.concatenate([_to_host(p, strategy) for p in v])[:n], *parts)

    x = join([u[0] for u in unpacked])
    y = None if unpacked[0][1] is None else join([u[1] for u in unpacked])
    return x, y, batch_size
