"""`run_search`: the diagnosis-seeded search, then the ablation of its best plan.

One keras-tuner search replaces "verify each repair, then tune": trial 1 is
the rule book's plan, another early trial the user's setup unchanged, then the
oracle explores the space (`advisor.search.space`). Every trial starts from
the same seed, so trials differ only by their plan. The best trial's plan is
kept; while time is left, the ablation re-fits it without each of its recipes
and drops a recipe only when it measurably hurt.
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import keras
import keras_tuner as kt

from advisor.search.oracle import make_oracle
from advisor.search.space import SearchSpace
from advisor.training.run_safety import fatal_if_disk_error
from advisor.training.tf_memory import custom_gradients, forget_custom_gradients
from recipes import Plan

# A recipe is dropped by the ablation only if the plan without it beats the
# plan with it by this much on the objective (probe noise on small data ~0.5%).
MIN_IMPROVEMENT = 0.01
# No trial may take more than this share of the search window, so even a slow
# model gets the seeded trials and a few explored ones.
TRIAL_SHARE = 0.2
# The search ends when what is left is just enough for the ablation (one trial
# per recipe of the best plan) and the final fit (its epochs at the best
# trial's pace), with this margin; never later than `deadline`, and the final
# fit always keeps at least FINAL_MIN_SHARE of the time left after the search.
MARGIN = 1.2
FINAL_MIN_SHARE = 0.2
ABLATION_MAX_SHARE = 0.25  # of the search window, at most, for the ablation


@dataclasses.dataclass
class SearchResult:
    """What the search found: the plan to train, and the evidence for it."""

    plan: object  # recipes.Plan
    best_values: dict
    trials: list[dict]
    ablation: list[dict]
    objective: str
    best_score: float | None
    best_model: object = None  # the best trial's model at its best epoch (None after a resume)
    space: dict = dataclasses.field(default_factory=dict)
    top_models: list = dataclasses.field(default_factory=list)  # (score, trial id, model), best first

    def to_dict(self) -> dict:
        return {"plan": self.plan.to_dict(), "best_hyperparameters": self.best_values, "trials": self.trials,
                "ablation": self.ablation, "objective": self.objective, "best_score": self.best_score,
                "space": self.space}


class _TrialLimit(keras.callbacks.Callback):
    """Ends a fit at the deadline or after `seconds`, checked every batch."""

    def __init__(self, seconds: float, deadline: float | None):
        super().__init__()
        self.seconds, self.deadline = seconds, deadline

    def on_train_begin(self, logs=None):
        self.end = time.monotonic() + self.seconds
        if self.deadline is not None:
            self.end = min(self.end, self.deadline)

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() >= self.end:
            self.model.stop_training = True


class _BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the epoch with the best objective (in memory)."""

    def __init__(self, key: str, maximize: bool):
        super().__init__()
        self.key, self.sign, self.best, self.weights = key, 1.0 if maximize else -1.0, -math.inf, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.key)
        if value is not None and math.isfinite(value) and self.sign * value > self.best:
            self.best, self.weights = self.sign * value, self.model.get_weights()


class SearchHyperModel(kt.HyperModel):
    """Each trial: `space.plan_for(hp)` applied to the user's model, from the same seed.

    Keeps the best trial's model (at its best epoch) so the final stage can
    fall back on it if the final fit is cut short.
    """

    def __init__(self, space: SearchSpace, net, dataset, *, epochs: int, seed: int, objective: kt.Objective,
                 trial_seconds: float, deadline: float | None, keep: int = 1):
        super().__init__(name="advisor-search")
        self.space, self.net, self.dataset, self.epochs, self.seed = space, net, dataset, epochs, seed
        self.objective, self.trial_seconds, self.deadline = objective, trial_seconds, deadline
        self.best_score, self.best_model = -math.inf, None
        # The `keep` best trials' models (for an ensemble): (signed score, trial id, model), best first.
        self.keep, self.top, self.trial_id = keep, [], None
        self.best_pace = None  # (seconds per epoch, seconds per trial, recipes) of the best trial
        self._kept_gradients = custom_gradients()

    def build(self, hp):
        forget_custom_gradients(self._kept_gradients)  # the last trial's graphs (advisor.training.tf_memory)
        keras.utils.set_random_seed(self.seed)
        plan = self.space.plan_for(hp)
        return plan.build(self.net, train=self.dataset.train_data(), epochs=self.epochs)

    def fit(self, hp, model, *args, callbacks=None, epochs=None, **kwargs):
        plan = self.space.plan_for(hp)
        return fit_plan(self, plan, model, list(callbacks or []), epochs or self.epochs)

    def remember(self, score: float, model) -> None:
        """Keep `model` (already at its best epoch) if it is among the `keep` best trials."""
        if self.keep > 1:
            self.top = sorted(self.top + [(score, self.trial_id, model)], key=lambda t: -t[0])[: self.keep]


