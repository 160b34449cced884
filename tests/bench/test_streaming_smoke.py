"""The streaming benchmark's smoke mode runs both arms and writes its table (the figures are not judged here)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_mode_measures_both_arms_and_writes_the_table(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.streaming", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["arm"]: r for r in json.loads((tmp_path / "streaming.json").read_text())["rows"]}
    assert set(rows) == {"advisor", "plain"}
    for row in rows.values():
        assert isinstance(row["peak_rss_mb"], float) and row["peak_rss_mb"] > 0, row
    for row in rows.values():
        assert row["error"] is None and row["samples_per_s"] > 0, row
    table = (tmp_path / "streaming.md").read_text()
    assert "| 40 | advisor |" in table and "| 40 | plain |" in table
