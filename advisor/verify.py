"""Verify a plan the way a careful engineer would: apply the repairs for each
training problem, re-probe, and keep a repair only if its symptom went away or
the validation objective improved; otherwise try the next repair in the
knowledge's order (KNOWLEDGE.md section 8, AUTOTRAINER's repair sequences).
"""
from __future__ import annotations

import time

# A repair must beat the unrepaired probe by this much on the objective to count
# as an improvement when its symptom persists (probe noise on small data is ~0.5%).
MIN_IMPROVEMENT = 0.01


def objective(trace) -> float:
    """Best validation accuracy of a probe, or minus its best validation loss."""
    import math

    hist = trace.history
    key, sign = ("val_accuracy", 1.0) if hist.get("val_accuracy") else ("val_loss", -1.0)
    values = [v for v in hist.get(key, []) if v is not None and math.isfinite(v)]
    return sign * max(v * sign for v in values) if values else -math.inf


def with_recipes(plan, recipes):
    """A copy of `plan` where each of `recipes` replaces any recipe of the same
    name or the same exclusive slot."""
    from recipes import Plan

    def clashes(old, new):
        return old.name == new.name or (old.slot is not None and old.slot == new.slot)

    kept = [r for r in plan.recipes if not any(clashes(r, n) for n in recipes)]
    return Plan(kept + list(recipes))


def without(plan, names):
    from recipes import Plan

    return Plan([r for r in plan.recipes if r.name not in set(names)])


def _chosen_only_for(problem: str, report) -> set[str]:
    """Recipes the engine chose for this problem alone (every reason it gave is
    this problem's evidence): they stand or fall with its repair."""
    evidence = {f.evidence for f in report.findings if f.name == problem}
    return {c.recipe for c in report.decision.chosen
            if c.why and all(any(e in w for e in evidence) for w in c.why)}


def _instantiate(step):
    from recipes import registry

    return [registry.get(name).from_config(config) for name, config in step]


def verify(plan, net, dataset, report, *, probe_epochs: int, seed: int, deadline: float | None = None,
           say=lambda *a, **k: None):
    """Returns `(plan, attempts)`: the plan with only the repairs that earned
    their place, and every attempt with its numbers (kept or dropped)."""
    from advisor.detectors import detect
    from advisor.engine import repair_sequence
    from advisor.probe import run_probe

    if report.trace is None:
        return plan, []
    baseline = objective(report.trace)
    problems = [f.name for f in report.findings
                if f.source == "training" and f.severity != "info" and repair_sequence(f.name)]
    attempts: list[dict] = []
    for problem in dict.fromkeys(problems):
        steps = repair_sequence(problem)
        tried_names = {name for step in steps for name, _ in step} | _chosen_only_for(problem, report)
        candidates = [("as planned", plan)] + [
            (" + ".join(n for n, _ in step), with_recipes(without(plan, tried_names - {n for n, _ in step}),
                                                       _instantiate(step)))
            for step in steps]
        if deadline is not None and time.monotonic() >= deadline:
            # An unverified repair does not go in (KNOWLEDGE.md section 8: kept only on evidence).
            plan = without(plan, tried_names)
            attempts.append({"problem": problem, "repair": "none: budget spent before it could be verified",
                             "recipes": [r.name for r in plan.recipes], "symptom_gone": False,
                             "objective_before": baseline, "objective_after": None, "kept": False})
            say("verify", f"budget spent: {problem}'s repairs ({', '.join(sorted(tried_names))}) left out unverified")
            continue
        best, kept_one = None, None
        for label, candidate in candidates:
            if deadline is not None and time.monotonic() >= deadline:
                say("verify", f"budget spent while verifying {problem}'s repairs")
                break
            model = candidate.build(net, train=dataset.arrays["train"], epochs=probe_epochs)
            trace = run_probe(model, dataset, epochs=probe_epochs, seed=seed)
            after = objective(trace)
            gone = not any(f.name == problem for f in detect(trace))
            # A symptom can vanish because the model stopped learning (overfitting
            # "cured" by underfitting): gone counts only if the objective held.
            kept = after >= baseline + MIN_IMPROVEMENT or (gone and after >= baseline - MIN_IMPROVEMENT)
            attempts.append({"problem": problem, "repair": label,
                             "recipes": [r.name for r in candidate.recipes],
                             "symptom_gone": gone, "objective_before": baseline,
                             "objective_after": after, "kept": kept})
            say("verify", f"{problem}: {label} -> {'kept' if kept else 'dropped'} "
                          f"(objective {baseline:.3f} -> {after:.3f}, symptom {'gone' if gone else 'present'})")
            if best is None or after > best[1]:
                best = (candidate, after)
            if kept:
                kept_one = candidate
                break
        # No repair earned its place: keep the best one only if it helped at all,
        # otherwise none of this problem's repairs.
        if kept_one is not None:
            plan = kept_one
        elif best is not None and best[1] > baseline:
            plan = best[0]
        else:
            plan = without(plan, tried_names)
    return plan, attempts
