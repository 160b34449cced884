"""Detector logic on hand-made traces: fast, exact, one symptom at a time."""
import math

import pytest

from advisor.probe.detectors import detect
from advisor.probe.trace import TrainingTrace

LN10 = math.log(10)


def healthy(**changes) -> TrainingTrace:
    """A trace that looks like a good 5-epoch run; `changes` break one thing."""
    fields = dict(
        history={"loss": [1.5, 0.7, 0.45, 0.33, 0.27], "val_loss": [1.1, 0.6, 0.42, 0.33, 0.29],
                 "accuracy": [0.55, 0.84, 0.9, 0.93, 0.95], "val_accuracy": [0.75, 0.87, 0.9, 0.92, 0.93]},
        initial_loss=2.5, expected_initial_loss=LN10, baseline_loss=LN10, initial_accuracy=0.1,
        accuracy_key="accuracy", epochs=5, seed=0,
        layer_order=["d1", "d2", "out"],
        initial_grad_norms={"d1": 0.8, "d2": 1.2, "out": 0.9},
        grad_norms=[{"d1": 0.5, "d2": 0.6, "out": 0.5}] * 5,
        update_ratios=[{"d1": 3e-3, "d2": 4e-3, "out": 3e-3}] * 5,
        activation_stats=[{"d1": {"activation": "relu", "dead_unit_share": 0.05, "zero_share": 0.4},
                           "d2": {"activation": "tanh", "saturated_share": 0.01}}] * 5,
        weight_change={"d1": 0.2, "d2": 0.3, "out": 0.3}, step_time_s=1e-3,
        subset={"n": 32, "steps": 100, "initial_loss": 2.6, "final_loss": 0.02, "final_accuracy": 1.0,
                "loss_fraction": 0.008},
    )
    fields.update(changes)
    return TrainingTrace(**fields)


def names(trace, thresholds=None):
    return sorted(f.name for f in detect(trace, thresholds))


def with_history(**series):
    return healthy(history={**healthy().history, **series})


def test_healthy_trace_is_a_good_fit_and_nothing_else():
    found = detect(healthy())
    assert [(f.name, f.severity, f.source) for f in found] == [("good_fit", "info", "training")]
    assert "95.0%" in found[0].evidence


def test_dict_input_and_unknown_threshold():
    assert names(healthy().to_dict()) == ["good_fit"]
    with pytest.raises(ValueError, match="nope"):
        detect(healthy(), {"nope": 1})


def test_overfitting_by_gap_after_epoch_3_and_by_rising_val_loss():
    gap = with_history(accuracy=[0.6, 0.85, 0.93, 0.97, 0.99], val_accuracy=[0.7, 0.85, 0.9, 0.92, 0.93])
    assert names(gap) == ["overfitting"]
    f = detect(gap)[0]
    assert "gap 6.0%" in f.evidence and "[UM]" in f.evidence
    assert "overfitting" not in names(gap, {"overfit_accuracy_gap": 0.07})
    short = healthy(history={k: v[:2] for k, v in gap.history.items()}, epochs=2)
    assert "overfitting" not in names(short)  # gap only counts from epoch 3 on [UM]
    rising = with_history(val_loss=[1.1, 0.6, 0.42, 0.45, 0.5])
    assert names(rising) == ["overfitting"] and "rose 2 epochs" in detect(rising)[0].evidence


def test_underfitting_by_accuracy_or_loss_against_chance():
    poor = with_history(loss=[2.2, 2.0, 1.9, 1.8, 1.7], accuracy=[0.2, 0.3, 0.4, 0.45, 0.5],
                        val_accuracy=[0.2, 0.3, 0.4, 0.45, 0.5])
    assert "underfitting" in names(poor)
    regression = healthy(history={"loss": [1.5, 1.2, 1.0, 0.9, 0.85], "val_loss": [1.5, 1.2, 1.0, 0.9, 0.85]},
                         accuracy_key=None, initial_accuracy=None, baseline_loss=1.0, expected_initial_loss=None,
                         initial_loss=1.7, task="regression")
    found = detect(regression)
    assert [f.name for f in found] == ["underfitting"] and "85% of the chance-level" in found[0].evidence
    assert names(regression, {"underfit_regression_fraction": 0.9}) == ["good_fit"]
    noisy = healthy(**{**regression.__dict__, "history": {"loss": [1.0, 0.8, 0.7, 0.6, 0.55],
                                                          "val_loss": [1.0, 0.8, 0.7, 0.6, 0.55]}})
    assert names(noisy) == ["good_fit"]  # R^2 = 0.45 on noisy targets is not underfitting


