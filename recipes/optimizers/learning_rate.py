"""LearningRate: scale whatever optimizer the model or plan has by a factor."""
from __future__ import annotations

from recipes.base import Recipe, check_number
from recipes.registry import register


@register
class LearningRate(Recipe):
    """Multiply the optimizer's learning rate by `factor`.

    When to use: oscillating loss or an update ratio above range -> factor 0.1
    (LR / 10); slow convergence or updates too small -> factor 10 (AUTOTRAINER).
    Works on the model's compiled optimizer or the plan's optimizer recipe; with
    a schedule, the schedule starts from the scaled rate.

    Args:
        factor: the multiplier (> 0).

    Example:
        >>> import keras
        >>> from recipes import LearningRate, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
        >>> model = Plan([LearningRate(0.1)]).build(my_model)
        >>> type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6)
        ('SGD', 0.005)
    """

    name = "learning_rate"

    def __init__(self, factor: float = 0.1):
        self.factor = check_number(self, "factor", factor, 0, low_open=True)

    def apply(self, setup):
        return setup.replace(lr_factor=setup.lr_factor * self.factor)

    def search_space(self, hp):
        return self.replace(factor=self.tune_float(hp, "factor", 0.01, 10.0, log=True))
