"""AdamW: `keras.optimizers.AdamW` (Adam with decoupled weight decay)."""
from __future__ import annotations

from recipes.base import check_number
from recipes.optimizers.optimizer_recipe import OptimizerRecipe
from recipes.registry import register


@register
class AdamW(OptimizerRecipe):
    """Adam whose weight decay is applied to the weights directly, not through the gradient.

    When to use: Adam plus regularization; decoupled decay regularizes
    better than L2 does under adaptive learning rates.

    Args:
        learning_rate: step size (> 0).
        weight_decay: decay factor per step, >= 0 (Keras default 0.004).

    Example:
        >>> import keras
        >>> from recipes import AdamW, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("sgd", "sparse_categorical_crossentropy")
        >>> model = Plan([AdamW(1e-3, weight_decay=1e-4)]).build(my_model)
        >>> type(model.optimizer).__name__, model.optimizer.weight_decay
        ('AdamW', 0.0001)
    """

    name = "adamw"
    keras_class = "AdamW"
    lr_range = (1e-5, 1e-2)

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004):
        self.learning_rate = check_number(self, "learning_rate", learning_rate, 0, low_open=True)
        self.weight_decay = check_number(self, "weight_decay", weight_decay, 0)

    def search_space(self, hp):
        tuned = super().search_space(hp)  # the learning rate first
        if not self.weight_decay:
            return tuned  # no decay asked for: do not search one (log range cannot hold 0)
        return tuned.replace(weight_decay=self.tune_float(hp, "weight_decay", 1e-5, 1e-1, log=True))
