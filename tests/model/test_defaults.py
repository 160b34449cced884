import sys

import keras
import numpy as np
import pytest

from advisor.data.dataset import DatasetInfo
from advisor.errors import AdvisorError
from advisor.model.defaults import default_model, ensure_compiled, load_model


def _info(modality="tabular", shape=(64,), task="multiclass", classes=10):
    return DatasetInfo("t", modality, shape, task, classes, [str(i) for i in range(classes)],
                       {"train": 100, "val": 20, "test": 20})


@pytest.mark.parametrize("modality,shape,first_layer", [
    ("tabular", (64,), keras.layers.Dense),
    ("image", (8, 8, 1), keras.layers.Conv2D),
    ("image", (28, 28), keras.layers.Conv2D),
    ("sequence", (40, 1), keras.layers.Conv1D),
])
def test_default_model_suits_the_modality_and_runs(modality, shape, first_layer):
    model = default_model(_info(modality, shape))
    assert model.compiled
    assert any(isinstance(layer, first_layer) for layer in model.layers)
    out = model.predict(np.zeros((2,) + shape, "float32"), verbose=0)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)  # softmax


@pytest.mark.parametrize("task,classes,units,activation,loss", [
    ("binary", 2, 1, "sigmoid", "binary_crossentropy"),
    ("regression", 0, 1, "linear", "mean_squared_error"),
    ("multiclass", 3, 3, "softmax", "sparse_categorical_crossentropy"),
])
def test_default_model_pairs_output_and_loss(task, classes, units, activation, loss):
    model = default_model(_info(task=task, classes=classes))
    assert model.layers[-1].units == units
    assert model.layers[-1].activation.__name__ == activation
    assert model.loss == loss
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.learning_rate.numpy() == pytest.approx(1e-3)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_builtin_names_build_compiled_models(name):
    model = load_model(name, _info("image", (8, 8, 1)))
    assert model.compiled and model.input_shape == (None, 8, 8, 1)


def test_cnn_on_flat_data_is_refused():
    with pytest.raises(AdvisorError, match=r"\(64,\)"):
        load_model("cnn", _info())


def test_keras_file_round_trip(tmp_path):
    path = str(tmp_path / "m.keras")
    default_model(_info()).save(path)
    model = load_model(path, _info())
    assert model.compiled and model.output_shape == (None, 10)


def test_lambda_layer_is_refused(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = str(tmp_path / "lam.keras")
    model.save(path)
    with pytest.raises(AdvisorError, match="Lambda"):
        load_model(path, _info(shape=(4,)))
    with pytest.raises(AdvisorError, match="Lambda"):
        load_model(model, _info(shape=(4,)))


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(AdvisorError, match="does not exist"):
        load_model(str(tmp_path / "nope.keras"), _info())
    (tmp_path / "m.h5").write_text("x")
    with pytest.raises(AdvisorError, match="not a .keras file"):
        load_model(str(tmp_path / "m.h5"), _info())


def test_module_function_spec_is_imported_and_compiled(tmp_path, monkeypatch):
    (tmp_path / "user_models_c.py").write_text(
        "import keras\n"
        "def build(input_shape, num_classes):\n"
        "    i = keras.Input(input_shape)\n"
        "    return keras.Model(i, keras.layers.Dense(num_classes, activation='softmax')(i))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = load_model("user_models_c:build", _info())
    assert model.compiled and model.loss == "sparse_categorical_crossentropy"
    assert model.output_shape == (None, 10)
    sys.modules.pop("user_models_c", None)


@pytest.mark.parametrize("spec,match", [
    ("no_such_module_xyz:build", "Cannot import"),
    ("advisor.model.defaults:nothing_here", "no function"),
    ("resnet9000", "neither"),
    ("", "Model spec"),
])
def test_bad_specs_name_what_was_received(spec, match):
    with pytest.raises(AdvisorError, match=match):
        load_model(spec, _info())


def test_ensure_compiled_compiles_only_when_needed():
    inputs = keras.Input((64,))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))
    assert not model.compiled
    assert ensure_compiled(model, _info()).compiled
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert ensure_compiled(model, _info()).loss == "categorical_crossentropy"
