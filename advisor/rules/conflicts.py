"""How the engine settles recommendations that cannot all hold at once.

Recommendations arrive highest priority first; each is either accepted,
merged into an accepted one, or rejected with a reason. The policies:
- exclusive slots: one optimizer (a learning-rate change counts as an
  optimizer decision: two rules moving the rate are one decision), one
  schedule (reduce_on_plateau is one), one loss, one strategy, one way to
  rebalance classes;
- regularization is never added while the model underfits (S2);
- callbacks watching val_loss need a validation split;
- the same recipe twice: equal configs merge, batch sizes merge to the
  largest, otherwise the higher priority config stands;
- some findings require a recipe (clipping when gradients explode);
- a pretrained model is never re-initialized wholesale (initializer, width);
  an activation swap stays, and the plan's advice says which weights it loses.
"""
from __future__ import annotations

import json

from advisor.rules.repair_defaults import REPAIRS
from advisor.rules.catalog import REINITIALIZING, RECIPE_STAGES

SLOTS: dict[str, tuple[str, ...]] = {
    "optimizer": RECIPE_STAGES["optimizer"],
    "schedule": RECIPE_STAGES["schedule"],
    "loss": RECIPE_STAGES["loss"],
    "strategy": ("mirrored", "multi_worker"),
    "rebalancing": ("class_weights", "oversample"),
}
REGULARIZERS = ("dropout", "l1", "l2", "label_smoothing", "tabular_noise", "image_augment")
UNDERFIT_FINDINGS = ("underfitting", "cannot_overfit_subset")
NEEDS_VALIDATION = ("early_stop", "reduce_on_plateau")
# Re-initializing recipes that touch every layer they apply to, not just a repaired one.
WHOLESALE_REINIT = tuple(r for r in REINITIALIZING if r != "activation")
# finding -> the recipe (and config, if no rule supplied one) a plan must then contain
REQUIRED: dict[str, tuple[str, dict]] = {
    "exploding_gradient": ("gradient_clip", {"clipvalue": REPAIRS.clip_value}),
    "divergence": ("gradient_clip", {"clipvalue": REPAIRS.clip_value}),
}


def slot_of(recipe: str) -> str | None:
    return next((slot for slot, members in SLOTS.items() if recipe in members), None)


def merge_configs(recipe: str, kept: dict, new: dict) -> dict | None:
    """The merged config when two rules ask for `recipe`, or None if they cannot merge."""
    if kept == new:
        return kept
    if recipe == "batch_size":  # every batch-size rule wants "at least this big"
        return {"size": max(kept["size"], new["size"])}
    return None


def rejection(rec, facts, chosen: dict) -> str | None:
    """Why `rec` cannot join the recipes `chosen` so far ({name: Choice}), or None if it can."""
    if rec.recipe in REGULARIZERS:
        under = next((facts.get(n) for n in UNDERFIT_FINDINGS if facts.has(n)), None)
        if under is not None:
            return (f"{under.name}: {under.evidence}; regularization would make fitting the training "
                    "data harder (S2: dropout only when overfitting)")
    if rec.recipe in WHOLESALE_REINIT and facts.has("pretrained_weights"):
        return (f"the model carries trained weights ({_why_pretrained(facts)}); "
                f"{rec.recipe} would replace them with fresh ones")
    if rec.recipe in NEEDS_VALIDATION and facts.n_val == 0:
        return "there is no validation split for it to monitor"
    same = chosen.get(rec.recipe)
    if same is not None and merge_configs(rec.recipe, same.config, rec.config) is None:
        return f"superseded by {_describe(same)}"
    slot = slot_of(rec.recipe)
    other = next((c for name, c in chosen.items() if name != rec.recipe and slot and slot_of(name) == slot), None)
    if other is not None:
        return f"one {slot} per plan: {_describe(other)} was kept"
    return None


def reinit_warnings(facts, chosen: dict) -> list[tuple[str, str]]:
    """(advice text, why) for each chosen recipe that re-initializes layers of a pretrained model."""
    if not facts.has("pretrained_weights"):
        return []
    return [(f"{name} gives the layers it changes fresh weights: their pretrained weights are lost "
             f"(drop {name} from the plan to keep them)", _why_pretrained(facts))
            for name in chosen if name in REINITIALIZING]


def required_missing(facts, chosen: dict) -> list[tuple[str, dict, str]]:
    """(recipe, config, finding name) the findings require but the plan lacks."""
    missing, seen = [], set()
    for finding, (recipe, config) in REQUIRED.items():
        if facts.has(finding) and recipe not in chosen and recipe not in seen:
            missing.append((recipe, dict(config), finding))
            seen.add(recipe)
    return missing


def _why_pretrained(facts) -> str:
    found = facts.get("pretrained_weights")
    return found.values.get("why") or found.evidence


def _describe(choice) -> str:
    return f"{choice.recipe} {json.dumps(choice.config, sort_keys=True)} from {', '.join(choice.rules)}"
