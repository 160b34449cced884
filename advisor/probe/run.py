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
from advisor.model.inspect import MULTI_CE, activation_name
from recipes.architecture.activation import HARD_ZERO_RELU
from recipes.compile_parts import loss_name_and_logits
from advisor.model.defaults import compile_default
from advisor.thresholds import SATURATION_PREACTIVATION

# Samples in the fixed batch gradients and activations are measured on, once per
# epoch. 64 keeps the monitor under ~5% of an epoch even for a CNN on 28x28 images
# (256 cost 15-25% there); a unit active on 5% of inputs still looks dead on
# only 0.95**64 = 4% of such batches.
MONITOR_SAMPLES = 64
MAX_STEPS_PER_EPOCH = 200  # large data: a probe "epoch" is this many steps
MAX_VAL_SAMPLES = 2048  # validation beyond this adds time, not information
CHECK_SAMPLES = 256  # a streamed folder: decoded samples for the loss and monitor checks (154 MB at 224x224)
_ACCURACY_KEYS = ("accuracy", "sparse_categorical_accuracy", "categorical_accuracy",
                  "binary_accuracy", "acc")
# Saturation is read from outputs: sigmoid/tanh are monotonic, so an input beyond
# +-5 [DD] is an output beyond f(+-5); no pre-activation sub-model is needed.
_SIGMOID_EDGE = 1.0 / (1.0 + math.exp(-SATURATION_PREACTIVATION))
_TANH_EDGE = math.tanh(SATURATION_PREACTIVATION)


@dataclasses.dataclass
class TrainingTrace:
    """Everything the probe saw; plain values only (JSON-serializable via `to_dict`).

    Per-epoch lists (`grad_norms`, `update_ratios`, `activation_stats`) hold one
    `{layer_name: value}` dict per completed epoch. `update_ratios` are
    ||dW||/||W|| of one optimizer step (the first of the epoch) per kernel.
    """

    history: dict[str, list[float]]
    initial_loss: float | None
    expected_initial_loss: float | None
    grad_norms: list[dict[str, float]]
    update_ratios: list[dict[str, float]]
    activation_stats: list[dict[str, dict[str, Any]]]
    step_time_s: float | None
    epochs: int
    seed: int
    batch_size: int = 32
    steps_per_epoch: int = 0
    task: str = "multiclass"
    num_classes: int = 0
    loss_name: str | None = None
    accuracy_key: str | None = None  # history key of the accuracy metric, if any
    initial_accuracy: float | None = None
    baseline_loss: float | None = None  # chance-level loss: ln C, or var(y) for MSE
    layer_order: list[str] = dataclasses.field(default_factory=list)  # kernel layers, input->output
    initial_grad_norms: dict[str, float] = dataclasses.field(default_factory=dict)
    zero_grad_shares: list[dict[str, float]] = dataclasses.field(default_factory=list)
    weight_change: dict[str, float] = dataclasses.field(default_factory=dict)  # whole probe, relative
    trainable: dict[str, bool] = dataclasses.field(default_factory=dict)
    nan: dict[str, Any] | None = None  # {"where": "loss"|"gradients"|"weights", "epoch": i}
    stopped: str | None = None  # "nan" or "time" when the probe ended early
    subset: dict[str, Any] | None = None  # overfit_tiny_subset result
    wall_time_s: float = 0.0
    monitor_time_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainingTrace":
        return cls(**d)


