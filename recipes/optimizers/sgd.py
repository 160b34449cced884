"""SGD: `keras.optimizers.SGD`, optionally with (Nesterov) momentum."""
from __future__ import annotations

from recipes.base import check_bool, check_number
from recipes.optimizers.optimizer_recipe import OptimizerRecipe
from recipes.registry import register


@register
class SGD(OptimizerRecipe):
    """Stochastic gradient descent with momentum.

    When to use: oscillating loss (AUTOTRAINER's last optimizer repair), or
    when good LR and init are known - SGD+momentum can generalize better than
    adaptive methods (S4).

    Args:
        learning_rate: step size (> 0).
        momentum: in [0, 1); 0.9 is the usual choice.
        nesterov: use Nesterov momentum.

    Example:
        >>> import keras
        >>> from recipes import Plan, SGD
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([SGD(0.01, momentum=0.9, nesterov=True)]).build(my_model)
        >>> type(model.optimizer).__name__, model.optimizer.momentum, model.optimizer.nesterov
        ('SGD', 0.9, True)
    """

    name = "sgd"
    keras_class = "SGD"
    lr_range = (1e-3, 1e-1)

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, nesterov: bool = False):
        self.learning_rate = check_number(self, "learning_rate", learning_rate, 0, low_open=True)
        self.momentum = check_number(self, "momentum", momentum, 0, 1, high_open=True)
        self.nesterov = check_bool(self, "nesterov", nesterov)

    def search_space(self, hp):
        return super().search_space(hp).replace(momentum=self.tune_float(hp, "momentum", 0.0, 0.99))
