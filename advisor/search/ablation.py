"""The ablation: evidence for each recipe of the kept plan, paid from time the search no longer needs.

The best plan is re-fit without each of its recipes (same seed, same trial
length) while its deadline allows. A row says the objective with and without
the recipe and its effect: "helped" (removing it costs at least
MIN_IMPROVEMENT), "hurt" (the plan is better without it), or "no measurable
effect". Only the recipe that hurt most is dropped, and the model trained
without it replaces the best trial's model; a recipe with no measurable effect
is kept and marked (dropping it would leave a plan no trial has trained).
"""
from __future__ import annotations

import math

import keras

from advisor.runtime.budget import Deadline
from recipes import Plan

# A recipe helped or hurt only by at least this much on the objective (probe noise on
# small data ~0.5%).
MIN_IMPROVEMENT = 0.01


def ablate(hm, plan, with_score: float, deadline: Deadline, epochs: int, fit_seconds: float,
           say=lambda *a: None, required=()):
    """Evidence rows, the plan to keep and its model (None: keep the best trial's).

    Args:
        hm: the search's `SearchHyperModel` (it builds and fits plans as the trials did).
        with_score: the kept plan's objective in the search.
        fit_seconds: what one fit takes (the best trial's time): a recipe is left
            un-ablated when less than that is left before `deadline`.
        required: names of recipes the model cannot train without (`SearchSpace.required`):
            never ablated.
    """
    rows, sign = [], 1.0 if hm.objective.direction == "max" else -1.0
    models = {}
    for recipe in (r for r in plan.recipes if r.name not in required):
        if deadline.left() < fit_seconds:
            rows.append({"recipe": recipe.name, "objective_with": with_score, "objective_without": None,
                         "effect": None, "kept": True, "note": "not ablated: its time was spent"})
            continue
        without = Plan([r for r in plan.recipes if r is not recipe])
        keras.utils.set_random_seed(hm.seed)
        model = without.build(hm.net, train=hm.dataset.train_data(), epochs=epochs)
        outcome = hm.train(without, model, epochs=epochs, deadline=deadline)
        score = outcome.score
        gain = None if score is None or not math.isfinite(score) else sign * (with_score - score)
        effect = None if gain is None else ("helped" if gain >= MIN_IMPROVEMENT else "hurt"
                                            if -gain >= MIN_IMPROVEMENT else "no measurable effect")
        models[recipe.name] = model
        rows.append({"recipe": recipe.name, "objective_with": with_score, "objective_without": score,
                     "effect": effect, "kept": True})
        say(f"without {recipe.name} {hm.objective.name} "
            f"{'–' if score is None else f'{score:.4f}'} (with {with_score:.4f}): {effect or 'no score'}")
    hurting = [r for r in rows if r["effect"] == "hurt"]
    if not hurting:
        return rows, plan, None
    worst = max(hurting, key=lambda r: sign * r["objective_without"])
    worst["kept"] = False
    return rows, Plan([r for r in plan.recipes if r.name != worst["recipe"]]), models[worst["recipe"]]