def _kernel_layers(model) -> list:
    """Kernel-bearing layers, input to output, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _kernel_layers(layer)
        elif getattr(layer, "kernel", None) is not None:
            found.append(layer)
    return found


def _activation_layers(model) -> list:
    """Top-level layers applying a non-linearity before the output layer (output
    excluded: a confident sigmoid/softmax output is the goal, not saturation).
    Layers inside nested models are not tapped."""
    tops = [i for i, layer in enumerate(model.layers) if getattr(layer, "kernel", None) is not None]
    last = tops[-1] if tops else len(model.layers)
    return [layer for layer in model.layers[:last]
            if activation_name(layer) not in (None, "linear", "softmax")]


def activation_summary(name: str, out: np.ndarray) -> dict[str, Any]:
    """Statistics of one layer's outputs on the probe batch (units = last axis)."""
    stats = {"activation": name, "mean": float(out.mean()), "std": float(out.std())}
    if name in HARD_ZERO_RELU:
        off = (out <= 0).reshape(-1, out.shape[-1])
        stats["zero_share"] = float(off.mean())
        stats["dead_unit_share"] = float(off.all(axis=0).mean())
    elif name in ("sigmoid", "tanh"):
        sat = (np.abs(out) > _TANH_EDGE) if name == "tanh" else ((out < 1 - _SIGMOID_EDGE) | (out > _SIGMOID_EDGE))
        stats["saturated_share"] = float(sat.mean())
    return stats


