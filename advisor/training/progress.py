"""Progress on the terminal: which stage, epochs done of how many, budget left.

Writes to stderr so `--json` output on stdout stays machine-readable.
"""
from __future__ import annotations

import time

import click


class Progress:
    """Stage and epoch lines for long work; silent when `quiet`.

    Args:
        quiet: print nothing.
        deadline: monotonic time the budget ends, shown as time left.
    """

    def __init__(self, quiet: bool = False, deadline: float | None = None):
        self.quiet, self.deadline, self.start = quiet, deadline, time.monotonic()

    def left(self) -> str:
        if self.deadline is None:
            return ""
        return f" | budget left {max(0, self.deadline - time.monotonic()):.0f}s"

    def stage(self, name: str, detail: str = "") -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.start
            click.echo(f"[{elapsed:6.1f}s] {name}{': ' + detail if detail else ''}{self.left()}", err=True)

    def callback(self, label: str, total_epochs: int):
        """A Keras callback printing one line per epoch with its training speed; its
        `train_seconds` lists each epoch's training phase (validation excluded)."""
        import keras

        progress = self

        class _EpochLine(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
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
                shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items()
                                  if k in ("loss", "val_loss", "accuracy", "val_accuracy"))
                steps = self.params.get("steps")
                speed = f", {steps / seconds:.1f} steps/s" if steps and seconds > 0 else ""
                progress.stage(label, f"epoch {epoch + 1}/{total_epochs} {shown}{speed}")

        return _EpochLine()
