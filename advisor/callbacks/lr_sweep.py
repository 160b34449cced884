"""`LRSweep`: the LR range test's callback (`advisor.probe.lr_find`): the learning
rate set before each batch from a schedule, each batch's loss recorded, the
sweep stopped once the loss blows up."""
from __future__ import annotations

import math
import time

import keras
import numpy as np

SMOOTHING = 0.98  # EMA beta, as fastai
DIVERGENCE_FACTOR = 4.0  # stop once the smoothed loss exceeds 4x its minimum, as fastai


class LRSweep(keras.callbacks.Callback):
    """Sets the learning rate before each batch, records the batch loss after it,
    and stops on divergence, NaN or the deadline."""

    def __init__(self, lrs: np.ndarray, deadline: float | None):
        super().__init__()
        self.schedule = lrs
        self.deadline = deadline
        self.lrs: list[float] = []
        self.raw: list[float] = []
        self.smoothed: list[float] = []
        self._avg = 0.0
        self.stop_reason = "end_lr"

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = float(self.schedule[batch])
        # Keras' logged "loss" is the mean since the epoch began; reset it so
        # on_train_batch_end sees this batch's loss alone.
        self.model.reset_metrics()

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            return self._stop("nan")
        self._avg = SMOOTHING * self._avg + (1 - SMOOTHING) * loss
        smooth = self._avg / (1 - SMOOTHING ** (len(self.raw) + 1))
        self.lrs.append(float(self.schedule[batch]))
        self.raw.append(loss)
        self.smoothed.append(smooth)
        if not math.isfinite(smooth):
            return self._stop("nan")
        if smooth > DIVERGENCE_FACTOR * min(self.smoothed):
            return self._stop("diverged")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return self._stop("deadline")

    def _stop(self, reason):
        self.stop_reason = reason
        self.model.stop_training = True
