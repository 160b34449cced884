"""Activation: any Keras target, the unbounded/exotic families, "all", and the initializer that follows."""
import keras
import keras_tuner as kt
import numpy as np
import pytest

from recipes import Activation, Initializer, Plan
from recipes.architecture.activation import TARGETS


def exotic_mlp():
    """Hidden exponential, softplus-after-BN, a linear hidden Dense, a ReLU() layer; softmax output."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(8, activation="exponential", name="exp")(inputs)
    x = keras.layers.Dense(8, name="pre_bn")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Activation("softplus", name="soft")(x)
    x = keras.layers.Dense(8, name="linear")(x)
    x = keras.layers.Dense(8, name="pre_relu")(x)
    x = keras.layers.ReLU(name="relu_layer")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="out")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def config(model, name, key):
    value = model.get_layer(name).get_config()[key]
    return value["class_name"] if isinstance(value, dict) else value


def test_exponential_hidden_layer_becomes_relu_with_he_uniform_and_fresh_weights():
    user = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="exponential", name="h"),
                             keras.layers.Dense(3, activation="softmax", name="out")])
    user.compile("adam", "sparse_categorical_crossentropy")
    model = Plan([Activation(to="relu", swap="unbounded")]).build(user)
    assert config(model, "h", "activation") == "relu"
    assert config(model, "h", "kernel_initializer") == "HeUniform"
    assert not np.allclose(model.get_layer("h").kernel.numpy(), user.get_layer("h").kernel.numpy())
    # the output layer is never swapped and keeps its weights
    assert config(model, "out", "activation") == "softmax"
    np.testing.assert_array_equal(model.get_layer("out").kernel.numpy(), user.get_layer("out").kernel.numpy())


def test_unbounded_swap_follows_activation_layers_through_batch_norm():
    user = exotic_mlp()
    model = Plan([Activation(to="relu", swap="unbounded")]).build(user)
    assert config(model, "exp", "activation") == "relu"
    # Dense -> BN -> Activation("softplus"): the Activation layer is swapped, the Dense stays linear
    # (BN keeps seeing pre-activations) but its kernel follows the new activation
    assert config(model, "pre_bn", "activation") == "linear" and config(model, "soft", "activation") == "relu"
    assert config(model, "pre_bn", "kernel_initializer") == "HeUniform"
    assert config(model, "linear", "activation") == "relu"  # a linear hidden layer: nothing followed it
    # a Dense feeding ReLU() is not linear, and relu is not unbounded: both untouched
    assert config(model, "pre_relu", "activation") == "linear"
    assert isinstance(model.get_layer("relu_layer"), keras.layers.ReLU)
    assert config(model, "pre_relu", "kernel_initializer") == "GlorotUniform"
    np.testing.assert_array_equal(model.get_layer("pre_relu").kernel.numpy(),
                                  user.get_layer("pre_relu").kernel.numpy())


def test_all_replaces_every_hidden_activation_and_initializer_recipe_has_the_last_word():
    model = Plan([Activation(to="tanh", swap="all")]).build(exotic_mlp())
    for name in ("exp", "linear"):
        assert config(model, name, "activation") == "tanh"
        assert config(model, name, "kernel_initializer") == "GlorotUniform"
    assert config(model, "soft", "activation") == "tanh"
    relu_layer = model.get_layer("relu_layer")  # ReLU() became an Activation layer
    assert isinstance(relu_layer, keras.layers.Activation) and relu_layer.get_config()["activation"] == "tanh"
    assert config(model, "out", "activation") == "softmax"
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    assert np.isfinite(model.fit(x, np.arange(16) % 3, verbose=0).history["loss"][-1])

    selu = Plan([Activation(to="selu", swap="all")]).build(exotic_mlp())
    assert config(selu, "exp", "kernel_initializer") == "LecunNormal"
    explicit = Plan([Activation(to="selu", swap="all"), Initializer("he_normal")]).build(exotic_mlp())
    assert config(explicit, "exp", "kernel_initializer") == "HeNormal"
    auto = Plan([Initializer(), Activation(to="gelu", swap="all")]).build(exotic_mlp())
    assert config(auto, "pre_bn", "kernel_initializer") == "HeNormal"  # auto reads the Activation after BN


def test_targets_old_configs_and_search_space():
    assert {"relu", "leaky_relu", "elu", "selu", "gelu", "silu", "tanh", "mish"} <= set(TARGETS)
    for old in ({"to": "elu", "swap": "saturating"}, {"to": "leaky_relu", "swap": "relu"},
                {"to": "selu", "swap": "all"}, {}):
        plan = Plan.from_dict({"format": "advisor-plan", "version": 1,
                               "recipes": [{"name": "activation", "config": old}]})
        assert plan.recipes[0] == Activation(**old)
    with pytest.raises(ValueError, match="to must be one of"):
        Activation(to="exponential")
    with pytest.raises(ValueError, match="swap must be one of"):
        Activation(swap="sometimes")
    hp = kt.HyperParameters()
    Activation(to="gelu", swap="exotic").search_space(hp)
    assert {"relu", "gelu", "silu", "tanh"} <= set(hp.space[0].values)


def test_any_swaps_a_hidden_softmax_that_all_leaves_alone():
    """A softmax between two Dense layers of a plain stack is a bug (it normalizes 64 features
    into a distribution): "any" swaps it, "all" keeps softmax and log_softmax as deliberate."""
    import keras

    from recipes import Activation, Plan

    mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="softmax"),
                            keras.layers.Dense(8), keras.layers.Activation("log_softmax"),
                            keras.layers.Dense(8), keras.layers.Softmax(),  # a layer class, called with mask=
                            keras.layers.Dense(3, activation="softmax")])
    mlp.compile("adam", "sparse_categorical_crossentropy")

    def hidden(model):
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        return [layer.get_config().get("activation") for layer in layers[:-1]]

    assert hidden(Plan([Activation(to="relu", swap="all")]).build(mlp)) == ["softmax", "linear", "log_softmax",
                                                                            "linear", None]
    assert hidden(Plan([Activation(to="relu", swap="any")]).build(mlp)) == ["relu", "linear", "relu", "linear",
                                                                            "relu"]
    assert mlp.layers[-1].get_config()["activation"] == "softmax"  # the output is never swapped
