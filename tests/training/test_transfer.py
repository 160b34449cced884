"""Transfer learning on shipped data: a small CNN pretrained on MNIST digits 0-4,
given a new head, then trained by the advisor on 300 images of digits 5-9,
against the same architecture trained from scratch at the same budget and epochs."""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from advisor.data import load
from advisor.pipeline import train
from recipes import FineTune, Plan

# Few epochs for both: the pretrained features show in how fast the model learns.
EPOCHS = 5


def _base():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.MaxPooling2D()(keras.layers.Conv2D(16, 3, activation="relu", name="conv1")(x))
    x = keras.layers.MaxPooling2D()(keras.layers.Conv2D(32, 3, activation="relu", name="conv2")(x))
    return inputs, keras.layers.Flatten(name="features")(x)


def _with_head(inputs, x):
    x = keras.layers.Dense(64, activation="relu", name="dense")(x)
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax", name="head")(x))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def transfer(tmp_path_factory):
    d = tmp_path_factory.mktemp("transfer")
    mnist = load("mnist-5k")
    (x, y), (xv, yv), (xt, yt) = (mnist.arrays[s] for s in ("train", "val", "test"))
    keras.utils.set_random_seed(0)
    _with_head(*_base()).save(d / "scratch.keras")
    pretrained = _with_head(*_base())
    pretrained.fit(x[y < 5], y[y < 5], epochs=5, batch_size=32, verbose=0)
    # The Keras transfer-learning setup: the pretrained base, a new (fresh) head, a fresh optimizer.
    base = keras.Model(pretrained.input, pretrained.get_layer("features").output)
    _with_head(base.input, base.output).save(d / "pretrained.keras")
    rng = np.random.default_rng(0)
    few = rng.choice(np.flatnonzero(y >= 5), 300, replace=False)
    np.savez(d / "high.npz", x=x[few], y=y[few] - 5, x_val=xv[yv >= 5], y_val=yv[yv >= 5] - 5,
             x_test=xt[yt >= 5], y_test=yt[yt >= 5] - 5)
    return d


@pytest.mark.slow
def test_the_pretrained_model_beats_the_same_model_from_scratch(transfer):
    def run(name):  # the real CLI, in a fresh process
        out = transfer / f"run-{name}"
        proc = subprocess.run([sys.executable, "-m", "advisor.cli", "train", str(transfer / "high.npz"), "--model",
                               str(transfer / f"{name}.keras"), "--budget", "30s", "--epochs", str(EPOCHS), "--tuner",
                               "none", "--seed", "0", "--out", str(out), "--quiet"], capture_output=True, text=True,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return (json.loads((out / "metrics.json").read_text())["accuracy"],
                {f["name"]: f for f in json.loads((out / "findings.json").read_text())})

    pretrained_acc, found = run("pretrained")
    scratch_acc, _ = run("scratch")
    print(f"test accuracy on digits 5-9 from 300 images: pretrained {pretrained_acc:.4f}, scratch {scratch_acc:.4f}")
    assert "dense, head are fresh: a new head on a pretrained base" in found["pretrained_weights"]["evidence"]
    assert pretrained_acc > scratch_acc


@pytest.mark.slow
def test_a_fine_tuned_plan_keeps_the_frozen_layers_bit_identical(transfer):
    """Through `advisor train --plan`: conv1 stays frozen through both phases, conv2 is unfrozen after the head's epochs."""
    plan = transfer / "fine_tune.json"
    Plan([FineTune(head_epochs=2, unfreeze_top=1, freeze_until="conv2")]).save(plan)
    train(str(transfer / "high.npz"), str(transfer / "pretrained.keras"), plan=str(plan), budget_s=30,
          epochs=4, tuner="none", out=transfer / "run-plan", quiet=True, seed=0)
    before = keras.models.load_model(transfer / "pretrained.keras", safe_mode=True)
    after = keras.models.load_model(transfer / "run-plan" / "model.keras", safe_mode=True)
    assert json.loads((transfer / "run-plan" / "plan.json").read_text())["recipes"][0]["name"] == "fine_tune"

    def same(name):
        return all(np.array_equal(a, b) for a, b in zip(before.get_layer(name).get_weights(),
                                                         after.get_layer(name).get_weights()))

    assert same("conv1") and not same("conv2") and not same("head")
