"""The `advisor` command line.

Every heavy import (TensorFlow, the loaders) happens inside a command, so
`advisor --help` answers at once. Errors from bad input (`AdvisorError`,
click usage errors) become one line ``error: ...`` on stderr and exit code 2.
A command builds a plain report dict first and prints it second, so stages
can be added to the report and `--json` shows everything.
"""
from __future__ import annotations

import json
import os
import sys

import click

from advisor import __version__
from advisor.errors import AdvisorError

# Before any TensorFlow import: keep its C++ INFO/WARNING logs off the output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EXIT_BAD_INPUT = 2
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
        except click.Abort:
            _fail("aborted")
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


def _fail(message: str):
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group(cls=_OneLineErrors)
@click.version_option(__version__, prog_name="advisor")
def main():
    """Diagnose how a Keras model trains on your data, and fix it with recipes."""


def build_data_report(data: str, *, target=None, data_dir=None, seed=0, task=None) -> dict:
    """Load DATA, profile it and list the data findings, as one JSON-ready dict."""
    if data.startswith("tfds:") or os.path.isdir(data):  # only these loaders use TensorFlow
        import_tensorflow_quietly()
    from advisor.data import load
    from advisor.data_checks import data_findings
    from advisor.profile import profile

    dataset = load(data, target=target, data_dir=data_dir, seed=seed, task=task)
    prof = profile(dataset)
    return {"dataset": dataset.info.to_dict(), "profile": prof.to_dict(),
            "findings": [f.to_dict() for f in data_findings(prof)]}


def _summary_lines(report: dict) -> list[str]:
    info, p = report["dataset"], report["profile"]
    shape = "x".join(str(d) for d in info["input_shape"])
    kind = f" ({info['num_classes']} classes)" if info["task"] != "regression" else ""
    lines = [f"dataset   {info['name']}: {info['modality']}, {info['task']}{kind}, input {shape}",
             "samples   " + " | ".join(f"{s} {n:,}" for s, n in info["counts"].items())]
    if p["x_min"] is not None:
        lines.append(f"inputs    min {p['x_min']:.4g}  max {p['x_max']:.4g}  mean {p['x_mean']:.4g}  "
                     f"std {p['x_std']:.4g}")
    if info["task"] == "regression":
        lines.append(f"targets   min {p['y_min']:.4g}  max {p['y_max']:.4g}  mean {p['y_mean']:.4g}  "
                     f"std {p['y_std']:.4g}")
    else:
        lines.append(f"classes   {min(p['class_counts']):,}..{max(p['class_counts']):,} training samples "
                     f"per class, imbalance 1:{p['imbalance_ratio']:.3g}")
    return lines


def print_report(report: dict) -> None:
    """Human-readable report: the dataset summary, then a findings table."""
    for line in _summary_lines(report):
        click.echo(line)
    findings = report["findings"]
    click.echo("")
    if not findings:
        click.echo("no data problems found")
        return
    width = max(len("finding"), *(len(f["name"]) for f in findings))
    click.echo(f"{'severity':<9} {'finding':<{width}}  evidence")
    for f in findings:
        click.echo(f"{f['severity']:<9} {f['name']:<{width}}  {f['evidence']}")


@main.command()
@click.argument("data")
@click.option("--target", help="CSV column holding the labels.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Folder with prepared TFDS data.")
@click.option("--task", type=click.Choice(["classification", "regression"]),
              help="Force the task instead of inferring it from the labels.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for carving val/test splits.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (and nothing else).")
def diagnose(data, target, data_dir, task, seed, as_json):
    """Profile DATA and say what is wrong with it.

    DATA is a built-in name (digits, breast-cancer, wine, iris, mnist1d,
    mnist-5k), tfds:NAME[:SPLIT], a .csv (with --target), an .npz with arrays
    x and y, or a folder of class sub-folders of images.
    """
    report = build_data_report(data, target=target, data_dir=data_dir, seed=seed, task=task)
    if as_json:
        click.echo(json.dumps(report, indent=2, allow_nan=False))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
