"""`diagnose`: data + model + a short probe + hardware -> findings and a plan.

This is `advisor diagnose` and the first half of `advisor train`.
"""
from __future__ import annotations

import dataclasses
import os
import re
import zipfile
from typing import Any

import keras

from advisor.data import Dataset, load
from advisor.data.assemble import build_dataset
from advisor.data.checks import data_findings
from advisor.data.profile import profile
from advisor.errors import AdvisorError
from advisor.findings import Finding
from advisor.hardware.detect import detect_hardware
from advisor.hardware.precision import time_policies
from advisor.model.defaults import BUILTIN_ARCHITECTURES, default_model, ensure_compiled, load_model
from advisor.model.inspect import MULTI_CE, inspect_model, model_findings
from advisor.probe.copies import check_input_shape
from advisor.probe.detectors import detect
from advisor.probe.run import run_probe
from advisor.report.text import format_report
from advisor.rules.engine import decide
from advisor.rules.facts import Facts
from advisor.thresholds import Thresholds, resolve
from recipes import LossForLabels, MixedPrecision, Plan
from recipes.architecture.rebuild import CONV_LAYERS
from recipes.compile_parts import loss_name_and_logits


@dataclasses.dataclass
class Report:
    """Everything the advisor saw, what it concluded, and the plan it would apply."""

    dataset: Any  # DatasetInfo
    data_profile: Any
    model_profile: Any
    trace: Any  # TrainingTrace, or None when not probed
    hardware: Any
    precision: dict | None
    findings: list[Finding]
    decision: Any  # engine.Decision
    facts: Any = None  # the Facts the rule book read (the search's repair sequences read them too)

    @property
    def plan(self):
        return self.decision.to_plan()

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "info"]

    def to_dict(self) -> dict:
        def d(x):
            return x.to_dict() if x is not None else None

        return {
            "dataset": d(self.dataset),
            "findings": [f.to_dict() for f in self.findings],
            "plan": self.decision.to_dict(),
            "data_profile": d(self.data_profile),
            "model_profile": d(self.model_profile),
            "trace": d(self.trace),
            "hardware": d(self.hardware),
            "precision": self.precision,
        }

    def __str__(self) -> str:
        return format_report(self.to_dict())


def resolve_data(data, *, target=None, data_dir=None, seed=0):
    """A `Dataset` from a spec string, a `Dataset`, or an `(x, y)` tuple."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return build_dataset("arrays", {"train": data}, seed=seed)
    return load(str(data), target=target, data_dir=data_dir, seed=seed)


def resolve_model(model, info):
    """A compiled Keras model from None (the modality's default), a spec, or a model,
    checked to fit the data (`check_model_fits`) before any work starts."""
    if model is None:
        return default_model(info)
    net = _load_spec(model, info) if isinstance(model, str) else ensure_compiled(model, info)
    check_model_fits(net, info, model if isinstance(model, str) else net.name)
    return net


def _load_spec(spec: str, info):
    """`models.load_model`, with any failure of the user's file or function as one AdvisorError."""
    if spec in BUILTIN_ARCHITECTURES:
        return load_model(spec, info)  # our own code: a failure here is a bug, not bad input
    if spec.endswith(".keras") and os.path.isfile(spec) and not zipfile.is_zipfile(spec):
        raise AdvisorError(f"model file {spec!r} is not a .keras archive (a .keras file is a zip); "
                           f"save the model with model.save('model.keras')")
    try:
        return load_model(spec, info)
    except AdvisorError:
        raise
    except Exception as err:  # noqa: BLE001  user code or a user file failed inside Keras
        reason = f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0][:200]}"
        custom = re.search(r"Could not locate class '([^']+)'", str(err))
        if custom:  # Keras buries the cause under a generic "could not be deserialized"
            reason = (f"it uses the custom class {custom.group(1)!r}, which is not registered: decorate it with "
                      f"@keras.saving.register_keras_serializable() and load the file from a module:function "
                      f"that imports it")
        if spec.endswith(".keras") or os.path.isfile(spec):
            raise AdvisorError(f"cannot load model file {spec!r}: {reason}") from None
        raise AdvisorError(f"model function {spec!r} failed ({reason}); fix it so "
                           f"function(input_shape, num_classes) returns a keras.Model") from None


def check_model_fits(net, info, spec) -> None:
    """Raise AdvisorError unless `net` is a Functional or Sequential model that takes
    `info.input_shape` and has an output unit for every class id of the labels.

    Why here: a mismatch would otherwise surface mid-probe (after progress lines,
    and after `train` made its run folder); recipes rebuild a model from its
    graph, which subclassed and unbuilt models do not have.
    """
    try:
        outputs = net.outputs
    except (AttributeError, ValueError):
        outputs = None
    if not outputs:
        raise AdvisorError(f"model {spec!r} ({type(net).__name__}) has no input/output graph: build it as a "
                           f"Functional or Sequential model starting with keras.Input(shape="
                           f"{tuple(info.input_shape)}); subclassed models cannot be rebuilt with recipes")
    check_input_shape(net, info)
    units = outputs[0].shape[-1]
    loss_name, _ = loss_name_and_logits(net.loss)
    # (a single unit on a binary task is fine: a categorical loss there becomes binary cross-entropy, LossForLabels)
    if loss_name in MULTI_CE and info.task == "multiclass" and units is not None and units < info.num_classes:
        raise AdvisorError(f"model {spec!r}: the output layer has {units} units but the data has "
                           f"{info.num_classes} classes (label ids 0..{info.num_classes - 1}); "
                           f"use Dense({info.num_classes}) as the output layer")


