"""`--budget` bounds the whole run: the final fit stops at its deadline, a budget
too small to do anything is refused up front."""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from advisor.runtime.budget import Budget
from advisor.pipeline import train


def test_budget_hands_out_deadlines_inside_itself():
    now = [100.0]
    budget = Budget(60.0, start=100.0, clock=lambda: now[0])
    assert budget.fit.at < budget.end == 160.0
    now[0] = 130.0
    assert 130.0 < budget.share(0.5).at < budget.fit.at
    # The final fit's reserve: its epochs at the search's pace, at least its minimum share of what is left.
    assert budget.final_reserve(30, 1.0) == pytest.approx(36.0)
    # At least the floor fixed when the search starts: a fifth of the time left then.
    floor = budget.final_floor()
    assert floor == pytest.approx(0.2 * budget.left()) and budget.final_reserve(30, 0.01, floor=floor) == floor
    assert budget.final_reserve(30, 1.0, startup_s=5.0) == pytest.approx(42.0)
    # Extras get half of what is spare beyond that reserve, nothing when nothing is.
    assert budget.extras(10.0).at == pytest.approx(130.0 + 0.5 * (budget.left() - 10.0))
    assert budget.extras(1e9).at == pytest.approx(130.0)
    now[0] = 170.0
    assert budget.expired() and budget.left() == 0.0 and budget.fit.share(0.5).passed()


@pytest.mark.slow
def test_final_fit_cut_by_the_budget_leaves_a_complete_valid_run(tmp_path):
    # 5,000 epochs cannot fit in 30 s: the final fit must end at the deadline (--ensemble 1:
    # one model, so small data's automatic K-fold does not set the epochs). At 20 s, one run beside
    # another worker ended with no final fit cut by the deadline (the message did not say why:
    # it now prints the final fit, the search and the stage times); 30 s leaves more room.
    result = train("iris", out=tmp_path / "run", budget_s=30, epochs=5000, tuner="none", quiet=True, ensemble=1)
    final = result.metrics["final_fit"]
    assert final["cut_at_deadline"] and final["epochs_run"] < final["epochs_planned"] == 5000, (
        final, result.metrics["search"], result.metrics["time"])
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "complete"
    assert keras.models.load_model(tmp_path / "run" / "model.keras").predict(np.zeros((1, 4)), verbose=0).shape == (1, 3)
    assert result.metrics["budget_s"] == 30 and result.metrics["wall_time_s"] > 0
    assert "cut short by the budget" in (tmp_path / "run" / "report.html").read_text()


@pytest.mark.slow
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
