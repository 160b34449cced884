"""RMSprop: `keras.optimizers.RMSprop`."""
from __future__ import annotations

from recipes.base import check_number
from recipes.optimizers.optimizer_recipe import OptimizerRecipe
from recipes.registry import register


@register
class RMSprop(OptimizerRecipe):
    """Divide the gradient by a moving average of its recent magnitude.

    When to use: a step from Adagrad when its learning rate decays too fast;
    common for recurrent networks (S4's optimizer lineage).

    Args:
        learning_rate: step size (> 0).
        rho: discount of the squared-gradient moving average, in [0, 1).

    Example:
        >>> import keras
        >>> from recipes import Plan, RMSprop
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([RMSprop(1e-3)]).build(my_model)
        >>> type(model.optimizer).__name__, model.optimizer.rho
        ('RMSprop', 0.9)
    """

    name = "rmsprop"
    keras_class = "RMSprop"

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9):
        self.learning_rate = check_number(self, "learning_rate", learning_rate, 0, low_open=True)
        self.rho = check_number(self, "rho", rho, 0, 1, high_open=True)
