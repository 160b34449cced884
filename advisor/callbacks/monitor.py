"""`ProbeMonitor`: the per-epoch measurements of a fit (gradient norms, update
ratios, activation statistics, NaNs) on a fixed sample, and the fields of a
`TrainingTrace` they fill. The probe (`advisor.probe.run`) and `advisor.Watch`
(`advisor.watch`) both measure with it."""
from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from advisor.callbacks.fit_data import fit_locals, read_training_sample
from advisor.model.inspect import activation_name
from advisor.thresholds import SATURATION_PREACTIVATION
from recipes.architecture.activation import HARD_ZERO_RELU

# Saturation is read from outputs: sigmoid/tanh are monotonic, so an input beyond
# +-5 [DD] is an output beyond f(+-5); no pre-activation sub-model is needed.
_SIGMOID_EDGE = 1.0 / (1.0 + math.exp(-SATURATION_PREACTIVATION))


_TANH_EDGE = math.tanh(SATURATION_PREACTIVATION)


def kernel_layers(model) -> list:
    """Kernel-bearing layers, input to output, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += kernel_layers(layer)
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


class AsyncTerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras' TerminateOnNaN, marked safe for Keras' asynchronous batch-end
    dispatch: it only reads the logs and sets `stop_training`. Unmarked, it
    forces a host sync after every step (measured: +9% fit time on digits)."""

    async_safe = True


