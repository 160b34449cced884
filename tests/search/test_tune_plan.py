"""A given plan's own values tuned by each keras-tuner kind (`--plan`): the same
tuner, hypermodel and oracles as the search, over a one-plan space, within
trials or a deadline."""
import time

import keras_tuner as kt
import pytest

from advisor.data import load
from advisor.runtime.budget import Deadline
from advisor.runtime.objective import Chance
from advisor.search.hypermodel import SearchHyperModel
from advisor.search.oracle import SearchRules, make_oracle
from advisor.search.space import PlanSpace
from advisor.search.tuner import make_tuner, trials
from recipes import Dropout, LearningRate, Plan


def _mlp(info):
    import keras

    model = keras.Sequential([keras.Input(info.input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(info.num_classes, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("kind", ["bayesian", "random", "hyperband"])
def test_each_tuner_runs_its_trials_and_stops_at_the_deadline(kind, tmp_path):
    dataset = load("wine")
    objective = kt.Objective("val_accuracy", "max")
    space = PlanSpace(Plan([Dropout(0.2), LearningRate(1.0)]))

    def tuner(folder, deadline):
        hypermodel = SearchHyperModel(space, _mlp(dataset.info), dataset, epochs=1, seed=0, objective=objective,
                                      weights_dir=tmp_path / folder / "weights")
        rules = SearchRules(deadline, Chance(None, 0.0, "max"))
        oracle = make_oracle(kind, objective=objective, seed=0, rules=rules, max_trials=1, max_epochs=1)
        return make_tuner(oracle, hypermodel, tmp_path / folder, resume=False)

    open_ended = tuner("open", None)
    open_ended.search(epochs=1, verbose=0)
    rows = trials(open_ended)
    assert len(rows) == 1 and rows[0]["score"] is not None and rows[0]["completed_epochs"] == 1
    late = tuner("late", Deadline(time.monotonic() - 1))
    late.search(epochs=1, verbose=0)
    assert trials(late) == []  # the oracle answers STOPPED at once
    assert late.oracle.stopped_because == "budget"
