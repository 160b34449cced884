"""Width and Depth: hidden layers resized or repeated, the output layer left alone."""
import keras
import keras_tuner as kt
import numpy as np
import pytest

from recipes import BatchNorm, Depth, Dropout, Plan, Width
from recipes.architecture.depth import is_plain_stack
from tests.recipes.testkit import functional_model, images, sequential_model


def mlp():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="h1"),
                              keras.layers.Dropout(0.1, name="drop1"),
                              keras.layers.Dense(5, activation="tanh", name="h2"),
                              keras.layers.Dropout(0.2, name="drop2"),
                              keras.layers.Dense(3, activation="softmax", name="out")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def dense(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_width_doubles_hidden_dense_units_and_leaves_the_output_alone():
    user = mlp()
    model = Plan([Width(2.0)]).build(user)
    assert [layer.units for layer in dense(model)] == [16, 10, 3]
    # resized layers and the output (its input grew) start fresh; nothing breaks copying weights
    assert model.get_layer("out").kernel.shape == (10, 3)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    assert np.isfinite(model.fit(x, np.arange(32) % 3, epochs=1, verbose=0).history["loss"][-1])
    assert [layer.units for layer in dense(Plan([Width(0.3)]).build(user))] == [2, 2, 3]  # rounded, >= 1
    assert [layer.units for layer in dense(Plan([Width(0.01)]).build(user))] == [1, 1, 3]


def test_width_scales_conv_filters_in_branching_models_and_keeps_unresized_weights(data):
    x, y = data
    user = functional_model()  # Conv2D(2) -> two Dense(8) branches -> Dense(3) logits -> softmax
    model = Plan([Width(1.5)]).build(user)
    assert model.get_layer(user.layers[1].name).filters == 3
    assert model.get_layer("tanh_branch").units == model.get_layer("relu_branch").units == 12
    assert model.get_layer("logits").units == 3
    assert model.predict(x[:4], verbose=0).shape == (4, 3)
    same = Plan([Width(1.0)]).build(user)  # nothing resized: every weight kept
    np.testing.assert_allclose(same.predict(x[:8], verbose=0), user.predict(x[:8], verbose=0), rtol=1e-6)


def test_depth_repeats_the_last_hidden_dense_block_before_the_output():
    user = mlp()
    model = Plan([Depth(1)]).build(user)
    names = [layer.name for layer in model.layers]
    assert names == ["input_layer", "h1", "drop1", "h2", "drop2", "h2_repeat1", "drop2_repeat1", "out"]
    repeat = model.get_layer("h2_repeat1")
    assert (repeat.units, repeat.get_config()["activation"]) == (5, "tanh")
    assert model.get_layer("drop2_repeat1").rate == 0.2
    # the user's layers keep their weights; user's model is untouched
    np.testing.assert_array_equal(model.get_layer("h1").kernel.numpy(), user.get_layer("h1").kernel.numpy())
    np.testing.assert_array_equal(model.get_layer("out").kernel.numpy(), user.get_layer("out").kernel.numpy())
    assert len(user.layers) == 5
    assert len(dense(Plan([Depth(2)]).build(user))) == 5
    assert len(dense(Plan([Depth(0)]).build(user))) == 3


def test_depth_copies_get_the_other_layer_edits_too():
    model = Plan([Depth(1), Width(2.0), BatchNorm(), Dropout(0.3)]).build(sequential_model())
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "Conv2D", "BatchNormalization", "Activation", "Flatten",
        "Dense", "BatchNormalization", "Activation", "Dropout",  # the user's hidden Dense(8, tanh)
        "Dense", "BatchNormalization", "Activation", "Dropout",  # its repeat, edited the same way
        "Dense"]
    assert [layer.units for layer in dense(model)] == [16, 16, 3] and model.layers[1].filters == 4
    assert "_repeat1" in dense(model)[1].name


def test_depth_refuses_branching_models_in_one_line():
    x, y = images()
    assert is_plain_stack(mlp()) and is_plain_stack(sequential_model())
    assert not is_plain_stack(functional_model())
    with pytest.raises(ValueError) as error:
        Plan([Depth(1)]).build(functional_model(), (x, y))
    assert "branches, merges or shares layers" in str(error.value) and "\n" not in str(error.value)
    no_hidden = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    no_hidden.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="no hidden Dense layer"):
        Plan([Depth(1)]).build(no_hidden)


def test_arguments_and_search_spaces():
    with pytest.raises(ValueError, match="factor"):
        Width(0)
    with pytest.raises(ValueError, match="extra must be an integer"):
        Depth(1.5)
    hp = kt.HyperParameters()
    Width(2.0).search_space(hp)
    Depth(1).search_space(hp)
    width, depth = hp.space
    assert (width.min_value, width.max_value, width.sampling) == (0.25, 4.0, "log")
    assert (depth.min_value, depth.max_value) == (0, 3)
