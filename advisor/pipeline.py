"""`train`: the whole job, read top to bottom — diagnose, search the repairs until a
setup trains, extras from spare time, final fit, keep the best model, run folder.

Every stage writes its result into the run folder before the next begins, so
`resume=True` skips finished stages, the tuner continues its own directory, and
the final fit continues from its last epoch (keras BackupAndRestore). One
`Budget` hands every stage its deadline: the run ends within the budget. The
search gets every second until a setup trains; ablation, K-fold and ensembles
are paid only from time the search no longer needs, and only for a plan that
trains. The kept model is the best on validation among the final fit, the best
trial's model and the user's setup trained unchanged. `metrics.json` says
which, why, and where the time went.
"""
from __future__ import annotations

import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import keras
import tensorflow as tf

from advisor import input_checks
from advisor.diagnosis import diagnose, resolve_data, resolve_model
from advisor.errors import AdvisorError
from advisor.probe.copies import clone_for_training
from advisor.probe.lr_find import lr_range_test
from advisor.report.evaluate import evaluate
from advisor.report.html import write_report
from advisor.rules.repair_defaults import REPAIRS
from advisor.runtime import hosts, run_safety
from advisor.runtime.budget import GIVEN_PLAN_SHARE, MIN_FINAL_S, Budget
from advisor.runtime.objective import chance as chance_of
from advisor.runtime.objective import objective as objective_of
from advisor.runtime.options import TrainOptions
from advisor.runtime.progress import Progress
from advisor.runtime.run_folder import RunFolder
from advisor.runtime.timeline import TimeTable
from advisor.search.ablation import ablate
from advisor.search.given_plan import configured, tune_plan, with_tunable_lr
from advisor.search.run import SearchResult, run_search
from advisor.search.space import SearchSpace
from advisor.training.ensemble import ensemble_candidate
from advisor.training.final_fit import final_fit, single_host_copy
from advisor.training.kfold import cross_validate, merged
from advisor.training.selection import Candidate, choose
from recipes import Plan

# Members of the ensemble the rule book chooses for small data where folds do not fit
# (project choice: the final model and the search's two best other trials).
SMALL_DATA_ENSEMBLE = 3
# The search's stops after which its spare time may go to extras.
SPARE_TIME = ("stagnated", "trial limit")
# Validation passes after the final fit: the candidates the kept model is chosen from
# (final fit, best trial, unchanged setup, an ensemble).
JUDGED_BY = 4


