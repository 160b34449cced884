"""ReduceOnPlateau: `keras.callbacks.ReduceLROnPlateau`."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number, check_str
from recipes.registry import register


@register
class ReduceOnPlateau(Recipe):
    """Multiply the learning rate by `factor` when `monitor` stops improving for `patience` epochs.

    When to use: oscillating loss (AUTOTRAINER: ReduceLROnPlateau(0.2,
    patience 5)) or a plateau late in training. Needs validation data for the
    default monitor "val_loss".

    Args:
        factor: multiplier at each reduction, in (0, 1).
        patience: epochs without improvement before reducing (>= 0).
        monitor: the logged quantity to watch.
        min_lr: lower bound on the learning rate (>= 0).

    Example:
        >>> import keras, numpy as np
        >>> from recipes import Plan, ReduceOnPlateau
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32"); y = np.arange(32) % 3
        >>> plan = Plan([ReduceOnPlateau(factor=0.2, patience=5)])
        >>> history = plan.build(my_model).fit(x, y, validation_split=0.25, epochs=1, verbose=0, **plan.fit_kwargs())
        >>> sorted(history.history)   # the callback logs the learning rate
        ['learning_rate', 'loss', 'val_loss']
    """

    name = "reduce_on_plateau"
    slot = "schedule"

    def __init__(self, factor: float = 0.2, patience: int = 5, monitor: str = "val_loss",
                 min_lr: float = 0.0):
        self.factor = check_number(self, "factor", factor, 0, 1, low_open=True, high_open=True)
        self.patience = check_number(self, "patience", patience, 0, integer=True)
        self.monitor = check_str(self, "monitor", monitor, "a metric name like 'val_loss'")
        self.min_lr = check_number(self, "min_lr", min_lr, 0)

    def apply(self, setup):
        return setup.replace(callbacks=setup.callbacks + (self.callback,))

    def search_space(self, hp):
        return self.replace(factor=self.tune_float(hp, "factor", 0.1, 0.5),
                            patience=self.tune_int(hp, "patience", 2, 10))

    def callback(self):
        return keras.callbacks.ReduceLROnPlateau(monitor=self.monitor, factor=self.factor,
                                                 patience=self.patience, min_lr=self.min_lr)
