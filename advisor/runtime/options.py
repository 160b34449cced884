"""`TrainOptions`: everything `advisor train` takes besides the data and the model,
checked once, when it is made. TensorFlow-free, so the CLI builds the same value
(running the same checks) before it pays for importing TensorFlow."""
from __future__ import annotations

import dataclasses
import os

from advisor.errors import AdvisorError
from advisor.runtime import hosts

TUNERS = ("hyperband", "bayesian", "random", "none")
DEFAULT_BUDGET_S = 300.0
DEFAULT_EPOCHS = 30


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """How `advisor.train` runs (the CLI's `advisor train` options).

    Args:
        plan: a `recipes.Plan` or a path to plan.json to apply instead of the
            auto-selected one (no search; tuning still refines its own values).
        budget_s: wall-clock seconds for the whole job, from `started_at` (a
            `time.monotonic()` value; default: when `train` is called).
        trials: at most this many search trials.
        tuner: "bayesian" (seeded with the rule book's plan and the unchanged
            setup), "random" (the same space, no seeded trials), "hyperband" or
            "none" (the two seeded trials only).
        epochs: epochs of the final fit (early stopping may end it sooner), and
            of the trial that is the user's setup unchanged.
        out: the run folder (default runs/<dataset>-<time>); `resume` continues it.
        target / data_dir: how to read a data spec (a CSV's label column, prepared TFDS data).
        probe_epochs: epochs of the probe (default: enough steps to see a curve).
        deterministic: TensorFlow op determinism on, and no timing-based choice
            (float32 kept): the same seed gives identical plans and metrics on
            CPU. Budgets are wall-clock: give enough for the trials to finish.
        tuner_role: "chief" to serve the trials to workers started with
            `advisor train DATA --tuner-role worker` (keras-tuner's
            KERASTUNER_ORACLE_IP/_PORT name this host).
        worker_timeout_s: with tuner_role, a worker silent this long is
            presumed dead and its trial goes to another worker (default 60).
        pretrained: the model's weights are trained: no initialization
            findings, no recipe re-initializes it without saying so (found on
            its own for a `.keras` saved after fit).
        ensemble: soft-vote the final model with the search's best trial
            models, `ensemble` members in all; kept only when it validates
            better. 1: a single model (and no automatic K-fold).
        cv: a K-fold estimate of the chosen plan on train + val; the final
            model then trains on train + val for the folds' median epochs, and
            is kept only if its folds' mean beats the other candidates on
            validation. With neither `ensemble` nor `cv`, small data gets `cv` 5
            (or an ensemble where folds do not fit) when the search has time
            to spare.

    Example:
        >>> TrainOptions(budget_s=60, epochs=10).tuner
        'bayesian'
        >>> TrainOptions(cv=1)
        Traceback (most recent call last):
        ...
        advisor.errors.AdvisorError: --cv needs at least 2 folds, got 1
    """

    plan: object = None
    budget_s: float | None = None
    trials: int | None = None
    tuner: str = "bayesian"
    epochs: int | None = None
    out: str | os.PathLike | None = None
    resume: bool = False
    seed: int = 0
    quiet: bool = False
    target: str | None = None
    data_dir: str | None = None
    probe_epochs: int | None = None
    deterministic: bool = False
    tuner_role: str | None = None
    worker_timeout_s: float | None = None
    started_at: float | None = None
    pretrained: bool = False
    ensemble: int | None = None
    cv: int | None = None

    def __post_init__(self):
        if self.tuner is None:
            object.__setattr__(self, "tuner", "bayesian")
        self._check()

    def _check(self) -> None:
        """Options that cannot work, refused before anything is loaded or written."""
        if self.tuner not in TUNERS:
            raise AdvisorError(f"--tuner must be one of {', '.join(TUNERS)}, got {self.tuner!r}")
        if self.tuner_role is not None and self.tuner_role != "chief":
            raise AdvisorError(f"train() runs the chief; a worker is advisor.search.distributed.run_worker "
                               f"(got {self.tuner_role!r})")
        if self.tuner_role is not None and self.tuner in ("hyperband", "none"):
            # Hyperband continues trials from weights in its own directory, which workers on other hosts lack.
            raise AdvisorError(f"--tuner-role needs --tuner bayesian or random, not {self.tuner}")
        if self.budget_s is not None and self.budget_s <= 0:
            raise AdvisorError(f"--budget must be positive, got {self.budget_s:g}s")
        for option, value in (("--epochs", self.epochs), ("--trials", self.trials)):
            if value is not None and value < 1:
                raise AdvisorError(f"{option} must be at least 1, got {value}")
        if self.ensemble is not None and self.ensemble < 1:
            raise AdvisorError(f"--ensemble needs at least 1 member (1: a single model), got {self.ensemble}")
        if self.cv is not None and self.cv < 2:
            raise AdvisorError(f"--cv needs at least 2 folds, got {self.cv}")
        if self.cv and self.ensemble and self.ensemble > 1:
            raise AdvisorError("--cv trains the final model on the validation split too, so an ensemble could "
                               "not be judged on it: give --cv or --ensemble, not both")
        if self.resume and self.out is None:
            raise AdvisorError("--resume needs --out naming the run folder to continue")
        if isinstance(self.plan, (str, os.PathLike)) and not os.path.isfile(self.plan):
            raise AdvisorError(f"plan file {str(self.plan)!r} does not exist: pass a plan.json written by advisor")
        hosts.check(hosts.count(), self.plan, self.tuner_role, self.resume)

    @property
    def budget(self) -> float:
        return self.budget_s or DEFAULT_BUDGET_S

    @property
    def final_epochs(self) -> int:
        return self.epochs or DEFAULT_EPOCHS
