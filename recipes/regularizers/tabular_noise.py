"""TabularNoise: Gaussian noise on training inputs (`keras.layers.GaussianNoise`)."""
from __future__ import annotations

import keras
import tensorflow as tf

from recipes.base import Recipe, check_number
from recipes.registry import register


@register
class TabularNoise(Recipe):
    """Add zero-mean Gaussian noise to the training inputs, batch by batch.

    When to use: small tabular datasets that overfit; also the last oscillation
    repair of AUTOTRAINER (GaussianNoise 0.1). Applies to the training stream
    only; best after Normalize so `stddev` is in units of a feature's std.

    Args:
        stddev: standard deviation of the noise.

    Example:
        >>> import numpy as np
        >>> from recipes import Normalize, Plan, TabularNoise
        >>> x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32"); y = np.arange(40) % 3
        >>> plan = Plan([Normalize(), TabularNoise(stddev=0.1)])   # Normalize acts in plan.build
        >>> train, val = plan.transform((x[:32], y[:32]), (x[32:], y[32:]))
        >>> bool(np.array_equal(next(iter(val))[0], x[32:]))   # validation inputs stay as they are
        True
    """

    name = "tabular_noise"

    def __init__(self, stddev: float = 0.1):
        self.stddev = check_number(self, "stddev", stddev, 0)

    def apply(self, setup):
        return setup.replace(batch_transforms=setup.batch_transforms + (self._add_noise,))

    def search_space(self, hp):
        return self.replace(stddev=self.tune_float(hp, "stddev", 0.0, 0.3))

    def _add_noise(self, batches: tf.data.Dataset) -> tf.data.Dataset:
        noise = keras.layers.GaussianNoise(self.stddev)
        return batches.map(lambda x, y: (noise(x, training=True), y),
                           num_parallel_calls=tf.data.AUTOTUNE)
