"""Run folders that a second process, a full disk or Ctrl-C cannot break, through
the real CLI: one writer per folder (the second is refused naming the first's
PID), a full disk is one error line and the folder resumes once space is freed,
Ctrl-C says the command that continues, and SIGKILL leaves no stale lock.
(Resuming with other data or another model: the bad-input catalogue.)"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

# --ensemble 1: one model, no small-data K-fold (these cases are about the run folder, not the folds).
ARGS = ["train", "iris", "--tuner", "none", "--epochs", "60", "--budget", "40s", "--seed", "0", "--ensemble", "1"]
TIMEOUT_S = 240


def _start(args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    # Ctrl-C as in a terminal, even when this test runs in a background job (which ignores SIGINT).
    return subprocess.Popen([sys.executable, "-m", "advisor.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _run(args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "advisor.cli", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=TIMEOUT_S)


def _signal_at(proc, text, sig):
    """Send `sig` once a progress line containing `text` appears; the rest of stderr."""
    deadline = time.monotonic() + TIMEOUT_S
    for line in proc.stderr:
        if text in line:
            proc.send_signal(sig)
            break
        assert time.monotonic() < deadline, f"no {text!r} line"
    else:
        pytest.fail(f"the run ended before a {text!r} line (exit {proc.wait()})")
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    return rest


def _status(out):
    return json.loads((out / "status.json").read_text())


@pytest.mark.slow
def test_ctrl_c_sigkill_and_a_second_writer_through_one_run(tmp_path):
    """One run's life (one test: each stage costs a real run): Ctrl-C says how to
    continue; that command, SIGKILLed, leaves no stale lock; run again, it is
    the folder's one writer - a second `advisor train` is refused - and completes."""
    out = tmp_path / "run"
    args = [*ARGS, "--out", str(out)]
    # Ctrl-C mid-probe: the stage from status.json and the command typed, with --resume.
    proc = _start(args, tmp_path)
    rest = _signal_at(proc, "probe:", signal.SIGINT)
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    stage = _status(out)["stage"]
    expected = f"interrupted during {stage}; continue with: " + shlex.join(["advisor", *args, "--resume"])
    assert rest.strip().splitlines() == [expected]

    # That command continues; SIGKILLed in the search, its lock dies with it (the PID stays in .lock)...
    command = shlex.split(expected.split("continue with: ", 1)[1])[1:]
    proc = _start(command, tmp_path)
    _signal_at(proc, "search", signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert (out / ".lock").read_text().strip() == str(proc.pid)

    # ...so the same command, again, is not refused; while it runs, a second writer is.
    first = _start(command, tmp_path)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while (out / ".lock").read_text().strip() != str(first.pid):  # it holds the folder
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
            time.sleep(0.2)
        second = _run(args, tmp_path)
        _, err = first.communicate(timeout=TIMEOUT_S)
    finally:
        if first.poll() is None:
            first.kill()
    assert second.returncode == 2 and second.stdout == ""
    assert second.stderr.splitlines() == [f"error: run folder {out} is in use by process {first.pid} (advisor train); "
                                          f"wait for it or choose another --out"]
    assert first.returncode == 0, err[-3000:]
    assert _status(out) == {"status": "complete"}


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs, nearly full: a real ENOSPC, not an injected one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.mark.slow
def test_full_disk_is_one_line_and_the_run_resumes_once_space_is_freed(tmp_path, small_disk):
    out = small_disk / "run"
    filler = small_disk / "filler"
    # 300 KB left: enough for the diagnosis, not for the search's checkpoints.
    filler.write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - 300 * 1024))
    full = _run([*ARGS, "--out", str(out), "--quiet"], tmp_path)

    assert full.returncode == 2, full.stderr[-3000:]  # not a crash (-11, segfault) nor 1 (traceback)
    assert "Traceback" not in full.stderr and full.stdout == ""
    lines = full.stderr.splitlines()
    assert len(lines) == 1, full.stderr[-3000:]
    assert lines[0].startswith(f"error: no space left on device writing {out}"), lines[0]
    assert lines[0].endswith("then rerun with --resume"), lines[0]
    assert _status(out)["status"] == "incomplete"
    for path in out.rglob("*.json"):  # whole, or the resume below could not read them
        json.loads(path.read_text())

    filler.unlink()
    resumed = _run([*ARGS, "--out", str(out), "--quiet", "--resume"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert _status(out) == {"status": "complete"}
    # A trained model, not a placeholder: well above iris's one-in-three chance.
    assert (out / "model.keras").is_file() and json.loads((out / "metrics.json").read_text())["accuracy"] >= 0.5
