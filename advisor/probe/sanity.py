"""The tiny-subset sanity check (S3, S4: "overfit a tiny subset first")."""
from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf

from advisor.probe.copies import accuracy_key, clone_for_training
from recipes.data.pipeline import without_autotune


class _StopWhenMemorized(keras.callbacks.Callback):
    """Ends the tiny-subset run once training accuracy hits 100% or the loss ~0."""

    def __init__(self, key, initial_loss):
        super().__init__()
        self.key, self.initial_loss = key, initial_loss

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        done = logs.get(self.key, 0) >= 1.0 if self.key else logs.get("loss", 1) < 1e-3 * self.initial_loss
        if done or not math.isfinite(logs.get("loss", 0.0)):
            self.model.stop_training = True


def overfit_tiny_subset(model, dataset, n: int = 32, steps: int = 500, seed: int = 0) -> dict[str, Any]:
    """Can a copy of the model memorize `n` training samples within `steps` full-batch steps?

    A capacity/pipeline sanity check (S3, S4: "overfit a tiny subset first"):
    a healthy setup reaches ~100% training accuracy / near-zero loss quickly, so
    the run stops as soon as it does.

    Returns:
        dict with n, steps, initial/final loss, final accuracy (best of training
        and inference mode; None for regression), and loss_fraction.
    """
    keras.utils.set_random_seed(seed)
    clone = clone_for_training(model, dataset.info)
    x, y = dataset.sample("train", n, seed)
    before = clone.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    key = accuracy_key(before)
    reps = 25  # steps per Keras epoch: few epochs (each costs overhead), yet an early stop
    chunks = max(1, steps // reps)
    stop = _StopWhenMemorized(key, float(before["loss"]))
    # The same full batch, not 25 copies in memory; `stop` ends the fit mid-epoch.
    batches = without_autotune(tf.data.Dataset.from_tensors((x, y)).repeat(reps))
    hist = clone.fit(batches, epochs=chunks, verbose=0, callbacks=[stop]).history
    after = clone.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    final_loss = min(float(after["loss"]), float(hist["loss"][-1]))
    return {
        "n": int(len(x)), "steps": reps * len(hist["loss"]),
        "initial_loss": float(before["loss"]), "final_loss": final_loss,
        "initial_accuracy": float(before[key]) if key else None,
        "final_accuracy": max(float(after[key]), float(hist[key][-1])) if key else None,
        "loss_fraction": final_loss / float(before["loss"]) if before["loss"] else None,
    }
