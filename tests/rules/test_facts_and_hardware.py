"""Facts.build from stage outputs, and the hardware profile of this machine."""
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.rules.facts import Facts
from advisor.hardware.detect import HardwareProfile, detect_hardware, hardware_findings, tf_config_workers
from tests.rules.facts_builders import finding

DATA = SimpleNamespace(
    n_train=1200, n_val=300, n_test=297, task="multiclass", modality="tabular", num_classes=10,
    zero_share=np.float64(0.25), class_counts=[120] * 10, imbalance_ratio=1.0, minority_share=0.1,
    min_samples_per_class=120, x_min=0.0, x_max=16.0, x_mean=4.9, x_std=6.0, looks_unnormalized=True)
MODEL = {"num_params": 8906, "depth": 3, "hidden_activations": ("sigmoid", "sigmoid"),
         "output_activation": "softmax", "loss": "sparse_categorical_crossentropy", "from_logits": False,
         "optimizer": "adam", "learning_rate": 1e-3, "has_batchnorm": False, "has_dropout": True,
         "max_dropout_rate": 0.2}
TRACE = SimpleNamespace(history={"loss": [2.3, 1.1, 0.6], "val_loss": [2.2, 1.3, 1.4]}, initial_loss=2.31,
                        expected_initial_loss=2.303, grad_norms=[], update_ratios=[], activation_stats=[],
                        step_time_s=0.004, epochs=3, seed=0)


def test_build_reads_catalog_fields_from_objects_and_dicts():
    hw = HardwareProfile(gpus=2, gpu_names=["A", "B"], gpu_compute_capabilities=[[8, 0], [8, 0]], device_count=2)
    precision = {"times": {"float32": 0.02, "mixed_float16": 0.01}, "faster": "mixed_float16", "speedup": 2.0}
    facts = Facts.build(DATA, MODEL, TRACE, hw.to_dict(), [finding("overfitting", "val_loss rose")], precision)
    assert (facts.n_train, facts.modality, facts.looks_unnormalized, facts.x_max) == (1200, "tabular", True, 16.0)
    assert facts.hidden_activations == ["sigmoid", "sigmoid"] and facts.max_dropout_rate == 0.2
    assert (facts.final_loss, facts.final_val_loss, facts.epochs) == (0.6, 1.4, 3)
    assert (facts.gpus, facts.device_count, facts.gpu_compute_capabilities) == (2, 2, [[8, 0], [8, 0]])
    assert facts.precision_faster == "mixed_float16"
    assert [f.name for f in facts.findings] == ["overfitting", "mixed_precision_faster", "multiple_gpus"]
    assert "10.0 ms under mixed_float16 vs 20.0 ms under float32" in facts.get("mixed_precision_faster").evidence
    assert facts.has("overfitting") and not facts.has("underfitting") and facts.get("underfitting") is None


def test_round_trip_through_json_and_unknown_fields_are_refused():
    facts = Facts.build(DATA, MODEL, TRACE, findings=[finding("dying_relu", "80% zeros", share=0.8)])
    again = Facts.from_dict(json.loads(json.dumps(facts.to_dict())))
    assert again == facts and again.get("dying_relu").values == {"share": 0.8}
    assert type(facts.zero_share) is float and facts.zero_share == 0.25
    with pytest.raises(ValueError, match="n_trian"):
        Facts.from_dict({"n_trian": 3})


def test_missing_stages_leave_fields_unknown():
    facts = Facts.build()
    assert facts.n_train is None and facts.optimizer is None and facts.findings == [] and facts.workers == 1


def test_detect_hardware_on_this_machine():
    hw = detect_hardware()
    with open("/proc/cpuinfo") as f:
        flags = next(line for line in f if line.startswith("flags")).split()
    assert hw.cpu_avx512_bf16 == ("avx512_bf16" in flags) and hw.cpu_amx == ("amx_bf16" in flags)
    assert hw.cpu_count == os.cpu_count() and hw.memory_bytes > 2**30
    assert hw.gpus == 0 and hw.device_count == 0  # no GPU here
    assert hw.mixed_policies() == (["mixed_bfloat16"] if hw.cpu_bf16 else [])
    assert json.loads(json.dumps(hw.to_dict()))["cpu_bf16"] == hw.cpu_bf16


@pytest.mark.slow
def test_detect_hardware_does_not_import_tensorflow_on_a_cpu_host():
    code = ("import sys; from advisor.hardware.detect import detect_hardware; detect_hardware(); "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("caps, cpu_bf16, expected", [([[7, 5]], False, ["mixed_float16"]), ([[6, 1]], True, []),
                                                      ([], True, ["mixed_bfloat16"]), ([], False, [])])
def test_mixed_policies_follow_compute_capability_and_cpu_flags(caps, cpu_bf16, expected):
    hw = HardwareProfile(gpus=len(caps), gpu_compute_capabilities=caps, cpu_avx512_bf16=cpu_bf16)
    assert hw.mixed_policies() == expected


def test_tf_config_workers():
    assert tf_config_workers(None) == 1
    both = {"cluster": {"chief": ["h0:1"], "worker": ["h1:1", "h2:1"], "ps": ["h3:1"]}, "task": {}}
    assert tf_config_workers(json.dumps(both)) == 3
    with pytest.raises(AdvisorError, match="TF_CONFIG.*'not json'"):
        tf_config_workers("not json")


def test_hardware_findings_only_when_there_is_something_to_use():
    kept_float32 = {"times": {"float32": 0.01, "mixed_bfloat16": 0.012}, "faster": "float32", "speedup": 0.83}
    assert hardware_findings(HardwareProfile(), kept_float32) == []
    found = hardware_findings(HardwareProfile(workers=2, gpus=3, gpu_names=["a", "b", "c"]))
    assert [(f.name, f.source) for f in found] == [("multiple_gpus", "hardware"), ("multi_worker", "hardware")]


def test_build_from_the_real_data_profile_and_model_inspection():
    """Contract check with advisor.data.profile / advisor.model.inspect: every catalog field is read."""
    import keras

    from advisor.data.checks import data_findings
    from advisor.data.load import load
    from advisor.rules.engine import decide
    from advisor.model.inspect import inspect_model, model_findings
    from advisor.data.profile import profile

    dataset = load("digits")
    model = keras.Sequential([keras.Input(dataset.info.input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    data_profile, model_profile = profile(dataset), inspect_model(model, dataset.info)
    findings = data_findings(data_profile) + model_findings(model_profile, dataset.info)
    facts = Facts.build(data_profile, model_profile, findings=findings)
    assert (facts.n_train, facts.num_classes, facts.looks_unnormalized) == (data_profile.n_train, 10, True)
    assert (facts.hidden_activations, facts.optimizer, facts.depth) == (["tanh"], "sgd", 2)
    assert facts.learning_rate == pytest.approx(0.05) and facts.zero_share > 0.3
    plan = dict(decide(facts).recipes())
    assert "normalize" in plan and plan["step_decay"] == {"every": 10, "factor": 0.1}
