"""One test over every rule: rationale present, names in the catalog, configs valid in the registry."""
import pytest

from advisor.rules.engine import decide
from advisor.rules import all_rules
from advisor.rules.catalog import FINDINGS, RECIPES
from tests.rules.facts_builders import finding, healthy

ALL_FINDINGS = [name for names in FINDINGS.values() for name in names]


def variants():
    """Facts that, between them, send every rule down every branch."""
    every = [finding(n, direction="raise", conflicting=3) for n in ALL_FINDINGS]
    yield healthy(findings=every)
    yield healthy(findings=every, modality="image", task="binary", num_classes=2, optimizer="sgd",
                  learning_rate=0.01, depth=8, has_batchnorm=True, max_dropout_rate=0.4)
    yield healthy(findings=every, modality="sequence", task="regression", optimizer="rmsprop", n_train=100)
    yield healthy(findings=[finding("overfitting"), finding("slow_convergence")], depth=6)  # adamw, one_cycle
    yield healthy(findings=[finding("oscillating_loss")], optimizer=None, learning_rate=None)  # learning_rate
    yield healthy(findings=[finding("class_imbalance")], imbalance_ratio=3.0, hidden_activations=["selu"])
    yield healthy(findings=[finding("class_imbalance"), finding("slow_convergence")], imbalance_ratio=30.0,
                  optimizer="adagrad", zero_share=0.8, workers=1, gpus=2, device_count=2)
    yield healthy(findings=[finding("vanishing_gradient"), finding("update_ratio_out_of_range", ratio=0.5)],
                  precision_times={"float32": 0.03, "mixed_bfloat16": 0.05}, precision_faster="float32")
    yield healthy(findings=[finding("update_ratio_out_of_range")], workers=3)
    # a repairable pairing (no unit-count error) in a plain stack that cannot fit: output_head, width, depth
    yield healthy(findings=[finding("loss_output_mismatch"), finding("cannot_overfit_subset")], plain_stack=True)
    # a new head on a pretrained base: fine_tune
    yield healthy(findings=[finding("pretrained_weights", new_head=["dense", "output"], base_top="conv2")])


def all_recommendations():
    return [rec for facts in variants() for r in all_rules() for rec in r(facts)]


def test_every_rule_has_a_rationale_name_and_family():
    rules = all_rules()
    assert len(rules) >= 25
    for r in rules:
        assert len(r.rationale) > 40, r.name
        assert r.name == r.func.__name__
        assert r.family in ("curves", "gradients", "data", "model", "hardware", "defaults"), r.name


def test_every_recommended_recipe_is_in_the_catalog_and_every_catalog_recipe_is_reachable():
    recs = all_recommendations()
    named = {rec.recipe for rec in recs if rec.recipe is not None}
    assert named <= set(RECIPES), named - set(RECIPES)
    assert set(RECIPES) <= named, f"unreachable recipes: {sorted(set(RECIPES) - named)}"


def test_every_recommendation_carries_evidence_and_its_rule():
    for rec in all_recommendations():
        assert rec.why and rec.rule and rec.priority > 0, rec
        assert rec.recipe is not None or rec.advice


# Findings that change how the engine settles other rules' recommendations, not a rule
# of their own (tests/rules/test_model_repairs.py shows pretrained_weights at work).
ENGINE_FINDINGS = ("pretrained_weights",)


@pytest.mark.parametrize("name", [n for n in ALL_FINDINGS if n not in ENGINE_FINDINGS])
def test_every_catalog_finding_moves_some_rule(name):
    """Each finding alone changes the decision beyond the defaults (a recipe, a drop or advice)."""
    facts = healthy(findings=[finding(name, f"{name}: 7 of 9 measured", direction="high")], gpus=0)
    fired = {rec.rule for r in all_rules() for rec in r(facts)} - {"lr_schedule", "early_stopping"}
    assert fired, f"no rule reacts to {name}"


def test_every_recommended_config_instantiates_in_the_recipe_registry():
    import recipes  # noqa: F401  (registers the built-in recipes)
    from recipes import registry

    seen = set()
    for rec in all_recommendations():
        if rec.recipe is None or (rec.recipe, str(sorted(rec.config.items()))) in seen:
            continue
        seen.add((rec.recipe, str(sorted(rec.config.items()))))
        recipe = registry.get(rec.recipe).from_config(rec.config)
        assert {k: recipe.get_config()[k] for k in rec.config} == rec.config, rec


def test_every_decided_plan_builds_a_recipes_plan():
    for facts in variants():
        decision = decide(facts)
        plan = decision.to_plan()
        assert [type(r).name for r in plan.recipes] == [name for name, _ in decision.recipes()]
