"""OneCycle: fastai's one-cycle learning-rate policy, as a Keras LearningRateSchedule."""
from __future__ import annotations

import math

import keras
from keras import ops

from recipes.base import Recipe, check_number
from recipes.registry import register


@keras.saving.register_keras_serializable(package="recipes")
class OneCycleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine up from peak/div_factor to `peak` over the first `pct_start` of the steps,
    then cosine down to peak/(div_factor*final_div_factor). Keras has no one-cycle schedule.
    """

    def __init__(self, peak, total_steps, pct_start=0.25, div_factor=25.0, final_div_factor=1e5):
        self.peak, self.total_steps, self.pct_start = peak, total_steps, pct_start
        self.div_factor, self.final_div_factor = div_factor, final_div_factor

    def __call__(self, step):
        # 1. the three anchor rates and the step where the rise ends
        start = self.peak / self.div_factor
        end = start / self.final_div_factor
        rise = max(round(self.pct_start * self.total_steps), 1)
        fall = max(self.total_steps - rise, 1)
        step = ops.cast(step, "float32")
        # 2. cosine interpolation: goes from a to b as p goes 0 -> 1
        def anneal(a, b, p):
            return b + (a - b) * (1.0 + ops.cos(math.pi * ops.clip(p, 0.0, 1.0))) / 2.0
        # 3. rising phase, then falling phase
        return ops.where(step < rise, anneal(start, self.peak, step / rise),
                         anneal(self.peak, end, (step - rise) / fall))

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "pct_start": self.pct_start,
                "div_factor": self.div_factor, "final_div_factor": self.final_div_factor}


@register
class OneCycle(Recipe):
    """One cycle: LR rises to the optimizer's learning rate, then anneals far below it.

    When to use: fast training to a good result in a fixed budget (fastai's
    default fit policy); the peak is the optimizer's LR, so pick it with care
    (the LR range test's suggestion). Momentum is not cycled.

    Args:
        pct_start: fraction of the steps spent rising, in (0, 1).
        div_factor: peak / starting LR (> 1).
        final_div_factor: starting LR / final LR (>= 1).

    Example:
        >>> import keras, numpy as np
        >>> from recipes import Adam, OneCycle, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> train = (np.random.default_rng(0).normal(size=(64, 4)).astype("float32"), np.arange(64) % 3)
        >>> model = Plan([Adam(3e-3), OneCycle()]).build(my_model, train, epochs=10)
        >>> schedule = model.optimizer.get_config()["learning_rate"]
        >>> schedule["class_name"], schedule["config"]["total_steps"]   # 10 epochs x 2 batches of 32
        ('OneCycleSchedule', 20)
    """

    name = "one_cycle"
    slot = "schedule"

    def __init__(self, pct_start: float = 0.25, div_factor: float = 25.0, final_div_factor: float = 1e5):
        self.pct_start = check_number(self, "pct_start", pct_start, 0, 1, low_open=True, high_open=True)
        self.div_factor = check_number(self, "div_factor", div_factor, 1, low_open=True)
        self.final_div_factor = check_number(self, "final_div_factor", final_div_factor, 1)

    def apply(self, setup):
        return setup.replace(lr_schedule=self.schedule)

    def search_space(self, hp):
        return self.replace(pct_start=self.tune_float(hp, "pct_start", 0.1, 0.5))

    def schedule(self, base_lr: float, steps_per_epoch: int, epochs: int):
        return OneCycleSchedule(base_lr, steps_per_epoch * epochs, self.pct_start,
                                self.div_factor, self.final_div_factor)
