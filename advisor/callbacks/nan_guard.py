"""`LastGoodWeights`: the NaN guard of the final fit. It keeps the last epoch
whose loss was finite and stops at the first batch whose loss is not, so the
final fit can roll back and continue stabilized (`advisor.training.final_fit`)."""
from __future__ import annotations

import math

import keras


class LastGoodWeights(keras.callbacks.Callback):
    """Keeps the weights of the last epoch whose loss was finite, and stops
    training at the first batch whose loss is not."""

    def __init__(self):
        super().__init__()
        self.weights, self.epochs_done, self.nan_epoch, self._epoch = None, 0, None, 0

    def on_train_begin(self, logs=None):
        self.nan_epoch = None
        if self.weights is None:  # before the first epoch the initial weights are the good ones
            self.weights = self.model.get_weights()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.nan_epoch = self._epoch
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.nan_epoch is None:
            self.weights, self.epochs_done = self.model.get_weights(), epoch + 1
