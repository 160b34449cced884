"""Tuning adds no memory growth of its own.

Plain Keras 3 on TF 2.21 already grows ~8 MB per build+fit even with
clear_session() and gc (keras-team/keras#17458, tensorflow#61791, still open;
not allocator fragmentation: malloc_trim and MALLOC_ARENA_MAX change nothing).
So the test measures both slopes in one process and requires the tuner's
per-trial growth to stay at the plain loop's.
"""
import gc
import os

import keras
import keras_tuner as kt
import numpy as np
import pytest

from advisor.data import load
from advisor.models import default_model
from advisor.tune import PlanHyperModel, make_tuner, search
from recipes import Dropout, LearningRate, Plan

TRIALS = 12  # the slope after warm-up is clear by then; 20 doubles the cost


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _slope(rss: list[float]) -> float:
    """MB per iteration after warm-up (least squares over iterations 5..N)."""
    tail = rss[4:]
    return float(np.polyfit(np.arange(len(tail)), tail, 1)[0])


@pytest.mark.slow
def test_tuning_grows_no_faster_than_plain_keras(tmp_path):
    dataset = load("digits")
    plain = []
    for _ in range(TRIALS):
        keras.backend.clear_session()
        gc.collect()
        model = default_model(dataset.info)
        model.fit(dataset.train.batch(32), validation_data=dataset.val.batch(32), epochs=1, verbose=0)
        plain.append(_rss_mb())

    plan = Plan([Dropout(0.2), LearningRate(1.0)])
    hypermodel = PlanHyperModel(plan, default_model(dataset.info), dataset, epochs=1)
    tuner = make_tuner("random", hypermodel, tmp_path, objective=kt.Objective("val_accuracy", "max"),
                       max_trials=TRIALS, max_epochs=1, seed=0, deadline=None, resume=False)
    tuned = []
    rows = search(tuner, dataset, epochs=1, deadline=None, on_trial=lambda logs: tuned.append(_rss_mb()))
    assert len([r for r in rows if r["score"] is not None]) == TRIALS

    print(f"plain Keras build+fit: {_slope(plain):.1f} MB/iteration; tuner: {_slope(tuned):.1f} MB/trial; "
          f"RSS {tuned[4]:.0f} -> {tuned[-1]:.0f} MB over trials 5..{TRIALS}")
    assert _slope(tuned) <= 1.3 * _slope(plain) + 1.0, (plain, tuned)
