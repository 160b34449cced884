"""The benchmark's smoke mode: every arm really runs and the runner writes measured numbers."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import ARM_ORDER

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_mode_writes_a_measured_table(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    arms = {row["arm"]: row for row in results["rows"]}
    assert tuple(arms) == ARM_ORDER == ("baseline", "keras-tuner", "random-repair", "random-search", "advisor")
    for row in arms.values():
        assert 0.0 <= row["accuracy"] <= 1.0 and row["process_s"] >= row["wall_s"] > 0 and row["peak_rss_mb"] > 100
        assert row["train_plus_val"] in (True, False)
    # Every search arm searched. (At least one trial: on a loaded shared machine 25 s leave some arms
    # one trial; that the first two trials run is tests/search's to check.)
    assert arms["keras-tuner"]["trials"] >= 1 and arms["advisor"]["trials"] >= 1
    for name in ("random-repair", "random-search"):  # a model from a trial, or the fallback said in the row
        assert arms[name]["trials"] >= 1 or arms[name]["fallback"]
    assert results["meta"]["commit"] and results["meta"]["partial"]  # one task: never the full table
    table = (tmp_path / "results.md").read_text()
    assert "| iris | advisor" in table and "Cells (task, seed) below the baseline" in table
    assert (tmp_path / "accuracy.png").stat().st_size > 1000
