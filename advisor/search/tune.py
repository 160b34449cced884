"""Refine a plan's hyperparameters with keras-tuner, within a time or trial budget.

The search space is the plan's own: each recipe declares its ranges in
`search_space(hp)`, so the tuner never needs to know what a recipe is.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import keras
import keras_tuner as kt

from advisor.search.oracle import make_oracle
from advisor.training.deadline import FitDeadline
from advisor.training.options import TUNERS
from advisor.training.tf_memory import custom_gradients, forget_custom_gradients


class PlanHyperModel(kt.HyperModel):
    """A keras-tuner HyperModel whose every trial is `plan.search_space(hp)`
    applied to the same base model and data.

    Args:
        plan: a `recipes.Plan`.
        base_model: the user's (or default) model; never modified.
        dataset: an `advisor.data.Dataset`.
        epochs: epochs per trial when the tuner does not set them (Hyperband does).
        build_kwargs: extra keyword arguments for `Plan.build` (loss, metrics).
    """

    def __init__(self, plan, base_model, dataset, epochs: int, build_kwargs: dict | None = None):
        super().__init__(name="plan")
        self.plan, self.base_model, self.dataset, self.epochs = plan, base_model, dataset, epochs
        self.build_kwargs = build_kwargs or {}
        self._kept_gradients = custom_gradients()

    def build(self, hp):
        # The previous trial's model is done: free its traced graphs (see advisor.training.tf_memory).
        forget_custom_gradients(self._kept_gradients)
        plan = self.plan.search_space(hp)
        return plan.build(self.base_model, train=self.dataset.train_data(), epochs=self.epochs,
                          **self.build_kwargs)

    def fit(self, hp, model, *args, callbacks=None, epochs=None, **kwargs):
        plan = self.plan.search_space(hp)
        train, val = plan.transform(self.dataset.train, self.dataset.val)
        fit = plan.fit_kwargs(train=self.dataset.train_data(), epochs=epochs or self.epochs)
        fit["callbacks"] = list(fit.get("callbacks", [])) + list(callbacks or [])
        kwargs.pop("validation_data", None)
        kwargs.setdefault("verbose", 0)
        return model.fit(train, validation_data=val, **fit, **kwargs)


class _OracleHyperband(kt.Hyperband):
    """keras-tuner's Hyperband tuner (each bracket's epochs, weights carried
    between rounds) on an oracle given to it, here one with a deadline."""

    def __init__(self, oracle, hypermodel, **kwargs):
        kt.Tuner.__init__(self, oracle=oracle, hypermodel=hypermodel, **kwargs)


def make_tuner(kind: str, hypermodel: kt.HyperModel, directory: Path, *, objective: kt.Objective,
               max_trials: int | None, max_epochs: int, seed: int, deadline: float | None,
               resume: bool) -> kt.Tuner:
    """A keras-tuner tuner over `hypermodel`, stopping at `deadline` (monotonic
    seconds) or after `max_trials`, whichever comes first."""
    if kind not in TUNERS or kind == "none":
        raise ValueError(f"tuner must be one of {TUNERS[:-1]}, got {kind!r}")
    oracle = make_oracle(kind, objective=objective, seed=seed, deadline=deadline,
                         max_trials=max_trials if kind == "hyperband" else max_trials or 10, max_epochs=max_epochs)
    # Hyperband's tuner carries each bracket's weights between rounds.
    tuner_class = _OracleHyperband if kind == "hyperband" else kt.Tuner
    return tuner_class(oracle=oracle, hypermodel=hypermodel, directory=str(directory), project_name="search",
                       overwrite=not resume)


def search(tuner: kt.Tuner, dataset, *, epochs: int, deadline: float | None,
           on_trial: Callable[[dict], None] | None = None) -> list[dict]:
    """Run the search; returns every trial as a plain dict (id, status,
    hyperparameters, score), best first."""
    callbacks = [FitDeadline(deadline)] if deadline is not None else []
    if on_trial is not None:
        callbacks.append(_TrialReporter(on_trial))
    tuner.search(epochs=epochs, callbacks=callbacks, verbose=0)
    return trials(tuner)


def trials(tuner: kt.Tuner) -> list[dict]:
    rows = []
    for t in tuner.oracle.trials.values():
        rows.append({"trial_id": t.trial_id, "status": str(t.status), "score": t.score,
                     "hyperparameters": dict(t.hyperparameters.values)})
    maximize = tuner.oracle.objective.direction == "max"
    done = [r for r in rows if r["score"] is not None]
    done.sort(key=lambda r: r["score"], reverse=maximize)
    return done + [r for r in rows if r["score"] is None]


class _TrialReporter(keras.callbacks.Callback):
    def __init__(self, report):
        super().__init__()
        self.report = report

    def on_train_end(self, logs=None):
        self.report(dict(logs or {}))
