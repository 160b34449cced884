"""The bad-input catalogue: every kind of wrong data, model, plan or option, run
through the real CLI, ends the same way - exit code 2, one line on stderr
``error: ...`` naming what was wrong (and the fix), no traceback, and for
`train` no run folder (the error is found before any work starts).

Each case is cheap because validation happens before training: a case that
reached the probe or the tuner would blow the file's time budget.
"""
import json
import shutil
import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from advisor.cli import main
from advisor.data import load
from advisor.runtime.fingerprints import fingerprint

MODULE = "advisor_bad_models"  # the module:function specs below import it from the fixture folder

# (id, arguments with {d} for the fixture folder, a distinctive part of the error line)
CASES = [
    # -- data --------------------------------------------------------------------------
    ("missing-path", ["train", "{d}/nothing.npz"], "no such file or folder"),
    ("empty-file", ["diagnose", "{d}/empty.npz", "--no-probe"], "is empty (0 bytes)"),
    ("corrupt-npz", ["diagnose", "{d}/corrupt.npz", "--no-probe"], "not a readable .npz"),
    ("npz-without-x", ["diagnose", "{d}/no_x.npz", "--no-probe"], "no array 'x'"),
    ("npz-x-val-without-y-val", ["diagnose", "{d}/x_val_only.npz", "--no-probe"], "without its pair"),
    ("length-mismatch", ["train", "{d}/mismatch.npz"], "40 inputs but 39 labels"),
    ("split-shape-mismatch", ["diagnose", "{d}/split_shapes.npz", "--no-probe"], "different input shapes"),
    ("nan-features", ["train", "{d}/nan_x.npz"], "hold NaN or infinite values (1 in"),
    ("inf-features", ["train", "{d}/inf_x.npz"], "hold NaN or infinite values (1 in"),
    ("nan-labels", ["train", "{d}/nan_y.npz"], "NaN or infinite"),
    ("fractional-labels", ["diagnose", "{d}/frac_y.npz", "--no-probe"], "not whole numbers"),
    ("labels-2d", ["diagnose", "{d}/y_2d.npz", "--no-probe"], "one label per sample"),
    ("labels-beyond-model-output", ["train", "{d}/three.npz", "--model", MODULE + ":two_units"],
     "has 2 units but the data has 3 classes"),
    ("one-class", ["train", "{d}/one_class.npz"], "single class"),
    ("zero-samples", ["diagnose", "{d}/zero.npz", "--no-probe"], "hold no samples"),
    ("x-1d", ["diagnose", "{d}/x_1d.npz", "--no-probe"], "need a feature axis"),
    ("x-5d", ["diagnose", "{d}/x_5d.npz", "--no-probe"], "(N, H, W, C)"),
    ("string-features", ["train", "{d}/str_x.npz"], "must be numeric arrays"),
    ("object-arrays", ["diagnose", "{d}/object_x.npz", "--no-probe"], "object arrays"),
    ("csv-without-target-column", ["train", "{d}/ok.csv", "--target", "label"], "no column 'label'"),
    ("csv-without-target-option", ["diagnose", "{d}/ok.csv", "--no-probe"], "--target COLUMN"),
    ("csv-text-feature", ["diagnose", "{d}/text.csv", "--target", "y", "--no-probe"], "color are not numeric"),
    ("csv-header-only", ["diagnose", "{d}/header.csv", "--target", "y", "--no-probe"], "header but no rows"),
    ("regression-text-labels", ["diagnose", "{d}/text_y.csv", "--target", "y", "--task", "regression",
                                "--no-probe"], "cannot be regression targets"),
    ("corrupt-image", ["diagnose", "{d}/images", "--no-probe"], "broken.png"),
    ("class-folders-without-images", ["diagnose", "{d}/no_images", "--no-probe"], "no images found"),
    ("corrupt-image-among-10000", ["diagnose", "{d}/many_images", "--no-probe"], "cat/07777.png"),
    ("empty-class-folder", ["diagnose", "{d}/empty_class", "--no-probe"], "empty_class/eel holds no images"),
    ("cv-on-streamed-folder", ["train", "{d}/images_ok", "--cv", "2"], "streamed from disk: drop --cv"),
    ("folder-without-classes", ["diagnose", "{d}/flat_images", "--no-probe"], "no class sub-folders"),
    ("unknown-builtin", ["train", "digitz"], "did you mean 'digits'"),
    ("unsupported-file", ["diagnose", "{d}/data.txt", "--no-probe"], "supported files are"),
    ("target-on-npz", ["diagnose", "{d}/tiny.npz", "--target", "y", "--no-probe"], "only applies to .csv"),
    ("tfds-offline", ["train", "tfds:mnist", "--data-dir", "{d}/no_tfds"], "is not prepared in"),
    # -- model ---------------------------------------------------------------------------
    ("unknown-model-spec", ["train", "{d}/tiny.npz", "--model", "resnet9000"], "neither a .keras file"),
    ("model-file-missing", ["train", "{d}/tiny.npz", "--model", "{d}/absent.keras"], "does not exist"),
    ("model-not-keras-suffix", ["diagnose", "{d}/tiny.npz", "--model", "{d}/model.h5"], "not a .keras file"),
    ("keras-not-a-zip", ["train", "{d}/tiny.npz", "--model", "{d}/not_zip.keras"], "not a .keras archive"),
    ("keras-zip-not-a-model", ["train", "{d}/tiny.npz", "--model", "{d}/zip_not_model.keras"],
     "cannot load model file"),
    ("keras-unregistered-layer", ["train", "{d}/tiny.npz", "--model", "{d}/custom.keras"],
     "custom class 'Doubler'"),
    ("keras-two-inputs", ["diagnose", "{d}/tiny.npz", "--model", "{d}/two_inputs.keras"], "has 2 inputs"),
    ("keras-wrong-input-shape", ["train", "{d}/tiny.npz", "--model", "{d}/five_inputs.keras"],
     "input shape (5,) but the data has shape (3,)"),
    ("keras-lambda", ["train", "{d}/tiny.npz", "--model", "{d}/lambda.keras"], "contains a Lambda layer"),
    ("cnn-on-table", ["diagnose", "{d}/tiny.npz", "--model", "cnn"], "'cnn' needs image input"),
    ("function-missing-module", ["train", "{d}/tiny.npz", "--model", "no_such_module_xyz:build"],
     "Cannot import module"),
    ("function-missing", ["train", "{d}/tiny.npz", "--model", MODULE + ":nope"], "has no function 'nope'"),
    ("function-raises", ["train", "{d}/tiny.npz", "--model", MODULE + ":raises"], "the builder is broken"),
    ("function-module-syntax-error", ["diagnose", "{d}/tiny.npz", "--model", "advisor_bad_syntax:build"],
     "failed (SyntaxError"),
    ("function-returns-string", ["train", "{d}/tiny.npz", "--model", MODULE + ":not_a_model"],
     "expected a keras.Model"),
    ("subclassed-model", ["train", "{d}/tiny.npz", "--model", MODULE + ":subclassed"], "(Subclassed) has no input/output graph"),
    ("model-without-output", ["train", "{d}/tiny.npz", "--model", MODULE + ":empty"], "(Sequential) has no input/output graph"),
    # -- plan --------------------------------------------------------------------------------
    ("plan-missing", ["train", "{d}/tiny.npz", "--plan", "{d}/absent.json"], "does not exist"),
    ("plan-malformed-json", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_bad_json.json"], "not valid JSON"),
    ("plan-not-an-object", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_list.json"], "expected a JSON object"),
    ("plan-unknown-recipe", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_unknown.json"],
     "unknown recipe 'warp_drive'"),
    ("plan-wrong-version", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_v2.json"], "'version' must be 1"),
    ("plan-negative-lr", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_neg_lr.json"],
     "learning_rate must be in (0, inf), got -0.001"),
    ("plan-dropout-one", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_dropout.json"], "rate must be in [0, 1)"),
    ("plan-wrong-type", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_type.json"], "must be a number"),
    ("plan-unknown-setting", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_setting.json"],
     "unknown setting 'ratio'"),
    ("plan-negative-patience", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_patience.json"],
     "patience must be in [0, inf), got -2"),
    ("plan-two-optimizers", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_two_opt.json"], "both set the optimizer"),
    ("plan-augment-on-table", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_augment.json"],
     "'image_augment' needs images"),
    ("plan-focal-on-regression", ["train", "{d}/regression.npz", "--plan", "{d}/plan_focal.json"],
     "'focal_loss' is for classification"),
    ("plan-class-weights-on-regression", ["train", "{d}/regression.npz", "--plan", "{d}/plan_weights.json"],
     "is a regression task"),
    ("plan-freeze-unknown-layer", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_freeze.json"],
     "freeze_until names no layer of the model: 'nosuch'"),
    # -- options -------------------------------------------------------------------------------
    ("out-under-a-file", ["train", "{d}/tiny.npz", "--out", "{d}/a_file/run"], "pass a writable --out"),
    ("budget-zero", ["train", "{d}/tiny.npz", "--budget", "0"], "--budget must be positive"),
    ("budget-negative", ["train", "{d}/tiny.npz", "--budget", "-5"], "--budget must be positive"),
    ("budget-text", ["train", "{d}/tiny.npz", "--budget", "abc"], "like 90s, 15m or 1h"),
    ("epochs-zero", ["train", "{d}/tiny.npz", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    ("epochs-negative", ["train", "{d}/tiny.npz", "--epochs", "-3"], "--epochs must be at least 1, got -3"),
    ("trials-zero", ["train", "{d}/tiny.npz", "--trials", "0"], "--trials must be at least 1, got 0"),
    ("unknown-tuner", ["train", "{d}/tiny.npz", "--tuner", "grid"], "'grid' is not one of"),
    ("seed-not-int", ["train", "{d}/tiny.npz", "--seed", "x1"], "'x1' is not a valid integer"),
    ("resume-without-out", ["train", "{d}/tiny.npz", "--resume"], "--resume needs --out"),
    ("resume-not-a-run", ["train", "{d}/tiny.npz", "--resume", "--out", "{d}/not_a_run"], "not an advisor run"),
    ("resume-missing-folder", ["train", "{d}/tiny.npz", "--resume", "--out", "{d}/never_made"],
     "not an advisor run"),
    ("resume-other-data", ["train", "{d}/tiny.npz", "--resume", "--out", "{d}/digits_run"],
     "was run on other data (digits, now tiny.npz)"),
    ("resume-other-model", ["train", "{d}/tiny.npz", "--resume", "--out", "{d}/cnn1d_run"],
     "was run with another model (cnn1d of 1,234 parameters, now the default model of"),
    ("probe-epochs-zero", ["diagnose", "{d}/tiny.npz", "--probe-epochs", "0"], "'--probe-epochs'"),
    ("probe-seconds-zero", ["diagnose", "{d}/tiny.npz", "--probe-seconds", "0"], "'--probe-seconds'"),
    ("no-probe-with-model", ["diagnose", "{d}/tiny.npz", "--no-probe", "--model", "mlp"], "drop --model/--pretrained/--save-plan"),
    ("cv-one-fold", ["train", "{d}/tiny.npz", "--cv", "1"], "--cv needs at least 2 folds, got 1"),
    ("ensemble-zero", ["train", "{d}/tiny.npz", "--ensemble", "0"], "--ensemble needs at least 1 member"),
    ("cv-with-ensemble", ["train", "{d}/tiny.npz", "--cv", "3", "--ensemble", "2"], "give --cv or --ensemble, not both"),
    ("cv-above-smallest-class", ["train", "wine", "--cv", "60", "--budget", "2m"], "give --cv"),
    ("save-plan-unwritable", ["diagnose", "{d}/tiny.npz", "--save-plan", "{d}/a_file/plan.json"],
     "does not exist or is not writable"),
    ("data-dir-not-tfds", ["diagnose", "{d}/tiny.npz", "--data-dir", "{d}", "--no-probe"], "only applies to tfds"),
    ("unknown-option", ["train", "{d}/tiny.npz", "--bogus"], "No such option"),
    ("missing-data-argument", ["train"], "Missing argument 'DATA'"),
    ("unknown-recipe-shown", ["recipes", "NOSUCH"], "unknown recipe 'NOSUCH'"),
]

ORACLE = {"KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": "1"}
TWO_HOSTS = json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}})
# Cases that need environment variables: distributed training (TF_CONFIG) and tuning (KERASTUNER_*).
ENV_CASES = [
    ("tuner-role-without-oracle", ["train", "{d}/tiny.npz", "--tuner-role", "chief"], {},
     "needs KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT"),
    ("tuner-role-with-hyperband", ["train", "{d}/tiny.npz", "--tuner-role", "chief", "--tuner", "hyperband"], ORACLE,
     "needs --tuner bayesian or random"),
    ("worker-named-chief", ["train", "{d}/tiny.npz", "--tuner-role", "worker"],
     dict(ORACLE, KERASTUNER_TUNER_ID="chief2"), "names a chief"),
    ("tf-config-not-json", ["train", "{d}/tiny.npz"], {"TF_CONFIG": "{oops"}, "TF_CONFIG is not valid JSON"),
    ("tf-config-bad-index", ["train", "{d}/tiny.npz"],
     {"TF_CONFIG": TWO_HOSTS.replace('"index": 0', '"index": 5')}, "index must be in [0, 2)"),
    ("hosts-without-plan", ["train", "{d}/tiny.npz"], {"TF_CONFIG": TWO_HOSTS}, "pass --plan"),
    ("hosts-with-tuner-role", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_two_opt.json", "--tuner-role", "chief"],
     dict(ORACLE, TF_CONFIG=TWO_HOSTS), "do not mix"),
    ("hosts-with-resume", ["train", "{d}/tiny.npz", "--plan", "{d}/plan_two_opt.json", "--resume", "--out", "{d}/x"],
     {"TF_CONFIG": TWO_HOSTS}, "--resume does not work across hosts"),
]


class Doubler(keras.layers.Layer):
    """A custom layer saved without registration: loading it must fail clearly."""

    def call(self, x):
        return x * 2


def _finished_run(path, **inputs):
    """A complete run folder whose inputs.json names other inputs than the cases give."""
    path.mkdir()
    (path / "status.json").write_text(json.dumps({"status": "complete"}))
    recorded = {"data": {"name": "tiny.npz", "fingerprint": "x"}, "model": {"name": "the default model",
                "parameters": 1, "fingerprint": "x"}, "plan": None, "seed": 0, "epochs": 30, "tuner": "bayesian"}
    (path / "inputs.json").write_text(json.dumps(dict(recorded, **inputs)))


def _plan(recipes) -> str:
    return json.dumps({"format": "advisor-plan", "version": 1, "recipes": recipes})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Every bad file the cases name, plus a module of broken model builders on sys.path."""
    d = tmp_path_factory.mktemp("bad_inputs")
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 3)).astype("float32"), np.arange(40) % 2

    np.savez(d / "tiny.npz", x=x, y=y)
    (d / "empty.npz").write_bytes(b"")
    (d / "corrupt.npz").write_bytes(b"PK\x03\x04 this zip stops here")
    np.savez(d / "no_x.npz", y=y)
    np.savez(d / "x_val_only.npz", x=x, y=y, x_val=x)
    np.savez(d / "mismatch.npz", x=x, y=y[:39])
    np.savez(d / "split_shapes.npz", x=x, y=y, x_val=rng.random((10, 4)), y_val=y[:10])
    nan_x, inf_x, nan_y = x.copy(), x.copy(), y.astype(float)
    nan_x[3, 1], inf_x[5, 0], nan_y[4] = np.nan, np.inf, np.nan
    np.savez(d / "nan_x.npz", x=nan_x, y=y)
    np.savez(d / "inf_x.npz", x=inf_x, y=y)
    np.savez(d / "nan_y.npz", x=x, y=nan_y)
    np.savez(d / "frac_y.npz", x=x, y=y + 0.5)
    np.savez(d / "y_2d.npz", x=x, y=rng.random((40, 3)))
    np.savez(d / "three.npz", x=x, y=np.arange(40) % 3)
    np.savez(d / "one_class.npz", x=x, y=np.zeros(40, int))
    np.savez(d / "zero.npz", x=np.zeros((0, 3)), y=np.zeros(0, int))
    np.savez(d / "x_1d.npz", x=x[:, 0], y=y)
    np.savez(d / "x_5d.npz", x=rng.random((40, 2, 2, 2, 2)), y=y)
    np.savez(d / "str_x.npz", x=np.array([["a", "b", "c"]] * 40), y=y)
    np.savez(d / "object_x.npz", x=np.array([[1, "a"]] * 40, dtype=object), y=y)
    np.savez(d / "regression.npz", x=x, y=rng.random(40) * 10)
    (d / "data.txt").write_text("1,2,3\n")

    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).to_csv(d / "ok.csv", index=False)
    pd.DataFrame({"a": x[:, 0], "color": ["red", "blue"] * 20, "y": y}).to_csv(d / "text.csv", index=False)
    (d / "header.csv").write_text("a,b,y\n")
    pd.DataFrame({"a": x[:, 0], "y": ["cat", "dog"] * 20}).to_csv(d / "text_y.csv", index=False)

    for cls in ("cat", "dog"):
        (d / "images" / cls).mkdir(parents=True)
        for i in range(3):
            keras.utils.save_img(d / "images" / cls / f"{i}.png", rng.integers(0, 255, (8, 8, 3)).astype("uint8"))
    (d / "images" / "dog" / "broken.png").write_bytes(b"definitely not a png")
    shutil.copytree(d / "images", d / "images_ok", ignore=shutil.ignore_patterns("broken.png"))
    (d / "empty_class" / "eel").mkdir(parents=True)
    shutil.copytree(d / "images_ok" / "cat", d / "empty_class" / "cat")
    # 10,000 images, one truncated: the scan names it before any work starts
    tiny = (d / "images_ok" / "cat" / "0.png").read_bytes()
    for cls in ("cat", "dog"):
        (d / "many_images" / cls).mkdir(parents=True)
        for i in range(5000):
            (d / "many_images" / cls / f"{i:05d}.png").write_bytes(tiny)
    (d / "many_images" / "cat" / "07777.png").write_bytes(tiny[: len(tiny) // 2])
    (d / "no_images" / "cat").mkdir(parents=True)
    (d / "no_images" / "dog").mkdir()
    (d / "flat_images").mkdir()
    keras.utils.save_img(d / "flat_images" / "0.png", rng.integers(0, 255, (8, 8, 3)).astype("uint8"))

    inputs = keras.Input((5,))
    keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs)).save(d / "five_inputs.keras")
    inputs = keras.Input((3,))
    doubled = keras.layers.Lambda(lambda t: t * 2)(inputs)
    keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(doubled)).save(d / "lambda.keras")
    keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(Doubler()(inputs))).save(d / "custom.keras")
    second = keras.Input((3,))
    joined = keras.layers.Concatenate()([inputs, second])
    keras.Model([inputs, second], keras.layers.Dense(1, activation="sigmoid")(joined)).save(d / "two_inputs.keras")
    with zipfile.ZipFile(d / "zip_not_model.keras", "w") as archive:
        archive.writestr("notes.txt", "a zip, but no model inside")
    (d / "not_zip.keras").write_text("a text file wearing a .keras name")
    (d / "model.h5").write_bytes(b"\x89HDF\r\n")
    (d / "a_file").write_text("a regular file, not a folder")
    (d / "not_a_run").mkdir()
    (d / "not_a_run" / "notes.txt").write_text("someone else's folder")
    _finished_run(d / "digits_run", data={"name": "digits", "fingerprint": "0123456789abcdef"})
    _finished_run(d / "cnn1d_run", model={"name": "cnn1d", "parameters": 1234, "fingerprint": "0123456789abcdef"},
                  data={"name": "tiny.npz", "fingerprint": fingerprint(load(str(d / "tiny.npz")))})

    (d / "plan_bad_json.json").write_text('{"format": "advisor-plan", "version": 1, "recipes": [')
    (d / "plan_list.json").write_text("[]")
    (d / "plan_unknown.json").write_text(_plan([{"name": "warp_drive"}]))
    (d / "plan_v2.json").write_text(json.dumps({"format": "advisor-plan", "version": 2, "recipes": []}))
    (d / "plan_neg_lr.json").write_text(_plan([{"name": "adam", "config": {"learning_rate": -0.001}}]))
    (d / "plan_dropout.json").write_text(_plan([{"name": "dropout", "config": {"rate": 1.0}}]))
    (d / "plan_type.json").write_text(_plan([{"name": "dropout", "config": {"rate": "high"}}]))
    (d / "plan_setting.json").write_text(_plan([{"name": "dropout", "config": {"ratio": 0.2}}]))
    (d / "plan_patience.json").write_text(_plan([{"name": "early_stop", "config": {"patience": -2}}]))
    (d / "plan_augment.json").write_text(_plan([{"name": "image_augment"}]))
    (d / "plan_focal.json").write_text(_plan([{"name": "focal_loss"}]))
    (d / "plan_freeze.json").write_text(_plan([{"name": "fine_tune", "config": {"freeze_until": "nosuch"}}]))
    (d / "plan_weights.json").write_text(_plan([{"name": "class_weights"}]))
    (d / "plan_two_opt.json").write_text(_plan([{"name": "adam"}, {"name": "sgd"}]))

    (d / f"{MODULE}.py").write_text(textwrap.dedent("""
        import keras

        class Subclassed(keras.Model):
            def __init__(self):
                super().__init__()
                self.out = keras.layers.Dense(1, activation="sigmoid")

            def call(self, x):
                return self.out(x)

        def raises(input_shape, num_classes):
            raise RuntimeError("the builder is broken")

        def not_a_model(input_shape, num_classes):
            return "a model"

        def subclassed(input_shape, num_classes):
            return Subclassed()

        def empty(input_shape, num_classes):
            return keras.Sequential()

        def two_units(input_shape, num_classes):
            inputs = keras.Input(input_shape)
            return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    """))
    (d / "advisor_bad_syntax.py").write_text("def build(:\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(d))
        yield d
    sys.modules.pop(MODULE, None)


def _run(args, cwd, real_process):
    """(exit code, stdout, stderr) of `advisor ARGS`, in this process or a new one."""
    if real_process:
        done = subprocess.run([sys.executable, "-m", "advisor.cli", *args], cwd=cwd, capture_output=True,
                              text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    result = CliRunner().invoke(main, args)
    # CliRunner catches what the CLI let escape; a real process would print its traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


# A real process also shows what TensorFlow, TFDS and Keras log natively or through absl.
REAL_PROCESS = {"tfds-offline", "keras-lambda", "nan-features"}


@pytest.mark.parametrize("case_id,args,expected", [
    pytest.param(*case, marks=[pytest.mark.slow] if case[0] in REAL_PROCESS else [], id=case[0])
    for case in CASES])
def test_bad_input_is_one_line_and_exit_2(folder, tmp_path, monkeypatch, case_id, args, expected):
    _check_refused(folder, tmp_path, monkeypatch, case_id, args, expected)


@pytest.mark.parametrize("case_id,args,env,expected", ENV_CASES, ids=[c[0] for c in ENV_CASES])
def test_bad_distributed_setup_is_one_line_and_exit_2(folder, tmp_path, monkeypatch, case_id, args, env, expected):
    for name in ("TF_CONFIG", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        monkeypatch.delenv(name, raising=False)  # and restored after: the CLI sets the tuner id
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _check_refused(folder, tmp_path, monkeypatch, case_id, args, expected)


def _check_refused(folder, tmp_path, monkeypatch, case_id, args, expected):
    monkeypatch.chdir(tmp_path)  # where a default run folder (runs/...) would appear
    args = [a.format(d=folder) for a in args]
    before = sorted(p.name for p in folder.iterdir())
    runs_before = sorted(folder.glob("**/status.json"))  # the finished runs the resume cases point at
    code, stdout, stderr = _run(args, tmp_path, case_id in REAL_PROCESS)

    assert code == 2, stdout + stderr
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert expected in lines[0], lines[0]
    assert stdout == ""
    # Found before any work: no run folder (default or --out), nothing new beside the inputs.
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in folder.iterdir()) == before
    assert sorted(folder.glob("**/status.json")) == runs_before


def test_run_folder_in_use_is_one_line_and_exit_2(folder, tmp_path, monkeypatch):
    """Another process writes the run folder: refused, naming it, and nothing in the folder touched."""
    busy = folder / "busy_run"
    code = (f"from advisor.runtime.run_folder import RunFolder; r = RunFolder({str(busy)!r}); print('ready', flush=True); "
            "import time; time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        _check_refused(folder, tmp_path, monkeypatch, "run-folder-in-use", ["train", "{d}/tiny.npz", "--out", str(busy)],
                       f"run folder {busy} is in use by process {holder.pid} (advisor train); wait for it")
        assert sorted(p.name for p in busy.iterdir()) == [".lock"]
    finally:
        holder.kill()
        holder.wait()
        shutil.rmtree(busy)
