import pytest

from advisor import thresholds


def test_defaults_carry_published_numbers():
    t = thresholds.resolve()
    assert t.dying_relu_share == 0.7  # [DD]
    assert t.vanish_grad_ratio == 1e-3 and t.vanish_first_grad == 1e-4  # [AT]
    assert t.explode_grad_ratio == 70  # [AT]
    assert (t.update_ratio_low, t.update_ratio_high) == (1e-4, 1e-1)  # [TDC]
    assert t.divergence_loss == 1e5  # [AT]


def test_override_replaces_one_value_and_leaves_defaults_alone():
    t = thresholds.resolve({"dying_relu_share": 0.6})
    assert t.dying_relu_share == 0.6
    assert thresholds.DEFAULTS.dying_relu_share == 0.7
    assert t.saturation_share == thresholds.DEFAULTS.saturation_share


def test_unknown_key_is_refused_with_its_name():
    with pytest.raises(ValueError, match="dying_relu_shar"):
        thresholds.resolve({"dying_relu_shar": 0.6})


@pytest.mark.parametrize("value", ["0.6", None, True, float("nan")])
def test_non_numbers_are_refused(value):
    with pytest.raises(ValueError, match="must be a number"):
        thresholds.resolve({"dying_relu_share": value})


def test_a_range_threshold_takes_a_pair_and_nothing_else():
    assert thresholds.resolve({"standardized_std_range": [0.2, 5]}).standardized_std_range == (0.2, 5.0)
    for bad in (0.5, (0.5,), ("a", 2)):
        with pytest.raises(ValueError, match="pair of numbers"):
            thresholds.resolve({"standardized_std_range": bad})


def test_diagnose_hands_every_override_to_the_stage_that_reads_it():
    """Data, model and probe thresholds go through one `thresholds=` argument."""
    import keras

    from advisor.diagnosis import diagnose

    model = keras.Sequential([keras.Input((13,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.7), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")

    def names(**overrides):
        return {f.name for f in diagnose(model, "wine", probe=False, measure_precision=False,
                                         thresholds=overrides).findings}

    default = names()
    assert {"high_dropout", "small_data"} <= default
    relaxed = names(high_dropout_rate=0.8, small_data_samples=10)
    assert not {"high_dropout", "small_data"} & relaxed
    with pytest.raises(ValueError, match="unknown threshold"):
        names(high_dropout=0.8)


def test_input_scale_overrides_reach_the_plan_as_well_as_the_findings():
    """The profile's unnormalized flag, which the Normalize rule also reads, uses the same thresholds."""
    from advisor.diagnosis import diagnose

    def scaled(**overrides):
        report = diagnose(None, "wine", probe=False, measure_precision=False, thresholds=overrides)
        return "unnormalized_input" in {f.name for f in report.findings}, report.data_profile.looks_unnormalized, \
            "normalize" in {r.name for r in report.plan.recipes}

    assert scaled() == (True, True, True)
    assert scaled(input_abs_max=1e4, feature_std_ratio_max=1e6) == (False, False, False)


def test_thresholds_are_frozen_and_replace_validates():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        thresholds.DEFAULTS.dying_relu_share = 0.1
    assert thresholds.DEFAULTS.replace(overfit_accuracy_gap=0.1).overfit_accuracy_gap == 0.1
    with pytest.raises(ValueError, match="known thresholds: .*dying_relu_share"):
        thresholds.DEFAULTS.replace(overfit_gap=0.1)


def test_module_is_tensorflow_free():
    import subprocess
    import sys

    code = "import sys, advisor.thresholds; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
