"""What the layer-editing recipes do to the rebuilt graph, and that the user's model is untouched."""
import json

import keras
import numpy as np
import pytest

from recipes import (L1, L2, Activation, BatchNorm, Dropout, Initializer, MixedPrecision, Normalize,
                     Plan)
from tests.recipes.testkit import functional_model, sequential_model


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def consumer(model, layer):
    """The single layer that `layer`'s output feeds."""
    users = [l for l in model.layers if any(t is layer.output for t in keras.tree.flatten(l.input))]
    assert len(users) == 1, users
    return users[0]


@pytest.mark.parametrize("make_model", [sequential_model, functional_model])
def test_batch_norm_sits_between_hidden_layer_and_its_activation(make_model):
    user = make_model()
    model = Plan([BatchNorm()]).build(user)
    hidden = [l for l in model.layers if isinstance(l, (keras.layers.Dense, keras.layers.Conv2D))][:-1]
    assert len(hidden) >= 2
    for layer in hidden:
        original = user.get_layer(layer.name).get_config()["activation"]
        assert layer.get_config()["activation"] == "linear"
        bn = consumer(model, layer)
        assert isinstance(bn, keras.layers.BatchNormalization)
        act = consumer(model, bn)
        assert isinstance(act, keras.layers.Activation) and act.get_config()["activation"] == original
    # the output layer keeps its activation and gets no BN
    assert model.layers[-1].name == user.layers[-1].name
    assert "BatchNormalization" not in kinds(model)[-2:]


def test_l2_and_l1_put_penalties_in_model_losses(data):
    x, y = data
    model = Plan([L2(1e-2)]).build(sequential_model())
    kernels = [l for l in model.layers if isinstance(l, (keras.layers.Dense, keras.layers.Conv2D))]
    assert len(model.losses) == len(kernels) == 3
    expected = sum(1e-2 * float(np.sum(l.kernel.numpy() ** 2)) for l in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)
    both = Plan([L1(1e-3), L2(1e-2)]).build(sequential_model())
    regularizer = both.layers[-1].kernel_regularizer
    assert isinstance(regularizer, keras.regularizers.L1L2)
    assert regularizer.get_config() == pytest.approx({"l1": 1e-3, "l2": 1e-2})
    # with the penalty, the training loss is the data loss plus the penalty
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["loss"] > float(keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0)).numpy().mean())


@pytest.mark.parametrize("make_model", [sequential_model, functional_model])
def test_dropout_after_hidden_dense_only_and_inactive_at_inference(make_model, data):
    x, _ = data
    model = Plan([Dropout(0.5)]).build(make_model())
    drops = [l for l in model.layers if isinstance(l, keras.layers.Dropout)]
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert len(drops) == len(dense) - 1  # none after the output layer
    for layer in dense[:-1]:
        assert consumer(model, layer) in drops
    assert all(d.rate == 0.5 for d in drops)
    first, second = model(x, training=False), model(x, training=False)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(model(x, training=True), first)  # and active while training
    conv_too = Plan([Dropout(0.5, after="all")]).build(make_model())
    assert kinds(conv_too).count("Dropout") == len(drops) + 1


def test_dropout_goes_after_batch_norm_and_activation_whatever_the_plan_order():
    a = Plan([Dropout(0.2), BatchNorm()]).build(sequential_model())
    b = Plan([BatchNorm(), Dropout(0.2)]).build(sequential_model())
    assert kinds(a) == kinds(b)
    assert kinds(a) == ["InputLayer", "Conv2D", "BatchNormalization", "Activation", "Flatten",
                        "Dense", "BatchNormalization", "Activation", "Dropout", "Dense"]


