"""`advisor.Watch` in a user's own `model.fit`, on real small models and data (sklearn digits)."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from advisor import Watch
from advisor.errors import AdvisorError
from recipes import Plan


@pytest.fixture(autouse=True)
def strict_watch(monkeypatch):
    """Inside a user's fit Watch reports its own errors and steps aside; here they fail the test."""
    import advisor.watch as watch_module

    monkeypatch.setattr(watch_module, "STRICT", True)


@pytest.fixture(scope="session")
def digits():
    """sklearn digits as 64 features in [0, 1], split 60/20/20 (`advisor.testing.faults.load_data`)."""
    from advisor.testing.faults import load_data

    return load_data("digits")


def _mlp(hidden=(64, 64), activation="relu", optimizer=None, input_shape=(64,)):
    keras.utils.set_random_seed(0)
    layers = [keras.Input(input_shape), keras.layers.Flatten()]
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
    model = keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer or keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def raw_digits():
    """`advisor.data.load("digits")` arrays: 8x8x1 images, values 0..16."""
    from advisor.data import load

    dataset = load("digits")
    return dataset.arrays["train"], dataset.arrays["val"]


def _diverging_fit(raw_digits, **watch_args):
    (x, y), val = raw_digits
    watch = Watch(**watch_args)
    model = _mlp(optimizer=keras.optimizers.Adam(10.0), input_shape=(8, 8, 1))
    history = model.fit(x, y, validation_data=val, epochs=5, batch_size=32, verbose=0, callbacks=[watch])
    return watch, history.history


def _lines(text, name):
    return [line for line in text.splitlines() if f": {name}" in line and line.startswith("epoch ")]


def test_divergence_is_printed_in_the_first_epochs_and_the_fit_runs_on(raw_digits, capsys):
    watch, history = _diverging_fit(raw_digits)
    out = capsys.readouterr().out
    lines = _lines(out, "divergence")
    assert len(lines) == 1, out  # printed once
    assert int(lines[0].split(":")[0].split()[1]) <= 3
    assert "try: Adam(learning_rate=1)" in lines[0] and "GradientClip(clipvalue=10)" in lines[0]
    assert len(history["loss"]) == 5 and watch.stop_reason is None  # no action asked: all epochs run
    assert watch.findings[0].name == "divergence" and watch.findings[0].values["watch_epoch"] <= 3


def test_stop_on_divergence_ends_the_fit_and_says_why(raw_digits, capsys):
    watch, history = _diverging_fit(raw_digits, stop_on=("divergence",))
    out = capsys.readouterr().out
    assert len(history["loss"]) < 5
    assert "stopping the fit after epoch" in out and "stop_on='divergence'" in out
    assert watch.stop_reason.startswith("stop_on='divergence'")


def test_a_deep_sigmoid_stack_prints_vanishing_gradients(digits, capsys):
    (x, y), val = digits.arrays["train"], digits.arrays["val"]
    watch = Watch()
    _mlp(hidden=(32,) * 8, activation="sigmoid").fit(x, y, validation_data=val, epochs=4, verbose=0,
                                                     callbacks=[watch])
    lines = _lines(capsys.readouterr().out, "vanishing_gradient")
    assert len(lines) == 1 and "try: Activation(" in lines[0]
    assert any(f.name == "vanishing_gradient" for f in watch.findings)


def test_a_sample_given_by_the_user_is_measured_instead_of_the_fits_data(digits, capsys, monkeypatch):
    """`sample=` needs no Keras internals: the fit's data is never read."""
    import advisor.callbacks.monitor as monitor

    monkeypatch.setattr(monitor, "fit_locals", lambda: pytest.fail("read the fit's data despite sample="))
    (x, y), val = digits.arrays["train"], digits.arrays["val"]
    watch = Watch(sample=(x[:64], y[:64]))
    _mlp(hidden=(32,) * 8, activation="sigmoid").fit(x, y, validation_data=val, epochs=4, verbose=0,
                                                     callbacks=[watch])
    assert any(f.name == "vanishing_gradient" for f in watch.findings)


