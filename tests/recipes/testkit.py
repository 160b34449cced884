"""Small real data and models for the recipes tests (fast: 6x6 images, 3 classes)."""
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CLASSES = 3
SHAPE = (6, 6, 1)


def images(n=48, seed=0, imbalance=False):
    """(x, y): float32 images whose class shows in the mean brightness, int64 labels."""
    rng = np.random.default_rng(seed)
    if imbalance:
        y = np.array([0] * (n - 2 * (n // 8)) + [1] * (n // 8) + [2] * (n // 8), dtype=np.int64)
    else:
        y = np.arange(n, dtype=np.int64) % CLASSES
    x = rng.normal(size=(n, *SHAPE)).astype("float32") + y[:, None, None, None].astype("float32")
    return x, y


def sequential_model(compiled=True):
    import keras

    model = keras.Sequential([
        keras.Input(SHAPE),
        keras.layers.Conv2D(2, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation="tanh"),
        keras.layers.Dense(CLASSES, activation="softmax"),
    ])
    if compiled:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def functional_model(compiled=True):
    """Two branches (tanh and relu) joined, then Dense + a separate softmax Activation."""
    import keras

    inputs = keras.Input(SHAPE, name="pixels")
    h = keras.layers.Flatten()(keras.layers.Conv2D(2, 3, activation="relu")(inputs))
    a = keras.layers.Dense(8, activation="tanh", name="tanh_branch")(h)
    b = keras.layers.Dense(8, activation="relu", name="relu_branch")(h)
    logits = keras.layers.Dense(CLASSES, name="logits")(keras.layers.Concatenate()([a, b]))
    outputs = keras.layers.Activation("softmax", name="probs")(logits)
    model = keras.Model(inputs, outputs)
    if compiled:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def subprocess_env(**extra):
    """Environment for child Python processes: this checkout importable, quiet TF, CPU only."""
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env
