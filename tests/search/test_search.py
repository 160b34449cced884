"""The diagnosis-seeded search on real small data and real models."""
import time

import keras
import keras_tuner as kt
import numpy as np
import pytest

from advisor.diagnosis import diagnose
from bench.faults import case_by_name, case_data
from advisor.search import SearchSpace, run_search
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


@pytest.mark.slow
def test_search_keeps_the_repair_and_runs_both_seeded_trials_even_when_time_runs_out(sigmoid_deep, tmp_path,
                                                                                   monkeypatch):
    import advisor.search.run

    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    now = time.monotonic()
    # "none": the two seeded trials only; the budget is spent before the ablation can run.
    monkeypatch.setattr(advisor.search.run, "ABLATION_MAX_SHARE", 0.0)
    result = run_search(space, net, dataset, tmp_path, tuner="none", objective=kt.Objective("val_accuracy", "max"),
                        epochs=4, seed=0, deadline=now + 600, fit_end=now + 600, final_epochs=4)
    assert len(result.trials) == 2
    values = [t["hyperparameters"] for t in result.trials]
    assert any(not v["rulebook"] and all(v[f"repair/{p}"] == NONE for p in space.groups) for v in values)
    assert any(v == space.rulebook_values(kt.HyperParameters()) for v in values)
    # The rule book's repair beat the broken model and is kept, unablated.
    scores = {bool(t["hyperparameters"]["rulebook"]): t["score"] for t in result.trials}
    assert scores[True] > scores[False] + 0.2, scores
    assert "activation" in result.plan
    assert all(row["kept"] and row["objective_without"] is None for row in result.ablation)


@pytest.mark.slow
def test_ablation_gives_every_kept_recipe_its_evidence(sigmoid_deep, tmp_path):
    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    now = time.monotonic()
    result = run_search(space, net, dataset, tmp_path, tuner="none", objective=kt.Objective("val_accuracy", "max"),
                        epochs=2, seed=0, deadline=now + 600, fit_end=now + 600, final_epochs=2)
    rows = {row["recipe"]: row for row in result.ablation}
    assert set(rows) >= {r.name for r in result.plan.recipes}
    assert all(row["objective_without"] is not None for row in rows.values())
    # The activation swap is what repairs the vanishing gradient: without it the score falls.
    assert rows["activation"]["kept"] and rows["activation"]["objective_without"] < rows["activation"]["objective_with"]
    # A recipe is dropped only when its absence measured better.
    for row in rows.values():
        if not row["kept"]:
            assert row["objective_without"] >= row["objective_with"] + 0.01
            assert row["recipe"] not in result.plan


@pytest.mark.slow
def test_random_arm_has_no_seeded_trials(sigmoid_deep, tmp_path, monkeypatch):
    import advisor.search.run

    net, dataset, report = sigmoid_deep
    space = SearchSpace.from_report(report, net)
    monkeypatch.setattr(advisor.search.run, "ABLATION_MAX_SHARE", 0.0)  # the trials are the point, not the ablation
    now = time.monotonic()
    result = run_search(space, net, dataset, tmp_path, tuner="random", objective=kt.Objective("val_accuracy", "max"),
                        epochs=1, seed=1, deadline=now + 600, fit_end=now + 600, final_epochs=1, max_trials=2)
    rulebook = space.rulebook_values(kt.HyperParameters())
    assert len(result.trials) == 2
    assert all(t["hyperparameters"] != rulebook for t in result.trials)
    assert np.isfinite([t["score"] for t in result.trials]).all()
