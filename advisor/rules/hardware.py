"""Rules about the machine: mixed precision by measurement, multi-device strategies (docs/references.md#knowledge-6)."""
from __future__ import annotations

from advisor.rules import helpers
from advisor.rules import priorities
from advisor.rules.registry import Recommendation, advise, rule


@rule(priority=priorities.HARDWARE)
def mixed_precision(facts):
    """bfloat16 (CPU with AMX/AVX512-BF16) or float16 (GPU with compute
    capability >= 7.0) can speed training up (S1), but only measurement says
    whether it does for this model: recommend it only where it was timed
    faster; keep float32 when it was timed slower."""
    times, faster = facts.precision_times, facts.precision_faster
    f = facts.get("mixed_precision_faster")
    if faster is None and f is not None:  # measured elsewhere; "auto" lets the recipe pick the policy
        faster = f.values.get("faster", "auto")
    if faster and faster != "float32":
        why = f.evidence if f is not None else _timing(times, faster)
        return [Recommendation("mixed_precision", {"policy": faster}, why)]
    mixed = sorted(p for p in times if p != "float32")
    if faster == "float32" and mixed:
        return [advise("keep float32: mixed precision did not pay off here", _timing(times, mixed[0]))]
    return []


@rule(priority=priorities.HARDWARE + 5)
def multi_worker(facts):
    """Several hosts named in TF_CONFIG (S0): train with
    MultiWorkerMirroredStrategy."""
    f = facts.get("multi_worker")
    if f is None and facts.workers <= 1:
        return []
    return [Recommendation("multi_worker", {}, helpers.evidence(facts, "multi_worker",
                                                          f"TF_CONFIG names {facts.workers} workers"))]


@rule(priority=priorities.HARDWARE)
def multiple_gpus(facts):
    """Several GPUs on one host: MirroredStrategy, with the batch scaled by the
    number of replicas so each GPU keeps its batch (S1; memory is replicated,
    not saved)."""
    f = facts.get("multiple_gpus")
    replicas = max(facts.device_count, facts.gpus, (f.values.get("gpus", 2) if f is not None else 0))
    if replicas <= 1:
        return []
    why = helpers.evidence(facts, "multiple_gpus", f"{replicas} GPUs visible")
    size = helpers.batch_size(facts) * replicas
    return [Recommendation("mirrored", {}, why),
            Recommendation("batch_size", {"size": size},
                           f"{why}; batch {helpers.batch_size(facts)} x {replicas} replicas")]


def _timing(times: dict, policy: str) -> str:
    if "float32" not in times or policy not in times:
        return f"{policy} was measured faster"
    return (f"a train step took {times[policy] * 1e3:.1f} ms under {policy} vs "
            f"{times['float32'] * 1e3:.1f} ms under float32")
