"""WarmupCosine: linear warm-up, then cosine decay (`keras.optimizers.schedules.CosineDecay`)."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.registry import register


@register
class WarmupCosine(Recipe):
    """Warm up linearly from 0 to the optimizer's LR, then decay along a half cosine.

    With T total steps, W = round(warmup * T) and D = T - W:
        lr(s) = lr0 * s / W                                          for s < W
        lr(s) = lr0 * (alpha + (1 - alpha) * (1 + cos(pi * (s - W) / D)) / 2)   after

    When to use: the Tuning Playbook's default decay; warm-up fixes early
    instability (large batch, divergence, oscillation at the start).

    Args:
        warmup: fraction of all training steps spent warming up, in [0, 1).
        alpha: final learning rate as a fraction of the peak, in [0, 1].

    Example:
        >>> import keras, numpy as np
        >>> from recipes import AdamW, Plan, WarmupCosine
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> train = (np.random.default_rng(0).normal(size=(64, 4)).astype("float32"), np.arange(64) % 3)
        >>> plan = Plan([AdamW(1e-3), WarmupCosine(warmup=0.05)])
        >>> model = plan.build(my_model, train, epochs=30)   # 30 epochs x 2 batches of 32 = 60 steps
        >>> schedule = model.optimizer.get_config()["learning_rate"]
        >>> schedule["class_name"], schedule["config"]["warmup_steps"], schedule["config"]["decay_steps"]
        ('CosineDecay', 3, 57)
    """

    name = "warmup_cosine"
    slot = "schedule"

    def __init__(self, warmup: float = 0.05, alpha: float = 0.0):
        self.warmup = check_number(self, "warmup", warmup, 0, 1, high_open=True)
        self.alpha = check_number(self, "alpha", alpha, 0, 1)

    def apply(self, setup):
        return setup.replace(lr_schedule=self.schedule)

    def search_space(self, hp):
        return self.replace(warmup=self.tune_float(hp, "warmup", 0.0, 0.2))

    def schedule(self, base_lr: float, steps_per_epoch: int, epochs: int):
        total = steps_per_epoch * epochs
        warmup_steps = round(self.warmup * total)
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0, decay_steps=max(total - warmup_steps, 1), alpha=self.alpha,
            warmup_target=base_lr, warmup_steps=warmup_steps)
