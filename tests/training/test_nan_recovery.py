import json
import math

import keras
import numpy as np
import pytest

from advisor.callbacks.nan_guard import LastGoodWeights
from advisor.training.final_fit import stabilized


class _PoisonAt(keras.callbacks.Callback):
    """Sets a kernel to NaN when epoch `at` begins: a divergence mid-training."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            w = self.model.layers[0].kernel
            w.assign(np.full(w.shape, np.nan, dtype="float32"))


def test_guard_keeps_the_last_good_epoch_and_stops_at_the_first_nan_batch():
    x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    guard = LastGoodWeights()
    hist = model.fit(x, y, epochs=6, batch_size=32, verbose=0, callbacks=[_PoisonAt(3), guard])
    assert guard.nan_epoch == 3 and guard.epochs_done == 3
    assert len(hist.history["loss"]) == 4  # stopped in the poisoned epoch, not after all six
    assert all(np.isfinite(w).all() for w in guard.weights)


def test_stabilized_plan_divides_lr_and_clips():
    from recipes import LearningRate, Plan

    plan = stabilized(stabilized(Plan([LearningRate(factor=2.0)])))
    by_name = {r.name: r for r in plan.recipes}
    assert math.isclose(by_name["learning_rate"].factor, 0.02)
    assert by_name["gradient_clip"].clipnorm == 1.0


@pytest.mark.slow
def test_train_recovers_from_nan_and_records_it(tmp_path):
    from advisor.testing.faults import case_by_name, case_data
    from advisor.pipeline import train
    from recipes import Plan

    case = case_by_name("nan-regression")  # SGD at LR 0.3 on diabetes: the loss goes to inf/NaN
    dataset = case_data(case)
    result = train(dataset, case.build(dataset.info), plan=Plan([]), out=tmp_path / "run", tuner="none",
                   epochs=6, budget_s=120, quiet=True)
    assert result.recoveries and result.recoveries[0]["action"].startswith("learning rate / 10")
    assert math.isfinite(result.metrics["rmse"]) and math.isfinite(result.history["loss"][-1])
    saved = json.loads((tmp_path / "run" / "plan.json").read_text())
    assert {"learning_rate", "gradient_clip"} <= {r["name"] for r in saved["recipes"]}
    assert "NaN recoveries" in (tmp_path / "run" / "report.html").read_text()