@pytest.mark.slow
def test_a_healthy_mlp_prints_no_problem_and_its_plan_trains(digits, tmp_path, capsys):
    """Watch(out=...) leaves a plan that `Plan.load` reads and `advisor train --plan` trains."""
    import advisor

    (x, y), val = digits.arrays["train"], digits.arrays["val"]
    watch = Watch(out=tmp_path / "watch")
    _mlp().fit(x, y, validation_data=val, epochs=6, verbose=0, callbacks=[watch])
    captured = capsys.readouterr()
    assert [f.name for f in watch.findings if f.severity != "info"] == []
    assert "no training problem found in 6 epochs" in captured.out and not captured.err
    assert isinstance(watch.plan, Plan)
    assert Plan.load(tmp_path / "watch" / "plan.json") == watch.plan
    assert json.loads((tmp_path / "watch" / "findings.json").read_text()) == []
    assert "Learning curves" in (tmp_path / "watch" / "report.html").read_text()
    result = advisor.train(digits, _mlp(), plan=str(tmp_path / "watch" / "plan.json"), out=tmp_path / "run",
                           tuner="none", epochs=1, probe_epochs=1, budget_s=60, quiet=True)
    trained = {r["name"] for r in json.loads((tmp_path / "run" / "plan.json").read_text())["recipes"]}
    assert {r.name for r in watch.plan} <= trained  # (train adds a tunable learning rate to a given plan)
    assert result.metrics["accuracy"] > 0.2


def test_quiet_prints_nothing_and_keeps_the_findings(raw_digits, capsys):
    watch, _ = _diverging_fit(raw_digits, quiet=True)
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""
    assert "divergence" in {f.name for f in watch.findings}


def test_a_model_without_trainable_layers_gets_one_line_and_trains_on(digits, capsys):
    (x, y), val = digits.arrays["train"], digits.arrays["val"]
    model = _mlp()
    for layer in model.layers:
        layer.trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    watch = Watch()
    history = model.fit(x, y, validation_data=val, epochs=2, verbose=0, callbacks=[watch])
    watch_lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Watch:")]
    assert len(watch_lines) == 1 and "no trainable layers" in watch_lines[0]
    assert len(history.history["loss"]) == 2 and watch.findings == [] and watch.plan is None


def test_no_validation_data_skips_the_overfitting_check_with_one_line(digits, capsys):
    (x, y) = digits.arrays["train"]
    watch = Watch()
    history = _mlp().fit(x, y, epochs=3, verbose=0, callbacks=[watch])
    watch_lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Watch:")]
    assert len(watch_lines) == 1 and "no validation data" in watch_lines[0] and "overfitting" in watch_lines[0]
    assert len(history.history["loss"]) == 3 and len(watch.grad_norms) == 1


def test_tf_data_and_a_functional_model_are_watched_without_changing_the_training(digits):
    (x, y), val = digits.arrays["train"], digits.arrays["val"]

    def fit(callbacks):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((64,))
        hidden = keras.layers.Dense(32, activation="relu", name="hidden")(inputs)
        model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="head")(hidden))
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=1).batch(32)
        model.fit(train, validation_data=tf.data.Dataset.from_tensor_slices(val).batch(256), epochs=2,
                  verbose=0, callbacks=callbacks)
        return model.get_weights()

    watch = Watch(quiet=True, every=1)
    watched, plain = fit([watch]), fit([])
    assert all(np.array_equal(a, b) for a, b in zip(watched, plain))  # same batches, same order, same steps
    assert watch.x.shape == (64, 64) and watch.sample_batch_size == 32
    assert watch.trace_fields()["layer_order"] == ["hidden", "head"] and len(watch.grad_norms) == 2
    assert set(watch.acts[-1]) == {"hidden"} and watch.update_ratios and watch.skipped == []


def test_bad_arguments_are_refused():
    with pytest.raises(AdvisorError, match="stop_on='divergense'"):
        Watch(stop_on=("divergense",))
    with pytest.raises(AdvisorError, match="every"):
        Watch(every=0)


def test_a_generator_and_a_subclassed_model(digits, capsys):
    """The sample comes from the batches Keras already read from the generator; the
    subclassed model (built in its first step) is built on it first, then measured."""
    (x, y), val = digits.arrays["train"], digits.arrays["val"]

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden, self.head = keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, "softmax")

        def call(self, inputs):
            return self.head(self.hidden(inputs))

    def batches():
        while True:
            for i in range(0, len(x) - 32, 32):
                yield x[i:i + 32], y[i:i + 32]

    keras.utils.set_random_seed(0)
    model = Net()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    watch = Watch(every=1)
    model.fit(batches(), steps_per_epoch=20, validation_data=val, epochs=2, verbose=0, callbacks=[watch])
    err = capsys.readouterr().err
    assert watch.x.shape == (64, 64) and np.array_equal(watch.x.numpy(), x[:64])  # the first two batches
    assert len(watch.grad_norms) == 2 and all(v > 0 for v in watch.initial_grad_norms.values())
    assert "activation checks (dying ReLU, saturation) are skipped" in err and len(err.strip().splitlines()) == 1
