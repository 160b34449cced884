"""Metrics: what `fit` reports - accuracy, or the imbalance-aware set."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_choice
from recipes.compile_parts import is_regression
from recipes.registry import register
from recipes.losses.sparse_labels import SparseAUC, SparseF1Score

SETS = ("imbalanced", "default")


def metric_set(which: str, head) -> list:
    """Fresh Keras metric objects for the model's output (`head`)."""
    if is_regression(head):
        return ["mae"] if which == "default" else ["mae", "mse"]
    threshold = 0.0 if head.from_logits else 0.5  # a logit of 0 is a probability of 0.5
    if head.units == 1:
        accuracy = keras.metrics.BinaryAccuracy(name="accuracy", threshold=threshold)
        if which == "default":
            return [accuracy]
        return [accuracy, keras.metrics.Precision(thresholds=threshold, name="precision"),
                keras.metrics.Recall(thresholds=threshold, name="recall"),
                keras.metrics.AUC(from_logits=head.from_logits, name="auc"),
                SparseF1Score(threshold=threshold, name="f1_score")]
    if which == "default":
        return ["accuracy"]
    return ["accuracy", SparseF1Score(average="macro", name="f1_score"),
            SparseAUC(from_logits=head.from_logits, name="auc")]


@register
class Metrics(Recipe):
    """Choose the metrics `fit` reports.

    When to use: class imbalance - accuracy hides a failing minority class, so
    report precision, recall, AUC and F1 (S2). "imbalanced" gives binary
    models accuracy, precision, recall, AUC, F1; multi-class models accuracy,
    macro F1 and one-vs-rest AUC. "default" is accuracy alone (MAE for regression).

    Args:
        set: "imbalanced" or "default".

    Example:
        >>> import keras, numpy as np
        >>> from recipes import Metrics, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32"); y = np.arange(32) % 3
        >>> model = Plan([Metrics(set="imbalanced")]).build(my_model)
        >>> sorted(model.evaluate(x, y, verbose=0, return_dict=True))   # 3 classes: accuracy, macro F1, AUC
        ['accuracy', 'auc', 'f1_score', 'loss']
    """

    name = "metrics"

    def __init__(self, set: str = "imbalanced"):  # noqa: A002 - the catalog's argument name
        self.set = check_choice(self, "set", set, SETS)

    def apply(self, setup):
        return setup.replace(metrics=self.metrics_for)

    def metrics_for(self, head) -> list:
        return metric_set(self.set, head)
