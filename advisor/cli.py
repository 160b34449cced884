"""The `advisor` command line.

Every heavy import (TensorFlow, the loaders) happens inside a command, so
`advisor --help` answers at once. Errors from bad input (`AdvisorError`,
click usage errors) and from the disk (full, over quota, read-only, forbidden)
become one line ``error: ...`` on stderr and exit code 2; Ctrl-C during `train`
says how to continue, exit code 130.
A command builds a plain report dict first and prints it second, so stages
can be added to the report and `--json` shows everything.
"""
from __future__ import annotations

import json
import os
import sys
import time
import warnings

import click

from advisor import __version__
from advisor.errors import AdvisorError
from advisor.runtime.options import TUNERS, TrainOptions

# Before any TensorFlow import: keep its C++ INFO/WARNING logs off the output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Keras' UserWarnings (tf.data ignores `shuffle`, Hyperband reloading a smaller
# optimizer) are about its internals, not the user's input.
warnings.filterwarnings("ignore", category=UserWarning, module=r"keras(\.|$)")

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's code for Ctrl-C
# `--budget` counts from here (process start-up before it is a fraction of a second).
STARTED_AT = time.monotonic()
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2


def import_tensorflow_quietly():
    """Import TensorFlow with stderr muted for the duration.

    Why: TF's native libraries log (oneDNN, CUDA probing) through absl before
    absl is initialised, which ignores TF_CPP_MIN_LOG_LEVEL; those lines would
    otherwise clutter every command. Muting fd 2 only around the import and
    device discovery keeps real errors (raised later, or as exceptions) visible.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # gRPC's info lines (distributed tuning) likewise
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf

            tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    tf.get_logger().setLevel("ERROR")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
    return tf


class _OneLineErrors(click.Group):
    """A click group whose bad-input errors are one line and exit code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as e:  # bare `advisor`: show help, not an error
            click.echo(e.ctx.get_help())
            rv = 0
        except click.UsageError as e:
            hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            _fail(e.format_message() + hint)
        except (click.ClickException, AdvisorError) as e:
            _fail(e.format_message() if isinstance(e, click.ClickException) else str(e))
        except click.Abort as e:
            _interrupted(e, args)
        except Exception as e:  # a full disk, a quota, a read-only or forbidden folder: the user's to fix
            if not _disk_error(e, own_process=args is None):
                raise
        if standalone_mode:
            code = rv if isinstance(rv, int) else 0
            if args is None and "tensorflow" in sys.modules:
                _exit_now(code)
            sys.exit(code)
        return rv


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown. Freeing TensorFlow's
    graphs and models at exit took up to 19 s after a finished run (the generated
    benchmark: train() returned at 56 s, the process ended at 75 s), time the
    budget promises to the user; every file of the run is written and closed
    by now, and the OS releases the run folder's lock."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fail(message: str):
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _disk_error(err: Exception, own_process: bool) -> bool:
    """A disk error (anywhere in err's chain) as one line, exit 2; False when err is not one."""
    from advisor.runtime.run_safety import discard_partial, disk_error_message

    message = disk_error_message(err)
    if message is None:
        return False
    discard_partial(err)  # the half-written file, so that --resume can read the folder
    if not own_process:  # an in-process caller (CliRunner)
        _fail(message)
    # HDF5 segfaults when the h5py objects of a file whose close failed are freed (at exit, with
    # the exception): after the line, end the process without freeing anything.
    click.echo(f"error: {' '.join(message.split())}", err=True)
    _exit_now(EXIT_BAD_INPUT)


def _interrupted(abort: click.Abort, args) -> None:
    """Ctrl-C: for `train`, the stage it stopped in and the command that continues (exit 130, as
    shells report SIGINT); elsewhere a plain 'aborted'."""
    argv = ["advisor", *(sys.argv[1:] if args is None else args)]
    if not isinstance(abort.__cause__, KeyboardInterrupt) or argv[1:2] != ["train"]:
        _fail("aborted")
    from advisor.runtime.run_safety import interrupt_message

    click.echo(interrupt_message(argv), err=True)
    sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_OneLineErrors)
