"""`Watch`: the probe's diagnosis inside the user's own `model.fit`.

When to use: you train in your own script and want to know, while it trains,
whether it diverges, its gradients vanish or explode, its ReLUs die or it
overfits, and which recipes the rule book would apply. Add `Watch()` to the
callbacks; it measures with the probe's `ProbeMonitor` and judges with the
probe's `detect` and thresholds (one implementation), on the user's own fit:

- the loss and metric curves, every epoch;
- gradient norms, zero-gradient shares and activation statistics on a fixed
  sample of 64 training samples (read from the fit's first training batches,
  without taking them from it), at initialization and at the end of every
  `every`-th epoch; one optimizer step's update ratio after each of those;
- NaN/inf in the loss every epoch, and in gradients and weights when measured.

Each finding is printed once, when it is confirmed, with its evidence and the
recipes the rule book would apply. Divergence, exploding gradients and a wrong
loss at initialization are confirmed at once; other findings when two
consecutive looks agree (curve verdicts on training progress - underfitting,
slow convergence - only from epoch 5, the probe's shortest run), and at the end
of the fit whatever the whole run shows. The probe's tiny-subset check needs a
training of its own and is not run here.

Watch never changes the user's training (it reads weights and runs inference
on its sample; a subclassed model still unbuilt at the first batch is built by
one inference call, which gives the same weights) unless asked: `stop_on=("divergence",)` ends the fit at the end
of the epoch the finding is confirmed in, the way `TerminateOnNaN` does, saying
why. It keeps Keras's asynchronous batch dispatch (no `on_train_batch_end`).

After the fit: `watch.findings` (`Finding`s), `watch.plan` (a `recipes.Plan`)
and `watch.decision` (the plan with its reasons); with `out=`, the folder gets
`findings.json`, `plan.json` (for `advisor train --plan` and `recipes.Plan.load`)
and `report.html`.

Example (tiny data, so it runs in a second):
    >>> import keras, numpy as np
    >>> from advisor import Watch
    >>> x = np.random.default_rng(0).normal(size=(96, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> watch = Watch(quiet=True)
    >>> _ = model.fit(x, y, validation_split=0.25, epochs=2, batch_size=16, verbose=0, callbacks=[watch])
    >>> type(watch.plan).__name__, watch.epochs
    ('Plan', 2)
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
import time
import types
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from advisor.callbacks.fit_data import fit_locals
from advisor.callbacks.monitor import ProbeMonitor, _activation_layers
from advisor.errors import AdvisorError
from advisor.findings import Finding
from advisor.probe.copies import accuracy_key
from advisor.probe.detectors import detect
from advisor.probe.trace import TrainingTrace
from advisor.rules.catalog import FINDINGS
from advisor.thresholds import resolve

# Measure gradients and activations at the end of every DEFAULT_EVERY-th epoch.
# Tuned with `python -m bench.overhead mnist-5k --watch` (bench/overhead.py,
# `measure_watch_overhead`) so that the mnist-5k default CNN's fit with Watch()
# stays within 3% of the same fit without it. One measurement costs about 3% of
# that CNN's epoch (a forward+backward pass on 64 samples, run eagerly), and the
# start costs a sample read and one more measurement; every 2nd epoch measured
# 2.4-2.8% of the fit (10 epochs, warm process, shared 2-core machine), every 3rd
# leaves a margin for slower machines and for models whose epochs are short.
DEFAULT_EVERY = 3

# Verdicts on training progress wait for the probe's shortest run (5 epochs,
# advisor.diagnosis.auto_probe_epochs): before that a slow start is not a finding.
PROGRESS_MIN_EPOCHS = 5
_PROGRESS = ("underfitting", "slow_convergence")
_CURVES = ("overfitting", "underfitting", "slow_convergence", "oscillating_loss")
# Confirmed at the first look: waiting costs more than a false alarm.
IMMEDIATE = ("divergence", "exploding_gradient", "wrong_initial_loss")
# Training findings Watch can report (the tiny-subset check needs its own training).
WATCHED = tuple(n for n in FINDINGS["training"] if n not in ("good_fit", "cannot_overfit_subset"))

# Tests set this to let an error inside Watch surface instead of being reported and skipped.
STRICT = False


class Watch(ProbeMonitor):
    """Diagnose the fit it is passed to; print each finding once, when confirmed.

    Args:
        every: measure gradients and activations every `every` epochs (default
            `DEFAULT_EVERY`; 1 = each epoch, like the probe).
        quiet: print nothing (findings, notes and the plan are still kept).
        out: a folder to write findings.json, plan.json and report.html into at the end.
        stop_on: finding names (e.g. "divergence") that end the fit when confirmed.
        thresholds: overrides of `advisor.thresholds` names, as for `advisor.diagnose`.
        sample: `(x, y)`, a few training samples (64 is plenty) to measure gradients and
            activations on. Without it Watch reads them from the running fit's own data
            (`advisor.callbacks.fit_data`, which relies on Keras internals).

    Raises:
        AdvisorError: an unknown `stop_on` name or threshold, or a bad `every`.
    """

    def __init__(self, *, every: int = DEFAULT_EVERY, quiet: bool = False, out=None,
                 stop_on: Iterable[str] | str = (), thresholds=None, sample=None):
        try:
            super().__init__(*(sample if sample is not None else (None, None)), every=every, stop_on_nan=False)
        except ValueError as err:
            raise AdvisorError(f"Watch: {err}") from None
        stop_on = (stop_on,) if isinstance(stop_on, str) else tuple(stop_on)
        for name in stop_on:
            if name not in WATCHED:
                raise AdvisorError(f"Watch: stop_on={name!r} is not a finding Watch reports; "
                                   f"choose from {', '.join(WATCHED)}")
        self.quiet, self.out, self.stop_on = bool(quiet), out, stop_on
        self.thresholds = resolve(thresholds)
        self.findings: list[Finding] = []
        self.plan, self.decision, self.stop_reason = None, None, None
        self.history: dict[str, list[float]] = {}
        self.skipped: list[str] = []
        self.active = True
        self._confirmed, self._streak, self._looks, self._queue = set(), {}, (0, 0, 0), None

    # --- hooks ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.findings, self.plan, self.decision, self.stop_reason = [], None, None, None
        self.history, self.skipped, self._confirmed, self._streak = {}, [], set(), {}
        self._looks, self._has_val, self._profile = (0, 0, 0), None, None
        self._loss_name, self._task, self._classes, self._queue = None, None, 0, None
        self.active = True
        if self.model.built and not self._trainable():
            return
        self._guard(super().on_train_begin, logs)
        if self.model.built:  # else once the first batch has built it
            self._guard(self._setting)

    def _trainable(self) -> bool:
        """False (said once, and Watch then does nothing) for a model with no trainable weights."""
        self.active = bool(self.model.trainable_weights)
        if not self.active:
            self._note(f"model {self.model.name!r} has no trainable layers, so there is no training to watch; "
                       f"Watch does nothing in this fit")
        return self.active

    def on_train_batch_begin(self, batch, logs=None):
        if not self.active:
            return
        if not self._started:
            loop = fit_locals()
            self._has_val = None if loop is None else loop.get("validation_data") is not None
            unbuilt = not self.model.built
            self._guard(super().on_train_batch_begin, batch, logs)  # reads the sample, builds an unbuilt model
            if not self.active or (unbuilt and self.model.built and not self._trainable()):
                return
            if self.sample_problem:
                self._note(f"the gradient, activation and weight-update checks are skipped: {self.sample_problem}; "
                           f"the loss curves are still watched")
            if unbuilt:
                self._guard(self._setting)
            return
        self._guard(super().on_train_batch_begin, batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._flush()
        if self.active:
            super().on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if not self.active:
            return
        self._guard(super().on_epoch_end, epoch, logs)
        start = time.perf_counter()
        self._queue = []  # said after Keras' progress bar has ended the epoch's line
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float)):
                self.history.setdefault(key, []).append(float(value))
        self._guard(self._look, epoch)
        self.monitor_time += time.perf_counter() - start

    def on_train_end(self, logs=None):
        self._flush()
        if not self.active:
            return
        self._guard(super().on_train_end, logs)
        self._guard(self._finish)

    # --- measuring: the probe's, made safe for any model ----------------------------
    def measure_batch(self, activations: bool = True):
        try:
            return super().measure_batch(activations)
        except Exception as err:  # noqa: BLE001  a custom train_step/loss Watch cannot reproduce
            if STRICT:
                raise
            self.measuring = False
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            self._note(f"the gradient, activation and weight-update checks are skipped: the loss cannot be "
                       f"computed on a training sample ({type(err).__name__}: {first}); the loss curves are "
                       f"still watched")
            return {}, {}, {}

    def _measure(self, epoch, logs):
        super()._measure(epoch, logs)
        if self.measured_epochs and self.measured_epochs[-1] == epoch:
            self._record_change()  # the weight change so far, for unchanged_weights

    # --- what the fit is ---------------------------------------------------------------
    def _setting(self):
        """Task, loss and chance level from the compiled model; the static model profile
        the rule book reads (optimizer, learning rate, activations) before any step."""
        from advisor.data.dataset import DatasetInfo
        from advisor.model.inspect import BINARY_CE, MULTI_CE, inspect_model
        from recipes.compile_parts import REGRESSION_LOSS_WORDS, loss_name_and_logits

        model = self.model
        self._loss_name = loss_name_and_logits(getattr(model, "loss", None))[0] if model.compiled else None
        try:
            units = int(model.outputs[0].shape[-1])
        except (AttributeError, ValueError, TypeError, IndexError):
            units = None
        name = self._loss_name or ""
        if name in MULTI_CE:
            self._task, self._classes = "multiclass", units or 0
        elif name in BINARY_CE:
            self._task, self._classes = "binary", 2
        elif any(word in name for word in REGRESSION_LOSS_WORDS):
            self._task, self._classes = "regression", 0
        else:
            self._task, self._classes = None, 0
        if self.tap is None and _activation_layers(model):
            self._note(f"the layer outputs of {type(model).__name__} cannot be tapped (it has no layer graph, as a "
                       f"subclassed model), so the activation checks (dying ReLU, saturation) are skipped")
        try:
            inputs = model.inputs
        except (AttributeError, ValueError):
            inputs = None
        if not inputs:  # no layer graph (a subclassed model): the rules get no model facts
            return
        try:
            shape = tuple(int(d or 0) for d in inputs[0].shape[1:])
            info = DatasetInfo(model.name, "tabular", shape, self._task or "multiclass", self._classes,
                               [str(i) for i in range(self._classes)], {"train": 0})
            self._profile = inspect_model(model, info)
        except Exception:  # noqa: BLE001  a model inspect_model cannot read: the rules get no model facts
            if STRICT:
                raise
            self._profile = None

    def _chance(self) -> tuple[float | None, float | None]:
        from advisor.probe.run import chance_loss

        if self.y is None or self._task is None:
            return None, None
        y = np.asarray(self.y) if not isinstance(self.y, (dict, list, tuple)) else None
        if y is None:
            return None, None
        return chance_loss(self._loss_name, types.SimpleNamespace(num_classes=self._classes), y)

    def _trace(self) -> TrainingTrace:
        h = self.history
        steps = int((self.params or {}).get("steps") or 0)
        times = self.train_times[1:] or self.train_times
        expected, baseline = self._chance()
        return TrainingTrace(
            history={k: v for k, v in h.items() if k == "loss" or k.startswith("val_") or k in _acc_keys(h)},
            initial_loss=self.initial_loss, expected_initial_loss=expected,
            step_time_s=float(np.median(times)) / steps if times and steps else None,
            epochs=len(h.get("loss", [])), seed=0, batch_size=self.sample_batch_size or 0, steps_per_epoch=steps,
            task=self._task or "unknown", num_classes=self._classes, loss_name=self._loss_name,
            accuracy_key=accuracy_key(h), baseline_loss=baseline, **self.trace_fields())

    # --- judging -----------------------------------------------------------------------
    def _look(self, epoch: int, final: bool = False):
        """Run the probe's detectors on the fit so far; confirm, print and act on new findings."""
        trace = self._trace()
        n = trace.epochs
        if n == 1 and not final:
            self._note_missing(trace)
        looks = (n, len(self.grad_norms), len(self.update_ratios))
        curves_new, internals_new = looks[0] != self._looks[0], looks[1:] != self._looks[1:]
        self._looks = looks
        found = [f for f in detect(trace, self.thresholds) if f.severity != "info"]
        present, new = set(), []
        for f in found:
            key = (f.name, f.layer)
            present.add(key)
            if key in self._confirmed or (f.name in _PROGRESS and n < PROGRESS_MIN_EPOCHS):
                continue
            fresh = curves_new if f.name in _CURVES else internals_new
            self._streak[key] = self._streak.get(key, 0) + (1 if fresh else 0)
            if final or f.name in IMMEDIATE or self._streak[key] >= 2:
                new.append(f)
        for key in list(self._streak):  # a look that did not see it again starts its count over
            if key not in present and (curves_new if key[0] in _CURVES else internals_new):
                self._streak[key] = 0
        if new:
            self._confirm(new, n, final)

    def _confirm(self, new: list[Finding], epoch: int, final: bool = False):
        new = [dataclasses.replace(f, values={**f.values, "watch_epoch": epoch}) for f in new]
        self.findings += new
        self._confirmed |= {(f.name, f.layer) for f in new}
        decision = self._decide()
        groups: dict[str, list[Finding]] = {}
        for f in new:  # one line per finding name: "dying_relu [dense, dense_1]"
            groups.setdefault(f.name, []).append(f)
        for name, same in groups.items():
            layers = [f.layer for f in same if f.layer]
            more = f" (and {len(same) - 1} more layer{'s' * (len(same) > 2)})" if len(same) > 1 else ""
            self._say(f"epoch {epoch}: {name}{' [' + ', '.join(layers) + ']' if layers else ''} — "
                      f"{same[0].evidence}{more}{_remedies(decision, same)}")
        stop = next((f for f in new if f.name in self.stop_on), None)
        if stop is not None and not final and not self.model.stop_training:
            self.model.stop_training = True
            self.stop_reason = (f"stop_on={stop.name!r}: {stop.name} confirmed at epoch {epoch} ({stop.evidence})")
            self._say(f"Watch: stopping the fit after epoch {epoch}: {self.stop_reason}")

    def _decide(self):
        from advisor.rules.engine import decide
        from advisor.rules.facts import Facts

        trace = self._trace()
        steps, batch = trace.steps_per_epoch, trace.batch_size
        setting = {"task": self._task, "num_classes": self._classes or None,
                   "n_train": steps * batch if steps and batch else None,
                   "n_val": 0 if self._has_val is False else None, "modality": self._modality()}
        facts = Facts.build(data_profile=setting, model_profile=self._profile, trace=trace, findings=self.findings)
        return decide(facts)

    def _modality(self) -> str | None:
        shape = getattr(self.x, "shape", None)
        return {4: "image", 3: "sequence", 2: "tabular"}.get(len(shape)) if shape is not None else None

    def _finish(self):
        if self.history.get("loss"):
            self._look(len(self.history["loss"]) - 1, final=True)
        self.decision = self._decide()
        self.plan = self.decision.to_plan()
        problems = [f for f in self.findings if f.severity != "info"]
        n = len(self.history.get("loss", []))
        if not problems:
            self._say(f"Watch: no training problem found in {n} epoch{'s' * (n != 1)}")
        if self.out is not None:
            self.write(self.out)

    def write(self, out) -> Path:
        """Write findings.json, plan.json (loadable by `recipes.Plan.load` and
        `advisor train --plan`) and report.html into the folder `out`."""
        from advisor.report.html import render_watch
        from recipes import plan_file

        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        (path / "findings.json").write_text(json.dumps([f.to_dict() for f in self.findings], indent=2,
                                                       default=_plain) + "\n")
        (path / "plan.json").write_text(json.dumps(plan_file.to_dict(self.plan), indent=2) + "\n")
        decision = self.decision.to_dict() if self.decision is not None else {}
        page = {"model": self.model.name if self.model is not None else "", "epochs": self.epochs,
                "history": self.history, "skipped": self.skipped, "stopped": self.stop_reason,
                "findings": [{**f.to_dict(), "epoch": f.values.get("watch_epoch"),
                              "try": _remedies(self.decision, [f]).removeprefix("; ")} for f in self.findings],
                "plan": decision,
                "grad_norms": {"epochs": [0] + [e + 1 for e in self.measured_epochs][-len(self.grad_norms):]
                               if self.grad_norms else [0],
                               "norms": [self.initial_grad_norms] + list(self.grad_norms)},
                "monitor_s": self.monitor_time}
        (path / "report.html").write_text(render_watch(json.loads(json.dumps(page, default=_plain))))
        return path

    @property
    def epochs(self) -> int:
        """Epochs of the last fit seen so far."""
        return len(self.history.get("loss", []))

    # --- saying things -----------------------------------------------------------------
    def _note_missing(self, trace: TrainingTrace):
        """After the first epoch: the checks this fit gives no data for, one line each."""
        if not any(k.startswith("val_") for k in self.history) and self._has_val is not True:
            self._note("this fit has no validation data, so the overfitting check (train against validation "
                       "curves) is skipped; pass validation_data= or validation_split= to model.fit to run it")
        if self._task is None and self._loss_name is not None:
            self._note(f"the loss {self._loss_name!r} has no known chance level, so the initial-loss and "
                       f"loss-based underfitting checks are skipped")

    def _note(self, text: str):
        self.skipped.append(text)
        self._print(f"Watch: {text}", sys.stderr)

    def _say(self, text: str):
        self._print(text, sys.stdout)

    def _print(self, text: str, stream):
        if self.quiet:
            return
        if self._queue is not None:
            self._queue.append((text, stream))
        else:
            print(text, file=stream, flush=True)

    def _flush(self):
        queue, self._queue = self._queue or [], None
        for text, stream in queue:
            print(text, file=stream, flush=True)

    def _guard(self, fn, *args, **kwargs):
        """Run Watch's own analysis; an error in it is reported once and Watch stops, never the fit."""
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001
            if STRICT:
                raise
            self.active = False
            self._note(f"stopped watching after an internal error ({type(err).__name__}: {err}); "
                       f"the fit continues")
            return None


def _acc_keys(history) -> set[str]:
    key = accuracy_key(history)
    return {key, "val_" + key} if key else set()


def _remedies(decision, findings: list[Finding]) -> str:
    """"; try: Adam(learning_rate=1), GradientClip(clipvalue=10)": the plan's recipes whose
    reasons cite one of these findings' evidence (advice when no recipe does)."""
    if decision is None:
        return ""
    from recipes import registry

    def cites(whys) -> bool:
        return any(f.evidence in why for f in findings for why in whys)

    recipes = []
    for choice in decision.chosen:
        if cites(choice.why):
            try:
                cls = registry.get(choice.recipe).__name__
            except (KeyError, ValueError):
                cls = choice.recipe
            args = ", ".join(f"{k}={_num(v)}" for k, v in choice.config.items() if v is not None)
            recipes.append(f"{cls}({args})")
    if recipes:
        return "; try: " + ", ".join(recipes)
    advice = [a.text for a in decision.advice if cites(a.why)]
    return f"; advice: {advice[0]}" if advice else ""


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _plain(value) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(value)
