"""`make_pipeline`: the tf.data input pipeline a plan trains with."""
from __future__ import annotations

import tensorflow as tf

from recipes.training_setup import TrainingSetup
from recipes.data.train_data import as_dataset

MAX_SHUFFLE_BUFFER = 100_000  # whole in-memory splits fit; beyond this, a window is enough
# Caching and shuffling hold decoded samples in memory: bounded in bytes, so a stream of
# 224x224 photos (600 KB each as float32) is neither cached whole (50,000 of them: 30 GB)
# nor shuffled through a 100,000-sample buffer. Such a stream should arrive in a new
# order each pass (shuffled file lists), so a window of a few hundred samples is enough.
# Nor is it cached to a file: on 5,000 224x224 JPEGs over 3 epochs a file cache gave
# 570, 1502, 1469 samples/s against 1389, 1801, 1310 decoding every pass, for 2 GB of disk.
MAX_CACHE_BYTES = 1 << 30
MAX_SHUFFLE_BYTES = 256 << 20


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` with tf.data's autotuning off, so its iterators start no tuning thread.

    That thread sleeps up to 60 s between tuning passes, and TensorFlow 2.21 can miss
    the wake-up when the iterator is deleted: deleting one that lived a minute
    blocks the deleting thread until the sleep ends (`bench/iterator_stall.py`).
    Keras leaves the iterator of a fit stopped mid-epoch (a deadline, a NaN guard)
    in a reference cycle, so it is deleted whenever the garbage collector next runs,
    inside whatever stage runs then. Same bench: fits were no slower with it off.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _sample_bytes(dataset: tf.data.Dataset) -> int | None:
    """Bytes of one (x, y) element when every shape is known, else None."""
    total = 0
    for spec in tf.nest.flatten(dataset.element_spec):
        if not spec.shape.is_fully_defined():
            return None
        total += spec.shape.num_elements() * spec.dtype.size
    return total


def _fits_cache(dataset: tf.data.Dataset, sample_bytes: int | None) -> bool:
    count = int(dataset.cardinality())
    return sample_bytes is not None and count >= 0 and count * sample_bytes <= MAX_CACHE_BYTES


def make_pipeline(setup: TrainingSetup, batch_size: int, train, val=None):
    """Batched (train, val) datasets.

    Train: cache -> sample transforms (oversampling) -> shuffle -> batch ->
    batch transforms (augmentation, noise) -> prefetch. Caching comes before
    the random transforms so every epoch sees fresh augmentations. Val: batch ->
    cache -> prefetch, never augmented. A split larger than `MAX_CACHE_BYTES` is
    not cached (it is read again each epoch) and the shuffle buffer holds at most
    `MAX_SHUFFLE_BYTES`.

    Args:
        setup: the plan's `TrainingSetup`.
        batch_size: the global batch size.
        train, val: unbatched tf.data.Dataset of (x, y) or (x, y) tuples; val may be None.
    """
    train = as_dataset(train, "train_ds")
    sample_bytes = _sample_bytes(train)
    train = train.cache() if _fits_cache(train, sample_bytes) else train
    for transform in setup.sample_transforms:
        train = transform(train)
    size = int(train.cardinality())
    buffer = min(size, MAX_SHUFFLE_BUFFER) if size > 0 else 10_000
    if sample_bytes:
        buffer = max(1, min(buffer, MAX_SHUFFLE_BYTES // sample_bytes))
    train = train.shuffle(buffer, reshuffle_each_iteration=True).batch(batch_size)
    for transform in setup.batch_transforms:
        train = transform(train)
    train = without_autotune(train.prefetch(tf.data.AUTOTUNE))
    if val is not None:
        val = as_dataset(val, "val_ds")
        fits = _fits_cache(val, _sample_bytes(val))
        val = val.batch(batch_size)
        val = without_autotune((val.cache() if fits else val).prefetch(tf.data.AUTOTUNE))
    return train, val
