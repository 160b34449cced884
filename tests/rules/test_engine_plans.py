"""Table-driven: hand-written Facts -> what the plan must (and must not) contain."""
import json

import pytest

from advisor.rules.engine import decide
from advisor.hardware.detect import detect_hardware
from advisor.rules.facts import Facts
from tests.rules.facts_builders import finding, healthy

RELU_FAMILY = {"relu", "leaky_relu", "elu", "selu"}
WEIGHT_PENALTIES = {"dropout", "l1", "l2", "label_smoothing", "adamw", "tabular_noise", "image_augment"}


def plan(facts):
    return dict(decide(facts).recipes())


def test_healthy_run_gets_just_the_defaults():
    decision = decide(healthy())
    assert decision.recipes() == [("warmup_cosine", {"warmup": 0.05}),
                                  ("early_stop", {"patience": 10, "restore_best_weights": True})]
    assert [a.text for a in decision.advice] == ["training looks healthy: keep the plan"]


def test_vanishing_gradient_in_sigmoid_mlp_swaps_to_relu_family_with_matching_init():
    facts = healthy(hidden_activations=["sigmoid"] * 5, depth=6,
                    findings=[finding("vanishing_gradient", "first/last layer gradient ratio 2e-6 (<= 1e-3)")])
    p = plan(facts)
    assert p["activation"]["to"] in RELU_FAMILY and p["activation"]["swap"] == "saturating"
    assert p["initializer"]["kind"].startswith("he_")
    assert "batch_norm" in p
    assert any("residual" in a.text for a in decide(facts).advice)


def test_vanishing_gradient_in_relu_net_gets_selu_lecun_first_repair():
    p = plan(healthy(has_batchnorm=True, findings=[finding("vanishing_gradient")]))
    assert p["activation"] == {"to": "selu", "swap": "all"} and p["initializer"] == {"kind": "lecun_normal"}
    assert "batch_norm" not in p  # the model already has it


def test_underfitting_never_regularizes_and_raises_the_learning_rate():
    facts = healthy(has_dropout=True, max_dropout_rate=0.2, n_train=600, findings=[
        finding("underfitting", "best train accuracy 0.41 (< 0.7)"), finding("small_data", "600 samples"),
        finding("too_many_params", "300 params per sample"), finding("overfitting", "gap 0.06")])
    decision = decide(facts)
    p = dict(decision.recipes())
    assert not WEIGHT_PENALTIES - {"adamw"} & set(p)
    assert p["adam"] == {"learning_rate": 0.003}
    dropped = {d.recipe: d.reason for d in decision.dropped}
    assert {"dropout", "l1", "label_smoothing", "tabular_noise"} <= set(dropped)
    assert all("underfitting" in dropped[r] for r in ("dropout", "l1", "tabular_noise"))
    assert any("bigger/deeper model" in a.text for a in decision.advice)


def test_overfitting_regularizes_augments_and_stops_early():
    p = plan(healthy(modality="image", depth=2, findings=[
        finding("overfitting", "val_loss rose 4 epochs in a row while train_loss fell 18%")]))
    assert p["dropout"] == {"rate": 0.3} and p["l2"] == {"strength": 1e-4}
    assert "image_augment" in p and "early_stop" in p and p["label_smoothing"] == {"amount": 0.1}


def test_overfitting_in_a_deep_adam_net_uses_decoupled_weight_decay():
    p = plan(healthy(depth=6, findings=[finding("overfitting")]))
    assert p["adamw"] == {"learning_rate": 1e-3, "weight_decay": 0.01} and "l2" not in p


@pytest.mark.parametrize("ratio, rebalance, focal", [(4.0, "class_weights", False), (25.0, "oversample", True)])
def test_class_imbalance_rebalances_and_switches_metrics(ratio, rebalance, focal):
    p = plan(healthy(imbalance_ratio=ratio, findings=[finding("class_imbalance", f"ratio {ratio}")]))
    assert rebalance in p and p["metrics"] == {"set": "imbalanced"}
    assert ({"class_weights", "oversample"} - {rebalance}).isdisjoint(p)
    assert ("focal_loss" in p) == focal


def test_unnormalized_input_is_normalized():
    decision = decide(healthy(looks_unnormalized=True, x_min=0.0, x_max=255.0, findings=[]))
    assert ("normalize", {}) in decision.recipes()
    assert "[0, 255]" in decision.chosen[0].why[0]


def test_exploding_gradients_clip_and_lower_the_learning_rate():
    p = plan(healthy(learning_rate=0.01, findings=[finding("exploding_gradient", "first/last ratio 310 (>= 70)")]))
    assert p["gradient_clip"] == {"clipvalue": 10.0}
    assert p["adam"] == {"learning_rate": 0.001}


def test_oscillation_divides_the_learning_rate_and_takes_the_schedule_slot():
    decision = decide(healthy(findings=[finding("oscillating_loss", "accuracy swung >= 0.03 in 60% of epochs")]))
    p = dict(decision.recipes())
    assert p["adam"] == {"learning_rate": 0.0001}
    assert p["reduce_on_plateau"] == {"factor": 0.2, "patience": 5} and "warmup_cosine" not in p
    assert p["batch_size"] == {"size": 64}
    assert any(d.recipe == "warmup_cosine" and "one schedule" in d.reason for d in decision.dropped)


