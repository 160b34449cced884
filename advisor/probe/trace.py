"""`TrainingTrace`: everything the probe saw, as plain values (the detectors' input)."""
from __future__ import annotations

import dataclasses
from typing import Any


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
