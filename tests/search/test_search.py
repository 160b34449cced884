"""The diagnosis-seeded search on real small data and real models."""
import json
import time

import keras
import keras_tuner as kt
import numpy as np
import pytest

from advisor.diagnosis import diagnose
from advisor.testing.faults import case_by_name, case_data
from advisor.runtime.budget import Budget, Deadline
from advisor.runtime.objective import Chance
from advisor.search import SearchSpace, run_search
from advisor.search.ablation import ablate
from advisor.search.space import NONE


@pytest.fixture(scope="module")
def sigmoid_deep():
    """A 10-layer sigmoid MLP on digits: the probe finds vanishing gradients."""
    case = case_by_name("sigmoid-deep")
    dataset = case_data(case)
    keras.utils.set_random_seed(0)
    net = case.build(dataset.info)
    report = diagnose(net, dataset, probe_epochs=4, measure_precision=False)
    return net, dataset, report


def test_trial_one_is_the_rule_books_plan_and_unchanged_is_no_recipe(sigmoid_deep):
    net, _, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    assert "vanishing_gradient" in space.groups, space.describe()
    rulebook = kt.HyperParameters()
    rulebook.values.update(space.rulebook_values(kt.HyperParameters()))
    assert space.plan_for(rulebook) == report.plan
    unchanged = kt.HyperParameters()
    unchanged.values.update(space.unchanged_values(kt.HyperParameters()))
    assert list(space.plan_for(unchanged).recipes) == []
    # The same space survives state.json (resume).
    again = SearchSpace.from_dict(space.to_dict())
    assert again.plan_for(rulebook) == report.plan and again.groups == space.groups


def test_alternatives_are_choices_never_stacked(sigmoid_deep):
    net, _, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    for problem, options in space.groups.items():
        for label in options:
            hp = kt.HyperParameters()
            hp.values.update(space.rulebook_values(kt.HyperParameters()))
            hp.values[f"repair/{problem}"] = label
            names = [r.name for r in space.plan_for(hp).recipes]
            assert len(names) == len(set(names)), (problem, label, names)
            assert all(r.name in names for r in options[label])


def _search(space, net, dataset, folder, *, tuner, epochs, final_epochs, seed=0, budget_s=600.0, chance=None,
            max_trials=None):
    goal = kt.Objective("val_accuracy", "max")
    return run_search(space, net, dataset, folder, tuner=tuner, objective=goal,
                      chance=chance or Chance(None, 0.0, "max"), epochs=epochs, final_epochs=final_epochs,
                      seed=seed, budget=Budget(budget_s), max_trials=max_trials)


def test_neighbours_change_one_thing_repairs_first(sigmoid_deep):
    net, _, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    start = space.unchanged_values(kt.HyperParameters())
    steps = space.neighbours(start)
    assert all(sum(step[k] != start[k] for k in start) == 1 for step in steps)
    assert len({json.dumps(s, sort_keys=True) for s in steps}) == len(steps)
    first = next(k for k in start if steps[0][k] != start[k])
    assert first.startswith("repair/")  # a repair before any knob
    # SELU + LeCun and ReLU + He are two steps, and every step is a valid point of the space.
    labels = {s["repair/vanishing_gradient"] for s in steps if s["repair/vanishing_gradient"] != NONE}
    assert len(labels) >= 2, labels
    for step in steps:
        hp = kt.HyperParameters()
        hp.values.update(step)
        space.plan_for(hp)


@pytest.mark.slow
def test_search_keeps_the_repair_and_runs_both_seeded_trials(sigmoid_deep, tmp_path):
    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    # "none": the two seeded trials only.
    result = _search(space, net, dataset, tmp_path, tuner="none", epochs=4, final_epochs=4)
    assert len(result.trials) == 2 and result.stopped_because == "trial limit"
    values = [t["hyperparameters"] for t in result.trials]
    assert any(not v["rulebook"] and all(v[f"repair/{p}"] == NONE for p in space.groups) for v in values)
    assert any(v == space.rulebook_values(kt.HyperParameters()) for v in values)
    # The rule book's repair beat the broken model and is kept, with its model.
    scores = {bool(t["hyperparameters"]["rulebook"]): t["score"] for t in result.trials}
    assert scores[True] > scores[False] + 0.2, scores
    assert "activation" in result.plan and result.best_model is not None
    assert result.unchanged is not None and result.unchanged[0] == scores[False]


@pytest.mark.slow
def test_the_unchanged_setup_trains_at_its_own_length_but_is_ranked_at_the_trial_length(sigmoid_deep, tmp_path):
    """A repair judged on 2 epochs must not lose to the same model given 6: the unchanged trial
    trains 6 epochs (its own length), reports its best of the first 2 to the oracle, and keeps its
    6-epoch score for the final choice."""
    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    result = _search(space, net, dataset, tmp_path, tuner="none", epochs=2, final_epochs=6)
    row = next(t for t in result.trials if not t["hyperparameters"]["rulebook"])
    assert row["completed_epochs"] == 6
    assert row["own_length_score"] == result.unchanged[0] >= row["score"]
    repaired = next(t for t in result.trials if t["hyperparameters"]["rulebook"])
    assert repaired["completed_epochs"] == 2 and "own_length_score" not in repaired


@pytest.mark.slow
def test_ablation_gives_every_kept_recipe_its_evidence(sigmoid_deep, tmp_path):
    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    result = _search(space, net, dataset, tmp_path, tuner="none", epochs=2, final_epochs=2)
    rows, plan, model = ablate(result.hypermodel, result.plan, result.best_score, Deadline(time.monotonic() + 600),
                               2, fit_seconds=0.0)
    rows = {row["recipe"]: row for row in rows}
    assert set(rows) == {r.name for r in result.plan.recipes}
    assert all(row["objective_without"] is not None and row["effect"] for row in rows.values())
    # The activation swap is what repairs the vanishing gradient: without it the score falls.
    assert rows["activation"]["kept"] and rows["activation"]["effect"] == "helped"
    # A recipe is dropped only when its absence measured better; equal scores are "no measurable effect".
    for row in rows.values():
        if not row["kept"]:
            assert row["effect"] == "hurt" and row["recipe"] not in plan and model is not None
        if row["objective_without"] == row["objective_with"]:
            assert row["effect"] == "no measurable effect" and row["kept"]


@pytest.mark.slow
def test_random_arm_has_no_seeded_trials(sigmoid_deep, tmp_path):
    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    result = _search(space, net, dataset, tmp_path, tuner="random", epochs=1, final_epochs=1, seed=1, max_trials=2)
    rulebook = space.rulebook_values(kt.HyperParameters())
    assert len(result.trials) == 2
    assert all(t["hyperparameters"] != rulebook for t in result.trials)
    assert np.isfinite([t["score"] for t in result.trials]).all()
