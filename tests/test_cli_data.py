"""`advisor diagnose` on data: readable report, --json, and one-line errors with exit code 2."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advisor.cli import main

ADVISOR = [sys.executable, "-c", "from advisor.cli import main; main()"]


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_diagnose_digits_prints_summary_and_findings():
    result = run("diagnose", "digits", "--no-probe")
    assert result.exit_code == 0, result.output
    assert "digits: image, multiclass (10 classes), input 8x8x1" in result.stdout
    assert "train 1,257 | val 270 | test 270" in result.stdout
    assert "unnormalized_input" in result.stdout and "0..16" in result.stdout


def test_diagnose_json_is_the_only_stdout(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], [190, 10])
    np.savez(tmp_path / "imb.npz", x=rng.random((200, 3)), y=y)
    result = run("diagnose", str(tmp_path / "imb.npz"), "--json", "--seed", "1", "--no-probe")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"dataset", "profile", "findings"}
    assert report["dataset"]["counts"] == {"train": 140, "val": 30, "test": 30}
    assert report["profile"]["class_counts"] == [133, 7]
    assert "class_imbalance" in {f["name"] for f in report["findings"]}


def _bad_inputs(tmp):
    """(arguments, a word the one-line error must contain) for each kind of bad input."""
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": [1, 2, 3, 4], "y": [0, 1, 0, 1]}).to_csv(tmp / "ok.csv", index=False)
    pd.DataFrame({"a": [1, 2, 3, 4], "color": ["r", "g", "r", "b"], "y": [0, 1, 0, 1]}).to_csv(
        tmp / "cat.csv", index=False)
    (tmp / "empty.csv").write_text("")
    np.savez(tmp / "nox.npz", y=np.arange(10) % 2)
    np.savez(tmp / "mismatch.npz", x=rng.random((10, 3)), y=np.arange(9) % 2)
    np.savez(tmp / "single.npz", x=rng.random((20, 3)), y=np.zeros(20, int))
    nan_y = (np.arange(20) % 2).astype(float)
    nan_y[4] = np.nan
    np.savez(tmp / "nanlabels.npz", x=rng.random((20, 3)), y=nan_y)
    import keras

    for cls in ("cat", "dog"):
        (tmp / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            keras.utils.save_img(tmp / "imgs" / cls / f"{i}.png", rng.integers(0, 255, (8, 8, 3)).astype("uint8"))
    (tmp / "imgs" / "dog" / "broken.png").write_bytes(b"definitely not a png")
    return [
        (["diagnose", str(tmp / "missing.csv")], "no such file"),
        (["diagnose", "digitz"], "digits"),
        (["diagnose", str(tmp / "ok.csv"), "--target", "label"], "no column 'label'"),
        (["diagnose", str(tmp / "cat.csv"), "--target", "y"], "color"),
        (["diagnose", str(tmp / "empty.csv"), "--target", "y"], "empty"),
        (["diagnose", str(tmp / "nox.npz")], "no array 'x'"),
        (["diagnose", str(tmp / "mismatch.npz")], "10 inputs but 9 labels"),
        (["diagnose", str(tmp / "single.npz")], "single class"),
        (["diagnose", str(tmp / "imgs")], "broken.png"),
        (["diagnose", str(tmp / "nanlabels.npz")], "NaN"),
        (["diagnose", "tfds:mnist", "--data-dir", str(tmp / "nothing")], "--data-dir"),
        (["diagnose"], "Missing argument"),
        (["diagnose", "digits", "--bogus"], "No such option"),
    ]


def test_bad_input_gives_one_line_and_exit_2(tmp_path):
    for args, expected in _bad_inputs(tmp_path):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == "", args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        assert expected in lines[0], (args, lines[0])
        assert "Traceback" not in result.output


@pytest.mark.slow
def test_help_is_fast_and_imports_no_tensorflow():
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    start = time.perf_counter()
    out = subprocess.run(ADVISOR + ["--help"], capture_output=True, text=True, env=env, timeout=30)
    elapsed = time.perf_counter() - start
    assert out.returncode == 0 and "diagnose" in out.stdout
    assert elapsed < 2.0, f"advisor --help took {elapsed:.2f}s"
    check = "import sys; from advisor import cli; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.slow
def test_subprocess_error_is_one_clean_line(tmp_path):
    out = subprocess.run(ADVISOR + ["diagnose", str(tmp_path / "nope.npz")], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [f"error: no such file or folder: {tmp_path / 'nope.npz'}"]


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "0.1.0" in result.stdout
