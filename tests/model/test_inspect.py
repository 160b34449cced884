import json

import keras
import pytest

from advisor.data.dataset import DatasetInfo
from advisor.model.inspect import inspect_model, model_findings
from recipes.compile_parts import loss_name_and_logits
from advisor.model.defaults import default_model


def _info(task="multiclass", classes=10, shape=(64,), n_train=1000):
    return DatasetInfo("t", "tabular", shape, task, classes, [str(i) for i in range(classes)],
                       {"train": n_train, "val": 100, "test": 100})


def _model(layers, loss="sparse_categorical_crossentropy", shape=(64,), optimizer="adam"):
    model = keras.Sequential([keras.Input(shape)] + layers)
    if loss is not None:
        model.compile(optimizer=optimizer, loss=loss)
    return model


def _names(model, info=None, thresholds=None):
    info = info or _info()
    return [f.name for f in model_findings(inspect_model(model, info), info, thresholds)]


def test_profile_fields_of_the_default_model():
    info = _info()
    profile = inspect_model(default_model(info), info)
    assert profile.depth == 3
    assert profile.hidden_activations == ["relu", "relu"]
    assert profile.output_activation == "softmax"
    assert profile.loss == "sparse_categorical_crossentropy" and profile.from_logits is False
    assert profile.optimizer == "adam" and profile.learning_rate == pytest.approx(1e-3)
    assert profile.num_params == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    assert profile.params_per_sample == pytest.approx(profile.num_params / 1000)
    assert not profile.has_batchnorm and not profile.has_dropout and profile.max_dropout_rate == 0
    json.dumps(profile.to_dict())  # serializable


@pytest.mark.parametrize("task,classes", [("multiclass", 10), ("binary", 2), ("regression", 0)])
def test_default_models_are_clean(task, classes):
    info = _info(task, classes)
    assert _names(default_model(info), info) == []


def test_activation_layer_after_linear_dense_counts_as_its_activation():
    model = _model([keras.layers.Dense(8, kernel_initializer="he_normal"), keras.layers.BatchNormalization(),
                    keras.layers.Activation("relu"), keras.layers.Dense(10), keras.layers.Softmax()])
    profile = inspect_model(model, _info())
    assert profile.hidden_activations == ["relu"] and profile.output_activation == "softmax"
    assert profile.has_batchnorm
    assert _names(model) == []  # BN before the activation is the recommended order (S2)


@pytest.mark.parametrize("layers,loss,info,expected", [
    ([keras.layers.Dense(10, activation="softmax")], "binary_crossentropy", None, "loss_output_mismatch"),
    ([keras.layers.Dense(10, activation="sigmoid")], "sparse_categorical_crossentropy", None,
     "loss_output_mismatch"),
    ([keras.layers.Dense(10)], "sparse_categorical_crossentropy", None, "loss_output_mismatch"),
    ([keras.layers.Dense(10, activation="softmax")],
     keras.losses.SparseCategoricalCrossentropy(from_logits=True), None, "loss_output_mismatch"),
    ([keras.layers.Dense(1, activation="softmax")], "binary_crossentropy", _info("binary", 2),
     "loss_output_mismatch"),
    ([keras.layers.Dense(1)], "binary_crossentropy", _info("regression", 0), "loss_output_mismatch"),
    ([keras.layers.Dense(5, activation="softmax")], "sparse_categorical_crossentropy", None,
     "output_units_mismatch"),
    ([keras.layers.Dense(3, activation="softmax")], "binary_crossentropy", _info("binary", 2),
     "output_units_mismatch"),
    # Losses that cannot read class ids at this width: the loss is swapped, the model kept.
    ([keras.layers.Dense(2, activation="sigmoid")], "binary_crossentropy", _info("binary", 2),
     "label_loss_mismatch"),
    ([keras.layers.Dense(10, activation="softmax")], "categorical_crossentropy", None, "label_loss_mismatch"),
    ([keras.layers.Dense(10, activation="softmax")], keras.losses.CategoricalCrossentropy(), None,
     "label_loss_mismatch"),
    ([keras.layers.Dense(10), keras.layers.Activation("softmax")], keras.losses.categorical_crossentropy, None,
     "label_loss_mismatch"),
    ([keras.layers.Dense(1, activation="sigmoid")], "categorical_crossentropy", _info("binary", 2),
     "label_loss_mismatch"),
    # A head mismatch as well (logits without from_logits): the loss still cannot read the ids.
    ([keras.layers.Dense(10)], "categorical_crossentropy", None, "label_loss_mismatch"),
    ([keras.layers.Dense(1, activation="relu")], "mse", _info("regression", 0), "regression_output_activation"),
])
def test_output_and_loss_pairing(layers, loss, info, expected):
    assert expected in _names(_model(layers, loss), info)


