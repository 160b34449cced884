"""Mirrored (2 logical CPUs) and MultiWorker (2 processes on 127.0.0.1) really fit."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recipes import MultiWorker, Plan
from recipes.hardware.multi_worker import read_tf_config
from tests.recipes.testkit import sequential_model, subprocess_env

JOB = str(Path(__file__).with_name("distributed_job.py"))
TIMEOUT_S = 240  # generous: the machine is shared; a hung collective must still end the test


def check_fit(result, replicas):
    assert result["replicas"] == replicas
    assert result["batch_size"] == 16  # BatchSize is the global batch: 8 per replica
    for name, model in result["models"].items():
        assert np.all(np.isfinite(model["loss"])) and len(model["loss"]) == 2, name
        assert model["steps"] == 2 * 3  # 48 samples / global batch 16 = 3 steps, 2 epochs


@pytest.mark.slow
def test_mirrored_fits_on_two_logical_cpus(tmp_path):
    out = tmp_path / "mirrored.json"
    done = subprocess.run([sys.executable, JOB, "mirrored", str(out)], env=subprocess_env(),
                          cwd=Path(JOB).parent, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    check_fit(result, replicas=2)
    assert all(m["variable"] == "MirroredVariable" for m in result["models"].values())


@pytest.mark.slow
def test_rule_book_plan_for_two_devices_keeps_32_per_replica(tmp_path):
    """The multiple_gpus rule asks BatchSize(32 x replicas); the plan must not multiply again."""
    out = tmp_path / "rule_book.json"
    done = subprocess.run([sys.executable, JOB, "rule_book", str(out)], env=subprocess_env(),
                          cwd=Path(JOB).parent, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert {"mirrored", "batch_size"} <= set(result["recipes"])
    assert result["replicas"] == 2
    assert result["batch_size"] == 32 * 2  # global 32 x N, not 32 x N x N
    assert result["per_replica"] == [32, 32]
    assert result["steps"] == 128 // 64


@pytest.mark.slow
def test_multi_worker_fits_in_two_processes(tmp_path, free_ports):
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    jobs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        out = tmp_path / f"worker{index}.json"
        process = subprocess.Popen([sys.executable, JOB, "multi_worker", str(out)],
                                   env=subprocess_env(TF_CONFIG=tf_config), cwd=Path(JOB).parent,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        jobs.append((process, out))
    try:
        errors = [process.communicate(timeout=TIMEOUT_S)[1] for process, _ in jobs]
    finally:
        for process, _ in jobs:
            if process.poll() is None:
                process.kill()
    for (process, _), stderr in zip(jobs, errors):
        assert process.returncode == 0, stderr[-3000:]
    results = [json.loads(out.read_text()) for _, out in jobs]
    for result in results:
        check_fit(result, replicas=2)
    # each worker read its own shard, yet both end with the same weights: gradients were all-reduced
    assert results[0]["first_local_batch"] != results[1]["first_local_batch"]
    for name in ("sequential", "functional"):
        assert results[0]["models"][name]["checksum"] == pytest.approx(results[1]["models"][name]["checksum"])


@pytest.mark.parametrize("value, message", [
    (None, "needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG is not valid JSON"),
    ('{"cluster": {}, "task": {"type": "worker", "index": 0}}', "'cluster' must list the workers"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}}', "type 'worker' or 'chief'"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
     r"index must be in \[0, 2\), got 2"),
])
def test_multi_worker_refuses_missing_or_invalid_tf_config(monkeypatch, value, message):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(ValueError, match=message):
        read_tf_config()
    with pytest.raises(ValueError, match=message):  # before any strategy is created
        Plan([MultiWorker()]).build(sequential_model())
