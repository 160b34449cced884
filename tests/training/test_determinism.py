"""--deterministic: two separate processes, same seed -> identical plan and metrics (CPU)."""
import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_two_deterministic_runs_are_identical(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    outs = [tmp_path / f"run{i}" for i in range(2)]
    # Side by side: each run's timing differs from the other's, and must not matter.
    procs = [subprocess.Popen([sys.executable, "-m", "advisor.cli", "train", "wine", "--out", str(out), "--seed", "7",
                               "--deterministic", "--tuner", "random", "--trials", "2", "--epochs", "4", "--ensemble", "1",
                               "--budget", "10m", "--quiet"], stderr=subprocess.PIPE, text=True, env=env)
             for out in outs]
    for proc in procs:
        _, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, err[-2000:]
    read = [{name: json.loads((o / name).read_text()) for name in ("plan.json", "metrics.json", "history.json")}
            for o in outs]
    assert read[0]["plan.json"] == read[1]["plan.json"]
    assert read[0]["history.json"] == read[1]["history.json"]  # every epoch's loss, bit for bit
    a, b = read[0]["metrics.json"], read[1]["metrics.json"]
    for timed in (a, b):  # how long things took is measured, not computed: the rest must match
        timed.pop("wall_time_s"), timed.pop("time"), timed["final_fit"].pop("samples_per_s")
    assert a == b
