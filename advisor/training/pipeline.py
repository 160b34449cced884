"""`train`: the whole job — diagnose, search the repairs, final fit, run folder.

Every stage writes its result into the run folder before the next begins, so
`resume=True` skips finished stages, the tuner continues its own directory, and
the final fit continues from its last epoch (keras BackupAndRestore). One
`Budget` hands every stage its deadline: the run ends within `budget_s`.
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

from advisor.diagnosis import diagnose, resolve_data, resolve_model
from advisor.errors import AdvisorError
from advisor.probe.lr_find import lr_range_test
from advisor.report.evaluate import evaluate
from advisor.report.html import write_report
from advisor.search.cluster import set_role
from advisor.search.given_plan import configured, tune_plan, with_tunable_lr
from advisor.search.objective import objective as objective_of
from advisor.rules.repair_defaults import DEFAULTS as R
from advisor.search.run import run_search
from advisor.search.space import SearchSpace
from advisor.training import hosts as cluster
from advisor.training import inputs, options, run_safety
from advisor.training.budget import CV_SHARE, LR_FIND_MIN_BUDGET_S, LR_FIND_SHARE, SEARCH_SHARE, Budget
from advisor.training.ensemble import vote_with_trials
from advisor.training.final_fit import better, final_fit, single_host_copy
from advisor.training.kfold import cross_validate, merged
from advisor.training.progress import Progress
from advisor.training.run_folder import RunFolder
from recipes import Plan

DEFAULT_BUDGET_S = 300.0
DEFAULT_EPOCHS = 30
# Members of the ensemble the rule book chooses for small data (none given); project choice:
# the final model and the search's two best other trials.
SMALL_DATA_ENSEMBLE = 3
# A probe cut after one or two epochs misreads slow starts as underfitting: it
# gets PROBE_SHARE of the budget but at least this (or a quarter of a small budget).
PROBE_MIN_S = 20.0


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
    seed: int
    epochs: int
    tuner: str
    trials: int | None
    resume: bool
    hosts: int
    tuner_role: str | None
    lease_s: float | None


def train(data="digits", model=None, *, plan=None, budget_s: float | None = None, trials: int | None = None,
          tuner: str | None = None, epochs: int | None = None, out=None, resume: bool = False,
          seed: int = 0, quiet: bool = False, target=None, data_dir=None,
          probe_epochs: int | None = None, deterministic: bool = False,
          tuner_role: str | None = None, worker_timeout_s: float | None = None,
          started_at: float | None = None, pretrained: bool = False, ensemble: int | None = None,
          cv: int | None = None) -> TrainResult:
    """Diagnose, search the repairs the diagnosis suggests (seeded with the rule
    book's plan and the user's setup unchanged), and train the best plan;
    leaves a run folder (model.keras, plan.json, findings.json, metrics.json,
    trials.json, logs/, report.html, status.json).

    Args:
        data / model: as for `advisor.diagnose`.
        plan: a `recipes.Plan` or a path to plan.json to apply instead of the
            auto-selected one (no search; tuning still refines its own values).
        budget_s: wall-clock seconds for the whole job (default 300), from
            `started_at` (a `time.monotonic()` value; default: now).
        trials: at most this many search trials.
        tuner: "bayesian" (default: seeded with the rule book's plan and the
            unchanged setup), "random" (the same space, no seeded trials),
            "hyperband" or "none" (the two seeded trials only).
        epochs: epochs of the final fit (early stopping may end it sooner).
        out: the run folder (default runs/<dataset>-<time>).
        resume: continue the run in `out`.
        deterministic: TensorFlow op determinism on, and no timing-based
            choice (mixed precision is not measured, float32 is kept), so two
            runs with the same seed give identical plans and metrics on CPU.
            Budgets are wall-clock: give enough for the trials to finish.
        tuner_role: "chief" to serve the trials to workers started with
            `advisor train DATA --tuner-role worker` (keras-tuner's
            KERASTUNER_ORACLE_IP/_PORT name this host); see advisor.search.cluster.
        worker_timeout_s: with tuner_role, a worker silent this long is
            presumed dead and its trial goes to another worker (default 60).
        pretrained: the model's weights are trained: no initialization
            findings, no recipe re-initializes it without saying so (found on
            its own for a `.keras` saved after fit).
        ensemble: soft-vote the final model with the search's best trial
            models, `ensemble` members in all; kept only when it beats the
            final model on validation (each member's and the ensemble's test
            metrics go to metrics.json either way). 1: a single model judged
            on validation (no automatic K-fold either).
        cv: K-fold estimate of the chosen plan on train + val (mean ± std of
            the objective's metric in metrics.json "cv"); the final model then
            trains on train + val for the folds' median number of epochs.
            With neither `ensemble` nor `cv` given, small data (the small_data
            finding) gets `cv` 5 where stratified folds fit, else an ensemble
            of SMALL_DATA_ENSEMBLE members.

    Example:
        result = train("digits", out="runs/digits")
        result.metrics["accuracy"]
    """
    budget = Budget(budget_s or DEFAULT_BUDGET_S, start=started_at if started_at is not None else time.monotonic())
    hosts = cluster.cluster_size()
    cluster.check(hosts, plan, tuner_role, resume)
    cluster.start()  # before any TensorFlow op, when TF_CONFIG lists several hosts
    options.check_options(tuner=tuner or "bayesian", tuner_role=tuner_role, budget_s=budget_s, epochs=epochs,
                          trials=trials, ensemble=ensemble, cv=cv, resume=resume, out=out)
    if tuner_role is not None:
        set_role(tuner_role)
    tuner, epochs = ("none" if hosts > 1 else tuner or "bayesian"), epochs or DEFAULT_EPOCHS
    given_plan = inputs.load_plan(plan) if plan is not None else None
    progress = Progress(quiet=quiet, deadline=budget.end)
    keras.utils.set_random_seed(seed)  # before the model is built: same seed, same initial weights
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    dataset, net = _checked_inputs(data, model, given_plan, plan, budget, cv, progress, target=target,
                                   data_dir=data_dir, seed=seed)
    run, fresh = _open_run(out, dataset, net, resume, progress, model=model, plan=given_plan, seed=seed,
                           epochs=epochs, tuner=tuner, trials=trials, cv=cv, ensemble=ensemble)
    job = _Job(dataset, net, run, budget, progress, seed, epochs, tuner, trials, resume, hosts, tuner_role,
               worker_timeout_s)
    if resume and run.status() == "complete":
        progress.stage("resume", f"{run.path} is already complete")
        return _result_from(run)

    state = _diagnose_stage(job, given_plan, fresh, probe_epochs=probe_epochs, pretrained=pretrained,
                            deterministic=deterministic)
    run.set_status("incomplete", stage="search")
    ensemble, cv, chosen_because = _small_data_choice(job, state, ensemble, cv)
    final_plan, fallback, top_models = _choose_plan(job, state, keep_models=ensemble or 1)
    run.write_json("plan.json", final_plan.to_dict())
    fit_data, estimate = dataset, None
    if cv:  # K-fold estimate, then the final fit on train + val (no validation split left to judge on)
        estimate, fit_data, job.epochs = _cross_validate(job, final_plan, cv, chosen_because)
    model, history, fit_info = _fit_and_keep(job, final_plan, fit_data, fallback, ensemble, judge=not cv)
    voting = None
    if ensemble:
        model, voting = vote_with_trials(model, top_models, ensemble, dataset, net, progress)
        voting["chosen_because"] = chosen_because
    metrics = _close(job, model, history, extra={"final_fit": fit_info, "ensemble": voting, "cv": estimate})
    return _finish(job, metrics)


def _checked_inputs(data, model, given_plan, plan_source, budget: Budget, cv, progress, *, target, data_dir, seed):
    """The data and model, every input checked before the run folder exists."""
    dataset = resolve_data(data, target=target, data_dir=data_dir, seed=seed)
    for note in dataset.info.notes:
        progress.stage("data", note)
    inputs.check_finite(dataset)
    net = resolve_model(model, dataset.info)
    if given_plan is not None:
        inputs.check_plan_fits(given_plan, net, dataset, plan_source)
    inputs.check_budget(budget, net, dataset)
    if cv:
        inputs.check_folds(cv, dataset)
    return dataset, net


def _open_run(out, dataset, net, resume: bool, progress, **options) -> tuple[RunFolder, bool]:
    """The run folder, locked for this process, with its inputs recorded (or
    checked against a resumed run's); and whether it is new."""
    out = Path(out) if out else Path("runs") / f"{dataset.info.name.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not cluster.is_writer():  # the chief writes the run folder; this host's copy is scratch
        out = Path(tempfile.mkdtemp(prefix="advisor-worker-")) / "run"
    fresh = not out.exists()
    run = RunFolder(out, resume=resume)
    run_safety.start(run, resume=resume, say=progress.stage, dataset=dataset, net=net, **options)  # inputs.json, disk
    return run, fresh


def _diagnose_stage(job: _Job, given_plan, fresh: bool, *, probe_epochs, pretrained, deterministic) -> dict:
    """1. Findings, the rule book's plan and the search space it seeds (state.json)."""
    job.run.set_status("incomplete", stage="diagnose")
    state = job.run.read_json("state.json") if job.resume else None
    if state is not None:
        return state
    try:
        # Across hosts every stage must run the same steps everywhere: no probe, no timing.
        report = diagnose(job.net, job.dataset, probe_epochs=probe_epochs, seed=job.seed, probe=job.hosts == 1,
                          pretrained=pretrained, probe_seconds=_probe_seconds(job.budget),
                          measure_precision=not deterministic and job.hosts == 1, progress=job.progress)
    except AdvisorError:  # input the probe refused: nothing worth keeping or resuming
        if fresh:
            shutil.rmtree(job.run.path, ignore_errors=True)
        raise
    job.run.write_json("findings.json", [f.to_dict() for f in report.findings])
    job.run.write_json("diagnosis.json", report.to_dict())
    if given_plan is not None:
        state = {"plan": (cluster.distributed(given_plan, job.hosts) if job.hosts > 1 else given_plan).to_dict()}
    else:
        space = _centred(job, SearchSpace.from_report(report, job.net))
        state = {"plan": report.plan.to_dict(), "space": space.to_dict()}
    job.run.write_json("state.json", state)
    return state


def _small_data_choice(job: _Job, state: dict, ensemble: int | None, cv: int | None):
    """(ensemble members, K folds, why): the user's --ensemble / --cv, or, when the
    user gave neither, the rule book's choice for small data: K-fold (the final
    model then also trains on the validation split) where stratified folds fit,
    else a soft-voting ensemble. README: K-fold lifted the advisor above the
    ensemble default on wine, breast-cancer and mnist-5k-small (3 seeds each)."""
    if ensemble is not None or cv or "space" not in state or job.tuner_role is not None:
        return (ensemble if ensemble and ensemble > 1 else 0), cv, "--cv" if cv else "--ensemble"
    small = next((f for f in job.run.read_json("findings.json") or [] if f["name"] == "small_data"), None)
    if small is None:
        return 0, None, None
    k = inputs.folds_possible(R.kfold_splits, job.dataset)
    if k:
        job.progress.stage("cross-validation", f"{k} folds for small data ({small['evidence']}); then the final "
                                               f"model trains on train + val; --ensemble 1 turns it off")
        return 0, k, f"small data: {small['evidence']}"
    job.progress.stage("ensemble", f"{SMALL_DATA_ENSEMBLE} members for small data ({small['evidence']}); "
                                   f"kept only if it validates better; --ensemble 1 turns it off")
    return SMALL_DATA_ENSEMBLE, None, f"small data: {small['evidence']}"


def _choose_plan(job: _Job, state: dict, *, keep_models: int):
    """2. The plan to train: the search's (with its best trial model and the best
    trial models kept), the given plan's tuned values, or a resumed run's."""
    run = job.run
    done = run.read_json("trials.json") if job.resume else None
    saved = run.read_json("plan.json") if job.resume else None  # after a NaN recovery, the stabilized plan
    if done is not None and saved:
        return Plan.from_dict(saved), None, []
    if "space" in state and job.tuner_role is None:
        return _search(job, state, keep_models=keep_models)
    chosen = with_tunable_lr(Plan.from_dict(state["plan"]))
    best_hp = tune_plan(chosen, job.net, job.dataset, run, tuner=job.tuner, trials=job.trials, epochs=job.epochs,
                        trial_epochs=trial_epochs(job.epochs), seed=job.seed,
                        deadline=job.budget.deadline_after_share(SEARCH_SHARE), resume=job.resume,
                        progress=job.progress, chief=job.tuner_role == "chief", lease_s=job.lease_s)
    return configured(chosen, best_hp), None, []


def _search(job: _Job, state: dict, *, keep_models: int = 1):
    """The diagnosis-seeded search; returns the plan to train, the best trial's
    model and the `keep_models` best trials' models."""
    space = SearchSpace.from_dict(state["space"])
    choices = ", ".join(f"{p} ({len(o)} repairs)" for p, o in space.groups.items()) or "no problem to repair"
    say = job.progress.stage
    say("search", f"{job.tuner}: {choices}; LR, optimizer, batch size" + (", width" if space.widths else "")
        + (", depth" if space.depths else "") + (f", at most {job.trials} trials" if job.trials else ""))
    result = run_search(space, job.net, job.dataset, job.run.file("tuner"), tuner=job.tuner,
                        objective=objective_of(job.net, job.dataset), epochs=trial_epochs(job.epochs), seed=job.seed,
                        deadline=job.budget.fit_end, fit_end=job.budget.fit_end, final_epochs=job.epochs,
                        max_trials=job.trials, keep_models=keep_models, resume=job.resume,
                        say=lambda m: say("search", m))
    job.run.write_json("trials.json", {"tuner": job.tuner, **result.to_dict()})
    names = ", ".join(r.name for r in result.plan.recipes) or "the model as given"
    say("search", f"kept: {names}" + (f" ({result.objective} {result.best_score:.4f})"
                                      if result.best_score is not None else ""))
    return result.plan, result.best_model, result.top_models


def _cross_validate(job: _Job, plan, k: int, why: str):
    """The K-fold estimate (cv.json, kept for --resume), the data of the final
    fit (train + val) and its epochs (the folds' median)."""
    job.run.set_status("incomplete", stage="cross-validation")
    estimate = job.run.read_json("cv.json") if job.resume else None
    say = job.progress.stage
    if estimate is None:
        metric = "accuracy" if job.dataset.info.task != "regression" else "loss"
        say("cross-validation", f"{k} folds of train + val, {metric}")
        estimate = cross_validate(plan, job.net, job.dataset, k=k, epochs=job.epochs, seed=job.seed, metric=metric,
                                  deadline=job.budget.deadline_after_share(CV_SHARE),
                                  say=lambda m: say("cross-validation", m))
        estimate["chosen_because"] = why
        job.run.write_json("cv.json", estimate)
    if estimate["mean"] is not None:
        say("cross-validation", f"{estimate['metric']} {estimate['mean']:.4f} ± {estimate['std']:.4f} "
                                f"over {estimate['k']} folds")
    return estimate, merged(job.dataset), max(1, round(statistics.median(estimate["epochs"])))


def _fit_and_keep(job: _Job, plan, fit_data, trial_model, ensemble: int, *, judge: bool = True):
    """3. The final fit until the budget's end, from the best trial's weights; with
    `judge`, the trial model instead when it validates better than a (cut-short) final fit."""
    job.run.set_status("incomplete", stage="final fit")
    keras.utils.set_random_seed(job.seed)
    model, history, plan, info = final_fit(plan, job.net, fit_data, job.run, epochs=job.epochs,
                                           progress=job.progress, deadline=job.budget.fit_end,
                                           ensemble=ensemble, warm_start=trial_model)
    fallback = trial_model if judge else None
    if fallback is not None and better(fallback, model, job.dataset, job.net):
        cut = "cut-short " if info["cut_at_deadline"] else ""
        job.progress.stage("final fit", f"the search's best trial model validates better than the {cut}final fit: "
                                        "keeping the trial model")
        model, info["kept"] = fallback, "best search trial"
    return model, history, info


def _close(job: _Job, model, history, *, extra: dict) -> dict:
    """4. Test metrics (with `extra`'s non-empty entries), model, history and
    report into the run folder, then status complete (last: a complete status
    means every file exists); returns the metrics."""
    dataset, budget = job.dataset, job.budget
    metrics = evaluate(single_host_copy(model) if job.hosts > 1 else model, dataset.inputs("test"),
                       dataset.labels("test"), dataset.info.task, dataset.info.class_names)
    metrics["epochs_run"] = len(history.get("loss", []))
    metrics.update({key: value for key, value in extra.items() if value is not None})
    job.run.save_model(model)
    job.run.write_json("history.json", history)
    metrics["budget_s"] = budget.total_s
    metrics["wall_time_s"] = round(budget.used(), 1)
    job.run.write_json("metrics.json", metrics)
    write_report(job.run)
    job.run.set_status("complete")
    return metrics


def _finish(job: _Job, metrics: dict) -> TrainResult:
    result = _result_from(job.run)
    if not cluster.is_writer():
        shutil.rmtree(job.run.path.parent, ignore_errors=True)
        job.progress.stage("done", "this host's part is done; the chief writes the run folder | " + _headline(metrics))
    else:
        job.progress.stage("done", f"{job.run.path} | " + _headline(metrics)
                           + f" | {job.budget.used():.0f}s of {job.budget.total_s:.0f}s")
    return result


def _probe_seconds(budget: Budget) -> float:
    return max(budget.probe_seconds(), min(PROBE_MIN_S, 0.25 * budget.total_s))


def _centred(job: _Job, space: SearchSpace) -> SearchSpace:
    """The space with its learning-rate factor centred by the LR range test
    (run on the rule book's plan), when the budget has room for one: building
    and tracing the sweep's model costs 5-8 s here, a trial's worth of a
    one-minute budget."""
    if job.budget.total_s < LR_FIND_MIN_BUDGET_S:
        return space
    deadline = job.budget.deadline_after_share(LR_FIND_SHARE)
    model = space.plan.build(job.net, train=job.dataset.train_data())
    current = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    job.progress.stage("lr range test", f"from 1e-7 up, at most {deadline - time.monotonic():.0f}s")
    found = lr_range_test(model, job.dataset, seed=job.seed, deadline=deadline)
    if not found.suggestion or not current:
        return space
    job.progress.stage("lr range test", f"suggests {found.suggestion:.2g} (the plan uses {current:.2g})")
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