class ProbeMonitor(keras.callbacks.Callback):
    """Measurements on a fixed sample at the end of every `every`-th epoch: kernel
    gradient norms, exact-zero gradient shares, activation statistics, one
    optimizer step's update ratio (the first step of the next epoch), NaNs.

    Args:
        probe_x, probe_y: the fixed sample; None reads the first `MONITOR_SAMPLES`
            samples of the first training batches the fit sees (`read_training_sample`).
        deadline: a `time.perf_counter()` value; the fit stops at the first epoch end past it.
        every: measure at the end of epochs every, 2*every, ... (1: each epoch, the probe).
        stop_on_nan: end the fit at the first NaN (the probe); False only records it.

    Uses only epoch hooks and `on_train_batch_begin` (never `on_train_batch_end`,
    which would stop Keras from dispatching batch callbacks asynchronously).
    """

    def __init__(self, probe_x=None, probe_y=None, deadline: float | None = None, *, every: int = 1,
                 stop_on_nan: bool = True):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive number of epochs, got {every!r}")
        self._given = probe_x is not None
        self.x = None if probe_x is None else tf.nest.map_structure(tf.constant, probe_x)
        self.y = None if probe_y is None else tf.nest.map_structure(tf.constant, probe_y)
        self.deadline, self.every, self.stop_on_nan = deadline, every, stop_on_nan
        self.kernels, self.act_layers, self.tap = [], [], None
        self._reset()

    def _reset(self):
        if not self._given:  # read again from this fit's data
            self.x = self.y = None
        self.sample_problem, self.last_loss = None, None
        self.grad_norms, self.zero_grads, self.update_ratios, self.acts = [], [], [], []
        self.train_times, self.nan, self.stopped, self.monitor_time = [], None, None, 0.0
        self.initial_kernels, self.initial_grad_norms, self.initial_loss = {}, {}, None
        self.weight_change, self.measured_epochs, self.sample_batch_size = {}, [], None
        self.measuring, self._started, self._fresh, self._read_loop = self.x is not None, False, False, False
        self._latest, self._before_step, self._train_end, self._epoch_start = {}, None, None, time.perf_counter()

    def set_model(self, model):
        super().set_model(model)
        self._discover()

    def _discover(self):
        """The kernels to measure and the activations to tap (again once an unbuilt model is built)."""
        model = self.model
        self.kernels = [(layer.name, layer.kernel) for layer in kernel_layers(model)]
        self.act_layers = _activation_layers(model)
        try:  # one graph giving every tapped activation and the output: one pass measures all
            self.tap = keras.Model(model.inputs, [layer.output for layer in self.act_layers] + model.outputs)
        except (AttributeError, ValueError, TypeError):  # subclassed model: no graph to tap
            self.tap, self.act_layers = None, []

    def kernel_values(self) -> dict[str, np.ndarray]:
        return {name: keras.ops.convert_to_numpy(var) for name, var in self.kernels}

    def measure_batch(self, activations: bool = True):
        """One forward+backward pass on the probe batch (inference mode: deterministic,
        no BN statistics updated) -> kernel gradient norms, exact-zero gradient
        shares [AT], and per-layer activation statistics ({} unless `activations`).
        The loss is kept in `last_loss`; under a LossScaleOptimizer the loss is scaled
        like a train step's (so float16 gradients do not underflow), the gradients unscaled."""
        n_act = len(self.act_layers)
        optimizer = getattr(self.model, "optimizer", None)
        scale = (float(keras.ops.convert_to_numpy(optimizer.scale_loss(1.0)))
                 if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else 1.0)
        with tf.GradientTape() as tape:
            outs = self.tap(self.x, training=False) if self.tap is not None else [self.model(self.x, training=False)]
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            y_pred = outs[n_act] if len(outs) == n_act + 1 else list(outs[n_act:])
            loss = self.model.compute_loss(x=self.x, y=self.y, y_pred=y_pred, training=False)
            scaled = loss * scale if scale != 1.0 else loss
        grads = tape.gradient(scaled, [var for _, var in self.kernels])
        self.last_loss = float(keras.ops.convert_to_numpy(loss))
        norms, zeros = {}, {}
        for (name, _), g in zip(self.kernels, grads):
            g = np.zeros(1) if g is None else keras.ops.convert_to_numpy(g)
            if scale != 1.0:
                g = g.astype(np.float32) / scale
            norms[name] = float(np.linalg.norm(g))
            zeros[name] = float(np.mean(g == 0))
        acts = {layer.name: activation_summary(activation_name(layer), keras.ops.convert_to_numpy(o))
                for layer, o in zip(self.act_layers, outs[:n_act])} if activations else {}
        return norms, zeros, acts

    # --- hooks ------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._reset()
        if self.x is not None:
            self._start()

    def _start(self):
        """Initial weights, and gradients and loss at initialization, before the first step."""
        self._started = True
        self.initial_kernels = self.kernel_values()
        if self.measuring:
            self.initial_grad_norms, _, _ = self.measure_batch(activations=False)
            self.initial_loss = self.last_loss
        self._latest, self._fresh = self.initial_kernels, True  # weights before the next epoch's first step

    def _start_from_fit(self):
        """No sample given: read it from the fit's first training batches (see `read_training_sample`)."""
        start = time.perf_counter()
        loop, sample = fit_locals(), None
        self._read_loop = loop is not None
        try:
            sample = read_training_sample(loop) if loop is not None else None
        except (tf.errors.OpError, TypeError, ValueError, AttributeError, IndexError, KeyError) as err:
            self.sample_problem = f"its training batches cannot be read ({type(err).__name__}: {err})"[:300]
        if sample is not None and sample[1] is None:
            self.sample_problem = "its training data has no targets (y), so there is no loss to differentiate"
        elif sample is not None:
            x, y, self.sample_batch_size = sample
            self.x = tf.nest.map_structure(tf.constant, x)
            self.y = tf.nest.map_structure(tf.constant, y)
            if not self.model.built:  # a subclassed model builds in its first step: build it now, as Keras
                self._build(x)        # does under a distribution strategy, so there are initial weights
        elif self.sample_problem is None:
            self.sample_problem = ("its training batches cannot be read" if loop is not None else
                                   "it is not running inside keras.Model.fit, whose data it reads")
        self.measuring = self.sample_problem is None
        self._start()
        self.monitor_time += time.perf_counter() - start

    def _build(self, x):
        try:  # a call in inference mode: it creates the weights, and updates no state
            self.model(tf.nest.map_structure(lambda a: tf.constant(a[:1]), x), training=False)
        except Exception as err:  # noqa: BLE001  a model that cannot be called on its own input
            self.sample_problem = (f"{type(self.model).__name__} is not built before its first step and "
                                   f"cannot be called on a training sample ({type(err).__name__})")
            return
        self._discover()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._train_end = time.perf_counter(), None

    def on_train_batch_begin(self, batch, logs=None):
        # Reads weights once per measured epoch (after the next epoch's first step): the
        # "before" copy is the one taken at the measurement, so no extra host sync is forced.
        if not self._started:
            self._start_from_fit()
            self._epoch_start = time.perf_counter()
        elif batch == 0 and self._read_loop:
            # Reading the loop's locals left a snapshot of them on its frame (Python < 3.13), which
            # would keep the previous epoch's data iterator alive; refreshing it lets that one go.
            fit_locals()
        if batch == 0:
            self._before_step = self._latest if self._fresh else None
            self._fresh = False
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

    def on_epoch_end(self, epoch, logs=None):
        with np.errstate(over="ignore", invalid="ignore"):  # diverging runs overflow norms
            self._measure(epoch, logs)

    def due(self, epoch: int) -> bool:
        """Whether the end of `epoch` (0-based) is a measurement."""
        return (epoch + 1) % self.every == 0

    def _measure(self, epoch, logs):
        start = time.perf_counter()
        self.train_times.append((self._train_end or start) - self._epoch_start)
        self._record_update()  # one-step epochs never reach batch 1
        norms, weights = None, None
        if self.due(epoch) and self._started:
            if self.measuring:
                norms, zeros, acts = self.measure_batch()
                self.grad_norms.append(norms)
                self.zero_grads.append(zeros)
                if acts:
                    self.acts.append(acts)
            self._latest, self._fresh = self.kernel_values(), True
            self.measured_epochs.append(epoch)
            weights = self._latest
        self._check_nan(epoch, logs or {}, norms, weights)
        if self.deadline is not None and time.perf_counter() > self.deadline and self.stopped is None:
            self.stopped, self.model.stop_training = "time", True
        self.monitor_time += time.perf_counter() - start

    def _check_nan(self, epoch, logs, norms, weights):
        """NaN/inf in the epoch's logs, or (at a measurement) in the gradients or weights."""
        if self.nan is not None:
            return
        where = None
        if not all(math.isfinite(v) for v in logs.values() if isinstance(v, (int, float))):
            where = "loss"
        elif norms is not None and not all(math.isfinite(v) for v in norms.values()):
            where = "gradients"
        elif weights is not None and not all(np.isfinite(w).all() for w in weights.values()):
            where = "weights"
        if where:
            self.nan = {"where": where, "epoch": epoch}
            if self.stop_on_nan:
                self.stopped, self.model.stop_training = "nan", True

    def on_train_end(self, logs=None):
        with np.errstate(over="ignore", invalid="ignore"):
            self._record_change()

    def _record_change(self):
        final = self._latest  # read at the last measurement (the probe: each epoch end, run even after a stop)
        self.weight_change = {
            name: float(np.linalg.norm(final[name] - w) / max(np.linalg.norm(w), 1e-12))
            for name, w in self.initial_kernels.items() if name in final}

    def trace_fields(self) -> dict[str, Any]:
        """The `TrainingTrace` fields this monitor measured (the caller adds the curves,
        the initial loss, the task and the timing)."""
        return {"grad_norms": self.grad_norms, "update_ratios": self.update_ratios,
                "activation_stats": self.acts, "layer_order": [name for name, _ in self.kernels],
                "initial_grad_norms": self.initial_grad_norms, "zero_grad_shares": self.zero_grads,
                "weight_change": self.weight_change,
                "trainable": {layer.name: bool(layer.trainable) for layer in kernel_layers(self.model)},
                "nan": self.nan, "stopped": self.stopped, "monitor_time_s": self.monitor_time}
