"""`run_search`: the diagnosis-seeded search, an anytime repair search.

One keras-tuner search replaces "verify each repair, then tune": trial 1 is
the rule book's plan, trial 2 the user's setup unchanged (trained at the user's
own length, so a healthy setup is not judged on a short trial, but ranked at the
trial length like every other trial), then the oracle
explores the space (`advisor.search.space`). Every trial starts from the same
seed, so trials differ only by their plan. While no trial trains, the search
runs to the end of the budget; once one does, it stops when only the final
fit's time is left or when it has stopped improving (`SearchRules`). The best
trial's plan is kept, with its model, the `keep_models` best trials' models and
the unchanged setup's model.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import keras_tuner as kt

from advisor.callbacks.progress import FitEnd
from advisor.runtime.budget import Budget
from advisor.runtime.objective import Chance
from advisor.search.hypermodel import SearchHyperModel
from advisor.search.oracle import SearchRules, make_oracle, pace_and_startup
from advisor.search.space import SearchSpace
from advisor.search.tuner import make_tuner, trials

# A keras-tuner search gives up after this many trials in a row that raised
# (not NaN trials: those report a worst score and count as finished).
MAX_FAILURES = 5


@dataclasses.dataclass
class SearchResult:
    """What the search found: the plan to train, and the evidence for it.

    `trains`: the best trial beat `chance` clearly, or the unchanged setup did at its own
    length; `stopped_because`: "budget",
    "final fit's time", "stagnated" or "trial limit".
    """

    plan: object  # recipes.Plan
    best_values: dict
    trials: list[dict]
    objective: str
    best_score: float | None
    trains: bool
    stopped_because: str
    chance: dict
    best_model: object = None  # the best trial's model at its best epoch (None after a resume)
    unchanged: tuple | None = None  # (score, model) of the user's setup unchanged, when it trained
    top_models: list = dataclasses.field(default_factory=list)  # (score, trial id, model), best first
    best_pace: float | None = None  # seconds per epoch of the best trial
    best_startup: float = 0.0  # its seconds of building and tracing
    best_seconds: float | None = None  # the best trial's wall time, building and tracing included
    final_floor: float = 0.0  # the least the final fit keeps (SearchRules.final_floor)
    space: dict = dataclasses.field(default_factory=dict)
    hypermodel: object = None  # for the extras (the ablation re-fits plans the same way)

    def to_dict(self) -> dict:
        return {"plan": self.plan.to_dict(), "best_hyperparameters": self.best_values, "trials": self.trials,
                "objective": self.objective, "best_score": self.best_score, "trains": self.trains,
                "stopped_because": self.stopped_because, "chance": self.chance, "space": self.space}


def run_search(space: SearchSpace, net, dataset, directory: Path, *, tuner: str, objective: kt.Objective,
               chance: Chance, epochs: int, final_epochs: int, seed: int, budget: Budget, keep_models: int = 1,
               max_trials: int | None = None, resume: bool = False, say=lambda *a: None) -> SearchResult:
    """Search `space` under `budget` (see the module docstring).

    Args:
        tuner: "bayesian" (seeded), "random" (unseeded random search over the
            same space), "hyperband" (unseeded successive halving) or "none"
            (the two seeded trials only).
        epochs: epochs per trial; `final_epochs` the final fit's (the unchanged
            setup's trial runs that long, within the per-trial cap).
        keep_models: keep this many best trials' models (at their best epoch)
            in `SearchResult.top_models`, for an ensemble.
    """
    hm = SearchHyperModel(space, net, dataset, epochs=epochs, seed=seed, objective=objective,
                          trial_seconds=budget.trial_seconds(), deadline=budget.fit, keep=keep_models,
                          unchanged_epochs=final_epochs, weights_dir=directory / "weights")
    hp = kt.HyperParameters()
    seeded = [] if tuner in ("random", "hyperband") else [space.rulebook_values(hp), space.unchanged_values(hp)]
    rules = SearchRules(budget.fit, chance, budget, final_epochs, budget.final_floor())
    # The greedy walk from the best trial belongs to the advisor's own search, not to the unseeded arms.
    walk = space.neighbours if tuner == "bayesian" else None
    oracle_args = dict(objective=objective, seed=seed, seeded=seeded, rules=rules, max_epochs=epochs,
                       max_trials=2 if tuner == "none" else max_trials, max_failures=MAX_FAILURES, neighbours=walk,
                       plan_of=space.plan_key if walk else None)
    try:
        t = make_tuner(make_oracle(tuner, **oracle_args), hm, directory, resume=resume)
    except ValueError:  # a trial file a full disk or a kill cut short: search again from scratch
        say("the interrupted search's files are unreadable: starting the search over")
        t = make_tuner(make_oracle(tuner, **oracle_args), hm, directory, resume=False)
    count = [0]

    def said(logs):
        count[0] += 1
        shown = logs.get(objective.name)
        say(f"trial {count[0]} done" + (f", {objective.name} {shown:.4f}" if shown is not None else ""))

    try:
        t.search(epochs=epochs, callbacks=[FitEnd(said)], verbose=0)
    except RuntimeError as err:  # keras-tuner gives up after MAX_FAILURES trials in a row that raised
        say(f"search ended early: {str(err).splitlines()[0]}")
        t.oracle.stopped_because = f"failed: {str(err).splitlines()[0]}"
    rows = trials(t)
    best_row = next((r for r in rows if r["score"] is not None), None)
    # No trial finished (every build failed, or no time): the model as given is the safe choice.
    values = best_row["hyperparameters"] if best_row else space.unchanged_values(kt.HyperParameters())
    best_hp = kt.HyperParameters()
    space.declare(best_hp)
    best_hp.values.update({k: v for k, v in values.items() if not k.startswith("tuner/")})
    best = t.oracle.best_record()
    score = best_row["score"] if best_row else None
    return SearchResult(plan=space.plan_for(best_hp), best_values=dict(best_hp.values), trials=rows,
                        objective=objective.name, best_score=score, trains=chance.trains(score) or any(chance.trains(r.get("own_length")) for r in t.oracle.records),
                        stopped_because=t.oracle.stopped_because or "trial limit", chance=chance.to_dict(),
                        best_model=hm.best_model, unchanged=hm.unchanged,
                        top_models=list(hm.top), best_pace=best["pace"] if best else None,
                        best_startup=pace_and_startup(best)[1] if best else 0.0,
                        best_seconds=best["seconds"] if best else None, final_floor=rules.final_floor,
                        space=space.describe(), hypermodel=hm)
