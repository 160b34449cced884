"""`make_pipeline`: the tf.data input pipeline a plan trains with."""
from __future__ import annotations

import tensorflow as tf

from recipes.setup import TrainingSetup
from recipes.train_data import as_dataset

MAX_SHUFFLE_BUFFER = 100_000  # whole in-memory splits fit; beyond this, a window is enough


def make_pipeline(setup: TrainingSetup, batch_size: int, train, val=None):
    """Batched (train, val) datasets.

    Train: cache -> sample transforms (oversampling) -> shuffle -> batch ->
    batch transforms (augmentation, noise) -> prefetch. Caching comes before
    the random transforms so every epoch sees fresh augmentations. Val: batch ->
    cache -> prefetch, never augmented.

    Args:
        setup: the plan's `TrainingSetup`.
        batch_size: the global batch size.
        train, val: unbatched tf.data.Dataset of (x, y) or (x, y) tuples; val may be None.
    """
    train = as_dataset(train, "train_ds").cache()
    for transform in setup.sample_transforms:
        train = transform(train)
    size = int(train.cardinality())
    buffer = min(size, MAX_SHUFFLE_BUFFER) if size > 0 else 10_000
    train = train.shuffle(buffer, reshuffle_each_iteration=True).batch(batch_size)
    for transform in setup.batch_transforms:
        train = transform(train)
    train = train.prefetch(tf.data.AUTOTUNE)
    if val is not None:
        val = as_dataset(val, "val_ds").batch(batch_size).cache().prefetch(tf.data.AUTOTUNE)
    return train, val
