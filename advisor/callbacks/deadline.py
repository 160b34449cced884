"""`FitDeadline`: the one callback that ends a fit by the clock and keeps its best epoch.

Every fit that trains under the budget (search trials, the K folds, the final
fit, the benchmark's keras-tuner arm) stops with it, checked after every
batch, so no epoch runs past its stage's deadline.
"""
from __future__ import annotations

import math
import time

import keras


class FitDeadline(keras.callbacks.Callback):
    """Ends a fit at `deadline` (monotonic) or `max_seconds` after it began,
    whichever comes first, checked every batch; then puts back the weights of
    its best epoch (by `monitor`) when it cut the fit, or always with
    `keep_best`. Records whether it cut the fit, and how long each epoch took.

    Args:
        deadline: a `time.monotonic()` value; None for no deadline.
        monitor: the epoch log that ranks epochs ("acc" in its name: higher is better).
        max_seconds: the longest this fit may run, from `on_train_begin`.
        closing_passes: how many validation-sized passes must still fit after
            the cut (the cut epoch's own validation, then the closing
            evaluations); the deadline moves earlier by that many times the
            slowest validation pass seen, so a model that evaluates slowly
            still ends within the budget.
        keep_best: put back the best epoch's weights at the end even when not cut.

    Example:
        >>> import keras, numpy as np
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> stop = FitDeadline(max_seconds=0.0, monitor="loss")
        >>> _ = model.fit(np.zeros((8, 2)), np.zeros(8), epochs=5, batch_size=4, verbose=0, callbacks=[stop])
        >>> stop.cut, len(stop.epoch_seconds)
        (True, 1)
    """

    async_safe = True  # reads the clock and sets stop_training: Keras may dispatch it asynchronously

    def __init__(self, deadline: float | None = None, monitor: str = "val_loss", *, max_seconds: float | None = None,
                 closing_passes: float = 0.0, keep_best: bool = False):
        super().__init__()
        self.deadline, self.monitor, self.max_seconds, self.keep_best = deadline, monitor, max_seconds, keep_best
        self.sign = 1.0 if "acc" in monitor else -1.0
        self.closing_passes, self.pass_s = closing_passes, 0.0
        self.cut, self.best, self.best_weights, self.best_epoch = False, -math.inf, None, None
        self.end, self.epoch_seconds, self._epoch_began, self._test_began = math.inf, [], None, None

    def on_train_begin(self, logs=None):
        now = time.monotonic()
        self.end = min(self.deadline if self.deadline is not None else math.inf,
                       now + self.max_seconds if self.max_seconds is not None else math.inf)
        self.cut, self.best, self.best_weights, self.best_epoch, self.epoch_seconds = False, -math.inf, None, None, []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_began = time.monotonic()

    def on_test_begin(self, logs=None):
        self._test_began = time.monotonic()

    def on_test_end(self, logs=None):
        if self._test_began is not None:
            self.pass_s = max(self.pass_s, time.monotonic() - self._test_began)

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() >= self.end - self.closing_passes * self.pass_s:
            self.cut, self.model.stop_training = True, True

    def on_epoch_end(self, epoch, logs=None):
        if self._epoch_began is not None:
            self.epoch_seconds.append(time.monotonic() - self._epoch_began)
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(value) and self.sign * value > self.best:
            self.best, self.best_weights, self.best_epoch = self.sign * value, self.model.get_weights(), epoch

    def on_train_end(self, logs=None):
        if (self.cut or self.keep_best) and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
