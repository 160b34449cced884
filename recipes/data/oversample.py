"""Oversample: a class-balanced training stream with `tf.data` `sample_from_datasets`."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from recipes.base import Recipe
from recipes.registry import register


def balanced_stream(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """An unbatched (x, y) stream drawing every class equally often, as long as `dataset`.

    Each class is filtered out, shuffled and repeated; `sample_from_datasets`
    then picks among them with equal probability.
    """
    labels = np.concatenate([y.reshape(-1) for _, y in dataset.batch(4096).as_numpy_iterator()])
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"'oversample' needs integer class labels, got {labels.dtype} labels")
    classes, counts = np.unique(labels, return_counts=True)
    per_class = [
        dataset.filter(lambda x, y, c=c: tf.reduce_all(tf.equal(tf.cast(y, tf.int64), int(c))))
        .shuffle(int(count)).repeat()
        for c, count in zip(classes, counts)
    ]
    weights = [1.0 / len(classes)] * len(classes)
    # rerandomize: with a global seed set, each epoch would otherwise repeat the same draws
    return tf.data.Dataset.sample_from_datasets(
        per_class, weights=weights, rerandomize_each_iteration=True).take(len(labels))


@register
class Oversample(Recipe):
    """Resample the training stream so every class is seen equally often.

    When to use: class imbalance (S1's "weighted random sampler"). Minority
    samples repeat within an epoch, so pair it with augmentation rather than
    many epochs. The epoch keeps the training split's length.

    Example:
        >>> import numpy as np
        >>> from recipes import Oversample, Plan
        >>> x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32"); y = np.array([0] * 30 + [1] * 10)
        >>> train, val = Plan([Oversample()]).transform((x, y), (x, y))
        >>> sum(len(labels) for _, labels in train)   # classes drawn 1:1, the epoch keeps 40 samples
        40
    """

    name = "oversample"

    def __init__(self):
        pass

    def apply(self, setup):
        return setup.replace(sample_transforms=setup.sample_transforms + (balanced_stream,))
