"""`train`'s options checked before anything is loaded: TensorFlow-free, so the CLI
runs the same checks as the library before it pays for importing TensorFlow."""
from __future__ import annotations

import os

from advisor.errors import AdvisorError

TUNERS = ("hyperband", "bayesian", "random", "none")


def check_options(*, tuner, tuner_role, budget_s, epochs, trials, ensemble, cv, resume=False, out=None) -> None:
    """Options that cannot work, refused before anything is loaded or written."""
    if tuner not in TUNERS:
        raise AdvisorError(f"--tuner must be one of {', '.join(TUNERS)}, got {tuner!r}")
    if tuner_role is not None and tuner_role != "chief":
        raise AdvisorError(f"train() runs the chief; a worker is advisor.search.cluster.run_worker "
                           f"(got {tuner_role!r})")
    if tuner_role is not None and tuner in ("hyperband", "none"):
        # Hyperband continues trials from checkpoints in its own directory, which workers on other hosts lack.
        raise AdvisorError(f"--tuner-role needs --tuner bayesian or random, not {tuner}")
    if budget_s is not None and budget_s <= 0:
        raise AdvisorError(f"--budget must be positive, got {budget_s:g}s")
    for option, value, least in (("--epochs", epochs, 1), ("--trials", trials, 1)):
        if value is not None and value < least:
            raise AdvisorError(f"{option} must be at least {least}, got {value}")
    if ensemble is not None and ensemble < 1:
        raise AdvisorError(f"--ensemble needs at least 1 member (1: a single model), got {ensemble}")
    if cv is not None and cv < 2:
        raise AdvisorError(f"--cv needs at least 2 folds, got {cv}")
    if cv and ensemble and ensemble > 1:
        raise AdvisorError("--cv trains the final model on the validation split too, so an ensemble could not be "
                           "judged on it: give --cv or --ensemble, not both")
    if resume and out is None:
        raise AdvisorError("--resume needs --out naming the run folder to continue")


def check_plan_path(plan) -> None:
    """A plan given as a path must name an existing file."""
    if isinstance(plan, (str, os.PathLike)) and not os.path.isfile(plan):
        raise AdvisorError(f"plan file {str(plan)!r} does not exist: pass a plan.json written by advisor")
