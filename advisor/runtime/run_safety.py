"""What keeps a run folder trustworthy beyond its atomic writes.

- `inputs.json`: what the run was run on (data, model, the options that change
  results). `--resume` with other inputs is refused, so one folder never mixes
  two runs' results.
- a warning before the work when the folder's disk obviously lacks room;
- `disk_error_message`: a full disk, a quota, a permission or a read-only
  disk, met anywhere during `train`, as the CLI's one error line;
  `guard_disk_errors` and `discard_partial` keep such a run quiet and resumable;
- `interrupt_message`: after Ctrl-C, the stage and the command that continues.

Nothing here imports TensorFlow.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Callable

from advisor.errors import AdvisorError
from advisor.runtime.fingerprints import fingerprint, model_fingerprint

INPUTS_FILE = "inputs.json"
# The options that change a run's results. The budget (and --trials, an upper
# bound of the same kind) is not one: a resume may be given more time.
RESULT_OPTIONS = ("seed", "epochs", "tuner", "cv", "ensemble")

# Too little disk, with headroom: keras-tuner keeps one checkpoint per trial,
# and the final fit's BackupAndRestore one with the optimizer state; with Adam
# that is 3 copies of the float32 weights (weights, first and second moments).
# The floor covers what does not scale with the model: TensorBoard event files,
# the trial JSONs, diagnosis.json and report.html (a few MB for small models).
BYTES_PER_PARAM, COPIES = 4, 3
SPACE_FLOOR = 50 * 2**20
EXPECTED_TRIALS = 30  # without --trials: about what a few minutes of search run on small data


def start(run, *, resume: bool, say: Callable[[str, str], None], dataset, net, model=None, plan=None,
          seed: int = 0, epochs: int | None = None, tuner: str | None = None, trials: int | None = None,
          cv: int | None = None, ensemble: int | None = None) -> None:
    """Where the run folder is opened: refuse a resume on other inputs, record
    the inputs, and warn when the disk obviously lacks room."""
    check_inputs(run, inputs_of(dataset, net, model=model, plan=plan, seed=seed, epochs=epochs, tuner=tuner,
                                cv=cv, ensemble=ensemble), resume=resume)
    if run.status() != "complete":
        warn_low_space(run, net, trials=trials, tuner=tuner, say=say)
    guard_disk_errors()


# ---- inputs.json ----------------------------------------------------------------------------

def inputs_of(dataset, net, *, model=None, plan=None, seed=0, epochs=None, tuner=None, cv=None,
              ensemble=None) -> dict:
    if model is None:
        model_name = "the default model"
    elif isinstance(model, (str, os.PathLike)):
        model_name = str(model)
    else:
        model_name = f"a {type(model).__name__}"
    plan_dict = plan.to_dict() if plan is not None else None
    return {
        "data": {"name": dataset.info.name, "fingerprint": fingerprint(dataset)},
        "model": {"name": model_name, "parameters": int(net.count_params()), "fingerprint": model_fingerprint(net)},
        "plan": None if plan_dict is None else hashlib.sha256(json.dumps(plan_dict, sort_keys=True).encode())
        .hexdigest()[:16],
        "seed": seed, "epochs": epochs, "tuner": tuner, "cv": cv, "ensemble": ensemble,
    }


def check_inputs(run, inputs: dict, *, resume: bool) -> None:
    """On resume, refuse inputs that differ from the recorded ones (one line
    saying what differs); otherwise record them. A run folder from before
    inputs.json existed takes the current inputs as its record."""
    before = run.read_json(INPUTS_FILE) if resume else None
    if before is not None:
        changed = differences(before, inputs)
        if changed:
            fix = ("use another --out for these inputs" if run.status() == "complete"
                   else "use another --out, or drop --resume to start over")
            raise AdvisorError(f"{run.path} was run {'; '.join(changed)}: {fix}")
        return
    if run.status() != "complete":
        run.write_json(INPUTS_FILE, inputs)


def differences(before: dict, now: dict) -> list[str]:
    """What differs, as phrases: 'on other data (digits, now wine)', 'with --seed 0 (now 1)'."""
    out = []
    old_data, new_data = before.get("data") or {}, now["data"]
    # The fingerprint hashes the training split, which the seed draws: with
    # another seed the same data differs too, and the seed is what to name.
    same_split = before.get("seed") == now["seed"]
    if old_data.get("name") != new_data["name"]:
        out.append(f"on other data ({old_data.get('name')}, now {new_data['name']})")
    elif same_split and old_data.get("fingerprint") != new_data["fingerprint"]:
        out.append(f"on other data ({old_data.get('name')} had other contents)")
    old_model, new_model = before.get("model") or {}, now["model"]
    # The same model spec on other data is another model too (its input shape); the data is what to name.
    follows_data = bool(out) and old_model.get("name") == new_model["name"]
    if old_model.get("fingerprint") != new_model["fingerprint"] and not follows_data:
        out.append(f"with another model ({_model(old_model)}, now {_model(new_model)})")
    old_plan, new_plan = before.get("plan"), now["plan"]
    if old_plan != new_plan:
        out.append("with no --plan (now one)" if old_plan is None else "with a --plan (now none)" if new_plan is None
                   else "with another --plan (its recipes differ)")
    for option in RESULT_OPTIONS:
        if option in before and before[option] != now[option]:
            out.append(f"with --{option} {before[option]} (now {now[option]})")
    return out


def _model(m: dict) -> str:
    params = m.get("parameters")
    return f"{m.get('name')} of {params:,} parameters" if isinstance(params, int) else str(m.get("name"))


# ---- disk space -----------------------------------------------------------------------------

def warn_low_space(run, net, *, trials=None, tuner=None, say: Callable[[str, str], None]) -> None:
    trials = 1 if tuner == "none" else (trials or EXPECTED_TRIALS)
    need = max(SPACE_FLOOR, int(net.count_params()) * BYTES_PER_PARAM * COPIES * trials)
    try:
        free = shutil.disk_usage(run.path).free
    except OSError:
        return
    if free < need:
        say("disk", f"only {_mb(free)} free where {run.path} is, and checkpoints may need about {_mb(need)}: "
                    f"if the disk fills, the run stops, and --resume continues it once space is freed")


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n < 10 * 2**20 else f"{n / 2**20:.0f} MB"


# ---- disk errors --------------------------------------------------------------------------------

# errno -> (what happened, the fix)
DISK_ERRORS = {
    errno.ENOSPC: ("no space left on device writing", "free space"),
    errno.EDQUOT: ("disk quota exceeded writing", "free space or raise the quota"),
    errno.EACCES: ("permission denied on", "make it writable"),
    errno.EROFS: ("read-only file system writing", "remount it writable"),
}
# The same conditions in the text of errors that wrap them (h5py, TensorFlow's
# file writers, keras-tuner's "consecutive failures" message quoting a trial's traceback).
DISK_TEXTS = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
              "Permission denied": errno.EACCES, "Read-only file system": errno.EROFS}
_QUOTED_PATH = re.compile(r"""(?:name = |filename ?[=:] ?)['"]([^'"]+)['"]""")  # h5py
_BEFORE_REASON = re.compile(r"(\S+/\S+?); (?:" + "|".join(DISK_TEXTS) + ")")  # TF: "runs/x/a.json; No space..."
_PATH = re.compile(r"""([^\s'",;:()\[\]]*/[^\s'",;:()\[\]]+)""")


def guard_disk_errors() -> None:
    """Make a disk error end the run at once, quietly, and resumable. Idempotent;
    other errors are untouched.

    - h5py reports what it could not flush while closing a file as tracebacks
      ("Exception ignored in ... __dealloc__"); those that are disk errors are
      dropped (the error that stops the run names the same disk).
    """
    if getattr(sys.unraisablehook, "_advisor_disk_guard", False):
        return
    previous_unraisable, previous_excepthook = sys.unraisablehook, sys.excepthook

    def unraisable(info):
        if info.exc_value is None or find_disk_error(info.exc_value) is None:
            previous_unraisable(info)

    def excepthook(kind, value, tb):
        # Cython prints an exception raised in a __dealloc__ through sys.excepthook
        # before reporting it unraisable; an uncaught exception still shows.
        if not (_in_dealloc(tb) and find_disk_error(value) is not None):
            previous_excepthook(kind, value, tb)

    unraisable._advisor_disk_guard = True
    sys.unraisablehook, sys.excepthook = unraisable, excepthook


def fatal_if_disk_error(err: Exception, trial_id: str) -> None:
    """keras-tuner turns any exception in a trial into a failed trial, prints its
    traceback and goes on to the next trial, which meets the same full disk:
    a disk error ends the search instead, as keras-tuner's public FatalError
    (which it re-raises), caused by the OSError. For a tuner's `run_trial`."""
    from keras_tuner.errors import FatalError

    if not isinstance(err, FatalError) and find_disk_error(err) is not None:
        raise FatalError(f"trial {trial_id}: {err}") from err


def discard_partial(exc: BaseException) -> None:
    """Remove the checkpoint a disk error cut short, when it is in the run folder.

    Keras writes weights (.h5: keras-tuner's trial checkpoints, BackupAndRestore's)
    in place, and h5py cannot read half a file ("bad object header"), while a
    missing checkpoint only means redoing that work on --resume. BackupAndRestore
    keeps an epoch count beside its weights: both go, or the resumed fit would
    start at that epoch from fresh weights. Every other file of the run is
    written whole or not at all (to a temporary name, then renamed): never
    removed here, the error names the file that keeps its previous version."""
    from advisor.runtime import run_folder

    found, run_dir = find_disk_error(exc), run_folder.current()
    if found is None or not found[1] or run_dir is None:
        return
    path = Path(os.path.realpath(os.fsdecode(found[1])))
    backup = path.name in ("latest.weights.h5", "training_metadata.json")
    if not path.is_relative_to(os.path.realpath(run_dir)) or not (path.suffix == ".h5" or backup):
        return
    doomed = [path] + ([path.parent / "latest.weights.h5", path.parent / "training_metadata.json"] if backup else [])
    for p in doomed:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


def _in_dealloc(tb) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_name.endswith("__dealloc__"):
            return True
        tb = tb.tb_next
    return False


def find_disk_error(exc: BaseException) -> tuple[int, str | None] | None:
    """(errno, path or None) of a disk error anywhere in `exc`'s chain
    (__cause__/__context__), by errno or else by its text; None when there is none."""
    chain, seen = [], set()
    e = exc
    while e is not None and id(e) not in seen and len(chain) < 20:
        seen.add(id(e))
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, OSError) and e.errno in DISK_ERRORS:
            return e.errno, e.filename or _path_in(str(e))
    for e in chain:
        text = str(e)
        code = next((c for t, c in DISK_TEXTS.items() if t in text), None)
        if code is not None:
            return code, _path_in(text)
    return None


