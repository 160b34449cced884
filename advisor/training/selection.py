"""Which model a run keeps: the best on validation among the final fit, the best
search trial's model and the user's setup trained unchanged (and an ensemble,
when one was built), so the kept model is never worse, on validation, than any
of them. A K-fold final fit (trained on train + val, so validation cannot judge
it) is scored by its folds' mean. A model that cannot be scored is never
chosen, and the record says why."""
from __future__ import annotations

import dataclasses
import math

import tensorflow as tf

from advisor.runtime.objective import objective as objective_of

# Errors evaluate() raises on a model that cannot compute its metrics on this data.
EVALUATION_ERRORS = (ValueError, TypeError, tf.errors.InvalidArgumentError)


@dataclasses.dataclass
class Candidate:
    """A model the run could keep: where it came from, and its validation score
    (`score` given: already known, e.g. the K-fold mean)."""

    name: str
    model: object
    score: float | None = None
    note: str = ""


def validation_score(model, dataset, net) -> tuple[float | None, str]:
    """(the objective on the validation split, "") or (None, why it could not be measured)."""
    goal = objective_of(net, dataset)
    try:
        values = model.evaluate(dataset.batches("val"), verbose=0, return_dict=True)
    except EVALUATION_ERRORS as err:
        return None, f"could not evaluate: {(str(err).splitlines() or [type(err).__name__])[0][:200]}"
    key = next((k for k in values if "acc" in k), None) if goal.direction == "max" else "loss"
    if key is None or key not in values:
        return None, f"no {goal.name} among its metrics ({', '.join(values)})"
    return float(values[key]), ""


def choose(candidates: list[Candidate], dataset, net, baseline: str | None = None) -> tuple[Candidate, dict]:
    """The candidate with the best validation score (the first on a tie), and the record
    of the choice for metrics.json: every candidate's score and why the kept one won.

    `baseline` names the candidate the others must beat by more than validation noise
    (`evidence_margin`: one standard error of its accuracy, 1% of its loss): the user's
    setup unchanged is replaced only on evidence ([PB]), since the best of several noisy
    validation scores overstates the model that has it."""
    goal = objective_of(net, dataset)
    sign = 1.0 if goal.direction == "max" else -1.0
    for c in candidates:
        if c.score is None:
            c.score, why = validation_score(c.model, dataset, net)
            c.note = "; ".join(n for n in (c.note, why) if n)
    scored = [c for c in candidates if c.score is not None]
    if not scored:
        kept, why = candidates[0], "no candidate could be scored on validation: keeping the first"
    else:
        kept = max(scored, key=lambda c: sign * c.score)
        others = [c for c in scored if c is not kept]
        why = (f"best {goal.name} on validation ({kept.score:.4f}"
               + (f"; {', '.join(f'{c.name} {c.score:.4f}' for c in others)}" if others else "") + ")")
        base = next((c for c in scored if c.name == baseline), None)
        margin = evidence_margin(base.score, goal.direction, dataset.count("val")) if base else 0.0
        if base is not None and kept is not base and sign * (kept.score - base.score) <= margin:
            why = (f"{base.name} kept: {kept.name} validates {kept.score:.4f} against its {base.score:.4f}, "
                   f"within the noise of the validation split ({margin:.4f})")
            kept = base
    record = {"kept": kept.name, "why": why, "objective": goal.name,
              "candidates": [{"name": c.name, "validation": c.score, **({"note": c.note} if c.note else {})}
                             for c in candidates]}
    return kept, record


def evidence_margin(score: float, direction: str, n_val: int) -> float:
    """How much better than `score` a validation score must be to count as evidence: one
    standard error of an accuracy `score` on `n_val` samples, or 1% of a loss.

    Example:
        >>> round(evidence_margin(0.98, "max", 270), 4)
        0.0085
    """
    if direction == "max":
        return math.sqrt(max(score * (1 - score), 0.0) / max(1, n_val))
    return 0.01 * abs(score)