# The probe must see enough optimizer steps to judge a curve: 5 epochs of digits
# are 200 steps, but 5 epochs of wine (124 samples) only 20. Project choice.
MIN_PROBE_STEPS = 150
MAX_AUTO_PROBE_EPOCHS = 50
PROBE_BATCH = 32


def auto_probe_epochs(n_train: int, floor: int = 5) -> int:
    """Epochs so that the probe runs at least MIN_PROBE_STEPS steps (at least `floor`)."""
    steps = max(1, -(-n_train // PROBE_BATCH))
    return max(floor, min(MAX_AUTO_PROBE_EPOCHS, -(-MIN_PROBE_STEPS // steps)))


def diagnose(model=None, data="digits", *, target=None, data_dir=None, probe_epochs: int | None = None,
             probe_seconds: float | None = None, probe: bool = True, seed: int = 0,
             measure_precision: bool = True, thresholds: "Thresholds | dict | None" = None, pretrained: bool = False,
             progress=None) -> Report:
    """Look at the data, the model and how it starts to train; say what is
    wrong and which recipes would fix it.

    Args:
        model: a Keras model, a model spec (`.keras` file, `module:function`,
            built-in name), or None for the modality's default model.
        data: a data spec (`digits`, `tfds:mnist`, a folder, `.csv`, `.npz`),
            a loaded `Dataset`, or an `(x, y)` tuple.
        probe_epochs / probe_seconds: the probe's budget (default: enough
            epochs for MIN_PROBE_STEPS optimizer steps).
        probe: False skips training (data and static model findings only).
        pretrained: the model's weights are trained (without it, found from the
            weights themselves: `advisor.model.inspect.trained_weights`).
        measure_precision: time float32 against mixed precision where supported.
        thresholds: overrides for any `advisor.thresholds` name (data checks,
            model inspection and probe detectors); an unknown name raises.

    Example:
        report = diagnose(my_model, (x, y))
        print(report); model = report.plan.build(my_model)
    """
    say = progress.stage if progress else (lambda *a, **k: None)
    thresholds = resolve(thresholds)  # a bad name fails before any data is loaded
    keras.utils.set_random_seed(seed)  # before any model is built: same seed, same initial weights
    dataset = resolve_data(data, target=target, data_dir=data_dir, seed=seed)
    net = resolve_model(model, dataset.info)  # first: a bad model is one error line, before any progress
    say("data", f"{dataset.info.name}: {dataset.info.counts}")
    data_profile = profile(dataset, thresholds)
    findings = list(data_findings(data_profile, thresholds))

    model_profile = inspect_model(net, dataset.info, pretrained=pretrained)
    findings += model_findings(model_profile, dataset.info, thresholds)
    if model_profile.input_scaling:  # the data's scale is the model's business: not a problem
        findings = [dataclasses.replace(f, severity="info", evidence=f"{f.evidence}; the model scales its "
                                        f"inputs itself ({model_profile.input_scaling})")
                    if f.name == "unnormalized_input" else f for f in findings]

    trace = None
    probe_epochs = probe_epochs or auto_probe_epochs(dataset.info.counts["train"])
    if probe:
        say("probe", f"{probe_epochs} epochs" + (f", at most {probe_seconds:.0f}s" if probe_seconds else ""))
        trace = run_probe(net, dataset, epochs=probe_epochs, seconds=probe_seconds, seed=seed)
        findings += detect(trace, thresholds=thresholds)

    hardware = detect_hardware()
    precision = None
    if measure_precision and probe and hardware.mixed_policies() and _has_conv(net):
        say("precision", "timing float32 against mixed precision")
        precision = _time_precision(net, dataset, fixes=[LossForLabels()] if model_profile.label_mismatch else [])

    facts = Facts.build(data_profile=data_profile, model_profile=model_profile, trace=trace,
                        hardware=hardware, findings=findings, precision=precision)
    decision = decide(facts)
    return Report(dataset.info, data_profile, model_profile, trace, hardware, precision,
                  findings, decision, facts)


def _has_conv(net) -> bool:
    """Mixed precision pays off for convolutions on this kind of CPU (docs/references.md#knowledge-6);
    timing it for a model without any costs seconds of a small budget for nothing."""
    return any(isinstance(layer, CONV_LAYERS) for layer in net.layers)


def _time_precision(net, dataset, fixes=()) -> dict:
    """Time the model's train steps as float32 and under the machine's mixed policy
    (with `fixes`: recipes without which the model cannot compute its loss)."""
    x, y = dataset.sample("train", 64)

    def build():
        # time_policies sets the global policy before each build; the recipe is
        # what `train` would apply, so the timing is of the real candidate.
        policy = keras.config.dtype_policy().name
        return Plan(list(fixes) + ([MixedPrecision(policy=policy)] if policy != "float32" else [])).build(net)

    return time_policies(build, (x, y))