def disk_error_message(exc: BaseException) -> str | None:
    """One line for a disk error anywhere in `exc`'s chain, naming the path
    and the fix; None when it is not one."""
    found = find_disk_error(exc)
    if found is None:
        return None
    code, path = found
    from advisor.runtime import run_folder

    run_dir = run_folder.current()
    what, fix = DISK_ERRORS[code]
    where = _shown(path, run_dir) if path else (f"in {run_dir}" if run_dir else "")
    if run_dir is not None:
        then = f"{fix} (or move {run_dir} to a disk with room and pass that --out), then rerun with --resume"
    else:
        then = f"{fix}, then rerun"
    return f"{what} {where}: {then}".replace("  ", " ")


def _path_in(text: str) -> str | None:
    text = re.sub(r"\{\{.*?\}\}", "", text)  # TensorFlow's "{{function_node __wrapped__.../device:CPU:0}}"
    m = _QUOTED_PATH.search(text) or _BEFORE_REASON.search(text) or _PATH.search(text)
    return m.group(1) if m else None


def _shown(path, run_dir: Path | None) -> str:
    """The path as the user would name it: under the run folder as they gave it."""
    path = os.fsdecode(path)
    if run_dir is not None:
        try:
            inside = Path(os.path.realpath(path)).relative_to(os.path.realpath(run_dir))
            return str(run_dir / inside) if str(inside) != "." else str(run_dir)
        except ValueError:
            pass
    return path


# ---- Ctrl-C ---------------------------------------------------------------------------------------

def interrupt_message(argv: list[str]) -> str:
    """'interrupted during <stage>; continue with: advisor train ... --resume',
    from the command line as typed and the run folder's status.json."""
    from advisor.runtime import run_folder

    args = list(argv[1:])
    run_dir = run_folder.current()
    if run_dir is None or not (run_dir / "status.json").is_file():
        return "interrupted before the run folder held anything; start again with: " + _command(args)
    try:
        state = json.loads((run_dir / "status.json").read_text())
    except (OSError, ValueError):
        state = {}
    if state.get("status") == "complete":
        return f"interrupted after the run completed: the results are in {run_dir}"
    if not any(a == "--out" or a.startswith("--out=") for a in args):
        args += ["--out", str(run_dir)]  # the default folder's name has the start time in it
    if "--resume" not in args:
        args.append("--resume")
    return f"interrupted during {state.get('stage', 'the run')}; continue with: {_command(args)}"


def _command(args: list[str]) -> str:
    return shlex.join(["advisor", *args])
