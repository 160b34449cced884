"""Determinism, the Decision's forms, and the repair orders."""
import json

import pytest

from advisor.rules.engine import Decision, decide, repair_sequence, repairable_problems
from advisor.errors import AdvisorError
from advisor.rules.facts import Facts
from advisor.rules import all_rules
from advisor.rules.conflicts import SLOTS
from tests.rules.facts_builders import finding, healthy

MESSY = dict(looks_unnormalized=True, x_min=0.0, x_max=16.0, imbalance_ratio=12.0, n_train=800, findings=[
    finding("overfitting", "val_loss rose 3 epochs in a row while train_loss fell 12%"),
    finding("oscillating_loss"), finding("class_imbalance", "12:1"), finding("small_data", "800 samples"),
    finding("dying_relu", "78% of dense_1 outputs <= 0"), finding("nan_or_inf", "3 NaN in train")])


def test_same_facts_give_the_same_plan_in_the_same_order_whatever_the_rule_order():
    first = decide(healthy(**MESSY))
    again = decide(Facts.from_dict(json.loads(json.dumps(healthy(**MESSY).to_dict()))))
    reversed_rules = decide(healthy(**MESSY), rules=list(reversed(all_rules())))
    assert first.to_dict() == again.to_dict() == reversed_rules.to_dict()
    assert str(first) == str(again)


def test_decision_serializes_prints_and_keeps_the_reasons():
    decision = decide(healthy(**MESSY))
    as_json = json.loads(json.dumps(decision.to_dict()))
    assert set(as_json) == {"chosen", "dropped", "advice"}
    text = str(decision)
    assert text.startswith(f"Plan ({len(decision.chosen)} recipes):")
    assert "val_loss rose 3 epochs" in text and "Dropped recommendations:" in text and "Advice (no recipe" in text
    # data hygiene advice outranks everything else
    assert decision.advice[0].text.startswith("replace or drop the NaN/inf")
    plan = decision.to_plan()
    assert [r.name for r in plan.recipes] == [c.recipe for c in decision.chosen]
    assert [r.get_config() for r in plan.recipes] == [{**r.get_config(), **c.config}
                                                     for r, c in zip(plan.recipes, decision.chosen)]


def test_one_recipe_per_exclusive_slot():
    decision = decide(healthy(depth=6, **MESSY))
    names = [name for name, _ in decision.recipes()]
    for slot in SLOTS.values():
        assert sum(n in slot for n in names) <= 1, names
    assert len(names) == len(set(names))
    assert any(d.recipe == "adamw" for d in decision.dropped)  # oscillation's LR move won the optimizer


def test_repair_sequence_follows_autotrainer_order():
    assert repair_sequence("vanishing_gradient") == [
        [("activation", {"to": "selu", "swap": "all"}), ("initializer", {"kind": "lecun_normal"})],
        [("activation", {"to": "relu", "swap": "all"}), ("initializer", {"kind": "he_uniform"})],
        [("batch_norm", {})]]
    exploding = repair_sequence("exploding_gradient")
    assert [step[0][0] for step in exploding] == ["activation", "activation", "gradient_clip", "activation",
                                                  "batch_norm"]
    assert exploding[2] == [("gradient_clip", {"clipvalue": 10.0})]
    assert exploding[3] == [("activation", {"to": "tanh", "swap": "all"}), ("initializer", {"kind": "glorot_uniform"})]
    dying = repair_sequence("dying_relu")
    assert dying[1] == [("batch_norm", {})] and dying[3] == [("activation", {"to": "leaky_relu", "swap": "relu"})]


def test_repair_sequence_with_facts_uses_concrete_numbers_and_skips_no_ops():
    facts = healthy(optimizer="adam", learning_rate=2e-3, batch_size=64)
    steps = repair_sequence("oscillating_loss", facts)
    assert steps[0] == [("adam", {"learning_rate": 2e-4})]  # "switch to Adam" skipped: already Adam
    assert steps[1:4] == [[("reduce_on_plateau", {"factor": 0.2, "patience": 5})], [("batch_size", {"size": 128})],
                          [("sgd", {"learning_rate": 2e-3, "momentum": 0.9, "nesterov": False})]]
    on_sgd = repair_sequence("slow_convergence", healthy(optimizer="sgd", learning_rate=0.01))
    assert on_sgd[:2] == [[("adam", {"learning_rate": 1e-3})],
                          [("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": False})]]


def test_every_repair_step_builds_in_the_recipe_registry():
    from recipes import Plan

    for problem in repairable_problems():
        for step in repair_sequence(problem, healthy(modality="tabular")):
            plan = Plan.from_dict({"format": "advisor-plan", "version": 1,
                                   "recipes": [{"name": n, "config": c} for n, c in step]})
            assert len(plan) == len(step), (problem, step)


def test_unknown_problem_names_the_value_and_the_known_ones():
    with pytest.raises(AdvisorError, match=r"'overfiting'.*vanishing_gradient"):
        repair_sequence("overfiting")
    assert repair_sequence("good_fit") == [] and repair_sequence("unchanged_weights") == []


def test_decision_dataclass_is_plain():
    assert Decision([], [], []).recipes() == [] and str(Decision([], [], [])) == "Plan (0 recipes):\n(empty plan)"
