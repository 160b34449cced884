import errno
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from advisor.errors import AdvisorError
from advisor.runtime.run_folder import RunFolder
from advisor.runtime.run_safety import differences, disk_error_message, interrupt_message


def test_json_written_whole_and_status_tracks_completion(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.set_status("incomplete", stage="tune")
    run.write_json("metrics.json", {"accuracy": np.float32(0.5), "cm": np.eye(2, dtype=int)})
    assert json.loads((tmp_path / "run" / "metrics.json").read_text()) == {"accuracy": 0.5, "cm": [[1, 0], [0, 1]]}
    assert run.status() == "incomplete"
    # No temporary files left behind by the atomic writes (.lock: the one-writer lock).
    assert sorted(os.listdir(tmp_path / "run")) == [".lock", "metrics.json", "status.json"]
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


def _holder(path):
    """A process holding the run folder's lock (a RunFolder left open), ready once it printed."""
    code = f"from advisor.runtime.run_folder import RunFolder; r = RunFolder({str(path)!r}); print('ready', flush=True); " \
           "import time; time.sleep(120)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_one_writer_per_folder_and_a_killed_writer_leaves_no_stale_lock(tmp_path):
    run = tmp_path / "run"
    holder = _holder(run)
    try:
        assert (run / ".lock").read_text().strip() == str(holder.pid)
        with pytest.raises(AdvisorError, match=rf"run folder {run} is in use by process {holder.pid} \(advisor train\)"):
            RunFolder(run)
        assert sorted(os.listdir(run)) == [".lock"]  # the refused writer wrote nothing
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    again = RunFolder(run)  # the OS dropped the dead holder's lock
    assert (run / ".lock").read_text().strip() == str(os.getpid())
    assert RunFolder(run).path == again.path  # one process may open its own folder twice
    again.close()


def test_resume_differences_name_what_changed():
    before = {"data": {"name": "digits", "fingerprint": "a"}, "model": {"name": "mlp", "parameters": 1000,
              "fingerprint": "m"}, "plan": None, "seed": 0, "epochs": 30, "tuner": "bayesian"}
    same = json.loads(json.dumps(before))
    assert differences(before, same) == []
    wine = dict(same, data={"name": "wine", "fingerprint": "b"}, model=dict(same["model"], fingerprint="w"))
    assert differences(before, wine) == ["on other data (digits, now wine)"]  # the model follows the data
    cnn = dict(same, model={"name": "cnn", "parameters": 2000, "fingerprint": "c"}, seed=1,
               data=dict(same["data"], fingerprint="z"))  # another seed draws another split: not "other data"
    assert differences(before, cnn) == ["with another model (mlp of 1,000 parameters, now cnn of 2,000 parameters)",
                                        "with --seed 0 (now 1)"]
    assert differences(before, dict(same, plan="p", epochs=5)) == ["with no --plan (now one)", "with --epochs 30 (now 5)"]


class _Wrapped(Exception):
    pass


@pytest.mark.parametrize("make, expected", [
    (lambda: OSError(errno.ENOSPC, "No space left on device", "/data/runs/x/plan.json"),
     "no space left on device writing /data/runs/x/plan.json: free space, then rerun"),
    (lambda: OSError(errno.EDQUOT, "Disk quota exceeded", "/q/a.h5"), "disk quota exceeded writing /q/a.h5"),
    (lambda: OSError(errno.EROFS, "Read-only file system", "/ro/x"), "read-only file system writing /ro/x"),
    (lambda: PermissionError(errno.EACCES, "Permission denied", "/p/x"), "permission denied on /p/x"),
    # h5py: errno set, the file only in the text
    (lambda: OSError(errno.ENOSPC, "Can't close file (file write failed: filename = 'runs/x/c.weights.h5', "
                     "errno = 28, error message = 'No space left on device')"), "writing runs/x/c.weights.h5:"),
    # TensorFlow's file writers, behind keras' wrapper: text only
    (lambda: _Wrapped("{{function_node __wrapped__FlushSummaryWriter_device_/job:localhost/cpu:0}} "
                      "runs/x/logs/train/events.out; No space left on device\n\tFailed to flush"),
     "no space left on device writing runs/x/logs/train/events.out:"),
])
def test_disk_errors_become_one_line_naming_the_path(monkeypatch, make, expected):
    from advisor.runtime import run_folder

    monkeypatch.setattr(run_folder, "_last_opened", [])  # no run folder: no --resume advice
    try:
        try:
            raise make()
        except Exception as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError as outer:
        message = disk_error_message(outer)
    assert message is not None and expected in message, message
    assert disk_error_message(ValueError("a bug, not a disk")) is None


def test_interrupt_line_appends_resume_and_the_default_out(tmp_path, monkeypatch):
    from advisor.runtime import run_folder

    run = RunFolder(tmp_path / "runs" / "iris-1")
    run.set_status("incomplete", stage="search")
    line = interrupt_message(["advisor", "train", "iris", "--budget", "1m"])
    assert line == f"interrupted during search; continue with: advisor train iris --budget 1m --out {run.path} --resume"
    assert interrupt_message(["x", "train", "iris", "--out", "r", "--resume"]).endswith("train iris --out r --resume")
    monkeypatch.setattr(run_folder, "_last_opened", [])
    assert interrupt_message(["x", "train", "my data.csv"]).endswith("start again with: advisor train 'my data.csv'")
    run.close()


def test_a_cut_checkpoint_goes_and_whole_files_stay(tmp_path):
    from advisor.runtime.run_safety import discard_partial

    run = RunFolder(tmp_path / "run")
    run.write_json("status.json", {"status": "incomplete"})
    backup = run.file("checkpoints")
    backup.mkdir()
    (backup / "latest.weights.h5").write_bytes(b"half")
    (backup / "training_metadata.json").write_text('{"epoch": 3}')
    trial = run.file("tuner/trial_0")
    trial.mkdir(parents=True)
    (trial / "checkpoint.weights.h5").write_bytes(b"half")

    def full(path):
        return OSError(errno.ENOSPC, "No space left on device", str(path))

    discard_partial(full(run.file("status.json")))  # written whole or not at all: its last version stays
    discard_partial(full(tmp_path / "elsewhere.h5"))  # not the run's
    assert run.status() == "incomplete"
    discard_partial(full(trial / "checkpoint.weights.h5"))
    discard_partial(full(backup / "latest.weights.h5"))  # the epoch count goes with its weights
    assert not (trial / "checkpoint.weights.h5").exists() and os.listdir(backup) == []
    run.close()


def test_low_space_is_one_progress_line_not_an_error(tmp_path, monkeypatch):
    import shutil

    from advisor.runtime import run_safety

    class Net:
        def count_params(self):
            return 1_000_000  # x 4 bytes x 3 copies x 10 trials = 114 MB

    said = []
    run = RunFolder(tmp_path / "run")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 20 * 2**20, 20 * 2**20))
    run_safety.warn_low_space(run, Net(), trials=10, tuner="random", say=lambda *a: said.append(a))
    assert said == [("disk", f"only 20 MB free where {run.path} is, and checkpoints may need about 114 MB: "
                             "if the disk fills, the run stops, and --resume continues it once space is freed")]
    said.clear()
    run_safety.warn_low_space(run, Net(), tuner="none", say=lambda *a: said.append(a))  # 50 MB floor > 12 MB
    assert len(said) == 1 and "about 50 MB" in said[0][1]
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 0, 10**12))
    said.clear()
    run_safety.warn_low_space(run, Net(), trials=10, tuner="random", say=lambda *a: said.append(a))
    assert said == []
    run.close()