@pytest.mark.parametrize("make_model", [sequential_model, functional_model])
def test_activation_swap_changes_hidden_layers_never_the_output(make_model):
    user = make_model()
    model = Plan([Activation(to="elu", swap="saturating")]).build(user)
    acts = {l.name: l.get_config().get("activation") for l in model.layers}
    before = {l.name: l.get_config().get("activation") for l in user.layers}
    for name, act in before.items():
        if act in ("tanh",):
            assert acts[name] == "elu"
        elif act is not None:
            assert acts[name] == act  # relu, softmax and linear untouched
    everything = Plan([Activation(to="selu", swap="all")]).build(make_model())
    hidden = [l for l in everything.layers[:-1] if isinstance(l, (keras.layers.Dense, keras.layers.Conv2D))]
    hidden = [l for l in hidden if l.get_config()["activation"] != "linear"]
    assert hidden and all(l.get_config()["activation"] == "selu" for l in hidden)
    assert everything.layers[-1].get_config()["activation"] == "softmax"


def test_initializer_auto_follows_the_final_activation():
    model = Plan([Initializer(), Activation(to="selu", swap="saturating")]).build(sequential_model())
    chosen = {l.name: (l.get_config()["activation"], l.get_config()["kernel_initializer"]["class_name"])
              for l in model.layers if isinstance(l, (keras.layers.Dense, keras.layers.Conv2D))}
    assert sorted(chosen.values()) == [("relu", "HeNormal"), ("selu", "LecunNormal"),
                                       ("softmax", "GlorotUniform")]


def test_unchanged_layers_keep_weights_and_reinitialized_ones_do_not(data):
    x, _ = data
    user = functional_model()
    same = Plan([Dropout(0.3)]).build(user)
    np.testing.assert_allclose(same.predict(x, verbose=0), user.predict(x, verbose=0), rtol=1e-6)
    fresh = Plan([Initializer("he_uniform")]).build(user)
    assert not np.allclose(fresh.get_layer("logits").kernel.numpy(), user.get_layer("logits").kernel.numpy())


@pytest.mark.parametrize("make_model", [sequential_model, functional_model])
def test_the_users_model_is_untouched(make_model, data):
    x, y = data
    user = make_model()
    config = json.dumps(user.get_config(), sort_keys=True, default=str)
    weights = [w.copy() for w in user.get_weights()]
    compile_config = user.get_compile_config()
    optimizer = user.optimizer
    layers = list(user.layers)
    plan = Plan([MixedPrecision("mixed_bfloat16"), Normalize(), BatchNorm(), Dropout(0.3), L2(1e-3),
                 Activation(to="elu", swap="all"), Initializer()])
    model = plan.build(user, (x, y), epochs=1)
    model.fit(x, y, epochs=1, verbose=0)
    assert json.dumps(user.get_config(), sort_keys=True, default=str) == config
    assert list(user.layers) == layers and user.optimizer is optimizer
    assert user.get_compile_config() == compile_config
    for before, after in zip(weights, user.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert all(l.dtype_policy.name == "float32" for l in user.layers)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is not changed either
    assert not set(map(id, model.layers)) & set(map(id, user.layers))


def test_normalize_adapts_on_training_data_only(data):
    x, y = data
    model = Plan([Normalize()]).build(sequential_model(), (x, y))
    layer = model.get_layer("normalize")
    np.testing.assert_allclose(np.ravel(layer.mean), [x.mean()], rtol=1e-4)
    normalized = keras.Model(model.inputs[0], layer.output)(x)
    assert abs(float(np.mean(normalized))) < 1e-4 and float(np.std(normalized)) == pytest.approx(1, abs=1e-3)
    with pytest.raises(ValueError, match="pass train= to plan.build"):
        Plan([Normalize()]).build(sequential_model())


def test_models_plan_build_cannot_rebuild_are_refused_clearly():
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    unbuilt.compile("adam", "mse")
    with pytest.raises(ValueError, match="keras.Input"):
        Plan([Dropout()]).build(unbuilt)
    with pytest.raises(ValueError, match="compile the model first or pass loss="):
        Plan([Dropout()]).build(sequential_model(compiled=False))
    model = Plan([Dropout()]).build(sequential_model(compiled=False), loss="sparse_categorical_crossentropy")
    assert model.compiled and model.optimizer.__class__.__name__ == "Adam"