def test_unknown_optimizer_moves_the_rate_by_factor():
    p = plan(healthy(optimizer=None, learning_rate=None, findings=[finding("oscillating_loss")]))
    assert p["learning_rate"] == {"factor": 0.1}


@pytest.mark.parametrize("faster, expected", [("mixed_bfloat16", {"policy": "mixed_bfloat16"}), ("float32", None)])
def test_mixed_precision_only_where_measured_faster(faster, expected):
    times = {"float32": 0.030, "mixed_bfloat16": 0.018 if faster != "float32" else 0.041}
    precision = {"times": times, "faster": faster, "speedup": 0.03 / times["mixed_bfloat16"]}
    decision = decide(Facts.build(data_profile=healthy(), model_profile=healthy(), precision=precision))
    assert dict(decision.recipes()).get("mixed_precision") == expected
    if expected is None:
        assert any("keep float32" in a.text and "41.0 ms" in a.why[0] for a in decision.advice)


def test_tf_config_with_two_workers_plans_multi_worker(monkeypatch):
    cluster = {"cluster": {"worker": ["host1:2222", "host2:2222"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster))
    facts = Facts.build(data_profile=healthy(), model_profile=healthy(), hardware=detect_hardware())
    assert facts.workers == 2 and facts.has("multi_worker")
    p = plan(facts)
    assert "multi_worker" in p and "mirrored" not in p


def test_several_gpus_mirror_and_scale_the_batch_merged_with_other_batch_rules():
    facts = healthy(gpus=4, device_count=4, findings=[finding("large_data", "500,000 samples")])
    decision = decide(facts)
    p = dict(decision.recipes())
    assert "mirrored" in p and p["batch_size"] == {"size": 256}  # max(256 large data, 32 x 4 replicas)
    batch = next(c for c in decision.chosen if c.recipe == "batch_size")
    assert batch.rules == ["large_data", "multiple_gpus"]  # data rules outrank hardware rules


def test_divergence_and_exploding_share_one_clip_and_one_learning_rate():
    findings = [finding("divergence", "loss nan at epoch 2"), finding("exploding_gradient")]
    decision = decide(healthy(findings=findings))
    p = dict(decision.recipes())
    assert p["gradient_clip"] == {"clipvalue": 10.0} and p["adam"] == {"learning_rate": 0.0001}
    clip = next(c for c in decision.chosen if c.recipe == "gradient_clip")
    assert clip.rules == ["divergence", "exploding_gradient"]
    assert p["warmup_cosine"] == {"warmup": 0.1}  # divergence's warm-up beat the default's


def test_engine_adds_required_clipping_even_without_the_rule():
    decision = decide(healthy(findings=[finding("exploding_gradient", "ratio 120")]), rules=[])
    assert decision.recipes() == [("gradient_clip", {"clipvalue": 10.0})]
    assert decision.chosen[0].rules == ["engine"] and "ratio 120" in decision.chosen[0].why[0]


def test_no_validation_split_drops_val_loss_callbacks():
    decision = decide(healthy(n_val=0))
    assert "early_stop" not in dict(decision.recipes())
    assert any(d.recipe == "early_stop" and "validation" in d.reason for d in decision.dropped)


def test_plan_is_in_build_order():
    names = [r for r, _ in decide(healthy(looks_unnormalized=True, x_min=0.0, x_max=16.0, findings=[
        finding("overfitting"), finding("class_imbalance"), finding("exploding_gradient")])).recipes()]
    assert names.index("normalize") < names.index("dropout") < names.index("adam") < names.index("warmup_cosine") \
        < names.index("gradient_clip") < names.index("early_stop")


@pytest.mark.parametrize("directions, expected", [(["raise"], {"adam": {"learning_rate": 0.01}}),
                                                  (["lower", "lower"], {"adam": {"learning_rate": 0.0001}}),
                                                  (["raise", "lower"], {})])
def test_update_ratio_moves_the_rate_the_way_every_layer_agrees_on(directions, expected):
    findings = [finding("update_ratio_out_of_range", f"layer d{i}: ratio out of [1e-4, 0.1]", layer=f"d{i}",
                        direction=d) for i, d in enumerate(directions)]
    decision = decide(healthy(findings=findings))
    p = dict(decision.recipes())
    assert {k: v for k, v in p.items() if k == "adam"} == expected
    assert (not expected) == any("per-layer" in a.text for a in decision.advice)


def test_conflicting_duplicate_labels_get_label_smoothing():
    dup = finding("duplicates_in_train", "40 of 1,000 samples repeat; 6 inputs carry different labels",
                  n_duplicates=40, conflicting=6)
    assert dict(decide(healthy(findings=[dup])).recipes())["label_smoothing"] == {"amount": 0.1}
    plain = finding("duplicates_in_train", "40 of 1,000 samples repeat", n_duplicates=40, conflicting=0)
    assert "label_smoothing" not in dict(decide(healthy(findings=[plain])).recipes())
