"""`SearchHyperModel`: every trial of every search, the plan a space describes trained from one seed.

A space is anything with `declare(hp)` and `plan_for(hp)`: the
diagnosis-seeded `SearchSpace`, or `PlanSpace` (a given plan's own values).
Each trial builds the plan on the user's model from the same seed, so trials
differ only by their plan, and fits it under `FitDeadline` (the search's
deadline and a per-trial cap), keeping its best epoch. A trial reports to the
oracle its objective, how many epochs completed with a finite loss and their
pace: a trial whose loss was NaN/inf before any epoch completed is a failed
trial and scores worst, so the oracle learns to avoid it.

The models of the best trials (and of the user's setup unchanged) stay in
memory for the final stage: the final fit starts from the best one's weights,
and each is a candidate for the model that is kept. The unchanged setup trains
at its own length (so a healthy setup is not judged on a short trial) but is
ranked by its best epoch within the trial length, like every other trial: a
repair judged on 5 epochs never loses to the same model given 15. Its
own-length score decides whether it trains and competes for the kept model.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import keras
import keras_tuner as kt

from advisor.callbacks.deadline import FitDeadline
from advisor.callbacks.monitor import AsyncTerminateOnNaN
from advisor.runtime.budget import Deadline, seconds_per_epoch
from advisor.runtime.tf_memory import custom_gradients, forget_custom_gradients
from advisor.search.oracle import DIVERGED_KEY, EPOCHS_KEY, OWN_LENGTH_KEY, PACE_KEY

# The objective a failed trial reports: below any accuracy, above any loss seen.
WORST_ACCURACY, WORST_LOSS = 0.0, 1e9


class SearchHyperModel(kt.HyperModel):
    """Each trial: `space.plan_for(hp)` applied to the user's model, from the same seed.

    Args:
        space: a `SearchSpace` or `PlanSpace`.
        net, dataset: the user's (or default) model, never modified, and the data.
        epochs: epochs per trial (Hyperband sets its own).
        unchanged_epochs: epochs of the trial that is the user's setup unchanged
            (their own length; the per-trial cap still bounds it).
        objective: the keras-tuner objective the trials report.
        trial_seconds: the longest one trial may run.
        deadline: no trial runs past it.
        keep: how many of the best trials' models to keep (ensembles).
        weights_dir: where Hyperband's trials leave weights for the trials that continue them.
    """

    def __init__(self, space, net, dataset, *, epochs: int, seed: int, objective: kt.Objective,
                 trial_seconds: float | None = None, deadline: Deadline | None = None, keep: int = 1,
                 unchanged_epochs: int | None = None, weights_dir: Path | None = None):
        super().__init__(name="advisor-search")
        self.space, self.net, self.dataset, self.epochs, self.seed = space, net, dataset, epochs, seed
        self.objective, self.trial_seconds, self.deadline = objective, trial_seconds, deadline
        self.unchanged_epochs, self.weights_dir, self.keep = unchanged_epochs, weights_dir, keep
        self.sign = 1.0 if objective.direction == "max" else -1.0
        # (signed score, trial id, model) of the `keep` best trials, best first; (score, model) of the unchanged setup.
        self.top, self.unchanged = [], None
        self.trial_id = None  # set by the tuner before each trial
        self._kept_gradients = custom_gradients()

    @property
    def best_model(self):
        return self.top[0][2] if self.top else None

    def build(self, hp):
        forget_custom_gradients(self._kept_gradients)  # the last trial's graphs (advisor.runtime.tf_memory)
        # Keras's global naming state, as keras-tuner clears it before each trial (no gc: 0.3-0.5 s);
        # the models kept from earlier trials stay usable.
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(self.seed)
        plan = self.space.plan_for(hp)
        model = plan.build(self.net, train=self.dataset.train_data(), epochs=self.epochs)
        earlier = hp.values.get("tuner/trial_id")  # Hyperband continues an earlier trial's model
        if earlier and self.weights_dir is not None and self._weights(earlier).exists():
            model.load_weights(self._weights(earlier))
        return model

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        """Fit one trial; returns what the trial reports (objective, completed epochs, pace)."""
        unchanged = self.space.is_unchanged(hp)
        epochs = (self.unchanged_epochs or self.epochs) if unchanged else (epochs or self.epochs)
        outcome = self.train(self.space.plan_for(hp), model, epochs=epochs, initial_epoch=initial_epoch,
                             callbacks=callbacks)
        if self.weights_dir is not None and "tuner/epochs" in hp.values:
            self.weights_dir.mkdir(parents=True, exist_ok=True)
            model.save_weights(self._weights(self.trial_id))
        # Ranked like every trial: its best epoch within the trial length (see the module docstring).
        ranked = outcome.best_within(self.epochs, self.sign) if unchanged and epochs > self.epochs else outcome.score
        if ranked is not None:
            self._remember(ranked, model)
        if unchanged and outcome.score is not None:
            self.unchanged = (outcome.score, model)
        worst = WORST_ACCURACY if self.sign > 0 else WORST_LOSS
        report = {self.objective.name: ranked if ranked is not None else worst,
                  EPOCHS_KEY: float(outcome.completed), PACE_KEY: outcome.pace or 0.0,
                  DIVERGED_KEY: float(outcome.diverged)}
        if unchanged and outcome.score is not None:
            report[OWN_LENGTH_KEY] = outcome.score
        return report

    def train(self, plan, model, *, epochs: int, initial_epoch: int = 0, callbacks=None,
              deadline: Deadline | None = None) -> "Outcome":
        """Fit `model` (built from `plan`) under the trial's limits (`deadline` replaces the
        search's); the model ends at its best epoch."""
        train, val = plan.transform(self.dataset.train, self.dataset.val)
        fit = plan.fit_kwargs(train=self.dataset.train_data(), epochs=epochs)
        deadline = deadline or self.deadline
        keeper = FitDeadline(deadline.at if deadline else None, self.objective.name,
                             max_seconds=self.trial_seconds, keep_best=True)
        # TensorBoard logs are for the final fit; per trial they cost time and disk.
        planned = [c for c in fit.pop("callbacks", []) if not isinstance(c, keras.callbacks.TensorBoard)]
        history = model.fit(train, validation_data=val, verbose=0, initial_epoch=initial_epoch,
                            callbacks=planned + list(callbacks or []) + [AsyncTerminateOnNaN(), keeper], **fit)
        losses = history.history.get("loss", [])
        completed = next((i for i, v in enumerate(losses) if not math.isfinite(v)), len(losses))
        score = self.sign * keeper.best if keeper.best_weights is not None and completed else None
        curve = history.history.get(self.objective.name, [])[:completed]
        return Outcome(score, completed, seconds_per_epoch(keeper.epoch_seconds[:completed]),
                       diverged=completed < len(losses), curve=[float(v) for v in curve])

    def _remember(self, score: float, model) -> None:
        entry = (self.sign * score, self.trial_id, model)
        self.top = sorted(self.top + [entry], key=lambda t: -t[0])[: max(1, self.keep)]

    def _weights(self, trial_id) -> Path:
        return self.weights_dir / f"{trial_id}.weights.h5"


@dataclasses.dataclass
class Outcome:
    """One fit: its best objective (None: no epoch completed with a finite loss), how
    many epochs completed, their pace (seconds per epoch), and whether the loss went NaN/inf."""

    score: float | None
    completed: int
    pace: float | None
    diverged: bool = False
    curve: list = dataclasses.field(default_factory=list)  # the objective after each completed epoch

    def best_within(self, epochs: int, sign: float) -> float | None:
        """The best objective of the first `epochs` epochs (None: none finite)."""
        seen = [v for v in self.curve[:epochs] if math.isfinite(v)]
        return sign * max(sign * v for v in seen) if seen else None
