"""Tuning a given plan's own values (`advisor train --plan`, and the chief of
distributed tuning): the same search as the diagnosis-seeded one, over a
one-plan space (`PlanSpace`: each recipe's tunable settings and the learning
rate), with the same tuner, hypermodel and oracles."""
from __future__ import annotations

import time

import keras_tuner as kt

from advisor.callbacks.progress import FitEnd
from advisor.runtime.budget import Deadline
from advisor.runtime.fingerprints import fingerprint, model_fingerprint
from advisor.runtime.objective import Chance
from advisor.runtime.objective import objective as objective_of
from advisor.search.hypermodel import SearchHyperModel
from advisor.search.oracle import SearchRules, make_oracle
from advisor.search.space import PlanSpace
from advisor.search.tuner import make_tuner, trials
from recipes import LearningRate, Plan


def with_tunable_lr(plan: Plan) -> Plan:
    """Whatever else is tuned, the learning rate is ([PB]: with few trials, tune
    only the LR): a plan without an optimizer recipe gets a LearningRate(1.0)."""
    if any(r.slot == "optimizer" or r.name == "learning_rate" for r in plan.recipes):
        return plan
    return Plan(list(plan.recipes) + [LearningRate(factor=1.0)])


def configured(plan: Plan, values: dict) -> Plan:
    """The plan with the tuner's chosen values baked into each recipe's config."""
    hp = kt.HyperParameters()
    plan.search_space(hp)  # registers every tunable with its default
    hp.values.update(values)
    return plan.search_space(hp)


def tune_plan(plan, net, dataset, run, *, tuner, trials_limit, epochs, trial_epochs, seed, deadline: Deadline,
              resume, progress, chief=False, lease_s=None) -> dict:
    """Tune `plan`'s values; trials.json in `run`; returns the best values."""
    done = run.read_json("trials.json") if resume else None
    if done is not None:
        return done["best_hyperparameters"]
    probe_hp = kt.HyperParameters()
    plan.search_space(probe_hp)
    if tuner == "none" or not probe_hp.space:
        progress.stage("tune", "skipped" + ("" if probe_hp.space else ": the plan has nothing to tune"))
        run.write_json("trials.json", {"tuner": tuner, "best_hyperparameters": dict(probe_hp.values), "trials": []})
        return dict(probe_hp.values)
    goal = objective_of(net, dataset)
    hypermodel = SearchHyperModel(PlanSpace(plan), net, dataset, epochs=trial_epochs, seed=seed, objective=goal,
                                  deadline=deadline, weights_dir=run.file("tuner") / "weights")
    max_epochs = max(3, min(epochs // 2, 15))
    oracle = make_oracle(tuner, objective=goal, seed=seed, rules=SearchRules(deadline, Chance(None, 0.0, goal.direction)),
                         max_trials=trials_limit if tuner == "hyperband" else trials_limit or 10, max_epochs=max_epochs)
    t = make_tuner(oracle, hypermodel, run.file("tuner"), resume=resume)
    progress.stage("tune", f"{tuner} over {', '.join(h.name for h in probe_hp.space)}"
                           + (f", at most {trials_limit} trials" if trials_limit else ""))
    count = [0]

    def on_trial(logs):
        count[0] += 1
        shown = logs.get(goal.name)
        progress.stage("tune", f"trial {count[0]}" + (f" done of {trials_limit}" if trials_limit else " done")
                       + (f", {goal.name} {shown:.4f}" if shown is not None else ""))

    extra = {}
    if chief:
        rows, extra = _serve(t, plan, net, dataset, tuner=tuner, trials_limit=trials_limit,
                             trial_epochs=trial_epochs, seed=seed, objective=goal, max_epochs=max_epochs,
                             deadline=deadline, lease_s=lease_s, progress=progress)
    else:
        t.search(epochs=trial_epochs, callbacks=[FitEnd(on_trial)], verbose=0)
        rows = trials(t)
    best = dict(t.get_best_hyperparameters(1)[0].values) if rows and rows[0]["score"] is not None \
        else dict(probe_hp.values)
    best = {k: v for k, v in best.items() if not k.startswith(("tuner/", "advisor:"))}
    run.write_json("trials.json", {"tuner": tuner, "objective": goal.name,
                                   "best_hyperparameters": best, "trials": rows, **extra})
    return best


def _serve(t, plan, net, dataset, *, tuner, trials_limit, trial_epochs, seed, objective, max_epochs, deadline,
           lease_s, progress):
    """As chief: publish the job, serve the trials to workers, and collect them."""
    from advisor.search import distributed  # keras-tuner's internals: only where distributed tuning runs

    lease_s = lease_s or distributed.DEFAULT_LEASE_S
    distributed.publish(t, {
        "plan": plan.to_dict(), "epochs": trial_epochs, "max_epochs": max_epochs, "tuner": tuner,
        "max_trials": trials_limit, "objective": [objective.name, objective.direction], "seed": seed,
        "data": fingerprint(dataset), "model": model_fingerprint(net),
        "lease_s": lease_s, "deadline_unix": time.time() + deadline.left()})
    requeued = distributed.serve(t, lease_s=lease_s, deadline=deadline.at, say=lambda m: progress.stage("tune", m))
    rows = [dict(r, hyperparameters=distributed.without_job(r["hyperparameters"])) for r in trials(t)]
    return rows, {"distributed": {"requeued": requeued, "worker_timeout_s": lease_s}}