def trial_epochs(epochs: int) -> int:
    """Epochs per search trial: a third of the final fit's, at least 2."""
    return max(2, epochs // 3)


@dataclasses.dataclass
class TrainResult:
    """What `advisor train` produced; the same contents as its run folder.

    `attempts` is the ablation's evidence: each recipe of the kept plan with
    the objective with and without it.
    """

    run_dir: Path
    findings: list[dict]
    plan: dict
    attempts: list[dict]
    trials: list[dict]
    best_hyperparameters: dict
    metrics: dict
    history: dict
    recoveries: list[dict] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["run_dir"] = str(self.run_dir)
        return d


@dataclasses.dataclass
class _Job:
    """What every stage of one `train` call reads."""

    dataset: object
    net: keras.Model
    run: RunFolder
    budget: Budget
    progress: Progress
    options: TrainOptions
    tuner: str
    hosts: int
    table: TimeTable

    @property
    def epochs(self) -> int:
        return self.options.final_epochs

    def say(self, stage: str, detail: str) -> None:
        self.progress.stage(stage, detail)


def train(data="digits", model=None, options: TrainOptions | None = None, **fields) -> TrainResult:
    """Diagnose, search the repairs the diagnosis suggests (seeded with the rule
    book's plan and the user's setup unchanged) until a setup trains, and train
    the best plan; leaves a run folder (model.keras, plan.json, findings.json,
    metrics.json, trials.json, logs/, report.html, status.json).

    Args:
        data / model: as for `advisor.diagnose`.
        options: a `TrainOptions`, or its fields as keywords (`budget_s=60, out="runs/x"`).

    Example:
        result = train("digits", out="runs/digits", budget_s=120)
        result.metrics["accuracy"], result.metrics["kept"]["kept"]
    """
    options = dataclasses.replace(options, **fields) if options is not None else TrainOptions(**fields)
    budget = Budget(options.budget, start=options.started_at if options.started_at is not None else time.monotonic())
    table = TimeTable(budget.start)
    n_hosts = hosts.count()
    hosts.start()  # before any TensorFlow op, when TF_CONFIG lists several hosts
    if options.tuner_role is not None:
        from advisor.search.distributed import set_role  # keras-tuner's internals: only where distributed tuning runs

        set_role(options.tuner_role)
    progress = Progress(quiet=options.quiet, deadline=budget.end)
    keras.utils.set_random_seed(options.seed)  # before the model is built: same seed, same initial weights
    if options.deterministic:
        tf.config.experimental.enable_op_determinism()
    given_plan = input_checks.load_plan(options.plan) if options.plan is not None else None
    with table.stage("load"):
        dataset, net = _checked_inputs(data, model, given_plan, options, budget, progress)
        run, fresh = _open_run(dataset, net, model, given_plan, options, progress)
    job = _Job(dataset, net, run, budget, progress, options, "none" if n_hosts > 1 else options.tuner, n_hosts,
               table)
    if options.resume and run.status() == "complete":
        job.say("resume", f"{run.path} is already complete")
        return _result_from(run)

    state = _diagnose_stage(job, given_plan, fresh)
    ensemble, cv, why_small = _wanted_extras(job, state)
    plan, search = _choose_plan(job, state, keep_models=max(ensemble, SMALL_DATA_ENSEMBLE if why_small else 1))
    run.write_json("plan.json", plan.to_dict())
    spare = search is not None and search.trains and search.stopped_because in SPARE_TIME
    if search is not None and not spare:
        _say_no_extras(job, search, why_small, cv)
        ensemble, cv = (0, None) if why_small or not search.trains else (ensemble, cv)
    plan, trial_model, ablation, estimate = _extras(job, plan, search, cv, why_small, spare)
    if ablation:
        job.run.write_json("trials.json", {**job.run.read_json("trials.json"), "ablation": ablation})
        run.write_json("plan.json", plan.to_dict())
    model, history, fit_info = _final_fit(job, plan, search, trial_model, estimate)
    with table.stage("selection"):
        model, kept, voting = _keep_best(job, model, fit_info, search, trial_model, estimate, ensemble, why_small)
    return _finish(job, _close(job, model, history, extra={"final_fit": fit_info, "kept": kept, "search": (
        _search_summary(search) if search else None), "ensemble": voting, "cv": estimate}))


def _checked_inputs(data, model, given_plan, options: TrainOptions, budget: Budget, progress):
    """The data and model, every input checked before the run folder exists."""
    dataset = resolve_data(data, target=options.target, data_dir=options.data_dir, seed=options.seed)
    for note in dataset.info.notes:
        progress.stage("data", note)
    input_checks.check_finite(dataset)
    net = resolve_model(model, dataset.info)
    if given_plan is not None:
        input_checks.check_plan_fits(given_plan, net, dataset, options.plan)
    input_checks.check_budget(budget, net, dataset)
    if options.cv:
        input_checks.check_folds(options.cv, dataset)
    return dataset, net


def _open_run(dataset, net, model_spec, given_plan, options: TrainOptions, progress) -> tuple[RunFolder, bool]:
    """The run folder, locked for this process, with its inputs recorded (or
    checked against a resumed run's); and whether it is new."""
    out = Path(options.out) if options.out else \
        Path("runs") / f"{dataset.info.name.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not hosts.is_writer():  # the chief writes the run folder; this host's copy is scratch
        out = Path(tempfile.mkdtemp(prefix="advisor-worker-")) / "run"
    fresh = not out.exists()
    run = RunFolder(out, resume=options.resume)
    run_safety.start(run, resume=options.resume, say=progress.stage, dataset=dataset, net=net,
                     model=model_spec, plan=given_plan, seed=options.seed,
                     epochs=options.final_epochs, tuner=options.tuner, trials=options.trials, cv=options.cv,
                     ensemble=options.ensemble)  # inputs.json, disk
    return run, fresh


def _diagnose_stage(job: _Job, given_plan, fresh: bool) -> dict:
    """1. Findings, the rule book's plan and the search space it seeds (state.json),
    the space's learning rate centred by the LR range test when the budget allows."""
    job.run.set_status("incomplete", stage="diagnose")
    state = job.run.read_json("state.json") if job.options.resume else None
    if state is not None:
        return state
    try:
        # Across hosts every stage must run the same steps everywhere: no probe, no timing.
        with job.table.stage("diagnose"):
            report = diagnose(job.net, job.dataset, probe_epochs=job.options.probe_epochs, seed=job.options.seed,
                              probe=job.hosts == 1, pretrained=job.options.pretrained,
                              probe_seconds=job.budget.probe_seconds(),
                              measure_precision=not job.options.deterministic and job.hosts == 1,
                              progress=job.progress)
    except AdvisorError:  # input the probe refused: nothing worth keeping or resuming
        if fresh:
            shutil.rmtree(job.run.path, ignore_errors=True)
        raise
    job.run.write_json("findings.json", [f.to_dict() for f in report.findings])
    job.run.write_json("diagnosis.json", report.to_dict())
    if given_plan is not None:
        state = {"plan": (hosts.spread(given_plan, job.hosts) if job.hosts > 1 else given_plan).to_dict()}
    else:
        space = SearchSpace.from_report(report, job.net)
        deadline = job.budget.lr_test()
        if deadline is not None:
            with job.table.stage("lr range test"):
                space = _centred(job, space, deadline)
        state = {"plan": report.plan.to_dict(), "space": space.to_dict()}
    job.run.write_json("state.json", state)
    return state


def _wanted_extras(job: _Job, state: dict) -> tuple[int, int | None, str | None]:
    """(ensemble members, K folds, why the rule book chose them for small data): the user's
    --ensemble / --cv, or, with neither, the rule book's choice for small data (the
    small_data finding): K-fold where stratified folds fit (the final model then also
    trains on the validation split), else a soft-voting ensemble. The rule book's
    choice runs only if the search leaves time to spare."""
    opts = job.options
    if opts.ensemble is not None or opts.cv or "space" not in state or opts.tuner_role is not None:
        return (opts.ensemble if opts.ensemble and opts.ensemble > 1 else 0), opts.cv, None
    small = next((f for f in job.run.read_json("findings.json") or [] if f["name"] == "small_data"), None)
    if small is None:
        return 0, None, None
    why = f"small data: {small['evidence']}"
    k = input_checks.folds_possible(REPAIRS.kfold_splits, job.dataset)
    return (0, k, why) if k else (SMALL_DATA_ENSEMBLE, None, why)


def _choose_plan(job: _Job, state: dict, *, keep_models: int) -> tuple[Plan, SearchResult | None]:
    """2. The plan to train: the search's (with its models), a given plan's tuned
    values, or a resumed run's."""
    run = job.run
    done = run.read_json("trials.json") if job.options.resume else None
    saved = run.read_json("plan.json") if job.options.resume else None  # after a NaN recovery, the stabilized plan
    if done is not None and saved:
        return Plan.from_dict(saved), None
    run.set_status("incomplete", stage="search")
    with job.table.stage("search"):
        if "space" in state and job.options.tuner_role is None:
            result = _search(job, state, keep_models=keep_models)
        else:
            chosen = with_tunable_lr(Plan.from_dict(state["plan"]))
            best_hp = tune_plan(chosen, job.net, job.dataset, run, tuner=job.tuner, trials_limit=job.options.trials,
                                epochs=job.epochs, trial_epochs=trial_epochs(job.epochs), seed=job.options.seed,
                                deadline=job.budget.share(GIVEN_PLAN_SHARE),
                                resume=job.options.resume, progress=job.progress,
                                chief=job.options.tuner_role == "chief", lease_s=job.options.worker_timeout_s)
            return configured(chosen, best_hp), None
    job.table.split("search", [(f"trial {r['trial_id']}", r["seconds"]) for r in result.trials if r.get("seconds")])
    return result.plan, result


def _search(job: _Job, state: dict, *, keep_models: int) -> SearchResult:
    """The diagnosis-seeded search (trials.json)."""
    space = SearchSpace.from_dict(state["space"])
    choices = ", ".join(f"{p} ({len(o)} repair{'s' if len(o) > 1 else ''})" for p, o in space.groups.items()) \
        or "no problem to repair"
    goal = objective_of(job.net, job.dataset)
    chance = chance_of(goal, job.net, job.dataset)
    trials_cap = f", at most {job.options.trials} trials" if job.options.trials else ""
    job.say("search", f"{job.tuner}: {choices}; LR, optimizer, batch size" + (", width" if space.widths else "")
            + (", depth" if space.depths else "") + trials_cap
            + (f"; a setup trains once {goal.name} beats {chance.value:.4g} by {chance.margin:.2g}"
               if chance.value is not None else ""))
    result = run_search(space, job.net, job.dataset, job.run.file("tuner"), tuner=job.tuner, objective=goal,
                        chance=chance, epochs=trial_epochs(job.epochs), final_epochs=job.epochs,
                        seed=job.options.seed, budget=job.budget, keep_models=keep_models,
                        max_trials=job.options.trials, resume=job.options.resume,
                        say=lambda m: job.say("search", m))
    job.run.write_json("trials.json", {"tuner": job.tuner, **result.to_dict()})
    names = ", ".join(r.name for r in result.plan.recipes) or "the model as given"
    shown = f" ({result.objective} {result.best_score:.4f})" if result.best_score is not None else ""
    job.say("search", f"stopped ({result.stopped_because}); kept: {names}{shown}"
            + ("" if result.trains else "; no trial trains (none beat chance clearly)"))
    return result


def _say_no_extras(job: _Job, search: SearchResult, why_small: str | None, cv: int | None) -> None:
    if search.trains:
        why = "the search ran until only the final fit's time was left"
    elif search.stopped_because == "budget":
        why = "no trial trains: every second went to the search"
    else:
        why = f"no trial trains (the search stopped: {search.stopped_because})"
    skipped = ["ablation"] + (["the automatic " + ("K-fold" if cv else "ensemble")] if why_small else [])
    job.say("extras", f"{' and '.join(skipped)} skipped: {why}")


def _extras(job: _Job, plan, search: SearchResult | None, cv: int | None, why_small: str | None, spare: bool):
    """3. Extras, paid only from time the search no longer needs (`spare`) and only for
    a plan that trains: the ablation, then the K-fold estimate (a user's --cv also when
    the search used its time). Returns the plan (without a recipe that hurt), the trial
    model to start from, the ablation rows and the estimate."""
    trial_model = search.best_model if search else None
    if search is None or not search.trains:
        return plan, trial_model, [], None
    reserve = job.budget.final_reserve(job.epochs, search.best_pace or 0.0, search.best_startup, search.final_floor)
    fit_s = search.best_seconds or 0.0  # one re-fit costs about one trial
    rows, window = [], job.budget.extras(reserve)
    if spare and plan.recipes and window.left() < fit_s:
        job.say("ablation", f"skipped: {window.left():.0f}s are spare, one re-fit takes about {fit_s:.0f}s")
    elif spare and plan.recipes:
        job.run.set_status("incomplete", stage="ablation")
        with job.table.stage("ablation"):
            job.say("ablation", f"the search stopped ({search.stopped_because}): {window.left():.0f}s for "
                                f"re-fitting the plan without each recipe (about {fit_s:.0f}s each)")
            rows, plan, model = ablate(search.hypermodel, plan, search.best_score,
                                       window.share(0.5) if cv else window, trial_epochs(job.epochs), fit_s,
                                       say=lambda m: job.say("ablation", m),
                                       required={r.name for r in search.hypermodel.space.required})
            trial_model = model if model is not None else trial_model
    estimate, window = None, job.budget.extras(reserve)
    fold_s = fit_s * job.epochs / trial_epochs(job.epochs)  # a fold trains as long as the final fit
    if cv and window.left() < cv * fold_s:
        job.say("cross-validation", f"skipped: {cv} folds need about {cv * fold_s:.0f}s, {window.left():.0f}s "
                                    f"are spare")
    elif cv:
        with job.table.stage("cross-validation"):
            estimate = _cross_validate(job, plan, cv, why_small or "--cv", window)
    return plan, trial_model, rows, estimate


def _cross_validate(job: _Job, plan, k: int, why: str, deadline) -> dict:
    """The K-fold estimate (cv.json, kept for --resume)."""
    job.run.set_status("incomplete", stage="cross-validation")
    estimate = job.run.read_json("cv.json") if job.options.resume else None
    if estimate is None:
        metric = "accuracy" if job.dataset.info.task != "regression" else "loss"
        job.say("cross-validation", f"{k} folds of train + val, {metric} ({why})")
        estimate = cross_validate(plan, job.net, job.dataset, k=k, epochs=job.epochs, seed=job.options.seed,
                                  metric=metric, deadline=deadline.at,
                                  say=lambda m: job.say("cross-validation", m))
        estimate["chosen_because"] = why
        job.run.write_json("cv.json", estimate)
    if estimate["mean"] is not None:
        job.say("cross-validation", f"{estimate['metric']} {estimate['mean']:.4f} ± {estimate['std']:.4f} "
                                    f"over {estimate['k']} folds")
    return estimate


def _final_fit(job: _Job, plan, search: SearchResult | None, trial_model, estimate):
    """4. The final fit until the budget's end, from the best trial's weights (on train + val
    after a K-fold estimate). While no trial trains the search has the whole budget and
    there is no final fit; a search that stopped at its trial limit leaves its time to it."""
    if search is not None and not search.trains and search.stopped_because == "budget":
        job.say("final fit", "skipped: no trial trains and the search used the whole budget; the best model "
                             "the search saw is kept")
        return trial_model, {}, {"epochs_run": 0, "skipped": "no trial trains"}
    # The search keeps at least MIN_FINAL_S for the final fit; under half of that no epoch fits.
    one_epoch = max(MIN_FINAL_S / 2, 2 * (search.best_pace or 0.0)) if search is not None else MIN_FINAL_S / 2
    if search is not None and job.budget.left() < one_epoch:
        job.say("final fit", f"skipped: {job.budget.left():.1f}s left, one epoch needs about {one_epoch:.1f}s")
        return trial_model, {}, {"epochs_run": 0, "skipped": "no time left for an epoch"}
    fit_data, epochs = job.dataset, job.epochs
    whole = [n for n, cut in zip(estimate["epochs"], estimate.get("cut", [])) if not cut] if estimate else []
    if estimate is not None and estimate["mean"] is not None and whole:  # folds the clock did not cut
        fit_data, epochs = merged(job.dataset), max(1, round(statistics.median(whole)))
    job.run.set_status("incomplete", stage="final fit")
    keras.utils.set_random_seed(job.options.seed)
    with job.table.stage("final fit"):
        model, history, plan, info = final_fit(plan, job.net, fit_data, job.run, epochs=epochs,
                                               progress=job.progress, deadline=job.budget.fit.at,
                                               judged_by=JUDGED_BY, warm_start=trial_model)
    if plan.to_dict() != job.run.read_json("plan.json"):
        job.run.write_json("plan.json", plan.to_dict())  # stabilized after a NaN
    info["train_plus_val"] = fit_data is not job.dataset
    return model, history, info


def _keep_best(job: _Job, model, fit_info: dict, search: SearchResult | None, trial_model, estimate, ensemble: int,
               why_small: str | None):
    """5. The model to keep: the best on validation among the user's setup trained unchanged,
    the final fit, the best trial's model and (when asked) the ensemble; the first of them on a tie."""
    candidates = []
    if model is not None and fit_info.get("epochs_run"):
        on_folds = fit_info.get("train_plus_val") and estimate is not None
        candidates.append(Candidate("final fit on train + val" if on_folds else "final fit", model,
                                    score=estimate["mean"] if on_folds else None,
                                    note=f"K-fold mean of its plan ({estimate['k']} folds)" if on_folds else ""))
    unchanged = search.unchanged[1] if search is not None and search.unchanged is not None else None
    if trial_model is not None:
        candidates.append(Candidate("best search trial" + (" (your setup unchanged)" if trial_model is unchanged
                                                           else ""), trial_model))
    voting = None
    if ensemble and candidates and search is not None and search.trains:
        voted, voting = ensemble_candidate(candidates[0].model, search.top_models, ensemble, job.dataset)
        voting["chosen_because"] = why_small or "--ensemble"
        if voted is not None:
            candidates.append(voted)
    if unchanged is not None and unchanged is not trial_model:
        # Replaced only on evidence (training/selection.evidence_margin), and first on a tie.
        candidates.insert(0, Candidate("your setup unchanged", unchanged, note="trained in the search"))
    if not candidates:  # every trial diverged before its first epoch: the model as given, said so
        candidates.append(Candidate("your model as given (untrained)", clone_for_training(job.net, job.dataset.info),
                                    note="no fit completed an epoch with a finite loss"))
    kept, record = choose(candidates, job.dataset, job.net, baseline="your setup unchanged")
    if voting is not None:
        voting["kept"] = kept.name.startswith("ensemble")
    job.say("kept", f"{kept.name}: {record['why']}")
    return kept.model, record, voting


def _search_summary(search: SearchResult) -> dict:
    return {"stopped_because": search.stopped_because, "trains": search.trains, "best_score": search.best_score,
            "objective": search.objective, "chance": search.chance, "trials": len(search.trials),
            "failed_trials": sum(r["status"] in ("DIVERGED", "CUT SHORT") for r in search.trials)}


def _close(job: _Job, model, history, *, extra: dict) -> dict:
    """6. Test metrics (with `extra`'s non-empty entries), model, history and
    report into the run folder, then status complete (last: a complete status
    means every file exists); returns the metrics."""
    began = time.monotonic()
    dataset = job.dataset
    metrics = evaluate(single_host_copy(model) if job.hosts > 1 else model, dataset.inputs("test"),
                       dataset.labels("test"), dataset.info.task, dataset.info.class_names)
    metrics["epochs_run"] = len(history.get("loss", []))
    metrics.update({key: value for key, value in extra.items() if value is not None})
    job.run.save_model(model)
    job.run.write_json("history.json", history)
    metrics["budget_s"] = job.budget.total_s
    metrics["time"] = job.table.rows(still_running=("closing", began))
    metrics["wall_time_s"] = round(job.budget.used(), 1)
    job.run.write_json("metrics.json", metrics)
    write_report(job.run)
    job.run.set_status("complete")
    return metrics


def _finish(job: _Job, metrics: dict) -> TrainResult:
    result = _result_from(job.run)
    if not hosts.is_writer():
        shutil.rmtree(job.run.path.parent, ignore_errors=True)
        job.say("done", "this host's part is done; the chief writes the run folder | " + _headline(metrics))
    else:
        job.say("done", f"{job.run.path} | " + _headline(metrics)
                + f" | {job.budget.used():.0f}s of {job.budget.total_s:.0f}s")
    return result


def _centred(job: _Job, space: SearchSpace, deadline) -> SearchSpace:
    """The space with its learning-rate factor centred by the LR range test (run on
    the rule book's plan), ending by `deadline`."""
    try:
        model = space.plan.build(job.net, train=job.dataset.train_data())
    except ValueError as err:  # a recipe this model cannot take: its trials fail and the search goes on
        job.say("lr range test", f"skipped: the rule book's plan does not build on this model ({err})")
        return space
    current = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    job.say("lr range test", f"from 1e-7 up, at most {deadline.left():.0f}s")
    found = lr_range_test(model, job.dataset, seed=job.options.seed, deadline=deadline.at)
    if not found.suggestion or not current:
        return space
    job.say("lr range test", f"suggests {found.suggestion:.2g} (the plan uses {current:.2g})")
    return dataclasses.replace(space, lr_range=SearchSpace.lr_range_around(found.suggestion / current))


def _headline(metrics: dict) -> str:
    if "accuracy" in metrics:
        return f"test accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}"
    return f"test MAE {metrics['mae']:.4f}, RMSE {metrics['rmse']:.4f}"


def _result_from(run: RunFolder) -> TrainResult:
    tuned = run.read_json("trials.json") or {}
    return TrainResult(run_dir=run.path, findings=run.read_json("findings.json") or [],
                       plan=run.read_json("plan.json") or {}, attempts=tuned.get("ablation", []),
                       trials=tuned.get("trials", []), best_hyperparameters=tuned.get("best_hyperparameters", {}),
                       metrics=run.read_json("metrics.json") or {}, history=run.read_json("history.json") or {},
                       recoveries=run.read_json("recoveries.json") or [])
