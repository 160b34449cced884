"""Optimizer, clipping, loss and metric recipes: what the compiled model really has."""
import keras
import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from recipes import (SGD, Adagrad, Adam, AdamW, FocalLoss, GradientClip, LabelSmoothing, Metrics,
                     Plan, RMSprop)
from recipes.losses.sparse_labels import SparseCategoricalFocalCrossentropy
from tests.recipes.testkit import functional_model, sequential_model


def binary_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    return model


def binary_data(n=64, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] + 0.5 * rng.normal(size=n) > 0).astype("int64")


@pytest.mark.parametrize("recipe, cls, settings", [
    (SGD(0.05, momentum=0.8, nesterov=True), keras.optimizers.SGD, {"momentum": 0.8, "nesterov": True}),
    (Adagrad(0.02), keras.optimizers.Adagrad, {}),
    (RMSprop(0.003, rho=0.8), keras.optimizers.RMSprop, {"rho": 0.8}),
    (Adam(0.004), keras.optimizers.Adam, {}),
    (AdamW(0.002, weight_decay=0.01), keras.optimizers.AdamW, {"weight_decay": 0.01}),
])
def test_optimizer_is_what_the_plan_says(recipe, cls, settings):
    model = Plan([recipe, GradientClip(clipnorm=2.0)]).build(sequential_model())
    assert type(model.optimizer) is cls
    config = model.optimizer.get_config()
    assert config["learning_rate"] == pytest.approx(recipe.learning_rate)
    assert config["clipnorm"] == 2.0 and config["clipvalue"] is None
    for key, value in settings.items():
        assert config[key] == pytest.approx(value)


def test_clipping_applies_to_the_models_own_optimizer_and_really_clips(data):
    x, y = data
    model = Plan([GradientClip(clipvalue=1e-3)]).build(sequential_model())
    assert type(model.optimizer) is keras.optimizers.Adam
    assert model.optimizer.get_config()["clipvalue"] == 1e-3
    assert Plan([GradientClip()]).build(sequential_model()).optimizer.get_config()["clipnorm"] == 1.0
    with pytest.raises(ValueError, match="not both"):
        GradientClip(clipnorm=1.0, clipvalue=1.0)
    # SGD with LR 1: each weight moves by its clipped gradient, at most 1e-3
    model = Plan([SGD(1.0, momentum=0.0), GradientClip(clipvalue=1e-3)]).build(sequential_model())
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    moved = max(np.abs(w.numpy() - b).max() for w, b in zip(model.trainable_weights, before))
    assert 0 < moved <= 1e-3 + 1e-7


def test_focal_loss_multiclass_takes_int_labels_and_matches_keras_on_one_hot(data):
    x, y = data
    model = Plan([FocalLoss(gamma=3.0)]).build(functional_model())
    assert isinstance(model.loss, SparseCategoricalFocalCrossentropy) and model.loss.gamma == 3.0
    probs = model.predict(x, verbose=0)
    reference = keras.losses.CategoricalFocalCrossentropy(gamma=3.0)(keras.ops.one_hot(y, 3), probs)
    assert float(model.loss(y, probs)) == pytest.approx(float(reference), rel=1e-5)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(float(reference), rel=1e-4)


def test_focal_loss_binary_and_logits_follow_the_model():
    x, y = binary_data()
    model = Plan([FocalLoss(gamma=1.5)]).build(binary_model())
    assert isinstance(model.loss, keras.losses.BinaryFocalCrossentropy)
    assert model.loss.gamma == 1.5 and not model.loss.from_logits
    logits = binary_model()
    logits.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
    assert Plan([FocalLoss()]).build(logits).loss.from_logits
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    regression = binary_model()
    regression.compile("adam", "mse")
    with pytest.raises(ValueError, match="for classification"):
        Plan([FocalLoss()]).build(regression)


def test_label_smoothing_matches_keras_on_one_hot_labels(data):
    x, y = data
    model = Plan([LabelSmoothing(0.2)]).build(sequential_model())
    probs = model.predict(x, verbose=0)
    reference = keras.losses.CategoricalCrossentropy(label_smoothing=0.2)(keras.ops.one_hot(y, 3), probs)
    assert float(model.loss(y, probs)) == pytest.approx(float(reference), rel=1e-5)
    binary = Plan([LabelSmoothing(0.2)]).build(binary_model())
    assert isinstance(binary.loss, keras.losses.BinaryCrossentropy)
    assert binary.loss.get_config()["label_smoothing"] == 0.2


def test_imbalanced_metrics_binary_match_sklearn():
    x, y = binary_data()
    model = Plan([Metrics(set="imbalanced")]).build(binary_model())
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"accuracy", "precision", "recall", "auc", "f1_score"} <= set(logs)
    probs = model.predict(x, verbose=0)[:, 0]
    assert float(np.ravel(logs["f1_score"])[0]) == pytest.approx(f1_score(y, probs > 0.5), abs=1e-4)
    assert logs["auc"] == pytest.approx(roc_auc_score(y, probs), abs=0.02)  # Keras AUC interpolates
    assert logs["accuracy"] == pytest.approx(np.mean((probs > 0.5) == y), abs=1e-6)


def test_imbalanced_metrics_multiclass_macro_f1_matches_sklearn(data, tmp_path):
    x, y = data
    model = Plan([Metrics(set="imbalanced"), FocalLoss()]).build(functional_model())
    model.fit(x, y, epochs=2, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    assert logs["f1_score"] == pytest.approx(f1_score(y, predicted, average="macro"), abs=1e-4)
    assert 0 <= logs["auc"] <= 1
    assert Plan([Metrics(set="default")]).build(functional_model()).evaluate(
        x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}
    # the registered wrappers survive save/load
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(logs, rel=1e-5)