class _TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras' TerminateOnNaN, marked safe for Keras' asynchronous batch-end
    dispatch: it only reads the logs and sets `stop_training`. Unmarked, it
    forces a host sync after every step (measured: +9% fit time on digits)."""

    async_safe = True


class ProbeMonitor(keras.callbacks.Callback):
    """Per-epoch measurements on a fixed probe batch. Uses only epoch hooks and
    `on_train_batch_begin` (never `on_train_batch_end`, which would stop Keras
    from dispatching batch callbacks asynchronously)."""

    def __init__(self, probe_x, probe_y, deadline: float | None = None):
        super().__init__()
        self.x, self.y = tf.constant(probe_x), tf.constant(probe_y)
        self.deadline = deadline
        self.grad_norms, self.zero_grads, self.update_ratios, self.acts = [], [], [], []
        self.train_times, self.nan, self.stopped, self.monitor_time = [], None, None, 0.0

    def set_model(self, model):
        super().set_model(model)
        self.kernels = [(layer.name, layer.kernel) for layer in _kernel_layers(model)]
        self.act_layers = _activation_layers(model)
        try:  # one graph giving every tapped activation and the output: one pass measures all
            self.tap = keras.Model(model.inputs, [layer.output for layer in self.act_layers] + model.outputs)
        except (AttributeError, ValueError, TypeError):  # subclassed model: no graph to tap
            self.tap, self.act_layers = None, []

    def on_epoch_end(self, epoch, logs=None):
        with np.errstate(over="ignore", invalid="ignore"):  # diverging runs overflow norms
            self._measure(epoch, logs)

    def kernel_values(self) -> dict[str, np.ndarray]:
        return {name: keras.ops.convert_to_numpy(var) for name, var in self.kernels}

    def measure_batch(self):
        """One forward+backward pass on the probe batch (inference mode: deterministic,
        no BN statistics updated) -> kernel gradient norms, exact-zero gradient
        shares [AT], and per-layer activation statistics."""
        n_act = len(self.act_layers)
        with tf.GradientTape() as tape:
            outs = self.tap(self.x, training=False) if self.tap is not None else [self.model(self.x, training=False)]
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            y_pred = outs[n_act] if len(outs) == n_act + 1 else list(outs[n_act:])
            loss = self.model.compute_loss(x=self.x, y=self.y, y_pred=y_pred, training=False)
        grads = tape.gradient(loss, [var for _, var in self.kernels])
        norms, zeros = {}, {}
        for (name, _), g in zip(self.kernels, grads):
            g = np.zeros(1) if g is None else keras.ops.convert_to_numpy(g)
            norms[name] = float(np.linalg.norm(g))
            zeros[name] = float(np.mean(g == 0))
        acts = {layer.name: activation_summary(activation_name(layer), keras.ops.convert_to_numpy(o))
                for layer, o in zip(self.act_layers, outs[:n_act])}
        return norms, zeros, acts

    def on_train_begin(self, logs=None):
        self.initial_kernels = self.kernel_values()
        self.initial_grad_norms, _, _ = self.measure_batch()
        self._latest = self.initial_kernels  # weights before the next epoch's first step
        self._before_step = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._train_end = time.perf_counter(), None

    def on_train_batch_begin(self, batch, logs=None):
        # Reads weights once per epoch (after its first step): the "before" copy is
        # the one taken at the previous epoch end, so no extra host sync is forced.
        if batch == 0:
            self._before_step = self._latest
        elif batch == 1:
            self._record_update()

    def _record_update(self):
        if self._before_step is None:
            return
        with np.errstate(over="ignore", invalid="ignore"):
            self._record_ratios(self.kernel_values())

    def _record_ratios(self, after):
        self.update_ratios.append({
            name: float(np.linalg.norm(after[name] - w) / max(np.linalg.norm(w), 1e-12))
            for name, w in self._before_step.items()})
        self._before_step = None

    def on_test_begin(self, logs=None):
        if self._train_end is None:
            self._train_end = time.perf_counter()

    def _measure(self, epoch, logs):
        start = time.perf_counter()
        self.train_times.append((self._train_end or start) - self._epoch_start)
        self._record_update()  # one-step epochs never reach batch 1
        norms, zeros, acts = self.measure_batch()
        self._latest = self.kernel_values()
        self.grad_norms.append(norms)
        self.zero_grads.append(zeros)
        if acts:
            self.acts.append(acts)
        self._check_nan(epoch, logs or {}, norms)
        if self.deadline is not None and time.perf_counter() > self.deadline and self.stopped is None:
            self.stopped, self.model.stop_training = "time", True
        self.monitor_time += time.perf_counter() - start

    def _check_nan(self, epoch, logs, norms):
        if self.nan is not None:
            return
        where = None
        if not all(math.isfinite(v) for v in logs.values() if isinstance(v, (int, float))):
            where = "loss"
        elif not all(math.isfinite(v) for v in norms.values()):
            where = "gradients"
        elif not all(np.isfinite(w).all() for w in self._latest.values()):
            where = "weights"
        if where:
            self.nan, self.stopped, self.model.stop_training = {"where": where, "epoch": epoch}, "nan", True

    def on_train_end(self, logs=None):
        with np.errstate(over="ignore", invalid="ignore"):
            self._record_change()

    def _record_change(self):
        final = self._latest  # read at the last epoch end, which Keras runs even after a stop
        self.weight_change = {
            name: float(np.linalg.norm(final[name] - w) / max(np.linalg.norm(w), 1e-12))
            for name, w in self.initial_kernels.items()}


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
    the detectors always have one. `model` itself is not touched."""
    clone = copy_with_weights(model, "to probe it")
    if not getattr(model, "compiled", False):
        return compile_default(clone, info.task)
    try:  # compile config round trip = a new optimizer with the same settings
        config = keras.saving.deserialize_keras_object(model.get_compile_config())
    except Exception:  # noqa: BLE001  custom objects that do not deserialize
        config = {"optimizer": model.optimizer.__class__.from_config(model.optimizer.get_config()),
                  "loss": model.loss}
    metrics = config.get("metrics")
    if info.task != "regression" and (metrics is None or isinstance(metrics, list)):
        names = [m if isinstance(m, str) else getattr(m, "name", "") for m in metrics or []]
        if not any(n in _ACCURACY_KEYS for n in names):
            config["metrics"] = list(metrics or []) + ["accuracy"]
    clone.compile(**config)
    return clone


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
    train = train.batch(batch_size).prefetch(tf.data.AUTOTUNE if dataset.in_memory else 2)
    return _Setup(x, y, train, val_ds, MAX_STEPS_PER_EPOCH if steps > MAX_STEPS_PER_EPOCH else None,
                  int(batch_size), n_train)


def _accuracy_key(keys) -> str | None:
    return next((k for k in _ACCURACY_KEYS if k in keys), None)


class _StopWhenMemorized(keras.callbacks.Callback):
    """Ends the tiny-subset run once training accuracy hits 100% or the loss ~0."""

    def __init__(self, key, initial_loss):
        super().__init__()
        self.key, self.initial_loss = key, initial_loss

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        done = logs.get(self.key, 0) >= 1.0 if self.key else logs.get("loss", 1) < 1e-3 * self.initial_loss
        if done or not math.isfinite(logs.get("loss", 0.0)):
            self.model.stop_training = True


