"""Keras losses and metrics that take integer class labels as well as one-hot ones.

Our datasets give int class ids; Keras' focal loss, label smoothing, F1Score and
multi-class AUC want one-hot labels. These thin subclasses one-hot `y_true`
(matching `y_pred`'s last axis) and are registered, so `model.save` /
`keras.models.load_model` work once `recipes` is imported.
"""
from __future__ import annotations

import keras
from keras import ops

PACKAGE = "recipes"


def one_hot_like(y_true, y_pred):
    """`y_true` shaped like `y_pred`: int class ids become one-hot rows (a column for a
    single-unit output); labels already shaped like `y_pred` pass through.

    Example:
        >>> ops.convert_to_numpy(one_hot_like(ops.array([2, 0]), ops.zeros((2, 3)))).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    units = y_pred.shape[-1]
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == units:
        return ops.cast(y_true, y_pred.dtype)
    if units == 1:
        return ops.reshape(ops.cast(y_true, y_pred.dtype), ops.shape(y_pred))
    if len(y_true.shape) == len(y_pred.shape):  # (batch, 1) ids
        y_true = ops.squeeze(y_true, axis=-1)
    return ops.one_hot(ops.cast(y_true, "int32"), units, dtype=y_pred.dtype)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseCategoricalFocalCrossentropy(keras.losses.CategoricalFocalCrossentropy):
    """`keras.losses.CategoricalFocalCrossentropy` that also accepts int class ids."""

    def call(self, y_true, y_pred):
        return super().call(one_hot_like(y_true, y_pred), y_pred)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseSmoothedCrossentropy(keras.losses.CategoricalCrossentropy):
    """`keras.losses.CategoricalCrossentropy` (use its `label_smoothing`) for int class ids."""

    def call(self, y_true, y_pred):
        return super().call(one_hot_like(y_true, y_pred), y_pred)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseF1Score(keras.metrics.F1Score):
    """`keras.metrics.F1Score` for int class ids (or a (batch,) binary label vector)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(one_hot_like(y_true, y_pred), y_pred, sample_weight)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SparseAUC(keras.metrics.AUC):
    """`keras.metrics.AUC` (one-vs-rest, micro-averaged) for int class ids."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(one_hot_like(y_true, y_pred), y_pred, sample_weight)