def test_logits_with_from_logits_is_fine():
    model = _model([keras.layers.Dense(10)], keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert _names(model) == []
    assert loss_name_and_logits(model.loss) == ("sparse_categorical_crossentropy", True)


def test_high_dropout_names_the_layer_and_respects_override():
    model = _model([keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
                    keras.layers.Dropout(0.6, name="drop"), keras.layers.Dense(10, activation="softmax")])
    info = _info()
    found = [f for f in model_findings(inspect_model(model, info), info) if f.name == "high_dropout"]
    assert len(found) == 1 and found[0].layer == "drop" and "0.6" in found[0].evidence
    assert "high_dropout" not in _names(model, thresholds={"high_dropout_rate": 0.7})


def test_init_activation_mismatch_zero_init_and_saturating_stack():
    relu_glorot = _model([keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    assert "init_activation_mismatch" in _names(relu_glorot)  # Keras' default glorot under ReLU
    selu_he = _model([keras.layers.Dense(16, activation="selu", kernel_initializer="he_normal"),
                      keras.layers.Dense(10, activation="softmax")])
    found = [f for f in model_findings(inspect_model(selu_he, _info()), _info())]
    assert [(f.name, f.severity) for f in found] == [("init_activation_mismatch", "medium")]
    zeros = _model([keras.layers.Dense(16, activation="tanh", kernel_initializer="zeros"),
                    keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros")])
    assert _names(zeros).count("zero_init") == 1  # the hidden layer; a zero output layer still learns
    deep = _model([keras.layers.Dense(16, activation="sigmoid") for _ in range(3)]
                  + [keras.layers.Dense(10, activation="softmax")])
    assert "deep_saturating_stack" in _names(deep)
    assert "deep_saturating_stack" not in _names(deep, thresholds={"deep_saturating_layers": 4})


def test_bn_after_activation_too_many_params_and_not_compiled():
    bn_after = _model([keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal"),
                       keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(10, activation="softmax")])
    found = [f for f in model_findings(inspect_model(bn_after, _info()), _info()) if f.name == "bn_after_activation"]
    assert [f.layer for f in found] == ["bn"]
    big = _model([keras.layers.Dense(512, activation="relu", kernel_initializer="he_normal"),
                  keras.layers.Dense(10, activation="softmax")])
    assert "too_many_params" in _names(big, _info(n_train=100))
    assert "too_many_params" not in _names(big, _info(n_train=100_000))
    raw = _model([keras.layers.Dense(10, activation="softmax")], loss=None)
    assert _names(raw) == ["not_compiled"]
    assert inspect_model(raw, _info()).loss is None


def test_kernels_far_from_the_fan_in_scale_are_found_and_standard_initializers_are_not():
    def mlp(init):
        return _model([keras.layers.Dense(32, activation="relu", kernel_initializer=init),
                       keras.layers.Dense(32, activation="relu", kernel_initializer=init),
                       keras.layers.Dense(10, activation="softmax")])

    for tiny_or_huge in (keras.initializers.RandomNormal(stddev=1e-4), keras.initializers.RandomUniform(-10, 10)):
        found = model_findings(inspect_model(mlp(tiny_or_huge), _info()), _info())
        scale = next(f for f in found if f.name == "init_scale")
        assert len(scale.values["layers"]) == 2 and scale.severity == "high"  # both hidden layers, not the head
    for standard in ("he_uniform", "he_normal", "glorot_uniform", "lecun_normal"):
        assert "init_scale" not in _names(mlp(standard))
    assert "init_scale" not in _names(mlp(keras.initializers.RandomNormal(stddev=1e-4)),
                                      thresholds={"init_scale_factor": 1e4})
