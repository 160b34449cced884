"""ClassWeights: `class_weight` for `model.fit`, from scikit-learn's "balanced" weights."""
from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from recipes.base import Recipe
from recipes.registry import register


def balanced_class_weights(labels) -> dict[int, float]:
    """n_samples / (n_classes * count(class)) per class, as `model.fit` wants it."""
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    classes = np.unique(labels)
    weights = compute_class_weight("balanced", classes=classes, y=labels)
    return {int(c): float(w) for c, w in zip(classes, weights)}


@register
class ClassWeights(Recipe):
    """Weight each training sample's loss inversely to its class frequency.

    When to use: class imbalance, when you would rather not change the data
    stream (Oversample does that instead). Needs the training labels:
    `plan.fit_kwargs(train)`.

    Example:
        >>> import keras, numpy as np
        >>> from recipes import ClassWeights, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32"); y = np.array([0] * 24 + [1] * 8)
        >>> plan = Plan([ClassWeights()])
        >>> plan.fit_kwargs((x, y))["class_weight"]
        {0: 0.6666666666666666, 1: 2.0}
        >>> history = plan.build(my_model).fit(x, y, epochs=1, verbose=0, **plan.fit_kwargs((x, y)))
    """

    name = "class_weights"

    def __init__(self):
        pass

    def apply(self, setup):
        return setup.replace(fit_options=setup.fit_options + (self._fit_option,))

    @staticmethod
    def _fit_option(labels) -> dict:
        return {"class_weight": balanced_class_weights(labels)}
