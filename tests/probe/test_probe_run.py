import json

import keras
import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.probe import run as probe_module
from advisor.probe.run import run_probe
from advisor.probe.sanity import overfit_tiny_subset
from advisor.probe.trace import TrainingTrace
from bench.overhead import measure_overhead


@pytest.fixture(scope="module")
def traced(digits):
    """One tiny model probed twice with the same seed (shared by several tests)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)),
                              keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal"),
                              keras.layers.Dropout(0.2),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    first = run_probe(model, digits, epochs=3, seed=7)
    second = run_probe(model, digits, epochs=3, seed=7)
    return model, before, first, second


def test_same_seed_gives_the_same_trace(traced):
    _, _, first, second = traced
    assert first.history.keys() == second.history.keys()
    for key in first.history:
        np.testing.assert_allclose(first.history[key], second.history[key], atol=1e-6)
    for a, b in zip(first.grad_norms, second.grad_norms):
        np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-5)
    assert first.subset["final_loss"] == pytest.approx(second.subset["final_loss"], abs=1e-6)


def test_other_seed_gives_another_trace(traced, digits):
    model, _, first, _ = traced
    other = run_probe(model, digits, epochs=3, seed=8, subset_size=0)
    assert not np.allclose(first.history["loss"], other.history["loss"], atol=1e-6)


def test_user_model_is_not_modified(traced):
    model, before, _, _ = traced
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert int(model.optimizer.iterations.numpy()) == 0  # its optimizer never stepped
    assert "accuracy" not in str(model.get_compile_config()["metrics"])  # its compile config is untouched


def test_trace_has_every_field_per_epoch(traced):
    _, _, trace, _ = traced
    assert trace.epochs == 3 and trace.seed == 7
    assert set(trace.history) == {"loss", "val_loss", "accuracy", "val_accuracy"}  # accuracy added
    assert trace.accuracy_key == "accuracy"
    assert trace.expected_initial_loss == pytest.approx(np.log(10))
    # An untrained 10-class model starts near chance, ln(10) = 2.3, not far off it.
    assert trace.initial_loss == pytest.approx(np.log(10), abs=1.5)
    assert len(trace.grad_norms) == len(trace.update_ratios) == len(trace.activation_stats) == 3
    assert trace.layer_order == [name for name in trace.grad_norms[0]]
    hidden = trace.layer_order[0]
    stats = trace.activation_stats[-1][hidden]
    assert stats["activation"] == "relu" and 0 <= stats["dead_unit_share"] <= stats["zero_share"] <= 1
    assert all(1e-5 < r < 1 for r in trace.update_ratios[0].values())
    assert trace.step_time_s > 0 and trace.steps_per_epoch == int(np.ceil(1078 / 32))
    assert trace.subset["n"] == 32 and trace.subset["final_accuracy"] >= 0.9
    restored = TrainingTrace.from_dict(json.loads(json.dumps(trace.to_dict())))
    assert restored.history == trace.history


def test_input_shape_mismatch_names_both_shapes(digits, digits_image, tiny_mlp):
    flat_model = tiny_mlp(digits.info)  # expects 64 features
    with pytest.raises(AdvisorError, match=r"expects input shape \(64,\) but the data has shape \(8, 8, 1\)"):
        run_probe(flat_model, digits_image, epochs=1)


def test_output_units_below_classes_is_a_clear_error(digits):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(5, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(AdvisorError, match="5 units.*10 classes"):
        run_probe(model, digits, epochs=1)


@pytest.mark.parametrize("kwargs,match", [({"epochs": 0}, "positive"), ({"epochs": None}, "budget"),
                                          ({"batch_size": 0}, "batch_size")])
def test_bad_budgets_are_refused(digits, tiny_mlp, kwargs, match):
    with pytest.raises(AdvisorError, match=match):
        run_probe(tiny_mlp(digits.info), digits, **kwargs)


def test_seconds_bound_and_large_data_chunks(digits, tiny_mlp, monkeypatch):
    monkeypatch.setattr(probe_module, "MAX_STEPS_PER_EPOCH", 5)  # pretend the data is large
    trace = run_probe(tiny_mlp(digits.info), digits, epochs=None, seconds=0.5, subset_size=0,
                      max_train_samples=600)
    assert trace.stopped == "time" and 1 <= trace.epochs < 50
    assert trace.steps_per_epoch == 5


def test_uncompiled_model_is_probed_with_the_default_loss(digits, tiny_mlp):
    model = tiny_mlp(digits.info, compiled=False)
    trace = run_probe(model, digits, epochs=1, subset_size=0)
    assert trace.loss_name == "sparse_categorical_crossentropy" and not model.compiled


def test_tiny_subset_check_separates_capacity(digits, tiny_mlp):
    good = overfit_tiny_subset(tiny_mlp(digits.info, units=64), digits, n=32)
    assert good["final_accuracy"] >= 0.97 and good["final_loss"] < 0.3 * good["initial_loss"]
    stuck = keras.Sequential([keras.Input((64,)), keras.layers.Dense(1), keras.layers.Dense(10, activation="softmax")])
    stuck.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    bad = overfit_tiny_subset(stuck, digits, n=32)
    assert bad["final_accuracy"] < 0.97


def test_the_probes_fits_start_no_autotuning_thread(digits, tiny_mlp):
    """The probe's fits end mid-epoch (a clock, a NaN guard, a memorized subset, a diverged sweep):
    their data has tf.data autotuning off (`recipes.data.pipeline.without_autotune` says why)."""
    from advisor.probe.lr_find import _sweep_batches

    setup = probe_module.prepare(tiny_mlp(digits.info), digits, seed=0)
    sweep, _ = _sweep_batches(digits, 5, 16, seed=0)
    for data in (setup.train, setup.val, sweep["x"]):
        assert data.options().autotune.enabled is False
    assert sum(len(b[1]) for b in sweep["x"].as_numpy_iterator()) == 5 * 16  # still five full batches


def test_monitoring_overhead_is_measured(digits):
    """The monitor adds one probe-batch pass per epoch; the figure itself is
    reported by `python -m advisor.testing.faults --overhead` (machine load makes a
    strict bound flaky here)."""
    from advisor.model.defaults import default_model

    result = measure_overhead(default_model(digits.info), digits, epochs=3, repeats=1)
    assert set(result) >= {"plain_fit_s", "probe_fit_s", "ratio", "monitor_s"}
    assert 0 < result["monitor_s"] < result["probe_fit_s"]
    # The ratio is the two measured fits' quotient; no bound on it here: one failed on machine load
    # alone (0.48 once), and the figure is the benchmark's.
    assert result["ratio"] == pytest.approx(result["probe_fit_s"] / result["plain_fit_s"])


def test_nested_models_are_monitored_layer_by_layer(digits):
    inner = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu", name="inner_dense")])
    inputs = keras.Input((64,))
    outputs = keras.layers.Dense(10, activation="softmax", name="head")(inner(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    trace = run_probe(model, digits, epochs=1, subset_size=0)
    assert trace.layer_order == ["inner_dense", "head"]
    assert all(v > 0 for v in trace.grad_norms[0].values())
