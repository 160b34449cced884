"""`advisor train` end to end on real data and real models (each test is a real run)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from advisor.pipeline import train

RUN_FILES = {"model.keras", "plan.json", "findings.json", "metrics.json", "trials.json", "history.json",
             "report.html", "status.json", "logs"}


def _complete(run_dir):
    names = set(os.listdir(run_dir))
    assert RUN_FILES <= names, RUN_FILES - names
    assert json.loads((run_dir / "status.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_digits_reaches_95_percent_and_leaves_a_complete_run_folder(tmp_path):
    from recipes import Plan

    # The two seeded trials (the rule book's plan, the setup unchanged): with tuner="random" two unseeded
    # random draws decided the figure (0.907 once).
    result = train("digits", out=tmp_path / "run", budget_s=90, tuner="bayesian", trials=2, epochs=20,
                   quiet=True)
    assert result.metrics["accuracy"] >= 0.95, result.metrics["accuracy"]
    assert "ensemble" not in result.metrics  # 1,257 training samples: not small data, one model
    _complete(tmp_path / "run")
    # The saved plan is a real, loadable plan, and the report names the findings.
    plan = Plan.load(str(tmp_path / "run" / "plan.json"))
    assert [r.name for r in plan.recipes] == [r["name"] for r in result.plan["recipes"]]  # empty: the setup as given won
    html = (tmp_path / "run" / "report.html").read_text()
    assert "confusion matrix" in html and "data:image/png;base64" in html
    for f in result.findings:
        assert f["name"] in html


@pytest.mark.slow
def test_deep_sigmoid_mlp_is_repaired_far_above_the_unrepaired_model(tmp_path):
    import keras

    from advisor.report.evaluate import evaluate
    from advisor.testing.faults import case_by_name, case_data

    case = case_by_name("sigmoid-deep")
    dataset = case_data(case)
    epochs = 15
    # Unrepaired: the broken model, trained the same number of epochs.
    keras.utils.set_random_seed(0)
    broken = case.build(dataset.info)
    broken.fit(dataset.train.batch(32), epochs=epochs, verbose=0)
    x, y = dataset.arrays["test"]
    before = evaluate(broken, x, y, dataset.info.task)["accuracy"]

    keras.utils.set_random_seed(0)
    # 60 s: at 30 s, late in a loaded suite, the per-trial cap cut the rule book's trial to one epoch.
    result = train(dataset, case.build(dataset.info), out=tmp_path / "run", budget_s=60, tuner="none",
                   epochs=epochs, quiet=True)
    after = result.metrics["accuracy"]
    # The vanishing gradient's repair (the activation swap) is in the plan trained.
    assert any(r["name"] == "activation" for r in result.plan["recipes"]), result.plan
    assert any(t["hyperparameters"].get("repair/vanishing_gradient", "none") != "none" for t in result.trials[:1])
    assert after >= before + 0.3, (before, after)
    assert after >= 0.85


def _run_cli(args, **kw):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen([sys.executable, "-m", "advisor.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


@pytest.mark.slow
def test_resume_after_kill_during_final_fit_finishes_the_run(tmp_path):
    out = tmp_path / "run"
    args = ["train", "iris", "--out", str(out), "--tuner", "none", "--epochs", "60", "--seed", "0",
            "--ensemble", "1"]  # one model trained for 60 epochs (no small-data K-fold setting the epochs)
    proc = _run_cli(args)
    killed_at = None
    deadline = time.monotonic() + 240
    for line in proc.stderr:  # progress lines; kill once the final fit has checkpointed a few epochs
        if "final fit: epoch 5/" in line:
            proc.send_signal(signal.SIGKILL)
            killed_at = line
            break
        assert time.monotonic() < deadline, "final fit never started"
    proc.wait(timeout=60)
    assert killed_at is not None and proc.returncode == -signal.SIGKILL
    assert json.loads((out / "status.json").read_text())["status"] == "incomplete"
    assert (out / "checkpoints").is_dir()  # BackupAndRestore's state survived the kill

    resumed = _run_cli([*args, "--resume"])
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    _complete(out)
    # It continued from the checkpoint rather than starting over: the first
    # epoch line after resuming is past epoch 1.
    epochs = [int(line.split("epoch ")[1].split("/")[0]) for line in err.splitlines() if "final fit: epoch" in line]
    assert epochs and epochs[0] > 1, epochs
