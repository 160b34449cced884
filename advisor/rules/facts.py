"""`Facts`: the one flat, serializable record every rule reads.

Rules never look at profiles, traces or models directly; `Facts.build` copies
the catalog fields out of them (by attribute name, so any object or dict with
those names works) and collects the findings. That keeps rules testable with
hand-written Facts and no training.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from advisor.findings import Finding

# Where each Facts field comes from: {source argument: (field names, ...)}.
_DATA_FIELDS = ("task", "modality", "num_classes", "n_train", "n_val", "imbalance_ratio",
                "minority_share", "min_samples_per_class", "looks_unnormalized",
                "x_min", "x_max", "zero_share", "streamed")
_MODEL_FIELDS = ("num_params", "depth", "hidden_activations", "output_activation", "loss",
                 "from_logits", "optimizer", "learning_rate", "has_batchnorm", "has_dropout",
                 "max_dropout_rate", "plain_stack", "input_scaling")
_TRACE_FIELDS = ("epochs", "initial_loss", "expected_initial_loss", "step_time_s", "batch_size")
_HARDWARE_FIELDS = ("gpus", "gpu_compute_capabilities", "cpu_bf16", "device_count", "workers")


@dataclasses.dataclass
class Facts:
    """Everything the rule book may read, flat. Unknown values stay None.

    Args: one field per catalog attribute (see catalog.md) plus
        `zero_share` (share of exactly-zero inputs, for sparse-feature rules),
        `batch_size` (the probe's), `precision_times` / `precision_faster`
        (from `time_policies`) and `findings`.

    Example:
        >>> from advisor.findings import Finding
        >>> overfit = Finding("overfitting", "high", "training", "val_loss rose 3 epochs")
        >>> facts = Facts(task="multiclass", num_classes=10, findings=[overfit])
        >>> facts.has("overfitting"), facts.get("overfitting").evidence
        (True, 'val_loss rose 3 epochs')
    """

    # data
    task: str | None = None
    modality: str | None = None
    num_classes: int | None = None
    n_train: int | None = None
    n_val: int | None = None
    imbalance_ratio: float | None = None
    minority_share: float | None = None
    min_samples_per_class: int | None = None
    looks_unnormalized: bool | None = None
    x_min: float | None = None
    x_max: float | None = None
    zero_share: float | None = None
    streamed: bool | None = None  # read from disk per batch (an image folder), never whole in memory
    # model
    num_params: int | None = None
    depth: int | None = None
    hidden_activations: list[str] = dataclasses.field(default_factory=list)
    output_activation: str | None = None
    loss: str | None = None
    from_logits: bool | None = None
    optimizer: str | None = None
    learning_rate: float | None = None
    has_batchnorm: bool | None = None
    has_dropout: bool | None = None
    max_dropout_rate: float | None = None
    plain_stack: bool | None = None  # one chain of layers with a hidden Dense: the depth recipe can deepen it
    input_scaling: str | None = None  # the model's own input Rescaling/Normalization layer, if any
    # training probe
    epochs: int | None = None
    initial_loss: float | None = None
    expected_initial_loss: float | None = None
    step_time_s: float | None = None
    batch_size: int | None = None
    final_loss: float | None = None
    final_val_loss: float | None = None
    # hardware
    gpus: int = 0
    gpu_compute_capabilities: list[list[int]] = dataclasses.field(default_factory=list)
    cpu_bf16: bool = False
    device_count: int = 0
    workers: int = 1
    precision_times: dict[str, float] = dataclasses.field(default_factory=dict)
    precision_faster: str | None = None
    # everything the stages noticed
    findings: list[Finding] = dataclasses.field(default_factory=list)

    def has(self, name: str) -> bool:
        """True if a finding with this name was recorded."""
        return any(f.name == name for f in self.findings)

    def get(self, name: str) -> Finding | None:
        """The first finding with this name, or None."""
        return next((f for f in self.findings if f.name == name), None)

    def all(self, name: str) -> list[Finding]:
        """Every finding with this name (e.g. one per layer)."""
        return [f for f in self.findings if f.name == name]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Facts":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"Facts.from_dict got unknown fields {unknown}; known: {sorted(known)}")
        d = dict(d)
        d["findings"] = [f if isinstance(f, Finding) else Finding.from_dict(f) for f in d.get("findings", [])]
        return cls(**d)

    @classmethod
    def build(cls, data_profile=None, model_profile=None, trace=None, hardware=None,
              findings: Iterable[Finding] = (), precision: Mapping | None = None) -> "Facts":
        """Collect Facts from the stage outputs; any of them may be None.

        Args:
            data_profile: a DataProfile (or dict with its field names).
            model_profile: a ModelProfile (or dict).
            trace: a TrainingTrace (or dict); its `history` gives the final losses.
            hardware: a HardwareProfile (or dict).
            findings: findings from every stage; hardware findings derived
                from `hardware` and `precision` are added unless present.
            precision: the result of `advisor.hardware.precision.time_policies`.
        """
        from advisor.hardware.detect import HardwareProfile, hardware_findings

        values: dict[str, Any] = {}
        for source, names in ((data_profile, _DATA_FIELDS), (model_profile, _MODEL_FIELDS),
                              (trace, _TRACE_FIELDS), (hardware, _HARDWARE_FIELDS)):
            for name in names:
                value = _read(source, name)
                if value is not None:
                    values[name] = _plain(value)
        history = _read(trace, "history") or {}
        for key, field in (("loss", "final_loss"), ("val_loss", "final_val_loss")):
            if history.get(key):
                values[field] = float(history[key][-1])
        if precision:
            values["precision_times"] = dict(precision["times"])
            values["precision_faster"] = precision["faster"]

        found = list(findings)
        if isinstance(hardware, Mapping):
            hardware = HardwareProfile.from_dict(hardware)
        names = {f.name for f in found}
        found += [f for f in hardware_findings(hardware, precision) if f.name not in names]
        return cls(findings=found, **values)


def _plain(value):
    """numpy scalars -> Python numbers, tuples -> lists: Facts must survive a JSON round trip."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _read(source, name: str):
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)
