"""Adagrad: `keras.optimizers.Adagrad`."""
from __future__ import annotations

from recipes.base import check_number
from recipes.optimizers.optimizer_recipe import OptimizerRecipe
from recipes.registry import register


@register
class Adagrad(OptimizerRecipe):
    """Per-parameter learning rates that shrink with the sum of squared gradients.

    When to use: sparse features (S4: adaptive methods for sparse data); its
    learning rate decays on its own, so long runs may stall.

    Args:
        learning_rate: initial step size (> 0).

    Example:
        >>> import keras
        >>> from recipes import Adagrad, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("sgd", "sparse_categorical_crossentropy")
        >>> model = Plan([Adagrad(0.01)]).build(my_model)
        >>> type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6)
        ('Adagrad', 0.01)
    """

    name = "adagrad"
    keras_class = "Adagrad"
    lr_range = (1e-3, 1e-1)

    def __init__(self, learning_rate: float = 0.01):
        self.learning_rate = check_number(self, "learning_rate", learning_rate, 0, low_open=True)
