"""LabelSmoothing: cross-entropy against softened targets, for int class labels too."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.compile_parts import is_regression, loss_name
from recipes.registry import register
from recipes.losses.sparse_labels import SparseSmoothedCrossentropy


@register
class LabelSmoothing(Recipe):
    """Train against (1 - amount) * one_hot + amount / C instead of hard 0/1 targets.

    When to use: overfitting with over-confident predictions, or suspected
    label noise (S3, Tuning Playbook). Binary outputs use BinaryCrossentropy's
    `label_smoothing`; multi-class uses CategoricalCrossentropy's on one-hot
    labels made from the int labels.

    Args:
        amount: smoothing in [0, 1); 0.1 is usual.

    Example:
        >>> import keras
        >>> from recipes import LabelSmoothing, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([LabelSmoothing(0.1)]).build(my_model)
        >>> type(model.loss).__name__, model.loss.get_config()["label_smoothing"]
        ('SparseSmoothedCrossentropy', 0.1)
    """

    name = "label_smoothing"
    slot = "loss"

    def __init__(self, amount: float = 0.1):
        self.amount = check_number(self, "amount", amount, 0, 1, high_open=True)

    def apply(self, setup):
        return setup.replace(loss=self.loss_for)

    def search_space(self, hp):
        return self.replace(amount=self.tune_float(hp, "amount", 0.0, 0.3))

    def loss_for(self, head):
        if is_regression(head):
            raise ValueError(f"'label_smoothing' is for classification; the model's loss is {loss_name(head.loss)!r}")
        if head.units == 1:
            return keras.losses.BinaryCrossentropy(label_smoothing=self.amount, from_logits=head.from_logits)
        return SparseSmoothedCrossentropy(label_smoothing=self.amount, from_logits=head.from_logits)