@click.version_option(__version__, prog_name="advisor")
def main():
    """Diagnose how a Keras model trains on your data, and fix it with recipes."""


def _load_quietly(data: str) -> None:
    if data.startswith("tfds:") or os.path.isdir(data):  # only these loaders use TensorFlow
        import_tensorflow_quietly()


def build_data_report(data: str, *, target=None, data_dir=None, seed=0, task=None) -> dict:
    """Load DATA, profile it and list the data findings, as one JSON-ready dict."""
    _load_quietly(data)
    from advisor.data import load
    from advisor.data.checks import data_findings
    from advisor.data.profile import profile

    dataset = load(data, target=target, data_dir=data_dir, seed=seed, task=task)
    prof = profile(dataset)
    return {"dataset": dataset.info.to_dict(), "profile": prof.to_dict(),
            "findings": [f.to_dict() for f in data_findings(prof)]}


def print_report(report: dict) -> None:
    """Human-readable report: the dataset summary, the findings, and the plan with why."""
    from advisor.report.text import format_report

    click.echo(format_report(report))


def _budget_seconds(text: str | None) -> float | None:
    """'90s', '15m', '1h' or plain seconds."""
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        raise AdvisorError(f"--budget must look like 90s, 15m or 1h, got {text!r}") from None
    if seconds <= 0:
        raise AdvisorError(f"--budget must be positive, got {text!r}")
    return seconds


