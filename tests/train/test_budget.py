"""`--budget` bounds the whole run: the final fit stops at its deadline, a budget
too small to do anything is refused up front."""
import json
import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from advisor.training.budget import Budget
from advisor.training.deadline import FitDeadline
from advisor.training.pipeline import train


def _mlp():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_deadline_stops_at_the_deadline_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, 256)
    model = _mlp()
    stop = FitDeadline(time.monotonic() + 1e9, monitor="val_accuracy")
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[stop])
    assert not stop.cut  # a far deadline changes nothing
    # A deadline already passed: the fit ends after one batch and the best epoch's weights come back.
    stop.deadline = time.monotonic() - 1
    history = model.fit(x, y, validation_data=(x, y), epochs=50, verbose=0, callbacks=[stop])
    assert stop.cut and len(history.history["loss"]) == 1
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), stop.best_weights))


def test_without_validation_the_lowest_training_loss_epoch_is_kept():
    """The final fit on train + val (after --cv) has no validation to stop on: a late
    divergence must not leave wrecked weights."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, 256)
    model = _mlp()

    class Wreck(keras.callbacks.Callback):  # the last epoch diverges
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                self.model.set_weights([w * 1e3 for w in self.model.get_weights()])

    keep = FitDeadline(time.monotonic() + 1e9, monitor="loss", keep_best=True)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[Wreck(), keep])
    losses = history.history["loss"]
    assert losses[3] > 10 * min(losses[:3]) and not keep.cut
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), keep.best_weights))
    assert model.evaluate(x, y, verbose=0)[0] < 2 * min(losses[:3])


def test_fit_deadline_leaves_room_for_the_closing_evaluations():
    """The deadline moves earlier by `closing_passes` times the slowest validation
    pass it saw: a model that evaluates slowly still ends inside the budget."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, 256)

    class SlowValidation(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            time.sleep(0.05)

    pass_s = 2 * 0.05  # 256 samples in validation batches of 128: two sleeps per pass
    model = _mlp()
    far = time.monotonic() + 60
    same = FitDeadline(far, monitor="val_accuracy")
    model.fit(x, y, validation_data=(x, y), validation_batch_size=128, epochs=2, verbose=0,
              callbacks=[SlowValidation(), same])
    assert not same.cut and same.pass_s >= pass_s
    reserve = FitDeadline(time.monotonic() + 2.0, monitor="val_accuracy", closing_passes=60 / pass_s)
    history = model.fit(x, y, validation_data=(x, y), validation_batch_size=128, epochs=50, verbose=0,
                        callbacks=[SlowValidation(), reserve])
    # 60 s of reserve: once one validation pass is measured, the 2 s deadline is long past.
    assert reserve.cut and reserve.pass_s >= pass_s and len(history.history["loss"]) <= 2


def test_budget_hands_out_deadlines_inside_itself():
    now = [100.0]
    budget = Budget(60.0, start=100.0, clock=lambda: now[0])
    assert budget.fit_end < budget.end == 160.0
    now[0] = 130.0
    assert 130.0 < budget.deadline_after_share(0.5) < budget.fit_end
    now[0] = 170.0
    assert budget.expired() and budget.left() == 0.0


@pytest.mark.slow
def test_final_fit_cut_by_the_budget_leaves_a_complete_valid_run(tmp_path):
    # 5,000 epochs cannot fit in 20 s: the final fit must end at the deadline (--ensemble 1:
    # one model, so small data's automatic K-fold does not set the epochs).
    result = train("iris", out=tmp_path / "run", budget_s=20, epochs=5000, tuner="none", quiet=True, ensemble=1)
    final = result.metrics["final_fit"]
    assert final["cut_at_deadline"] and final["epochs_run"] < final["epochs_planned"] == 5000
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "complete"
    assert keras.models.load_model(tmp_path / "run" / "model.keras").predict(np.zeros((1, 4)), verbose=0).shape == (1, 3)
    assert result.metrics["budget_s"] == 20 and result.metrics["wall_time_s"] > 0
    assert "cut short by the budget" in (tmp_path / "run" / "report.html").read_text()


def test_a_budget_too_small_is_refused_with_the_smallest_that_works(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-m", "advisor.cli", "train", "iris", "--budget", "1s",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--budget 1s is too small" in lines[0] and "give --budget" in lines[0], proc.stderr
    needed = float(lines[0].split("give --budget ")[1].split("s")[0])
    assert needed >= 15
    assert not (tmp_path / "run").exists()
