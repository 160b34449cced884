"""`advisor train --plan P` on two workers joined by TF_CONFIG on 127.0.0.1
trains the same model as one process, to comparable accuracy."""
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from recipes import Adam, Plan

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 400  # a hung collective must still end the test
ARGS = ["train", "digits", "--epochs", "8", "--seed", "0"]


def _advisor(args, tf_config=None):
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen([sys.executable, "-m", "advisor.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_workers_train_like_one_process(tmp_path, free_ports):
    plan = tmp_path / "plan.json"
    Plan([Adam(learning_rate=1e-3)]).save(str(plan))
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    procs = [_advisor([*ARGS, "--plan", str(plan), "--out", str(tmp_path / "multi")],
                      {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}) for i in range(2)]
    procs.append(_advisor([*ARGS, "--plan", str(plan), "--out", str(tmp_path / "single")]))
    try:
        errs = [p.communicate(timeout=TIMEOUT_S)[1] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, err in zip(procs, errs):
        assert p.returncode == 0, err[-3000:]

    multi, single = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("multi", "single"))
    print(f"\ntest accuracy: 2 workers {multi['accuracy']:.4f}, 1 process {single['accuracy']:.4f}")
    assert multi["epochs_run"] == single["epochs_run"] == 8
    assert abs(multi["accuracy"] - single["accuracy"]) <= 0.03, (multi["accuracy"], single["accuracy"])
    assert multi["accuracy"] > 0.9
    # Worker 0 wrote the run folder; worker 1 only trained; both finished with the same test result.
    assert "the chief writes the run folder" in errs[1] and f"{multi['accuracy']:.4f}" in errs[1]
    used = Plan.load(str(tmp_path / "multi" / "plan.json"))
    assert [r.name for r in used.recipes] == ["adam", "batch_size", "multi_worker"]
    assert used.setup.batch_size == 32  # the single-host batch, as the global batch: 16 per host
    model = keras.models.load_model(tmp_path / "multi" / "model.keras", safe_mode=True)
    assert model.output_shape == (None, 10)


@pytest.mark.slow
def test_multi_host_training_needs_a_plan(tmp_path):
    tf_config = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}}
    proc = _advisor([*ARGS, "--out", str(tmp_path / "run")], tf_config)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("error: TF_CONFIG lists 2 hosts")
    assert not (tmp_path / "run").exists()
