"""Soft-voting ensembles: one loadable Keras model averaging its members, kept only when it validates better."""
import json

import keras
import numpy as np
import pytest

from advisor.data import load
from advisor.report.evaluate import evaluate
from advisor.training.ensemble import soft_vote
from advisor.pipeline import train


def _member(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_soft_vote_is_the_mean_of_the_members_and_loads_as_one_model(tmp_path):
    members = [_member(0), _member(1), _member(2)]
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    voted = soft_vote(members, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    expected = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(voted.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    voted.save(tmp_path / "ensemble.keras")
    loaded = keras.models.load_model(tmp_path / "ensemble.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        soft_vote(members[:1], loss="mse")


@pytest.mark.slow
def test_an_ensemble_is_kept_only_if_it_validates_better(tmp_path):
    """--ensemble 3 on wine: the final model and the two best other trials; every
    member's test metrics are reported."""
    # 3 trials must finish for 3 members: a budget they never reach, even on a loaded machine.
    result = train("wine", out=tmp_path / "run", budget_s=85, tuner="random", trials=3, epochs=4, seed=0,
                   probe_epochs=3, quiet=True, ensemble=3)
    voting, kept = result.metrics["ensemble"], result.metrics["kept"]
    assert voting["chosen_because"] == "--ensemble" and "cv" not in result.metrics
    assert [m["source"] for m in voting["members"]][0] == "final fit" and len(voting["members"]) == 3
    # The judge: the kept model is the ensemble exactly when the ensemble validates best.
    scores = {c["name"]: c["validation"] for c in kept["candidates"]}
    ensemble = scores.pop("ensemble of 3")
    assert ensemble is not None and all(s is not None for s in scores.values()), kept
    assert voting["kept"] == (kept["kept"] == "ensemble of 3"), kept
    if voting["kept"]:
        assert ensemble > max(scores.values()), kept
    else:  # another validated as well, or the user's setup stayed within the validation noise
        assert ensemble <= max(scores.values()) or "within the noise" in kept["why"], kept
    model = keras.models.load_model(result.run_dir / "model.keras", safe_mode=True)
    assert (model.name == "ensemble") == voting["kept"]
    if voting["kept"]:  # the saved model is the ensemble: its test accuracy is the ensemble's
        assert result.metrics["accuracy"] == pytest.approx(voting["ensemble_test"]["accuracy"])
    else:  # the saved model is the candidate kept (the final fit, the best trial or the setup unchanged)
        x, y = load("wine", seed=0).arrays["test"]
        assert result.metrics["accuracy"] == pytest.approx(evaluate(model, x, y, "multiclass")["accuracy"])
    assert json.loads((result.run_dir / "metrics.json").read_text())["ensemble"] == voting
