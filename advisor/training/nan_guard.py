"""Recover from NaN mid-training: stop the bad run, roll back to the last good
epoch's weights, apply the stabilizing recipes (LR / 10 and gradient clipping,
docs/references.md#knowledge-1 "divergence") and continue from there.
"""
from __future__ import annotations

import math

import keras

from recipes import GradientClip, LearningRate, Plan

# How many times one final fit may be rolled back and stabilized before the
# last good weights are kept as the result. Project choice: each round cuts
# the LR tenfold, so three rounds span a 1000x range.
MAX_RECOVERIES = 3
STABILIZE_LR_FACTOR = 0.1
STABILIZE_CLIPNORM = 1.0


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


def stabilized(plan):
    """The plan with its learning rate divided by ten and gradients clipped by norm."""
    factor = next((r.factor for r in plan.recipes if r.name == "learning_rate"), 1.0)
    keep = [r for r in plan.recipes if r.name not in ("learning_rate", "gradient_clip")]
    return Plan(keep + [LearningRate(factor=factor * STABILIZE_LR_FACTOR), GradientClip(clipnorm=STABILIZE_CLIPNORM)])
