"""EarlyStop: `keras.callbacks.EarlyStopping`."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_bool, check_number, check_str
from recipes.registry import register


@register
class EarlyStop(Recipe):
    """Stop when `monitor` has not improved for `patience` epochs, optionally restoring the best weights.

    When to use: overfitting (validation stops improving while training goes
    on; S0, S1), and as a budget guard in every long run. Needs validation
    data for the default monitor "val_loss".

    Args:
        patience: epochs without improvement before stopping (>= 0).
        restore_best_weights: end with the weights of the best epoch.
        monitor: the logged quantity to watch.
        min_delta: smallest change that counts as improvement (>= 0).

    Example:
        >>> import keras, numpy as np
        >>> from recipes import EarlyStop, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32"); y = np.arange(32) % 3
        >>> plan = Plan([EarlyStop(patience=5)])
        >>> [type(callback).__name__ for callback in plan.fit_kwargs()["callbacks"]]
        ['EarlyStopping']
        >>> history = plan.build(my_model).fit(x, y, validation_split=0.25, epochs=1, verbose=0, **plan.fit_kwargs())
    """

    name = "early_stop"

    def __init__(self, patience: int = 5, restore_best_weights: bool = True,
                 monitor: str = "val_loss", min_delta: float = 0.0):
        self.patience = check_number(self, "patience", patience, 0, integer=True)
        self.restore_best_weights = check_bool(self, "restore_best_weights", restore_best_weights)
        self.monitor = check_str(self, "monitor", monitor, "a metric name like 'val_loss'")
        self.min_delta = check_number(self, "min_delta", min_delta, 0)

    def apply(self, setup):
        return setup.replace(callbacks=setup.callbacks + (self.callback,))

    def callback(self):
        return keras.callbacks.EarlyStopping(monitor=self.monitor, patience=self.patience,
                                             min_delta=self.min_delta,
                                             restore_best_weights=self.restore_best_weights)
