"""`Finding`: one thing the advisor noticed, with the numbers behind it.

Every stage that looks at something (data profile, model inspection, probe)
returns a list of these; rules read them by `name`.
"""
from __future__ import annotations

import dataclasses
from typing import Any

SEVERITIES = ("high", "medium", "low", "info")
SOURCES = ("data", "model", "training", "hardware")


@dataclasses.dataclass(frozen=True)
class Finding:
    """What is wrong (or notably right), and why we think so.

    Args:
        name: stable snake_case key rules match on, e.g. `"class_imbalance"`.
        severity: one of `SEVERITIES`; `"info"` for healthy observations.
        source: which stage found it: one of `SOURCES`.
        evidence: one human sentence with the concrete numbers.
        values: the same numbers, machine-readable (JSON-serializable).
        layer: the layer it applies to, when it applies to one.
    """

    name: str
    severity: str
    source: str
    evidence: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    layer: str | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"Finding severity must be one of {SEVERITIES}, got {self.severity!r}")
        if self.source not in SOURCES:
            raise ValueError(f"Finding source must be one of {SOURCES}, got {self.source!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        return cls(**d)
