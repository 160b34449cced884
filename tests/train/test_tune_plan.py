"""`advisor.search.tune`: a given plan's own values tuned by each keras-tuner kind, within trials or a deadline."""
import time

import keras_tuner as kt
import pytest

from advisor.search import tune
from advisor.data import load
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
    hypermodel = tune.PlanHyperModel(Plan([Dropout(0.2), LearningRate(1.0)]), _mlp(dataset.info), dataset, epochs=1)
    objective = kt.Objective("val_accuracy", "max")
    tuner = tune.make_tuner(kind, hypermodel, tmp_path / "open", objective=objective, max_trials=1, max_epochs=1,
                            seed=0, deadline=None, resume=False)
    rows = tune.search(tuner, dataset, epochs=1, deadline=None)
    assert len(rows) == 1 and rows[0]["score"] is not None
    assert isinstance(tuner, kt.Hyperband) == (kind == "hyperband")  # bracket epochs and carried weights
    late = tune.make_tuner(kind, hypermodel, tmp_path / "late", objective=objective, max_trials=1, max_epochs=1,
                           seed=0, deadline=time.monotonic() - 1, resume=False)
    assert tune.search(late, dataset, epochs=1, deadline=None) == []  # the oracle answers STOPPED at once
