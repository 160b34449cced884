"""ExponentialDecay: shrink the learning rate smoothly by `rate` per epoch."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.registry import register


@register
class ExponentialDecay(Recipe):
    """lr(step) = lr0 * rate ** (step / steps_per_epoch).

    When to use: a smooth decay without choosing drop points (S4: exponential
    decay). `keras.optimizers.schedules.ExponentialDecay` with one epoch as the
    decay period.

    Args:
        rate: multiplier per epoch, in (0, 1].

    Example:
        >>> import keras, numpy as np
        >>> from recipes import ExponentialDecay, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> train = (np.random.default_rng(0).normal(size=(64, 4)).astype("float32"), np.arange(64) % 3)
        >>> model = Plan([ExponentialDecay(rate=0.9)]).build(my_model, train, epochs=20)
        >>> schedule = model.optimizer.get_config()["learning_rate"]
        >>> schedule["class_name"], schedule["config"]["decay_rate"], schedule["config"]["decay_steps"]   # 2 steps = 1 epoch
        ('ExponentialDecay', 0.9, 2)
    """

    name = "exponential_decay"
    slot = "schedule"

    def __init__(self, rate: float = 0.95):
        self.rate = check_number(self, "rate", rate, 0, 1, low_open=True)

    def apply(self, setup):
        return setup.replace(lr_schedule=self.schedule)

    def search_space(self, hp):
        return self.replace(rate=self.tune_float(hp, "rate", 0.8, 0.99))

    def schedule(self, base_lr: float, steps_per_epoch: int, epochs: int):
        return keras.optimizers.schedules.ExponentialDecay(
            base_lr, decay_steps=steps_per_epoch, decay_rate=self.rate)
