"""The objective every search, tuning and model comparison optimizes: validation
accuracy when the user's model asks for accuracy on a classification task, else
validation loss."""
from __future__ import annotations

import keras_tuner as kt


def objective(net, dataset) -> kt.Objective:
    """`val_accuracy` (max) or `val_loss` (min) for this model and data."""
    if dataset.info.task != "regression" and _asks_accuracy(net):
        return kt.Objective("val_accuracy", "max")
    return kt.Objective("val_loss", "min")


def _asks_accuracy(net) -> bool:
    config = net.get_compile_config() or {}
    metrics = config.get("metrics") or []
    flat = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    return any("acc" in str(m).lower() for m in flat)
