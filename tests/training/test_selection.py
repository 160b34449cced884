"""The kept model: the best on validation among the candidates, every candidate judged
(a note never excuses one from it), a model that cannot be evaluated never chosen."""
import keras
import numpy as np

from advisor.data import load
from advisor.model.defaults import default_model
from advisor.training.selection import Candidate, choose


def test_the_best_validating_candidate_is_kept_and_every_one_is_scored():
    wine = load("wine")
    net = default_model(wine.info)
    trained = keras.models.clone_model(net)
    trained.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = wine.arrays["train"]
    trained.fit((x - x.mean(0)) / x.std(0), y, epochs=1, verbose=0)  # inputs it was not trained on: poor
    better = keras.models.clone_model(net)
    better.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input(x.shape[1:]), norm, better])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=30, verbose=0)
    broken = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="softmax")])
    broken.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])  # another input shape
    candidates = [Candidate("poor", trained), Candidate("good", model, note="trained in the search"),
                  Candidate("broken", broken)]
    kept, record = choose(candidates, wine, net)
    scores = {c["name"]: c["validation"] for c in record["candidates"]}
    assert kept.name == "good" and record["kept"] == "good" and scores["good"] > scores["poor"] > 0
    assert scores["broken"] is None and "could not evaluate" in record["candidates"][2]["note"]
    assert record["candidates"][1]["note"] == "trained in the search"
    assert np.isclose(scores["good"], model.evaluate(wine.batches("val"), verbose=0, return_dict=True)["accuracy"])


def test_your_setup_unchanged_is_replaced_only_on_evidence():
    """A candidate within one standard error of the user's setup on validation does not replace it."""
    wine = load("wine")
    net = default_model(wine.info)
    n = wine.count("val")
    base, close, far = Candidate("your setup unchanged", net, score=0.90), Candidate("a", net, score=0.90 + 0.5 / n), \
        Candidate("b", net, score=0.99)
    kept, record = choose([base, close], wine, net, baseline="your setup unchanged")
    assert kept is base and "within the noise" in record["why"]
    kept, _ = choose([base, close, far], wine, net, baseline="your setup unchanged")
    assert kept is far
