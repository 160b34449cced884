"""Adam: `keras.optimizers.Adam`."""
from __future__ import annotations

from recipes.base import check_number
from recipes.optimizers.optimizer_recipe import OptimizerRecipe
from recipes.registry import register


@register
class Adam(OptimizerRecipe):
    """RMSprop plus momentum, bias corrected: the usual default (S4: LR 1e-3 or 5e-4).

    When to use: slow convergence or oscillation with another optimizer
    (AUTOTRAINER tries Adam first for oscillating loss).

    Args:
        learning_rate: step size (> 0).

    Example:
        >>> import keras
        >>> from recipes import Adam, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("sgd", "sparse_categorical_crossentropy")
        >>> model = Plan([Adam(5e-4)]).build(my_model)   # replaces the compiled SGD
        >>> type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6)
        ('Adam', 0.0005)
    """

    name = "adam"
    keras_class = "Adam"

    def __init__(self, learning_rate: float = 0.001):
        self.learning_rate = check_number(self, "learning_rate", learning_rate, 0, low_open=True)
