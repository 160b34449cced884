"""Distributed training: the same `advisor train DATA --plan P` on every host, joined by TF_CONFIG.

MultiWorkerMirroredStrategy all-reduces each step's gradients over the hosts
TF_CONFIG lists. Every host must then run the same steps in the same order, so
the stages whose choices depend on timing (probe, verification, tuning) do not
run here: the plan comes from a single-host run (its run folder's plan.json, or
`advisor diagnose --save-plan`). The chief (task type "chief", else worker 0)
writes the run folder; the other workers train into a scratch folder.
"""
from __future__ import annotations

import os

from advisor.errors import AdvisorError


def count() -> int:
    """How many hosts TF_CONFIG lists (1 without TF_CONFIG)."""
    config = _config()
    return sum(len(config["cluster"].get(kind, [])) for kind in ("chief", "worker")) if config else 1


def is_writer() -> bool:
    """Whether this host writes the run folder: the chief, else worker 0."""
    config = _config()
    if not config:
        return True
    task = config["task"]
    return task["type"] == "chief" or (task["index"] == 0 and not config["cluster"].get("chief"))


def check(hosts: int, plan, tuner_role, resume) -> None:
    """Refuse what cannot run across hosts, before the strategy waits for them."""
    if hosts < 2:
        return
    if plan is None:
        raise AdvisorError(f"TF_CONFIG lists {hosts} hosts: training across hosts applies a fixed plan; pass "
                           f"--plan (a single-host run's plan.json, or 'advisor diagnose DATA --save-plan')")
    if tuner_role is not None:
        raise AdvisorError("--tuner-role and TF_CONFIG do not mix: tune first, then train across hosts with --plan")
    if resume:
        raise AdvisorError("--resume does not work across hosts: restart every host without --resume")


def start():
    """Create the process's MultiWorkerMirroredStrategy when TF_CONFIG lists
    several hosts; call before TensorFlow runs any op. None otherwise."""
    if count() < 2:
        return None
    from recipes import MultiWorker

    try:
        return MultiWorker().strategy()
    except RuntimeError as err:  # the collective runtime must be configured before any op
        raise AdvisorError(f"TF_CONFIG names {count()} hosts but TensorFlow already ran: call "
                           f"advisor.runtime.hosts.start() first thing ({err})") from None


def spread(plan, hosts: int):
    """The plan on MultiWorker, its single-host batch kept as the global batch:
    each host takes 1/hosts of every batch, so the optimization (steps, batch,
    learning rate the plan was tuned for) is the single-host one."""
    from recipes import BatchSize, MultiWorker, Plan

    kept = [r for r in plan.recipes if r.slot != "strategy" and r.name != "batch_size"]
    return Plan(kept + [BatchSize(plan.setup.batch_size), MultiWorker()])  # global: the strategy splits it


def _config() -> dict | None:
    if not os.environ.get("TF_CONFIG"):
        return None
    from recipes.hardware.multi_worker import read_tf_config

    try:
        return read_tf_config()
    except ValueError as err:
        raise AdvisorError(str(err)) from None
