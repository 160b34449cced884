"""The benchmark's smoke mode: every arm really runs and the runner writes measured numbers."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_mode_writes_a_measured_table(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    arms = {row["arm"]: row for row in results["rows"]}
    assert set(arms) == {"baseline", "keras-tuner", "random", "advisor"}
    for row in arms.values():
        assert 0.0 <= row["accuracy"] <= 1.0 and row["process_s"] >= row["wall_s"] > 0 and row["peak_rss_mb"] > 100
    assert arms["keras-tuner"]["trials"] >= 1 and arms["random"]["trials"] >= 1
    assert arms["advisor"]["trials"] >= 2  # at least the two seeded trials: the rule book's plan and unchanged
    assert results["meta"]["commit"]
    assert "| iris | advisor |" in (tmp_path / "results.md").read_text()
    assert (tmp_path / "accuracy.png").stat().st_size > 1000
