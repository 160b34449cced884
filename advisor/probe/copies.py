"""Copies of the user's model for the probe and the checks: the user's model and
its weights are never modified."""
from __future__ import annotations

import keras

from advisor.errors import AdvisorError
from advisor.model.defaults import compile_default
from advisor.model.inspect import activation_name
from recipes.compile_parts import output_head
from recipes.losses.for_labels import LossForLabels, label_mismatch

ACCURACY_KEYS = ("accuracy", "sparse_categorical_accuracy", "categorical_accuracy",
                  "binary_accuracy", "acc")


def accuracy_key(keys) -> str | None:
    return next((k for k in ACCURACY_KEYS if k in keys), None)


def check_input_shape(model, info) -> None:
    """Raise AdvisorError unless the model takes one input of `info.input_shape`."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        raise AdvisorError("The model is not built, so its input shape is unknown; build it with "
                           "keras.Input(shape=...) first") from None
    if isinstance(shape, list):
        if len(shape) != 1:
            raise AdvisorError(f"The model has {len(shape)} inputs {shape}; the probe supports one input")
        shape = shape[0]
    want, got = tuple(shape[1:]), tuple(info.input_shape)
    if len(want) != len(got) or any(w is not None and w != g for w, g in zip(want, got)):
        raise AdvisorError(f"The model expects input shape {want} but the data has shape {got}; "
                           f"reshape the data or build the model with keras.Input(shape={got})")


def copy_with_weights(model, purpose: str) -> keras.Model:
    """`keras.models.clone_model` plus the weights; a model that cannot be cloned
    (subclassed, no get_config) is one AdvisorError saying `purpose`."""
    try:
        clone = keras.models.clone_model(model)
    except (NotImplementedError, TypeError, ValueError) as err:  # subclassed model without get_config
        raise AdvisorError(f"cannot copy the model {purpose} ({str(err).splitlines()[0][:200]}); build it "
                           f"with the Functional or Sequential API, or give its layers get_config()") from None
    clone.set_weights(model.get_weights())
    return clone


def clone_for_training(model, info) -> keras.Model:
    """A new model with the same architecture, weights and compile settings
    (fresh optimizer state); an accuracy metric is added for classification so
    the detectors always have one, and a loss that cannot read class ids (the
    labels the advisor feeds: `recipes.losses.for_labels.label_mismatch`) is
    swapped for its form that can (`LossForLabels`), so the probe sees the
    model train. `model` itself is not touched."""
    clone = copy_with_weights(model, "to probe it")
    if not getattr(model, "compiled", False):
        return compile_default(clone, info.task)
    try:  # compile config round trip = a new optimizer with the same settings
        config = keras.saving.deserialize_keras_object(model.get_compile_config())
    except (TypeError, ValueError):  # custom objects that do not deserialize
        config = {"optimizer": model.optimizer.__class__.from_config(model.optimizer.get_config()),
                  "loss": model.loss}
    metrics = config.get("metrics")
    if info.task != "regression":
        head = output_head(clone, config.get("loss"))
        if label_mismatch(head.loss, head.units, _output_activation(clone)):
            config["loss"] = LossForLabels().loss_for(head)
    if info.task != "regression" and (metrics is None or isinstance(metrics, list)):
        names = [m if isinstance(m, str) else getattr(m, "name", "") for m in metrics or []]
        if not any(n in ACCURACY_KEYS for n in names):
            config["metrics"] = list(metrics or []) + ["accuracy"]
    clone.compile(**config)
    return clone


def _output_activation(model) -> str | None:
    """The activation the model's output ends with (its last layer's, Activation layers included)."""
    return activation_name(model.layers[-1]) if model.layers else None
