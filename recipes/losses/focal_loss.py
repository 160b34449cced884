"""FocalLoss: Keras' focal cross-entropy, for int class labels too."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.compile_parts import is_regression, loss_name
from recipes.registry import register
from recipes.losses.sparse_labels import SparseCategoricalFocalCrossentropy


@register
class FocalLoss(Recipe):
    """Down-weight easy examples: loss = -(1 - p_true) ** gamma * log(p_true).

    When to use: class imbalance where the minority is also the hard class
    (S0). A single-unit output uses `keras.losses.BinaryFocalCrossentropy`;
    a C-unit output uses `CategoricalFocalCrossentropy` on one-hot labels made
    from the int labels. `from_logits` follows the model's loss / output layer.

    Args:
        gamma: focusing strength (>= 0; 0 is plain cross-entropy).

    Example:
        >>> import keras
        >>> from recipes import FocalLoss, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([FocalLoss(gamma=2.0)]).build(my_model)
        >>> type(model.loss).__name__, model.loss.get_config()["gamma"]
        ('SparseCategoricalFocalCrossentropy', 2.0)
    """

    name = "focal_loss"
    slot = "loss"

    def __init__(self, gamma: float = 2.0):
        self.gamma = check_number(self, "gamma", gamma, 0)

    def apply(self, setup):
        return setup.replace(loss=self.loss_for)

    def search_space(self, hp):
        return self.replace(gamma=self.tune_float(hp, "gamma", 0.5, 5.0))

    def loss_for(self, head):
        if is_regression(head):
            raise ValueError(f"'focal_loss' is for classification; the model's loss is {loss_name(head.loss)!r}")
        if head.units == 1:
            return keras.losses.BinaryFocalCrossentropy(gamma=self.gamma, from_logits=head.from_logits)
        return SparseCategoricalFocalCrossentropy(gamma=self.gamma, from_logits=head.from_logits)