def fit_plan(hm: SearchHyperModel, plan, model, callbacks, epochs):
    """Fit one trial's model; returns the history dict (keras-tuner reads the objective from it)."""
    train, val = plan.transform(hm.dataset.train, hm.dataset.val)
    fit = plan.fit_kwargs(train=hm.dataset.train_data(), epochs=epochs)
    keeper = _BestWeights(hm.objective.name, hm.objective.direction == "max")
    # TensorBoard logs are for the final fit; per trial they cost time and disk.
    planned = [c for c in fit.get("callbacks", []) if not isinstance(c, keras.callbacks.TensorBoard)]
    fit["callbacks"] = planned + callbacks + [
        keras.callbacks.TerminateOnNaN(), _TrialLimit(hm.trial_seconds, hm.deadline), keeper]
    began = time.monotonic()
    history = model.fit(train, validation_data=val, verbose=0, **fit)
    seconds, ran = time.monotonic() - began, max(1, len(history.history.get("loss", [])))
    if keeper.weights is not None:
        model.set_weights(keeper.weights)
        hm.remember(keeper.best, model)
        if keeper.best > hm.best_score:
            hm.best_score, hm.best_model = keeper.best, model
            hm.best_pace = (seconds / ran, seconds, len(plan.recipes))
    return history


def _search_end(hm: SearchHyperModel, start: float, deadline: float, final_epochs: int) -> float:
    """When to stop starting trials: leave the ablation and the final fit their time."""
    if hm.best_pace is None:
        return deadline
    per_epoch, per_trial, recipes = hm.best_pace
    ablation = min(recipes * per_trial, ABLATION_MAX_SHARE * (deadline - start))
    reserve = MARGIN * (final_epochs * per_epoch + ablation)
    return min(deadline, max(time.monotonic(), deadline - reserve))