def test_slow_convergence_needs_both_flat_accuracy_and_flat_loss():
    flat = with_history(loss=[2.49, 2.48, 2.47, 2.46, 2.45], accuracy=[0.1, 0.102, 0.104, 0.105, 0.106],
                        val_accuracy=[0.1, 0.1, 0.1, 0.1, 0.1], val_loss=[2.4] * 5)
    assert "slow_convergence" in names(flat)
    gaining = with_history(loss=[2.49, 2.48, 2.47, 2.46, 2.45], accuracy=[0.1, 0.15, 0.2, 0.25, 0.3],
                           val_accuracy=[0.1, 0.15, 0.2, 0.25, 0.3], val_loss=[2.4] * 5)
    assert "slow_convergence" not in names(gaining)


def test_oscillation_by_accuracy_drops_or_rising_train_loss():
    wobble = with_history(val_accuracy=[0.75, 0.87, 0.81, 0.9, 0.93])
    assert names(wobble) == ["oscillating_loss"]
    bumpy = with_history(loss=[1.5, 0.7, 0.45, 0.55, 0.3])
    assert names(bumpy) == ["oscillating_loss"]
    assert names(bumpy, {"oscillation_loss_rise": 0.5}) == ["good_fit"]
    spike = with_history(val_loss=[1.1, 0.6, 0.42, 0.7, 0.3])  # +67% in one epoch
    assert names(spike) == ["oscillating_loss"]
    assert names(spike, {"oscillation_val_spike": 0.8}) == ["good_fit"]


def test_divergence_silences_curve_verdicts_and_nan_gradients_also_explode():
    blown = with_history(loss=[3e5, 2.5, 2.4, 2.4, 2.4], accuracy=[0.1] * 5, val_accuracy=[0.1] * 5)
    assert names(blown) == ["divergence"]  # not also "underfitting" / "slow_convergence"
    nan = healthy(history={"loss": [float("nan")], "val_loss": [float("nan")]}, epochs=1,
                  nan={"where": "gradients", "epoch": 0}, stopped="nan")
    found = detect(nan)
    assert [f.name for f in found] == ["divergence", "exploding_gradient"]
    assert "epoch 1" in found[0].evidence


def test_divergence_threshold_scales_with_regression_targets():
    big_targets = healthy(history={"loss": [2e5, 1.5e5, 1.2e5, 1.1e5, 1e5], "val_loss": [2e5] * 5},
                          accuracy_key=None, initial_accuracy=None, baseline_loss=1e6, task="regression",
                          expected_initial_loss=None, initial_loss=1.1e6)
    assert "divergence" not in names(big_targets)


def test_wrong_initial_loss_only_on_the_high_side():
    assert names(healthy(initial_loss=18.0)) == ["wrong_initial_loss"]
    assert "15.7 above the chance level ln(C) = 2.3" in detect(healthy(initial_loss=18.0))[0].evidence
    assert names(healthy(initial_loss=LN10 + 1.9)) == ["good_fit"]  # margin 2 nats
    assert names(healthy(initial_loss=0.05)) == ["good_fit"]  # an already trained model
    binary = healthy(initial_loss=2.1, expected_initial_loss=math.log(2), baseline_loss=math.log(2))
    assert names(binary) == ["good_fit"]  # healthy binary models start anywhere in 0.6-2.1


