"""Mixed precision decided by measurement, on this CPU, with a small conv net."""
import keras
import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.hardware.detect import detect_hardware
from advisor.hardware.precision import MIXED_PRECISION_MIN_SPEEDUP, time_policies


def small_cnn():
    """Built under the current global policy; the output stays float32 (docs/references.md#knowledge-6)."""
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax", dtype="float32"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64)


def test_times_float32_and_the_cpus_mixed_policy_and_restores_the_global_policy(batch):
    keras.config.set_dtype_policy("float32")
    built_under = []

    def build():
        built_under.append(keras.config.dtype_policy().name)
        return small_cnn()

    result = time_policies(build, batch)
    expected = ["float32"] + detect_hardware().mixed_policies()
    assert built_under == expected and sorted(result["times"]) == sorted(expected)
    assert all(0 < t < 5 for t in result["times"].values())
    assert keras.config.dtype_policy().name == "float32"
    print(f"\nstep times on this CPU: {result['times']} -> {result['faster']} ({result['speedup']:.2f}x)")
    if len(expected) > 1:
        mixed = expected[1]
        assert result["speedup"] == pytest.approx(result["times"]["float32"] / result["times"][mixed])
        assert (result["faster"] == mixed) == (result["speedup"] >= MIXED_PRECISION_MIN_SPEEDUP)
        # docs/references.md#knowledge-6: bf16 measured 1.5-1.6x faster for a small conv net on these CPUs.
        assert result["faster"] == "mixed_bfloat16", result


def test_policy_is_restored_even_when_building_fails(batch):
    keras.config.set_dtype_policy("bfloat16")

    def broken():
        raise RuntimeError("no model today")

    try:
        with pytest.raises(RuntimeError, match="no model today"):
            time_policies(broken, batch, policies=["float32", "mixed_bfloat16"])
        assert keras.config.dtype_policy().name == "bfloat16"
    finally:
        keras.config.set_dtype_policy("float32")


def test_bad_arguments_name_the_values(batch):
    with pytest.raises(AdvisorError, match="steps=0"):
        time_policies(small_cnn, batch, steps=0)
