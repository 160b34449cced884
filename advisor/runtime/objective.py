"""The objective every search, tuning and model comparison optimizes, and the
score of a model that learned nothing.

The objective is validation accuracy when the user's model asks for accuracy on
a classification task, else validation loss. `Chance` is the objective's value
for a model that learned nothing (the majority-class rate; the loss of
predicting the training priors or mean); a setup *trains* when it beats that
clearly, which is what the search waits for before it pays for anything else.
"""
from __future__ import annotations

import dataclasses
import math

import keras_tuner as kt
import numpy as np

from recipes.compile_parts import loss_name

# A setup trains when it beats chance by this much: accuracy by two standard errors of
# the majority rate on the validation split (at least 2 points), a loss by this share.
MIN_ACCURACY_MARGIN = 0.02
LOSS_MARGIN = 0.1
_CROSS_ENTROPIES = ("crossentropy", "focal")
_SQUARED = ("mean_squared_error", "mse")


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


@dataclasses.dataclass(frozen=True)
class Chance:
    """The objective's value for a model that learned nothing, and the margin a
    setup must beat it by to count as training.

    Example:
        >>> c = Chance(0.5, 0.06, "max")
        >>> c.trains(0.51), c.trains(0.8), c.trains(float("nan"))
        (False, True, False)
    """

    value: float | None  # None: unknown (any finite score counts as training)
    margin: float
    direction: str  # "max" or "min", as the objective

    def trains(self, score: float | None) -> bool:
        if score is None or not math.isfinite(score):
            return False
        if self.value is None:
            return True
        if self.direction == "max":
            return score >= self.value + self.margin
        return score <= self.value - self.margin

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def chance(goal: kt.Objective, net, dataset) -> Chance:
    """`goal`'s value on the validation split for a model that learned nothing.

    Example:
        >>> from advisor.data import load
        >>> from advisor.model.defaults import default_model
        >>> wine = load("wine")
        >>> c = chance(kt.Objective("val_accuracy", "max"), default_model(wine.info), wine)
        >>> round(c.value, 2), round(c.margin, 2)
        (0.41, 0.19)
    """
    if dataset.count("val") == 0:
        return Chance(None, 0.0, goal.direction)
    y_val, y_train = dataset.labels("val"), dataset.labels("train")
    classification = dataset.info.task != "regression"
    if goal.name.endswith("accuracy") and classification:
        rate = float(np.bincount(y_val.astype(int)).max() / len(y_val))
        return Chance(rate, max(MIN_ACCURACY_MARGIN, 2 * math.sqrt(rate * (1 - rate) / len(y_val))), "max")
    name = loss_name(getattr(net, "loss", None))
    if classification and any(k in name for k in _CROSS_ENTROPIES):
        priors = np.bincount(y_train.astype(int), minlength=dataset.info.num_classes) + 1.0  # no log(0)
        priors /= priors.sum()
        value = float(-np.mean(np.log(priors[y_val.astype(int)])))
    elif not classification and name in _SQUARED:
        value = float(np.mean((y_val - y_train.mean()) ** 2))
    else:
        return Chance(None, 0.0, goal.direction)
    return Chance(value, LOSS_MARGIN * value, "min")
