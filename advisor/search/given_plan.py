"""Tuning a given plan's own values (`advisor train --plan`, and the chief of
distributed tuning): no repair search, only each recipe's tunable settings and
the learning rate, on the same deadline-aware tuners as the search."""
from __future__ import annotations

import time

import keras_tuner as kt

from advisor.search import cluster, tune
from advisor.search.objective import objective as objective_of
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


def tune_plan(plan, net, dataset, run, *, tuner, trials, epochs, trial_epochs, seed, deadline, resume, progress,
              chief=False, lease_s=None) -> dict:
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
    objective = objective_of(net, dataset)
    hypermodel = tune.PlanHyperModel(plan, net, dataset, epochs=trial_epochs)
    max_epochs = max(3, min(epochs // 2, 15))
    t = tune.make_tuner(tuner, hypermodel, run.file("tuner"), objective=objective, max_trials=trials,
                        max_epochs=max_epochs, seed=seed, deadline=deadline, resume=resume)
    progress.stage("tune", f"{tuner} over {', '.join(h.name for h in probe_hp.space)}"
                           + (f", at most {trials} trials" if trials else ""))
    count = [0]

    def on_trial(logs):
        count[0] += 1
        shown = logs.get(objective.name)
        progress.stage("tune", f"trial {count[0]}" + (f" done of {trials}" if trials else " done")
                       + (f", {objective.name} {shown:.4f}" if shown is not None else ""))

    extra = {}
    if chief:
        rows, extra = _serve(t, plan, net, dataset, tuner=tuner, trials=trials, trial_epochs=trial_epochs, seed=seed,
                             objective=objective, max_epochs=max_epochs, deadline=deadline, lease_s=lease_s,
                             progress=progress)
    else:
        rows = tune.search(t, dataset, epochs=trial_epochs, deadline=deadline, on_trial=on_trial)
    best = dict(t.get_best_hyperparameters(1)[0].values) if rows and rows[0]["score"] is not None \
        else dict(probe_hp.values)
    best = {k: v for k, v in best.items() if not k.startswith(("tuner/", "advisor:"))}
    run.write_json("trials.json", {"tuner": tuner, "objective": objective.name,
                                   "best_hyperparameters": best, "trials": rows, **extra})
    return best


def _serve(t, plan, net, dataset, *, tuner, trials, trial_epochs, seed, objective, max_epochs, deadline, lease_s,
           progress):
    """As chief: publish the job, serve the trials to workers, and collect them."""
    lease_s = lease_s or cluster.DEFAULT_LEASE_S
    cluster.publish(t, {
        "plan": plan.to_dict(), "epochs": trial_epochs, "max_epochs": max_epochs, "tuner": tuner,
        "max_trials": trials, "objective": [objective.name, objective.direction], "seed": seed,
        "data": cluster.fingerprint(dataset), "model": cluster.model_fingerprint(net),
        "lease_s": lease_s, "deadline_unix": time.time() + max(0.0, deadline - time.monotonic())})
    requeued = cluster.serve(t, lease_s=lease_s, deadline=deadline, say=lambda m: progress.stage("tune", m))
    rows = [dict(r, hyperparameters=cluster.without_job(r["hyperparameters"])) for r in tune.trials(t)]
    return rows, {"distributed": {"requeued": requeued, "worker_timeout_s": lease_s}}
