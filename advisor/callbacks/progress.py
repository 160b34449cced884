"""Progress callbacks: one line per epoch of a long fit, one per finished trial."""
from __future__ import annotations

import time
from typing import Callable

import keras


class EpochLine(keras.callbacks.Callback):
    """Says each epoch's losses, accuracies and training speed through `say`;
    `train_seconds` lists each epoch's training phase (validation excluded).

    Example:
        >>> import numpy as np
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> line = EpochLine(print, total_epochs=1)
        >>> _ = model.fit(np.zeros((4, 2)), np.zeros(4), verbose=0, callbacks=[line])  # doctest: +ELLIPSIS
        epoch 1/1 loss 0.0000, ... steps/s
    """

    def __init__(self, say: Callable[[str], None], total_epochs: int):
        super().__init__()
        self.say, self.total_epochs = say, total_epochs
        self.train_seconds, self._began, self._trained = [], 0.0, None

    def on_epoch_begin(self, epoch, logs=None):
        self._began, self._trained = time.monotonic(), None

    def on_test_begin(self, logs=None):  # validation inside fit: the training phase ended
        if self._trained is None:
            self._trained = time.monotonic() - self._began

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = self._trained if self._trained is not None else time.monotonic() - self._began
        self.train_seconds.append(seconds)
        shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k in ("loss", "val_loss", "accuracy", "val_accuracy"))
        steps = self.params.get("steps")
        speed = f", {steps / seconds:.1f} steps/s" if steps and seconds > 0 else ""
        self.say(f"epoch {epoch + 1}/{self.total_epochs} {shown}{speed}")


class FitEnd(keras.callbacks.Callback):
    """Hands the last epoch's logs to `report` when a fit ends (a trial's line)."""

    def __init__(self, report: Callable[[dict], None]):
        super().__init__()
        self.report = report

    def on_train_end(self, logs=None):
        self.report(dict(logs or {}))
