"""`FitDeadline`: the one callback that ends a fit at a wall-clock deadline.

Every stage that trains under the budget (search trials of a given plan, the
K folds, the final fit, the benchmark's keras-tuner arm) stops with it, checked
after every batch, so no epoch runs past its stage's deadline.
"""
from __future__ import annotations

import math
import time

import keras


class FitDeadline(keras.callbacks.Callback):
    """Ends a fit at `deadline` (monotonic, checked every batch) and then puts
    back the weights of its best validation epoch, so a fit cut short keeps
    the best it reached. Records whether it cut the fit.

    `closing_passes`: how many validation-sized passes must still fit after
    the cut (the cut epoch's own validation, then the closing evaluations);
    the deadline moves earlier by that many times the slowest validation pass
    seen, so a model that evaluates slowly still ends within the budget.
    `keep_best`: put back the best epoch's weights at the end even when not cut.
    """

    def __init__(self, deadline: float, monitor: str = "val_loss", closing_passes: float = 0.0,
                 keep_best: bool = False):
        super().__init__()
        self.deadline, self.monitor, self.cut, self.keep_best = deadline, monitor, False, keep_best
        self.sign = 1.0 if "acc" in monitor else -1.0
        self.best, self.best_weights = -math.inf, None
        self.closing_passes, self.pass_s, self._test_began = closing_passes, 0.0, None

    def on_test_begin(self, logs=None):
        self._test_began = time.monotonic()

    def on_test_end(self, logs=None):
        if self._test_began is not None:
            self.pass_s = max(self.pass_s, time.monotonic() - self._test_began)

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() >= self.deadline - self.closing_passes * self.pass_s:
            self.cut, self.model.stop_training = True, True

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(value) and self.sign * value > self.best:
            self.best, self.best_weights = self.sign * value, self.model.get_weights()

    def on_train_end(self, logs=None):
        if (self.cut or self.keep_best) and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
