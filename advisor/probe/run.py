"""The probe: a short, real, monitored training run on a copy of the model.

When to use: before deciding anything about training, `run_probe` trains a
clone of the user's model for a few epochs (or seconds) and records what
`advisor.probe.detectors.detect` needs: curves, loss at initialization against the
chance level, per-layer gradient norms, per-step weight-update ratios,
activation statistics, NaNs, step time, and the tiny-subset overfit check.
The user's model and its weights are never modified.

Monitoring costs one forward+backward pass on a fixed probe batch per epoch
(not per step); `measure_overhead` measures it against a plain `model.fit`.

Example:
    >>> from advisor.data import load
    >>> from advisor.model.defaults import default_model
    >>> dataset = load("iris")
    >>> trace = run_probe(default_model(dataset.info), dataset, epochs=3, seed=0)
    >>> len(trace.history["val_loss"]), trace.epochs
    (3, 3)
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from advisor.data.dataset import STREAM_BATCH
from advisor.errors import AdvisorError
from advisor.model.inspect import MULTI_CE
from advisor.probe.copies import accuracy_key, check_input_shape, clone_for_training
from advisor.callbacks.fit_data import MONITOR_SAMPLES
from advisor.callbacks.monitor import AsyncTerminateOnNaN, ProbeMonitor
from advisor.probe.sanity import overfit_tiny_subset
from advisor.probe.trace import TrainingTrace
from recipes.compile_parts import loss_name_and_logits
from recipes.data.pipeline import without_autotune

MAX_STEPS_PER_EPOCH = 200  # large data: a probe "epoch" is this many steps


MAX_VAL_SAMPLES = 2048  # validation beyond this adds time, not information


CHECK_SAMPLES = 256  # a streamed folder: decoded samples for the loss and monitor checks (154 MB at 224x224)


def chance_loss(loss_name, info, y_train) -> tuple[float | None, float | None]:
    """(expected loss at initialization, chance-level baseline loss).

    Cross-entropy of uniform predictions is ln C (ln 2 per unit for binary CE);
    for MSE the baseline is the loss of predicting the mean, var(y)."""
    if loss_name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        value = math.log(max(info.num_classes, 2))
        return value, value
    if loss_name == "binary_crossentropy":
        return math.log(2), math.log(2)
    if loss_name == "mean_squared_error":
        return None, float(np.var(y_train))
    if loss_name == "mean_absolute_error":
        return None, float(np.mean(np.abs(y_train - np.median(y_train))))
    return None, None


@dataclasses.dataclass
class _Setup:
    """Arrays and pipeline shared by `run_probe` and `measure_overhead`."""

    x: np.ndarray
    y: np.ndarray
    train: Any  # tf.data, batched
    val: Any
    steps_per_epoch: int | None
    batch_size: int
    n_train: int


def prepare(model, dataset, *, batch_size=32, seed=0, max_train_samples=None) -> _Setup:
    """Check shapes, subsample, and build the seeded train/val pipelines.

    Data in memory is subsampled into arrays. A streamed folder trains on its
    stream (a new file order each pass); `x`/`y` then hold `CHECK_SAMPLES`
    decoded samples for the loss and monitor checks, and validation reads at
    most `MAX_VAL_SAMPLES` files.
    """
    info = dataset.info
    check_input_shape(model, info)
    if int(batch_size) < 1:
        raise AdvisorError(f"batch_size must be a positive integer, got {batch_size!r}")
    if dataset.count("train") == 0:
        raise AdvisorError("The training split is empty; the probe needs training samples")
    rng = np.random.default_rng(seed)
    if dataset.in_memory:
        x, y = dataset.arrays["train"]
        if max_train_samples and len(x) > max_train_samples:
            keep = rng.permutation(len(x))[:int(max_train_samples)]
            x, y = x[keep], y[keep]
        val = dataset.arrays.get("val")
        if val is None or len(val[0]) == 0:  # hold out 20% of train
            order = rng.permutation(len(x))
            cut = max(1, len(x) // 5)
            val, x, y = (x[order[:cut]], y[order[:cut]]), x[order[cut:]], y[order[cut:]]
        xv, yv = val
        if len(xv) > MAX_VAL_SAMPLES:
            keep = rng.permutation(len(xv))[:MAX_VAL_SAMPLES]
            xv, yv = xv[keep], yv[keep]
        if len(x) == 0:
            raise AdvisorError("The training split is empty; the probe needs training samples")
        n_train = len(x)
        train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        val_ds = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(256)
    else:
        n_train = min(dataset.count("train"), int(max_train_samples or dataset.count("train")))
        train = dataset.train.take(n_train)
        x, y = dataset.sample("train", CHECK_SAMPLES, seed)
        val_split = "val" if dataset.count("val") else "train"
        val_ds = dataset.sample_stream(val_split, MAX_VAL_SAMPLES, seed).batch(STREAM_BATCH)
    steps = math.ceil(n_train / batch_size)
    if steps > MAX_STEPS_PER_EPOCH:  # large data: per-k-steps "epochs"
        train = train.repeat()
    train = without_autotune(train.batch(batch_size).prefetch(tf.data.AUTOTUNE if dataset.in_memory else 2))
    return _Setup(x, y, train, without_autotune(val_ds), MAX_STEPS_PER_EPOCH if steps > MAX_STEPS_PER_EPOCH else None,
                  int(batch_size), n_train)


def _fit(clone, setup: _Setup, epochs: int, callbacks):
    return clone.fit(setup.train, validation_data=setup.val, epochs=epochs,
                     steps_per_epoch=setup.steps_per_epoch, callbacks=callbacks, shuffle=False, verbose=0)


def run_probe(model, dataset, *, epochs: int | None = 5, seconds: float | None = None,
              batch_size: int = 32, seed: int = 0, max_train_samples: int | None = None,
              subset_size: int = 32) -> TrainingTrace:
    """Train a copy of `model` briefly on `dataset` and record how it trains.

    Args:
        model: a built Keras model (compiled or not); it is not modified.
        dataset: an `advisor.data.dataset.Dataset`.
        epochs: probe epochs (for large data an "epoch" is `MAX_STEPS_PER_EPOCH`
            steps); None means "until `seconds` run out".
        seconds: optional wall-clock bound, checked at each epoch end.
        batch_size: training batch size.
        seed: same seed -> same trace.
        max_train_samples: subsample the training split first.
        subset_size: samples for `overfit_tiny_subset`; 0 skips that check.

    Raises:
        AdvisorError: input shape mismatch, bad budget, empty data.
    """
    if epochs is None and seconds is None:
        raise AdvisorError("run_probe needs a budget: give epochs or seconds (got neither)")
    if (epochs is not None and int(epochs) < 1) or (seconds is not None and seconds <= 0):
        raise AdvisorError(f"Probe budget must be positive, got epochs={epochs!r}, seconds={seconds!r}")
    start = time.perf_counter()
    info = dataset.info
    keras.utils.set_random_seed(seed)  # before the pipeline: tf.data shuffle seeds depend on it
    setup = prepare(model, dataset, batch_size=batch_size, seed=seed, max_train_samples=max_train_samples)
    clone = clone_for_training(model, info)
    _check_output_units(clone, info)
    probe_x, probe_y = setup.x[:MONITOR_SAMPLES], setup.y[:MONITOR_SAMPLES]
    try:  # the first real computation: loss/label/output mismatches surface here
        before = clone.evaluate(setup.x[:1024], setup.y[:1024], batch_size=256, verbose=0, return_dict=True)
    except (ValueError, TypeError, tf.errors.InvalidArgumentError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
        raise AdvisorError(f"The model cannot compute its loss on this data ({first}); check that the "
                           f"loss, the output layer and the labels match") from None
    loss_name, _ = loss_name_and_logits(clone.loss)
    expected, baseline = chance_loss(loss_name, info, setup.y)
    deadline = start + seconds if seconds else None
    monitor = ProbeMonitor(probe_x, probe_y, deadline)
    history = _fit(clone, setup, int(epochs or 10_000), [monitor, AsyncTerminateOnNaN()]).history
    history = {k: [float(v) for v in vals] for k, vals in history.items()}
    if monitor.nan is None and any(not math.isfinite(v) for v in history.get("loss", [])):
        monitor.nan, monitor.stopped = {"where": "loss", "epoch": len(history["loss"]) - 1}, "nan"
    steps = setup.steps_per_epoch or math.ceil(setup.n_train / setup.batch_size)
    times = monitor.train_times[1:] or monitor.train_times  # epoch 0 includes tracing
    subset = overfit_tiny_subset(model, dataset, n=subset_size, seed=seed) if subset_size else None
    key = accuracy_key(history)
    return TrainingTrace(
        history=history, initial_loss=float(before["loss"]), expected_initial_loss=expected,
        step_time_s=float(np.median(times)) / steps if times else None,
        epochs=len(history.get("loss", [])), seed=seed, batch_size=setup.batch_size, steps_per_epoch=steps,
        task=info.task, num_classes=info.num_classes, loss_name=loss_name, accuracy_key=key,
        initial_accuracy=float(before[key]) if key in before else None, baseline_loss=baseline,
        subset=subset, wall_time_s=time.perf_counter() - start, **monitor.trace_fields())


def _check_output_units(model, info) -> None:
    units = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else None
    loss_name, _ = loss_name_and_logits(model.loss)
    if loss_name in MULTI_CE and info.task == "multiclass" and units is not None and units < info.num_classes:
        raise AdvisorError(f"The output layer has {units} units but the data has {info.num_classes} classes; "
                           f"use Dense({info.num_classes}) as the output layer")
