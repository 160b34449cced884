"""HeadLossPairing: the output activation and the loss repaired together, on real models."""
import keras
import numpy as np
import pytest
from sklearn.datasets import make_blobs

from recipes import FocalLoss, HeadLossPairing, Plan


def blobs():
    x, y = make_blobs(n_samples=300, centers=3, n_features=4, cluster_std=1.0, random_state=0)
    return x.astype("float32"), y.astype("int64")


def mlp(head_activation, loss="sparse_categorical_crossentropy", seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation=head_activation)])
    model.compile(keras.optimizers.Adam(0.01), loss, metrics=["accuracy"])
    return model


def fit(model, x, y):
    keras.utils.set_random_seed(1)
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0).history


def test_sigmoid_head_on_three_classes_becomes_softmax():
    x, y = blobs()
    user = mlp("sigmoid")  # the bug: sigmoid over 3 classes with sparse categorical cross-entropy
    repaired = Plan([HeadLossPairing()]).build(user)
    assert repaired.layers[-1].get_config()["activation"] == "softmax"
    assert repaired.layers[1].get_config()["activation"] == "relu"  # hidden layers untouched
    assert user.layers[-1].get_config()["activation"] == "sigmoid"  # the user's model too
    assert repaired.loss == "sparse_categorical_crossentropy"  # already the right loss: kept
    np.testing.assert_allclose(repaired.layers[-1].kernel.numpy(), user.layers[-1].kernel.numpy())
    # Keras' TensorFlow backend trains sigmoid + SCCE on the sigmoid's cached pre-activation, so
    # the curves match; what the bug breaks is the prediction: scores that are no distribution.
    assert np.abs(user.predict(x[:32], verbose=0).sum(axis=1) - 1).max() > 0.1
    np.testing.assert_allclose(repaired.predict(x[:32], verbose=0).sum(axis=1), 1.0, rtol=1e-5)
    assert fit(repaired, x, y)["accuracy"][-1] > 0.8


def test_logits_read_as_probabilities_train_once_the_head_is_softmax():
    x, y = blobs()
    user = mlp(None)  # logits with from_logits=False: Keras clips and renormalizes raw scores
    repaired = Plan([HeadLossPairing()]).build(user)
    assert repaired.layers[-1].get_config()["activation"] == "softmax"
    before, after = fit(Plan([]).build(user), x, y), fit(repaired, x, y)
    assert after["accuracy"][-1] > 0.8 > before["accuracy"][-1]
    assert after["loss"][-1] < before["loss"][-1]


def test_linear_dense_then_sigmoid_activation_layer_is_repaired_in_the_activation_layer():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    logits = keras.layers.Dense(3, name="logits")(hidden)
    outputs = keras.layers.Activation("sigmoid", name="probs")(logits)
    user = keras.Model(inputs, outputs)
    user.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    model = Plan([HeadLossPairing(task="multiclass")]).build(user)
    assert model.get_layer("logits").get_config()["activation"] == "linear"
    assert model.get_layer("probs").get_config()["activation"] == "softmax"
    # probabilities come out, so the loss must not treat them as logits
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert model.loss.get_config()["from_logits"] is False
    x, y = blobs()
    assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][-1])


def test_a_relu_layer_as_the_head_becomes_a_softmax_activation_layer():
    """The head written as a layer class (held-out generated setup seed 2 b03-circles:
    `Dense(3)` then `ReLU()` under categorical cross-entropy) is replaced, not refused."""
    keras.utils.set_random_seed(0)
    user = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(3, name="logits"), keras.layers.ReLU(name="head")])
    user.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model = Plan([HeadLossPairing()]).build(user)
    head = model.get_layer("head")
    assert isinstance(head, keras.layers.Activation) and head.get_config()["activation"] == "softmax"
    assert isinstance(user.get_layer("head"), keras.layers.ReLU)  # the user's model untouched
    x, y = blobs()
    assert fit(model, x, y)["accuracy"][-1] > 0.8


def test_binary_and_regression_heads():
    single = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, activation="tanh"),
                               keras.layers.Dense(1, activation="softmax")])  # softmax over one unit: always 1
    single.compile("adam", "sparse_categorical_crossentropy")
    binary = Plan([HeadLossPairing()]).build(single)
    assert binary.layers[-1].get_config()["activation"] == "sigmoid"
    assert isinstance(binary.loss, keras.losses.BinaryCrossentropy)
    assert binary.loss.get_config()["from_logits"] is False

    squashed = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, activation="relu"),
                                 keras.layers.Dense(1, activation="sigmoid")])
    squashed.compile("adam", "mse")
    regression = Plan([HeadLossPairing()]).build(squashed)  # auto: mse is a regression loss
    assert regression.layers[-1].get_config()["activation"] == "linear" and regression.loss == "mse"
    # same weights, no squashing: the new output is the old one's pre-activation
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32") * 10
    z = regression.predict(x, verbose=0)
    np.testing.assert_allclose(1 / (1 + np.exp(-z)), squashed.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    # a classification loss on a regression task: linear head and mean squared error
    wrong = Plan([HeadLossPairing(task="regression")]).build(single)
    assert wrong.layers[-1].get_config()["activation"] == "linear"
    assert isinstance(wrong.loss, keras.losses.MeanSquaredError)


def test_loss_recipes_after_it_see_the_repaired_pairing():
    user = mlp("sigmoid", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model = Plan([HeadLossPairing(), FocalLoss(gamma=2.0)]).build(user)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    assert model.loss.get_config()["from_logits"] is False and model.loss.get_config()["gamma"] == 2.0


def test_impossible_tasks_are_refused_with_the_unit_count():
    with pytest.raises(ValueError, match="'binary' needs a 1-unit output.*3 units"):
        Plan([HeadLossPairing(task="binary")]).build(mlp("sigmoid"))
    with pytest.raises(ValueError, match="task must be one of"):
        HeadLossPairing(task="multilabel")
