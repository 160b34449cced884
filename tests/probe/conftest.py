"""Shared fixtures for the probe/detector tests: small offline data, tiny models."""
import pytest


@pytest.fixture(scope="session")
def digits():
    """sklearn digits as 64 features in [0, 1], split 60/20/20 (`advisor.testing.faults.load_data`)."""
    from advisor.testing.faults import load_data

    return load_data("digits")


@pytest.fixture(scope="session")
def digits_image():
    from advisor.testing.faults import load_data

    return load_data("digits-image")


@pytest.fixture
def tiny_mlp():
    """Factory: `tiny_mlp(info, units=16, compiled=True)`, a tiny ReLU MLP (He init)."""
    return _tiny_mlp


def _tiny_mlp(info, units=16, compiled=True):
    import keras

    model = keras.Sequential([
        keras.Input(shape=tuple(info.input_shape)),
        keras.layers.Dense(units, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(info.num_classes, activation="softmax"),
    ])
    if compiled:
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model