def run_search(space: SearchSpace, net, dataset, directory: Path, *, tuner: str, objective: kt.Objective,
               epochs: int, seed: int, deadline: float, fit_end: float, final_epochs: int, keep_models: int = 1,
               max_trials: int | None = None, resume: bool = False, say=lambda *a: None) -> SearchResult:
    """Search `space` until `max_trials` or until only the ablation's and the
    final fit's time is left before `fit_end` (never past `deadline`), then
    ablate the best plan.

    Args:
        tuner: "bayesian" (seeded), "random" (unseeded random search over the
            same space), "hyperband" (unseeded successive halving) or "none"
            (the two seeded trials only).
        epochs: epochs per trial.
        keep_models: keep this many best trials' models (at their best
            epoch) in `SearchResult.top_models`, for an ensemble.
    """
    start = time.monotonic()
    deadline = min(deadline, fit_end - FINAL_MIN_SHARE * max(0.0, fit_end - start))
    hm = SearchHyperModel(space, net, dataset, epochs=epochs, seed=seed, objective=objective,
                          trial_seconds=max(2.0, TRIAL_SHARE * max(0.0, deadline - start)), deadline=deadline,
                          keep=keep_models)
    hp = kt.HyperParameters()
    seeded = [] if tuner in ("random", "hyperband") else [space.rulebook_values(hp), space.unchanged_values(hp)]
    limit = 2 if tuner == "none" else (max_trials or 10_000)
    oracle_args = dict(objective=objective, seed=seed, seeded=seeded, deadline=deadline,
                       max_trials=max_trials if tuner == "hyperband" else limit, max_epochs=epochs, max_failures=5)
    oracle = make_oracle(tuner, **oracle_args)
    count = [0]

    class _Said(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            count[0] += 1
            shown = (logs or {}).get(objective.name)
            say(f"trial {count[0]} done" + (f", {objective.name} {shown:.4f}" if shown is not None else ""))

    class _Tuner(kt.Tuner):
        def run_trial(self, trial, *args, **kwargs):
            hm.trial_id = trial.trial_id
            try:
                return super().run_trial(trial, *args, **kwargs)
            except Exception as err:
                fatal_if_disk_error(err, trial.trial_id)
                raise

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            # After the trial's pace is known (SearchHyperModel.fit has returned); the
            # seeded trials always run, so the result is never worse than unchanged.
            if oracle.seeded_done >= len(oracle.seeded):
                oracle.deadline = _search_end(hm, start, deadline, final_epochs)

    try:
        t = _Tuner(oracle=oracle, hypermodel=hm, directory=str(directory), project_name="search",
                   overwrite=not resume)
    except ValueError:  # a trial file a full disk or a kill cut short: search again from scratch
        say("the interrupted search's files are unreadable: starting the search over")
        oracle = make_oracle(tuner, **oracle_args)
        t = _Tuner(oracle=oracle, hypermodel=hm, directory=str(directory), project_name="search", overwrite=True)
    try:
        t.search(epochs=epochs, callbacks=[_Said()], verbose=0)
    except RuntimeError as err:  # keras-tuner gives up after consecutive failed trials
        say(f"search ended early: {str(err).splitlines()[0]}")
    rows = _trials(t)
    best_trial = next((r for r in rows if r["score"] is not None), None)
    # No trial finished (every build failed, or no time): the model as given is the safe choice.
    values = best_trial["hyperparameters"] if best_trial else space.unchanged_values(kt.HyperParameters())
    best_hp = kt.HyperParameters()
    space.declare(best_hp)
    best_hp.values.update({k: v for k, v in values.items() if not k.startswith("tuner/")})
    plan = space.plan_for(best_hp)
    ablate_end = fit_end - MARGIN * final_epochs * (hm.best_pace[0] if hm.best_pace else 0.0)
    ablate_end = min(ablate_end, time.monotonic() + ABLATION_MAX_SHARE * (deadline - start))
    ablation, plan = _ablate(hm, plan, best_trial["score"] if best_trial else None, min(deadline, ablate_end),
                             epochs, say)
    best_model = hm.best_model if not any(not a["kept"] for a in ablation) else None
    return SearchResult(plan=plan, best_values={k: v for k, v in best_hp.values.items()}, trials=rows,
                        ablation=ablation, objective=objective.name,
                        best_score=best_trial["score"] if best_trial else None, best_model=best_model,
                        space=space.describe(), top_models=list(hm.top))


def _ablate(hm: SearchHyperModel, plan, with_score, deadline, epochs, say):
    """Re-fit the plan without each recipe while time is left; evidence rows,
    and the plan without the single recipe that hurt most (if any hurt)."""
    rows, sign = [], 1.0 if hm.objective.direction == "max" else -1.0
    if with_score is None:
        return rows, plan
    hm.deadline = deadline
    for recipe in plan.recipes:
        if time.monotonic() + 1.0 >= deadline:
            rows.append({"recipe": recipe.name, "objective_with": with_score, "objective_without": None,
                         "kept": True, "note": "not ablated: budget spent"})
            continue
        without = Plan([r for r in plan.recipes if r is not recipe])
        keras.utils.set_random_seed(hm.seed)
        model = without.build(hm.net, train=hm.dataset.train_data(), epochs=epochs)
        saved = (hm.best_score, hm.best_model, hm.top)
        history = fit_plan(hm, without, model, [], epochs)
        hm.best_score, hm.best_model, hm.top = saved  # the ablation does not change the best trials
        values = [v for v in history.history.get(hm.objective.name, []) if v is not None and math.isfinite(v)]
        score = (max(values) if sign > 0 else min(values)) if values else None
        hurt = score is not None and sign * (score - with_score) >= MIN_IMPROVEMENT
        rows.append({"recipe": recipe.name, "objective_with": with_score, "objective_without": score,
                     "kept": not hurt})
        say(f"ablation: without {recipe.name} {hm.objective.name} "
            f"{'–' if score is None else f'{score:.4f}'} (with {with_score:.4f})")
    hurting = [r for r in rows if not r["kept"]]
    if hurting:
        worst = max(hurting, key=lambda r: sign * r["objective_without"])
        for r in hurting:
            r["kept"] = r is not worst
        plan = Plan([r for r in plan.recipes if r.name != worst["recipe"]])
    return rows, plan


def _trials(tuner) -> list[dict]:
    """Every trial as a plain dict, best first."""
    rows = [{"trial_id": t.trial_id, "status": str(t.status), "score": t.score,
             "hyperparameters": dict(t.hyperparameters.values)} for t in tuner.oracle.trials.values()]
    maximize = tuner.oracle.objective.direction == "max"
    done = sorted((r for r in rows if r["score"] is not None), key=lambda r: r["score"], reverse=maximize)
    return done + [r for r in rows if r["score"] is None]
