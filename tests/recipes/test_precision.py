"""MixedPrecision: per-layer policy, float32 head, hardware detection."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from recipes import MixedPrecision, Plan
from recipes.hardware.mixed_precision import detect_policy
from recipes.training_setup import TrainingSetup
from tests.recipes.testkit import functional_model, sequential_model


@pytest.mark.parametrize("make_model", [sequential_model, functional_model])
def test_bfloat16_compute_with_float32_output_layer(make_model, data, tmp_path):
    x, y = data
    model = Plan([MixedPrecision("mixed_bfloat16")]).build(make_model())
    hidden = [l for l in model.layers if isinstance(l, (keras.layers.Dense, keras.layers.Conv2D))][:-1]
    assert hidden and all(l.dtype_policy.compute_dtype == "bfloat16" for l in hidden)
    assert all(l.dtype_policy.variable_dtype == "float32" for l in hidden)
    assert model.layers[-1].dtype_policy.name == "float32"
    if make_model is functional_model:  # Dense -> Activation("softmax"): the whole head stays float32
        assert model.get_layer("logits").dtype_policy.name == "float32"
    assert model.outputs[0].dtype == "float32"
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.get_layer(hidden[0].name).dtype_policy.compute_dtype == "bfloat16"


def test_float16_gets_loss_scaling():
    model = Plan([MixedPrecision("mixed_float16")]).build(sequential_model())
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.layers[1].dtype_policy.compute_dtype == "float16"


def cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\nflags\t\t: fpu sse2 {flags}\n")
    return str(path)


def test_auto_detection_reads_cpu_flags(tmp_path):
    assert detect_policy(cpuinfo(tmp_path, "avx2 avx512f avx512_bf16")) == "mixed_bfloat16"
    assert detect_policy(cpuinfo(tmp_path, "avx2 amx_tile amx_bf16")) == "mixed_bfloat16"
    assert detect_policy(cpuinfo(tmp_path, "avx2 avx512f")) == "float32"
    assert detect_policy(str(tmp_path / "missing")) == "float32"


@pytest.mark.parametrize("capability, expected", [((8, 0), "mixed_float16"), ((6, 1), "float32")])
def test_auto_detection_reads_gpu_compute_capability(monkeypatch, tmp_path, capability, expected):
    gpu = object()
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [gpu] if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda device: {"compute_capability": capability})
    assert detect_policy(cpuinfo(tmp_path, "avx512_bf16")) == expected


def test_auto_uses_the_detected_policy_and_float32_means_no_change():
    policy = detect_policy()
    setup = MixedPrecision().apply(TrainingSetup())
    assert setup.dtype_policy == (None if policy == "float32" else policy)
