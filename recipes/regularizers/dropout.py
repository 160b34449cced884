"""Dropout: `keras.layers.Dropout` after every hidden Dense (or Dense and Conv) layer."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_choice, check_number
from recipes.registry import register
from recipes.training_setup import DROPOUT_STAGE

AFTER = ("dense", "all")


@register
class Dropout(Recipe):
    """Insert a Dropout layer after each hidden layer - never after the output layer.

    When to use: overfitting only (S2: "dropout only when overfitting, not from
    the start"), on fully connected layers mostly (S0). Rates above 0.5 are
    suspicious. Dropout is inactive at inference.

    Args:
        rate: fraction of units dropped while training, in [0, 1).
        after: "dense" (hidden Dense layers) or "all" (hidden Dense and Conv layers).

    Example:
        >>> import keras
        >>> from recipes import Dropout, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([Dropout(0.3)]).build(my_model)
        >>> [type(layer).__name__ for layer in model.layers]
        ['InputLayer', 'Dense', 'Dropout', 'Dense']
    """

    name = "dropout"

    def __init__(self, rate: float = 0.3, after: str = "dense"):
        self.rate = check_number(self, "rate", rate, 0, 1, high_open=True)
        self.after = check_choice(self, "after", after, AFTER)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((DROPOUT_STAGE, self._edit),))

    def search_space(self, hp):
        return self.replace(rate=self.tune_float(hp, "rate", 0.0, 0.6))

    def _edit(self, spec):
        kinds = ("dense",) if self.after == "dense" else ("dense", "conv")
        if spec.hidden_kernel_layer and spec.kind in kinds:
            spec.after.append((keras.layers.Dropout,
                               {"rate": self.rate, "name": f"{spec.config['name']}_dropout"}))