def _check_writable_file(path: str, option: str) -> None:
    """Before any work: the file's folder must exist and be writable (else the probe's work is lost)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise AdvisorError(f"{option} {path!r}: folder {folder!r} does not exist or is not writable; "
                           "create it or pick another path")


_data_options = [
    click.option("--target", help="CSV column holding the labels."),
    click.option("--data-dir", type=click.Path(file_okay=False), help="Folder with prepared TFDS data."),
    click.option("--task", type=click.Choice(["classification", "regression"]),
                 help="Force the task instead of inferring it from the labels."),
    click.option("--seed", type=int, default=0, show_default=True, help="Seed for splits, probe and tuner."),
    click.option("--model", "model_spec", metavar="M",
                 help="A .keras file, module:function, or a built-in architecture (mlp, cnn, cnn1d)."),
]
pretrained_option = click.option(
    "--pretrained", is_flag=True, help="--model's weights are trained (found on its own for a .keras saved after "
                                       "fit): no initialization findings, no recipe re-initializes it without saying so.")


def data_options(f):
    for option in reversed(_data_options):
        f = option(f)
    return f


@main.command()
@click.argument("data")
@data_options
@pretrained_option
@click.option("--probe-epochs", type=click.IntRange(min=1),
              help="Epochs of the short training probe (default: enough for 150 steps, at least 5).")
@click.option("--probe-seconds", type=click.FloatRange(min=0, min_open=True), help="Cap the probe at this many seconds.")
@click.option("--no-probe", is_flag=True, help="Data findings only: do not build or train a model.")
@click.option("--save-plan", type=click.Path(dir_okay=False), help="Write the plan it would apply to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (and nothing else).")
def diagnose(data, target, data_dir, task, seed, model_spec, pretrained, probe_epochs, probe_seconds, no_probe,
             save_plan, as_json):
    """Say what is wrong with DATA (and a model training on it), and the plan that would fix it.

    DATA is a built-in name (digits, breast-cancer, wine, iris, mnist1d,
    mnist-5k), tfds:NAME[:SPLIT], a .csv (with --target), an .npz with arrays
    x and y, or a folder of class sub-folders of images. Without --model the
    default model for the data's modality is probed.
    """
    if save_plan:
        _check_writable_file(save_plan, "--save-plan")
    if no_probe:
        if model_spec or save_plan or pretrained:
            raise AdvisorError("--no-probe looks at the data only: drop --model/--pretrained/--save-plan, "
                               "or drop --no-probe")
        report = build_data_report(data, target=target, data_dir=data_dir, seed=seed, task=task)
    else:
        import_tensorflow_quietly()
        from advisor.data import load
        from advisor.diagnosis import diagnose as run_diagnose
        from advisor.runtime.progress import Progress

        dataset = load(data, target=target, data_dir=data_dir, seed=seed, task=task)
        result = run_diagnose(model_spec, dataset, probe_epochs=probe_epochs, probe_seconds=probe_seconds,
                              seed=seed, pretrained=pretrained, progress=Progress(quiet=as_json))
        if save_plan:
            result.plan.save(save_plan)
        report = result.to_dict()
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)
        if save_plan:
            click.echo(f"\nplan written to {save_plan}")


@main.command()
@click.argument("data")
@data_options
@pretrained_option
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False), help="Apply this plan.json instead of choosing one.")
@click.option("--budget", help="Wall-clock budget for the whole job: 90s, 15m, 1h (default 5m).")
@click.option("--trials", type=int, help="At most this many tuner trials.")
@click.option("--tuner", type=click.Choice(TUNERS),
              help="Search: bayesian (default; first trials are the rule book's plan and your model "
                   "unchanged), random (same space, no seeded trials), hyperband, or none (those two trials only).")
@click.option("--tuner-role", type=click.Choice(["chief", "worker"]),
              help="Distributed tuning: the chief serves trials at KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT "
                   "and writes the run folder; workers run them (same DATA, --model and --seed).")
@click.option("--worker-timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Chief: seconds without word from a worker before its trial goes to another worker.")
@click.option("--epochs", type=int, help="Epochs of the final fit (default 30; early stopping may end it sooner).")
@click.option("--ensemble", type=int, metavar="K",
              help="Soft-vote the final model with the search's best trial models (K members); kept only "
                   "when it validates better. metrics.json shows every member's test metrics. 1: a single "
                   "model judged on validation (turns off the automatic --cv for small data).")
@click.option("--cv", type=int, metavar="K",
              help="K-fold estimate of the chosen plan on train + val (mean ± std in the report), then the "
                   "final model trains on train + val. Default: 5 for small data (under 1,000 training "
                   "samples, in memory; a soft-voting ensemble where folds do not fit), else none.")
@click.option("--out", type=click.Path(file_okay=False), help="Run folder (default runs/<data>-<time>).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from where it stopped.")
@click.option("--deterministic", is_flag=True,
              help="TensorFlow op determinism and no timing-based choices: same --seed, same results on CPU.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
def train(data, target, data_dir, task, seed, model_spec, pretrained, plan_path, budget, trials, tuner, tuner_role,
          worker_timeout, epochs, ensemble, cv, out, resume, deterministic, quiet, as_json):
    """Diagnose, search the repairs with keras-tuner and train on DATA.

    Leaves a run folder with model.keras, plan.json, findings.json,
    metrics.json, trials.json, TensorBoard logs and report.html.
    """
    # The library's own checks, once, before the TensorFlow import (a worker's role is the CLI's).
    options = TrainOptions(plan=plan_path, budget_s=_budget_seconds(budget), trials=trials, tuner=tuner,
                           epochs=epochs, out=out, resume=resume, seed=seed, quiet=quiet or as_json,
                           deterministic=deterministic, tuner_role=tuner_role if tuner_role == "chief" else None,
                           worker_timeout_s=worker_timeout, started_at=STARTED_AT, pretrained=pretrained,
                           ensemble=ensemble, cv=cv)
    import_tensorflow_quietly()
    from advisor.data import load
    from advisor.pipeline import train as run_train
    from advisor.runtime import hosts

    hosts.start()  # with TF_CONFIG: before loading data runs any TensorFlow op
    dataset = load(data, target=target, data_dir=data_dir, seed=seed, task=task)
    if tuner_role == "worker":
        from advisor.search.distributed import run_worker

        ran = run_worker(dataset, model_spec, quiet=quiet or as_json)
        if as_json:
            click.echo(json.dumps({"role": "worker", "trials": ran}))
        return
    result = run_train(dataset, model_spec, options)
    if as_json:
        summary = {"run_dir": str(result.run_dir), "metrics": {k: v for k, v in result.metrics.items()
                                                               if k not in ("per_class", "confusion_matrix")},
                   "plan": result.plan, "best_hyperparameters": result.best_hyperparameters}
        click.echo(json.dumps(summary, indent=2))
    elif not quiet:
        click.echo(f"run folder: {result.run_dir}  (open {result.run_dir}/report.html)")


@main.command()
def rules():
    """List every rule of the rule book with its rationale."""
    from advisor.rules import all_rules

    for r in all_rules():
        click.echo(f"{r.name}  (priority {r.priority})")
        for line in (r.rationale or "").strip().splitlines():
            click.echo(f"    {line.strip()}")
        click.echo("")


@main.command()
@click.argument("name", required=False)
def recipes(name):
    """List the recipe catalogue, or show one recipe with its arguments and search space."""
    import_tensorflow_quietly()
    import keras_tuner as kt

    from recipes import registry

    if name is None:
        for key, cls in sorted(registry.all_recipes().items()):
            summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            click.echo(f"{key:20s} {summary}")
        return
    try:
        cls = registry.get(name)
    except ValueError as e:
        raise AdvisorError(str(e)) from None
    recipe = cls()
    hp = kt.HyperParameters()
    recipe.search_space(hp)
    click.echo(f"{name} ({cls.__name__})\n")
    click.echo((cls.__doc__ or "").strip())
    click.echo("\nArguments (defaults): " + (", ".join(f"{k}={v!r}" for k, v in recipe.get_config().items()) or "none"))
    click.echo("Search space: " + (", ".join(f"{h.name} {h.get_config()}" for h in hp.space) or "nothing to tune"))


@main.command("lr-find")
@click.argument("data")
@data_options
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default="lr_find.png", show_default=True,
              help="Where to save the plot of loss against learning rate.")
@click.option("--steps", type=click.IntRange(min=2), default=100, show_default=True,
              help="Batches in the sweep (one learning rate each).")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True,
              help="Batch size of the sweep; use the one you will train with.")
@click.option("--json", "as_json", is_flag=True, help="Print the finding as JSON (and nothing else).")
def lr_find_command(data, target, data_dir, task, seed, model_spec, plot_path, steps, batch_size, as_json):
    """Suggest a learning rate for a model on DATA with the LR range test.

    Trains a copy of the model (without --model, the modality's default) for
    one batch per step while the learning rate grows from 1e-7 to 10, and
    suggests the rate where the smoothed loss falls fastest. The model's
    optimizer and loss are kept; only the learning rate is swept.
    """
    _check_writable_file(plot_path, "--plot")
    _load_quietly(data)
    from advisor.data import load

    dataset = load(data, target=target, data_dir=data_dir, seed=seed, task=task)  # bad data: fails before TF loads
    import_tensorflow_quietly()
    import keras

    from advisor.diagnosis import resolve_model
    from advisor.probe.lr_find import lr_range_test, save_plot

    keras.utils.set_random_seed(seed)  # before the model is built: same seed, same initial weights
    net = resolve_model(model_spec, dataset.info)
    finding = lr_range_test(net, dataset, steps=steps, batch_size=batch_size, seed=seed)
    plot = os.path.abspath(save_plot(finding, plot_path))
    if as_json:
        report = {"dataset": dataset.info.name, "model": net.name,
                  "optimizer": type(net.optimizer).__name__, "plot": plot, **finding.to_dict()}
        click.echo(json.dumps(report, indent=2))
        return
    last = f"lr {finding.lrs[-1]:.2g}" if finding.lrs else "the first step"
    click.echo(f"model      {net.name}, optimizer {type(net.optimizer).__name__}, batch {batch_size}: "
               f"{len(finding.lrs)} of {steps} steps, ended ({finding.stop_reason}) at {last}, "
               f"{finding.seconds:.1f}s")
    if finding.suggestion is None:
        click.echo("suggested  none: the loss did not fall during the sweep (see the plot; "
                   "'advisor diagnose' may say why)")
    else:
        click.echo(f"suggested  learning rate {finding.suggestion:.2g} (steepest fall of the smoothed loss)")
    if finding.valley is not None:
        click.echo(f"valley     {finding.valley:.2g} (fastai's valley suggestion)")
    if finding.min_loss_lr is not None:
        click.echo(f"lowest     loss at lr {finding.min_loss_lr:.2g}: stay well below it")
    click.echo(f"plot       {plot}")


if __name__ == "__main__":
    main()
