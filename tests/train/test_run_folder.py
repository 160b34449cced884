import json
import os

import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.run_folder import RunFolder


def test_json_written_whole_and_status_tracks_completion(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.set_status("incomplete", stage="tune")
    run.write_json("metrics.json", {"accuracy": np.float32(0.5), "cm": np.eye(2, dtype=int)})
    assert json.loads((tmp_path / "run" / "metrics.json").read_text()) == {"accuracy": 0.5, "cm": [[1, 0], [0, 1]]}
    assert run.status() == "incomplete"
    # No temporary files left behind by the atomic writes.
    assert sorted(os.listdir(tmp_path / "run")) == ["metrics.json", "status.json"]
    run.set_status("complete")
    assert RunFolder(tmp_path / "run", resume=True).status() == "complete"


def test_complete_run_is_not_overwritten_without_resume(tmp_path):
    RunFolder(tmp_path).set_status("complete")
    with pytest.raises(AdvisorError, match="already holds a complete run"):
        RunFolder(tmp_path)


def test_unwritable_out_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AdvisorError, match="cannot write to output folder"):
        RunFolder(blocker / "run")


def test_failed_write_leaves_previous_file_intact(tmp_path):
    run = RunFolder(tmp_path)
    run.write_json("plan.json", {"v": 1})
    with pytest.raises(TypeError):
        run.write_json("plan.json", {"v": object()})
    assert json.loads((tmp_path / "plan.json").read_text()) == {"v": 1}
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
