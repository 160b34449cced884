"""The optimizer, loss and metrics `Plan.build` compiles with: the model's own, then the plan's."""
from __future__ import annotations

import dataclasses
from typing import Any

import keras

from recipes.training_setup import OutputHead, TrainingSetup

REGRESSION_LOSS_WORDS = ("squared", "absolute", "huber", "log_cosh", "mse", "mae", "mape", "msle")


@dataclasses.dataclass
class CompileDefaults:
    """Fresh copies of what the user compiled with (None where they gave nothing)."""

    optimizer: Any = None
    loss: Any = None
    metrics: Any = None


def compile_defaults(model, loss=None, metrics=None) -> CompileDefaults:
    """The user's compile arguments, deserialized anew so nothing is shared with their model."""
    config = model.get_compile_config() if getattr(model, "compiled", False) else {}
    config = keras.saving.deserialize_keras_object(config) if config else {}
    return CompileDefaults(optimizer=config.get("optimizer"),
                           loss=loss if loss is not None else config.get("loss"),
                           metrics=metrics if metrics is not None else config.get("metrics"))


# Keras's short loss names, spelled out: one name per loss whatever way it was given.
_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
            "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error"}


def loss_name_and_logits(loss) -> tuple[str | None, bool | None]:
    """Canonical snake_case loss name and its `from_logits` flag (None = unknown)."""
    if isinstance(loss, (list, tuple)) and loss:
        loss = loss[0]
    if isinstance(loss, dict) and loss:
        loss = next(iter(loss.values()))
    if loss is None:
        return None, None
    if isinstance(loss, str):
        return _ALIASES.get(loss.lower(), loss.lower()), False
    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        fn = getattr(loss, "fn", None)  # LossFunctionWrapper: name after its function
        name = getattr(fn, "__name__", None) or config.get("name")
        return _ALIASES.get(name, name), config.get("from_logits", False)
    name = getattr(loss, "__name__", None)
    known = getattr(loss, "__module__", "").startswith("keras")
    return _ALIASES.get(name, name), (False if known else None)


def loss_name(loss) -> str:
    """The canonical lowercase name of a loss given as a string, function or Loss object."""
    return (loss_name_and_logits(loss)[0] or "").lower()


def is_regression(head: OutputHead) -> bool:
    name = loss_name(head.loss)
    return any(word in name for word in REGRESSION_LOSS_WORDS)


def output_head(model, loss) -> OutputHead:
    """Units and logits-ness of the model's single output, for loss and metric recipes."""
    if len(model.outputs) != 1:
        raise ValueError(f"loss and metric recipes need a single-output model, got {len(model.outputs)} outputs")
    units = int(model.outputs[0].shape[-1] or 1)
    if isinstance(loss, keras.losses.Loss) and "from_logits" in loss.get_config():
        from_logits = bool(loss.get_config()["from_logits"])
    elif loss is not None:
        from_logits = False  # string and function losses take probabilities
    else:
        last = model.layers[-1].get_config().get("activation")
        from_logits = last not in ("softmax", "sigmoid")
    return OutputHead(units=units, from_logits=from_logits, loss=loss)


def _base_learning_rate(config: dict, what: str) -> float:
    value = config.get("learning_rate")
    if isinstance(value, (int, float)):
        return float(value)
    raise ValueError(f"{what} needs a fixed learning rate, but the model's optimizer uses a schedule "
                     f"({value!r}); add an optimizer recipe (e.g. Adam) to the plan")


def make_optimizer(setup: TrainingSetup, default=None, steps_per_epoch=None, epochs=None):
    """The plan's optimizer (or a fresh copy of the model's, or Adam), with the plan's LR factor,
    clipping and - when the number of steps is known - its LR schedule."""
    if setup.optimizer is not None:
        optimizer = keras.optimizers.get({"class_name": setup.optimizer,
                                          "config": dict(setup.optimizer_kwargs)})
    else:
        optimizer = default if default is not None else keras.optimizers.Adam()
    config = {**optimizer.get_config(), **setup.optimizer_options}
    if setup.lr_factor != 1.0:
        config["learning_rate"] = _base_learning_rate(config, "LearningRate") * setup.lr_factor
    if setup.lr_schedule is not None and steps_per_epoch and epochs:
        base = _base_learning_rate(config, "a learning-rate schedule")
        config["learning_rate"] = setup.lr_schedule(base, steps_per_epoch, epochs)
    optimizer = optimizer.__class__.from_config(config)
    if setup.dtype_policy == "mixed_float16":  # float16 gradients underflow without loss scaling
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def make_loss(setup: TrainingSetup, model, default_loss):
    """The plan's loss recipe applied to the rebuilt `model`, else the default loss (both after
    the plan's output-head pairing, if any)."""
    if setup.head_pairing is None and setup.loss is None:
        loss = default_loss
    else:
        head = output_head(model, default_loss)
        if setup.head_pairing is not None:
            head = setup.head_pairing(head)
        loss = setup.loss(head) if setup.loss is not None else head.loss
    if loss is None:
        raise ValueError("the model is not compiled and no loss was given: compile the model first "
                         "or pass loss= to plan.build")
    return loss


def make_metrics(setup: TrainingSetup, model, loss, default_metrics):
    """The plan's metric set for the rebuilt `model`, else the default metrics."""
    if setup.metrics is None:
        return default_metrics
    return setup.metrics(output_head(model, loss))