def overfit_tiny_subset(model, dataset, n: int = 32, steps: int = 500, seed: int = 0) -> dict[str, Any]:
    """Can a copy of the model memorize `n` training samples within `steps` full-batch steps?

    A capacity/pipeline sanity check (S3, S4: "overfit a tiny subset first"):
    a healthy setup reaches ~100% training accuracy / near-zero loss quickly, so
    the run stops as soon as it does.

    Returns:
        dict with n, steps, initial/final loss, final accuracy (best of training
        and inference mode; None for regression), and loss_fraction.
    """
    keras.utils.set_random_seed(seed)
    clone = clone_for_training(model, dataset.info)
    x, y = dataset.sample("train", n, seed)
    before = clone.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    key = _accuracy_key(before)
    reps = 25  # steps per Keras epoch: few epochs (each costs overhead), yet an early stop
    chunks = max(1, steps // reps)
    stop = _StopWhenMemorized(key, float(before["loss"]))
    batches = tf.data.Dataset.from_tensors((x, y)).repeat(reps)  # the same full batch, not 25 copies in memory
    hist = clone.fit(batches, epochs=chunks, verbose=0, callbacks=[stop]).history
    after = clone.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    final_loss = min(float(after["loss"]), float(hist["loss"][-1]))
    return {
        "n": int(len(x)), "steps": reps * len(hist["loss"]),
        "initial_loss": float(before["loss"]), "final_loss": final_loss,
        "initial_accuracy": float(before[key]) if key else None,
        "final_accuracy": max(float(after[key]), float(hist[key][-1])) if key else None,
        "loss_fraction": final_loss / float(before["loss"]) if before["loss"] else None,
    }


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
    history = _fit(clone, setup, int(epochs or 10_000), [monitor, _TerminateOnNaN()]).history
    history = {k: [float(v) for v in vals] for k, vals in history.items()}
    if monitor.nan is None and any(not math.isfinite(v) for v in history.get("loss", [])):
        monitor.nan, monitor.stopped = {"where": "loss", "epoch": len(history["loss"]) - 1}, "nan"
    steps = setup.steps_per_epoch or math.ceil(setup.n_train / setup.batch_size)
    times = monitor.train_times[1:] or monitor.train_times  # epoch 0 includes tracing
    subset = overfit_tiny_subset(model, dataset, n=subset_size, seed=seed) if subset_size else None
    key = _accuracy_key(history)
    return TrainingTrace(
        history=history, initial_loss=float(before["loss"]), expected_initial_loss=expected,
        grad_norms=monitor.grad_norms, update_ratios=monitor.update_ratios,
        activation_stats=monitor.acts, step_time_s=float(np.median(times)) / steps if times else None,
        epochs=len(history.get("loss", [])), seed=seed, batch_size=setup.batch_size, steps_per_epoch=steps,
        task=info.task, num_classes=info.num_classes, loss_name=loss_name, accuracy_key=key,
        initial_accuracy=float(before[key]) if key in before else None, baseline_loss=baseline,
        layer_order=[name for name, _ in monitor.kernels], initial_grad_norms=monitor.initial_grad_norms,
        zero_grad_shares=monitor.zero_grads, weight_change=monitor.weight_change,
        trainable={layer.name: bool(layer.trainable) for layer in _kernel_layers(clone)},
        nan=monitor.nan, stopped=monitor.stopped, subset=subset,
        wall_time_s=time.perf_counter() - start, monitor_time_s=monitor.monitor_time)


def _check_output_units(model, info) -> None:
    units = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else None
    loss_name, _ = loss_name_and_logits(model.loss)
    if loss_name in MULTI_CE and info.task != "regression" and units is not None and units < info.num_classes:
        raise AdvisorError(f"The output layer has {units} units but the data has {info.num_classes} classes; "
                           f"use Dense({info.num_classes}) as the output layer")
