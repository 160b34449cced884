"""StepDecay: multiply the learning rate by `factor` every `every` epochs (PyTorch's StepLR)."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.registry import register


@register
class StepDecay(Recipe):
    """lr(step) = lr0 * factor ** floor(step / (every * steps_per_epoch)).

    When to use: a simple, predictable decay (S1: StepLR(step_size, gamma=0.1)).
    Implemented as `keras.optimizers.schedules.ExponentialDecay(staircase=True)`.

    Args:
        every: epochs between drops (integer >= 1).
        factor: multiplier at each drop, in (0, 1].

    Example:
        >>> import keras, numpy as np
        >>> from recipes import Adam, Plan, StepDecay
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> train = (np.random.default_rng(0).normal(size=(64, 4)).astype("float32"), np.arange(64) % 3)
        >>> model = Plan([Adam(1e-3), StepDecay(every=10)]).build(my_model, train, epochs=30)
        >>> schedule = model.optimizer.get_config()["learning_rate"]
        >>> schedule["config"]["decay_rate"], schedule["config"]["decay_steps"]   # x0.1 every 10 epochs of 2 steps
        (0.1, 20)
    """

    name = "step_decay"
    slot = "schedule"

    def __init__(self, every: int = 10, factor: float = 0.1):
        self.every = check_number(self, "every", every, 1, integer=True)
        self.factor = check_number(self, "factor", factor, 0, 1, low_open=True)

    def apply(self, setup):
        return setup.replace(lr_schedule=self.schedule)

    def search_space(self, hp):
        return self.replace(factor=self.tune_float(hp, "factor", 0.1, 0.9))

    def schedule(self, base_lr: float, steps_per_epoch: int, epochs: int):
        return keras.optimizers.schedules.ExponentialDecay(
            base_lr, decay_steps=self.every * steps_per_epoch, decay_rate=self.factor, staircase=True)
