"""The rule engine: `decide(facts) -> Decision`, the plan with its reasons.

Runs every rule, takes recommendations highest priority first, settles
conflicts (advisor/rules/conflicts.py), and orders the chosen recipes the way
a plan is built (strategy and dtype, data, model, optimizer, schedule, loss,
compile, fit). Same facts, same rules -> the same plan in the same order.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, NamedTuple

from advisor.rules.catalog import RECIPES
from advisor.rules.conflicts import merge_configs, reinit_warnings, rejection, required_missing
from advisor.rules.registry import Recommendation, Rule, all_rules
from advisor.rules.repairs import repair_sequence, repairable_problems  # noqa: F401  (re-exported)

@dataclasses.dataclass
class Choice:
    """A recipe in the plan, with every rule that asked for it and their evidence."""

    recipe: str
    config: dict[str, Any]
    rules: list[str]
    why: list[str]


class Dropped(NamedTuple):
    """A recommendation the engine did not take, and why."""

    recipe: str
    config: dict[str, Any]
    rule: str
    reason: str


@dataclasses.dataclass
class Advice:
    """Something only the user can do (more data, residual connections, fix labels)."""

    text: str
    rules: list[str]
    why: list[str]


@dataclasses.dataclass
class Decision:
    """The engine's result: the ordered plan, what was dropped, and advice.

    Example:
        >>> from advisor.rules.facts import Facts
        >>> d = decide(Facts(task="multiclass", num_classes=3, looks_unnormalized=True))
        >>> print(d)  # doctest: +ELLIPSIS
        Plan (3 recipes):
        ...
        >>> [r.name for r in d.to_plan().recipes]
        ['normalize', 'warmup_cosine', 'early_stop']
    """

    chosen: list[Choice]
    dropped: list[Dropped]
    advice: list[Advice]

    def recipes(self) -> list[tuple[str, dict[str, Any]]]:
        """The plan as ordered (recipe name, config) pairs."""
        return [(c.recipe, dict(c.config)) for c in self.chosen]

    def to_plan(self):
        """A `recipes.Plan` of the chosen recipes (imports the recipes library lazily)."""
        from recipes import Plan, registry

        return Plan([registry.get(name).from_config(config) for name, config in self.recipes()])

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": [dataclasses.asdict(c) for c in self.chosen],
                "dropped": [d._asdict() for d in self.dropped],
                "advice": [dataclasses.asdict(a) for a in self.advice]}

    def __str__(self) -> str:
        from advisor.report.text import format_decision

        return f"Plan ({len(self.chosen)} recipes):\n" + format_decision(self.to_dict())


def decide(facts, rules: list[Rule] | None = None) -> Decision:
    """Run the rule book on `facts` and settle the recommendations into a plan.

    When to use: after building `Facts` from the data profile, model
    inspection, probe and hardware; the result's `to_plan()` is what gets
    verified, tuned and trained.

    Args:
        facts: an `advisor.rules.facts.Facts`.
        rules: the rules to run; default every registered rule (built-in and
            entry-point plug-ins).

    Example:
        >>> from advisor.rules.facts import Facts
        >>> decision = decide(Facts(task="multiclass", num_classes=3, looks_unnormalized=True))
        >>> decision.recipes()  # doctest: +ELLIPSIS
        [('normalize', {}), ..., ('early_stop', {'patience': 10, 'restore_best_weights': True})]
    """
    recommendations = [rec for r in (all_rules() if rules is None else rules) for rec in r(facts)]
    recommendations.sort(key=_order)
    chosen: dict[str, Choice] = {}
    dropped: list[Dropped] = []
    advice: dict[str, Advice] = {}
    for rec in recommendations:
        if rec.recipe is None:
            item = advice.setdefault(rec.advice, Advice(rec.advice, [], []))
            item.rules.append(rec.rule)
            item.why.append(rec.why)
            continue
        reason = rejection(rec, facts, chosen)
        if reason is not None:
            dropped.append(Dropped(rec.recipe, dict(rec.config), rec.rule, reason))
        elif rec.recipe in chosen:
            kept = chosen[rec.recipe]
            kept.config = merge_configs(rec.recipe, kept.config, rec.config)
            kept.rules.append(rec.rule)
            kept.why.append(rec.why)
        else:
            chosen[rec.recipe] = Choice(rec.recipe, dict(rec.config), [rec.rule], [rec.why])
    for recipe, config, finding in required_missing(facts, chosen):
        chosen[recipe] = Choice(recipe, config, ["engine"],
                                [f"required when {finding}: {facts.get(finding).evidence}"])
    for text, why in reinit_warnings(facts, chosen):
        advice.setdefault(text, Advice(text, ["engine"], [why]))
    ordered = sorted(chosen.values(), key=lambda c: (_stage(c.recipe), c.recipe))
    return Decision(ordered, dropped, list(advice.values()))


def _order(rec: Recommendation):
    return (-rec.priority, rec.rule, rec.recipe or "", json.dumps(rec.config, sort_keys=True), rec.why)


def _stage(recipe: str) -> int:
    # Catalog order is build order; plug-in recipes go last, by name.
    return RECIPES.index(recipe) if recipe in RECIPES else len(RECIPES)

