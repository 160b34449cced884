"""Normalize: a `keras.layers.Normalization` adapted on the training inputs, first in the model."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.registry import register


@register
class Normalize(Recipe):
    """Scale inputs to mean 0 and variance 1 with an adapted Normalization layer.

    When to use: inputs outside [-1, 1] or far from mean 0 / std 1 (unnormalized
    input). The statistics come from the training split only, so nothing leaks
    from validation; the layer is part of the saved model.

    Args:
        axis: the feature axis kept separate (-1: one mean/variance per feature
            or per image channel).

    Example:
        >>> import keras, numpy as np
        >>> from recipes import Normalize, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> x_train = np.random.default_rng(0).normal(50.0, 10.0, size=(32, 4)).astype("float32")
        >>> y_train = np.arange(32) % 3
        >>> model = Plan([Normalize()]).build(my_model, train=(x_train, y_train))
        >>> type(model.layers[1]).__name__
        'Normalization'
    """

    name = "normalize"

    def __init__(self, axis: int = -1):
        self.axis = check_number(self, "axis", axis, integer=True)

    def apply(self, setup):
        return setup.replace(input_layers=setup.input_layers + (self._adapted_layer,))

    def _adapted_layer(self, x_train):
        if x_train is None:
            raise ValueError("'normalize' adapts on the training inputs: pass train= to plan.build")
        layer = keras.layers.Normalization(axis=self.axis, name="normalize")
        layer.adapt(x_train)
        return layer