def test_vanishing_and_exploding_gradients_by_ratio_and_norm():
    tiny_first = {"d1": 5e-6, "d2": 1e-3, "out": 0.2}
    vanish = healthy(initial_grad_norms=tiny_first, grad_norms=[tiny_first] * 5)
    found = [f for f in detect(vanish) if f.name == "vanishing_gradient"]
    assert len(found) == 1 and found[0].layer == "d1" and "[AT]" in found[0].evidence
    one_off = healthy(grad_norms=[tiny_first] + [{"d1": 0.5, "d2": 0.6, "out": 0.5}] * 4)
    assert "vanishing_gradient" not in names(one_off)  # one odd batch is not a diagnosis
    huge = {"d1": 3e6, "d2": 1e6, "out": 1e5}
    assert "exploding_gradient" in names(healthy(grad_norms=[huge] * 5))
    steep = {"d1": 80.0, "d2": 5.0, "out": 1.0}
    assert "exploding_gradient" in names(healthy(initial_grad_norms=steep, grad_norms=[steep] * 5))
    dead = {"d1": 0.0, "d2": 0.0, "out": 0.0}  # all-zero gradients: no ratio to speak of
    assert not {"vanishing_gradient", "exploding_gradient"} & set(names(healthy(grad_norms=[dead] * 5)))


def test_dying_relu_and_saturation_name_the_layer():
    stats = [{"d1": {"activation": "relu", "dead_unit_share": 0.83, "zero_share": 0.9},
              "d2": {"activation": "tanh", "saturated_share": 0.6}}]
    found = {f.name: f for f in detect(healthy(activation_stats=stats))}
    assert set(found) == {"dying_relu", "saturated_activations"}
    assert found["dying_relu"].layer == "d1"
    assert found["dying_relu"].evidence.startswith("layer d1: 83% of relu units")
    assert "(threshold 70% [DD])" in found["dying_relu"].evidence
    assert found["saturated_activations"].layer == "d2"
    assert "dying_relu" in names(healthy(activation_stats=stats), {"dying_relu_share": 0.8})
    assert "dying_relu" not in names(healthy(activation_stats=stats), {"dying_relu_share": 0.9})


def test_update_ratio_out_of_range_says_which_way():
    slow = healthy(update_ratios=[{"d1": 3e-6, "d2": 4e-3, "out": 3e-3}] * 5)
    found = [f for f in detect(slow) if f.name == "update_ratio_out_of_range"]
    assert [f.layer for f in found] == ["d1"] and found[0].values["direction"] == "raise"
    fast = healthy(update_ratios=[{"d1": 0.5, "d2": 0.3, "out": 0.4}] * 5)
    assert {f.values["direction"] for f in detect(fast) if f.name == "update_ratio_out_of_range"} == {"lower"}
    first_step_only = healthy(update_ratios=[{"d1": 0.5, "d2": 0.5, "out": 0.5}] + [{"d1": 3e-3, "d2": 4e-3,
                                                                                    "out": 3e-3}] * 4)
    assert names(first_step_only) == ["good_fit"]  # median over epochs: Adam's first step is big by design


def test_unchanged_weights_skips_frozen_layers():
    still = healthy(weight_change={"d1": 0.0, "d2": 0.3, "out": 0.3})
    found = [f for f in detect(still) if f.name == "unchanged_weights"]
    assert [f.layer for f in found] == ["d1"]
    frozen = healthy(weight_change={"d1": 0.0, "d2": 0.3, "out": 0.3}, trainable={"d1": False})
    assert "unchanged_weights" not in names(frozen)


def test_cannot_overfit_subset_for_classification_and_regression():
    stuck = healthy(subset={"n": 32, "steps": 500, "initial_loss": 2.6, "final_loss": 2.2,
                            "final_accuracy": 0.19, "loss_fraction": 0.85})
    found = detect(stuck)
    assert [f.name for f in found] == ["cannot_overfit_subset"] and "19%" in found[0].evidence
    reg = dict(subset={"n": 32, "steps": 500, "initial_loss": 3.0, "final_loss": 1.0, "final_accuracy": None,
                       "loss_fraction": 0.33})
    assert "cannot_overfit_subset" in names(healthy(**reg))
    assert "cannot_overfit_subset" not in names(healthy(**reg), {"subset_max_loss_fraction": 0.5})
