"""SIGKILL `advisor train` at different stages, resume each time: the run always
ends complete and valid, and no kill leaves a folder that claims to be complete."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ARGS = ["train", "iris", "--tuner", "random", "--trials", "3", "--epochs", "15", "--seed", "1", "--budget", "10m"]
# Kill when a progress line containing this appears: mid-probe, mid-search, mid-final-fit.
KILL_POINTS = ["probe:", "search: trial 1", "final fit: epoch 3/"]


def _start(out, resume):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, "-m", "advisor.cli", *ARGS, "--out", str(out)] + (["--resume"] if resume else [])
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_repeated_kills_then_resume_end_complete_and_valid(tmp_path):
    import keras

    from recipes import Plan

    out = tmp_path / "run"
    for i, point in enumerate(KILL_POINTS):
        proc = _start(out, resume=i > 0)
        deadline = time.monotonic() + 300
        for line in proc.stderr:
            if point in line:
                proc.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"run ended before reaching {point!r}"
        assert json.loads((out / "status.json").read_text())["status"] == "incomplete"
        for name in os.listdir(out):  # every file that carries its final name is whole
            if name.endswith(".json"):
                json.loads((out / name).read_text())

    proc = _start(out, resume=True)
    _, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, err[-2000:]
    assert json.loads((out / "status.json").read_text())["status"] == "complete"
    # Valid, not just present: everything loads and agrees.
    plan = Plan.load(str(out / "plan.json"))
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    metrics = json.loads((out / "metrics.json").read_text())
    assert model.output_shape[-1] == 3
    # The plan trained is the one the (resumed) search kept (no recipe if the model as given won),
    # without the recipe the ablation dropped, if one hurt.
    trials = json.loads((out / "trials.json").read_text())
    dropped = {row["recipe"] for row in trials.get("ablation", []) if not row["kept"]}
    searched = Plan.from_dict(trials["plan"])
    assert Plan([r for r in searched.recipes if r.name not in dropped]) == plan
    # Iris trains easily: a model that learned (chance is a third) after three kills.
    assert metrics["accuracy"] >= 0.7 and len(json.loads((out / "trials.json").read_text())["trials"]) >= 3
