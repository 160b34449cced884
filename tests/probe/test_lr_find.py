"""The LR range test (`advisor.probe.lr_find`) and `advisor lr-find`, on real digits and real models."""
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from advisor.cli import main


@pytest.fixture(scope="module")
def digits():
    from advisor.data import load

    return load("digits")


def _mlp(info, optimizer):
    from advisor.model.defaults import build_architecture, default_loss

    model = build_architecture("mlp", info)
    model.compile(optimizer=optimizer, loss=default_loss(info.task))
    return model


def test_the_model_its_weights_and_its_optimizer_are_untouched(digits):
    import keras

    from advisor.probe.lr_find import lr_range_test

    # BatchNormalization: moving statistics are weights that training changes too.
    model = keras.Sequential([keras.Input(shape=digits.info.input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(32, activation="relu"), keras.layers.BatchNormalization(),
                              keras.layers.Dense(digits.info.num_classes, activation="softmax")])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.9)
    model.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]

    finding = lr_range_test(model, digits, steps=40)

    assert len(finding.lrs) > 1 and finding.lrs[-1] > finding.lrs[0]
    after = model.get_weights()
    assert len(after) == len(before)
    for a, b in zip(before, after):
        assert a.dtype == b.dtype and np.array_equal(a, b)  # bit-identical
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)  # still its schedule, at step 0


@pytest.mark.parametrize("seed", [0, 1])
def test_suggestion_on_a_healthy_mlp_is_near_adams_known_good_rate(digits, seed):
    import keras

    from advisor.probe.lr_find import lr_range_test

    # Measured over seeds 0-9: suggestions 2.8e-3..5.9e-3 (1e-3 and 1e-2 both train this MLP well).
    keras.utils.set_random_seed(seed)
    x, y = digits.arrays["train"]
    model = _mlp(digits.info, keras.optimizers.Adam(1e-3))
    finding = lr_range_test(model, (x / 16.0, y), seed=seed)  # pixels 0..16 -> [0, 1]

    assert 1e-4 <= finding.suggestion <= 1e-2, finding.suggestion
    assert finding.suggestion <= finding.min_loss_lr
    assert len(finding.losses) == len(finding.raw_losses) == len(finding.lrs)
    json.dumps(finding.to_dict())


def test_the_sweep_stops_when_the_loss_blows_up_or_at_the_deadline(digits):
    import keras

    from advisor.probe.lr_find import lr_range_test

    x, y = digits.arrays["train"]
    model = _mlp(digits.info, keras.optimizers.SGD(0.01))
    finding = lr_range_test(model, (x / 16.0, y), start_lr=1e-3, end_lr=1e3, steps=50)
    assert finding.stopped_early and finding.stop_reason in ("diverged", "nan")
    assert finding.lrs[-1] < 1e3 and len(finding.lrs) < 50
    assert finding.losses[-1] > 4 * min(finding.losses) or finding.stop_reason == "nan"

    timed = lr_range_test(model, (x, y), deadline=time.monotonic())
    assert timed.stopped_early and timed.stop_reason == "deadline" and len(timed.lrs) == 1
    assert timed.suggestion is None


@pytest.mark.slow
def test_cli_prints_the_finding_as_json_and_saves_the_plot(tmp_path):
    out = subprocess.run([sys.executable, "-m", "advisor.cli", "lr-find", "digits", "--model", "mlp", "--json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["dataset"] == "digits" and report["optimizer"] == "Adam"
    assert 0 < report["suggestion"] < 10 and len(report["lrs"]) == len(report["losses"]) > 10
    assert report["plot"] == str(tmp_path / "lr_find.png")  # default: lr_find.png in the working folder
    assert (tmp_path / "lr_find.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    for args, expected in [(["lr-find", "nosuchdata"], "nosuchdata"),
                           (["lr-find", "digits", "--plot", str(tmp_path / "no" / "p.png")], "--plot")]:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr
