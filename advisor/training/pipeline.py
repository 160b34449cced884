"""`train`: the whole job — diagnose, search the repairs, final fit, run folder.

Every stage writes its result into the run folder before the next begins, so
`resume=True` skips finished stages, the tuner continues its own directory, and
the final fit continues from its last epoch (keras BackupAndRestore). One
`Budget` hands every stage its deadline: the run ends within `budget_s`.
"""
from __future__ import annotations

import dataclasses
import math
import shutil
import statistics
import time
from pathlib import Path

import keras

from advisor.training.budget import CV_SHARE, LR_FIND_MIN_BUDGET_S, LR_FIND_SHARE, MIN_BUDGET_S, SEARCH_SHARE, Budget
from advisor.training.deadline import FitDeadline
from advisor.errors import AdvisorError
from advisor.training.progress import Progress
from advisor.training import run_safety
from advisor.training.run_folder import RunFolder

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
            metrics go to metrics.json either way). None: chosen for small
            data (SMALL_DATA_ENSEMBLE members); 1: a single model.
        cv: K-fold estimate of the chosen plan on train + val (mean ± std of
            the objective's metric in metrics.json "cv"); the final model then
            trains on train + val for the folds' median number of epochs.

    Example:
        result = train("digits", out="runs/digits")
        result.metrics["accuracy"]
    """
    from advisor.training import hosts as cluster
    from advisor.diagnosis import diagnose, resolve_data, resolve_model
    budget = Budget(budget_s or DEFAULT_BUDGET_S, start=started_at if started_at is not None else time.monotonic())
    hosts = cluster.cluster_size()
    cluster.check(hosts, plan, tuner_role, resume)
    cluster.start()  # before any TensorFlow op, when TF_CONFIG lists several hosts

    tuner = tuner or "bayesian"
    _check_options(tuner=tuner, tuner_role=tuner_role, budget_s=budget_s, epochs=epochs, trials=trials,
                   ensemble=ensemble, cv=cv)
    given_plan = _load_plan(plan) if plan is not None else None
    if hosts > 1:
        tuner = "none"
    progress = Progress(quiet=quiet, deadline=budget.end)
    epochs = epochs or DEFAULT_EPOCHS

    keras.utils.set_random_seed(seed)  # before the model is built: same seed, same initial weights
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    # Every input is checked before the run folder exists: bad input leaves no folder behind.
    dataset = resolve_data(data, target=target, data_dir=data_dir, seed=seed)
    for note in dataset.info.notes:
        progress.stage("data", note)
    _check_finite(dataset)
    net = resolve_model(model, dataset.info)
    if given_plan is not None:
        _check_plan_fits(given_plan, net, dataset, plan)
    _check_budget(budget, net, dataset)
    if cv:
        _check_folds(cv, dataset)
    out = Path(out) if out else Path("runs") / f"{dataset.info.name.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not cluster.is_writer():  # the chief writes the run folder; this host's copy is scratch
        import tempfile

        out = Path(tempfile.mkdtemp(prefix="advisor-worker-")) / "run"
    fresh = not out.exists()
    run = RunFolder(out, resume=resume)
    run_safety.start(run, resume=resume, say=progress.stage, dataset=dataset, net=net, model=model,  # inputs.json, disk space
                     plan=given_plan, seed=seed, epochs=epochs, tuner=tuner, trials=trials, cv=cv, ensemble=ensemble)
    if resume and run.status() == "complete":
        progress.stage("resume", f"{out} is already complete")
        return _result_from(run)
    run.set_status("incomplete", stage="diagnose")

    # 1. Diagnose: findings, the rule book's plan and the search space it seeds.
    state = run.read_json("state.json") if resume else None
    if state is None:
        try:
            # Across hosts every stage must run the same steps everywhere: no probe, no timing.
            report = diagnose(net, dataset, probe_epochs=probe_epochs, seed=seed, probe=hosts == 1,
                              pretrained=pretrained, probe_seconds=_probe_seconds(budget),
                              measure_precision=not deterministic and hosts == 1, progress=progress)
        except AdvisorError:  # input the probe refused: nothing worth keeping or resuming
            if fresh:
                shutil.rmtree(out, ignore_errors=True)
            raise
        state = _diagnosed(report, run, net, dataset, budget, given_plan, hosts, seed, progress)

    # 2. Search (or, with a given plan or as chief, tune the plan's own values).
    run.set_status("incomplete", stage="search")
    chosen_ensemble = None
    if ensemble is None and not cv and "space" in state and tuner_role is None:
        ensemble, chosen_ensemble = _small_data_ensemble(run, progress)
    ensemble = ensemble if ensemble and ensemble > 1 else 0
    final_plan, fallback, top_models = _choose_plan(
        state, net, dataset, run, budget, tuner=tuner, tuner_role=tuner_role, trials=trials, epochs=epochs,
        seed=seed, resume=resume, progress=progress, keep_models=ensemble or 1, lease_s=worker_timeout_s)
    run.write_json("plan.json", final_plan.to_dict())
    fit_data, estimate = dataset, None
    if cv:  # K-fold estimate, then the final fit on train + val (the fallback judged on val no longer can be)
        estimate, fit_data, epochs = _cross_validate(final_plan, net, dataset, run, cv, epochs, seed, budget,
                                                     resume, progress)
        fallback = None
    run.set_status("incomplete", stage="final fit")

    # 3. Final fit until the budget's end, resumable per epoch, then test metrics.
    keras.utils.set_random_seed(seed)
    model, history, final_plan, fit_info = _final_fit(final_plan, net, fit_data, run, epochs=epochs,
                                                      progress=progress, deadline=budget.fit_end,
                                                      ensemble=ensemble or 0, warm_start=fallback)
    if fallback is not None and _better(fallback, model, dataset, net):
        cut = "cut-short " if fit_info["cut_at_deadline"] else ""
        progress.stage("final fit", f"the search's best trial model validates better than the {cut}final fit: "
                                    "keeping the trial model")
        model, fit_info["kept"] = fallback, "best search trial"
    voting = None
    if ensemble:
        model, voting = _ensemble(model, top_models, ensemble, dataset, net, progress)
        voting["chosen_because"] = chosen_ensemble or "--ensemble"

    # 4. Test metrics, the model, the report last: a complete status means every file above exists.
    metrics = _close(run, model, history, dataset, budget, hosts=hosts, extra={
        "final_fit": fit_info, "ensemble": voting, "cv": estimate})
    result = _result_from(run)
    if not cluster.is_writer():
        shutil.rmtree(out.parent, ignore_errors=True)
        progress.stage("done", "this host's part is done; the chief writes the run folder | " + _headline(metrics))
    else:
        progress.stage("done", f"{out} | " + _headline(metrics) + f" | {budget.used():.0f}s of {budget.total_s:.0f}s")
    return result


def _check_options(*, tuner, tuner_role, budget_s, epochs, trials, ensemble, cv) -> None:
    """Options that cannot work, refused before anything is loaded or written."""
    from advisor.search.tune import TUNERS

    if tuner not in TUNERS:
        raise AdvisorError(f"--tuner must be one of {', '.join(TUNERS)}, got {tuner!r}")
    if tuner_role is not None:
        _check_tuner_role(tuner_role, tuner)
    if budget_s is not None and budget_s <= 0:
        raise AdvisorError(f"--budget must be positive, got {budget_s:g}s")
    if epochs is not None and epochs < 1:
        raise AdvisorError(f"--epochs must be at least 1, got {epochs}")
    if trials is not None and trials < 1:
        raise AdvisorError(f"--trials must be at least 1, got {trials}")
    if ensemble is not None and ensemble < 1:
        raise AdvisorError(f"--ensemble needs at least 1 member (1: a single model), got {ensemble}")
    if cv is not None and cv < 2:
        raise AdvisorError(f"--cv needs at least 2 folds, got {cv}")
    if cv and ensemble and ensemble > 1:
        raise AdvisorError("--cv trains the final model on the validation split too, so an ensemble could not be "
                           "judged on it: give --cv or --ensemble, not both")


def _check_folds(k: int, dataset) -> None:
    """Stratified folds need every class in every fold: at least K samples of each in train + val."""
    import numpy as np

    if not dataset.in_memory:
        raise AdvisorError(f"--cv trains K copies on train + val held in memory; {dataset.info.name} is "
                           "streamed from disk: drop --cv (its validation split is large enough to judge on)")
    if dataset.info.task == "regression":
        smallest, what = dataset.count("train") + dataset.count("val"), "samples"
    else:
        labels = np.concatenate([dataset.labels("train"), dataset.labels("val")]).astype(np.int64)
        smallest = int(np.bincount(labels, minlength=max(1, dataset.info.num_classes)).min())
        what = "samples of every class"
    if k > smallest:
        fix = f"give --cv {smallest} or fewer" if smallest >= 2 else "drop --cv"
        raise AdvisorError(f"--cv {k} needs {k} {what} in train + val; this data has {smallest}: {fix}")


def _diagnosed(report, run, net, dataset, budget: Budget, given_plan, hosts: int, seed: int, progress) -> dict:
    """Write the diagnosis; returns state.json: the plan, and the search space it seeds."""
    from advisor.training import hosts as cluster

    run.write_json("findings.json", [f.to_dict() for f in report.findings])
    run.write_json("diagnosis.json", report.to_dict())
    if given_plan is not None:
        state = {"plan": (cluster.distributed(given_plan, hosts) if hosts > 1 else given_plan).to_dict()}
    else:
        from advisor.search import SearchSpace

        space = _centred(SearchSpace.from_report(report, net), net, dataset, budget, seed, progress)
        state = {"plan": report.plan.to_dict(), "space": space.to_dict()}
    run.write_json("state.json", state)
    return state


def _choose_plan(state, net, dataset, run, budget: Budget, *, tuner, tuner_role, trials, epochs, seed, resume,
                 progress, keep_models, lease_s):
    """The plan to train: the search's (with its best trial model and the best
    trial models kept), the given plan's tuned values, or a resumed run's."""
    from recipes import Plan

    done = run.read_json("trials.json") if resume else None
    saved = run.read_json("plan.json") if resume else None  # after a NaN recovery, the stabilized plan
    if done is not None and saved:
        return Plan.from_dict(saved), None, []
    if "space" in state and tuner_role is None:
        return _search(state, net, dataset, run, budget, tuner=tuner, trials=trials, epochs=epochs, seed=seed,
                       resume=resume, progress=progress, keep_models=keep_models)
    chosen = _with_tunable_lr(Plan.from_dict(state["plan"]))
    best_hp, _ = _tune(chosen, net, dataset, run, tuner=tuner, trials=trials, epochs=epochs, seed=seed,
                       deadline=budget.deadline_after_share(SEARCH_SHARE), resume=resume,
                       progress=progress, chief=tuner_role == "chief", lease_s=lease_s)
    return _configured(chosen, best_hp), None, []


def _close(run, model, history, dataset, budget: Budget, *, hosts: int, extra: dict) -> dict:
    """Test metrics (with `extra`'s non-empty entries), model, history and
    report into the run folder, then status complete; returns the metrics."""
    from advisor.report.evaluate import evaluate
    from advisor.report.html import write_report

    metrics = evaluate(_single_host_copy(model) if hosts > 1 else model, dataset.inputs("test"),
                       dataset.labels("test"), dataset.info.task, dataset.info.class_names)
    metrics["epochs_run"] = len(history.get("loss", []))
    metrics.update({key: value for key, value in extra.items() if value is not None})
    run.save_model(model)
    run.write_json("history.json", history)
    metrics["budget_s"] = budget.total_s
    metrics["wall_time_s"] = round(budget.used(), 1)
    run.write_json("metrics.json", metrics)
    write_report(run)
    run.set_status("complete")
    return metrics


def _probe_seconds(budget: Budget) -> float:
    return max(budget.probe_seconds(), min(PROBE_MIN_S, 0.25 * budget.total_s))


def _check_budget(budget: Budget, net, dataset) -> None:
    """Refuse a budget below what one probe and one final epoch need on this data.

    The estimate times a few real training steps of the user's model: the
    probe needs `MIN_PROBE_STEPS` of them, the final fit one epoch, plus what
    has been spent so far and the closing (evaluation, saving).
    """
    if budget.total_s >= 4 * MIN_BUDGET_S:
        return  # far above any small-data floor: not worth the timing
    from advisor.diagnosis import MIN_PROBE_STEPS, PROBE_BATCH
    from advisor.probe.run import clone_for_training

    clone = clone_for_training(net, dataset.info)
    batch = dataset.sample("train", PROBE_BATCH)
    t0 = time.monotonic()
    clone.train_on_batch(*batch)  # tracing: paid once by every stage that builds a model
    traced = time.monotonic() - t0
    t0 = time.monotonic()
    for _ in range(3):
        clone.train_on_batch(*batch)
    step = (time.monotonic() - t0) / 3
    steps_per_epoch = max(1, -(-dataset.count("train") // PROBE_BATCH))
    need = budget.used() + 3 * traced + step * (MIN_PROBE_STEPS + steps_per_epoch) + MIN_BUDGET_S / 3
    need = max(MIN_BUDGET_S, math.ceil(need / 5) * 5)
    if budget.total_s < need:
        raise AdvisorError(f"--budget {budget.total_s:g}s is too small for this model and data: one probe and one "
                           f"final epoch need about {need:g}s here; give --budget {need:g}s or more")


def _centred(space, net, dataset, budget: Budget, seed: int, progress):
    """The space with its learning-rate factor centred by the LR range test
    (run on the rule book's plan), when the budget has room for one: building
    and tracing the sweep's model costs 5-8 s here, a trial's worth of a
    one-minute budget."""
    from advisor.probe.lr_find import lr_range_test

    if budget.total_s < LR_FIND_MIN_BUDGET_S:
        return space
    deadline = budget.deadline_after_share(LR_FIND_SHARE)
    model = space.plan.build(net, train=dataset.train_data())
    current = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    progress.stage("lr range test", f"from 1e-7 up, at most {deadline - time.monotonic():.0f}s")
    found = lr_range_test(model, dataset, seed=seed, deadline=deadline)
    if not found.suggestion or not current:
        return space
    progress.stage("lr range test", f"suggests {found.suggestion:.2g} (the plan uses {current:.2g})")
    return dataclasses.replace(space, lr_range=type(space).lr_range_around(found.suggestion / current))


def _search(state, net, dataset, run, budget: Budget, *, tuner, trials, epochs, seed, resume, progress,
            keep_models=1):
    """The diagnosis-seeded search; returns the plan to train, the best trial's
    model and the `keep_models` best trials' models."""
    from advisor.search import SearchSpace, run_search

    space = SearchSpace.from_dict(state["space"])
    objective = _objective(net, dataset)
    choices = ", ".join(f"{p} ({len(o)} repairs)" for p, o in space.groups.items()) or "no problem to repair"
    progress.stage("search", f"{tuner}: {choices}; LR, optimizer, batch size"
                             + (", width" if space.widths else "") + (", depth" if space.depths else "")
                             + (f", at most {trials} trials" if trials else ""))
    result = run_search(space, net, dataset, run.file("tuner"), tuner=tuner, objective=objective,
                        epochs=trial_epochs(epochs), seed=seed, deadline=budget.fit_end, fit_end=budget.fit_end,
                        final_epochs=epochs, max_trials=trials, keep_models=keep_models,
                        resume=resume, say=lambda m: progress.stage("search", m))
    run.write_json("trials.json", {"tuner": tuner, **result.to_dict()})
    names = ", ".join(r.name for r in result.plan.recipes) or "the model as given"
    progress.stage("search", f"kept: {names}" + (f" ({result.objective} {result.best_score:.4f})"
                                                 if result.best_score is not None else ""))
    return result.plan, result.best_model, result.top_models


def _cross_validate(plan, net, dataset, run, k, epochs, seed, budget: Budget, resume, progress):
    """The K-fold estimate (cv.json, kept for --resume), the data of the final
    fit (train + val) and its epochs (the folds' median)."""

    from advisor.training.kfold import cross_validate, merged

    run.set_status("incomplete", stage="cross-validation")
    estimate = run.read_json("cv.json") if resume else None
    if estimate is None:
        metric = "accuracy" if dataset.info.task != "regression" else "loss"
        progress.stage("cross-validation", f"{k} folds of train + val, {metric}")
        estimate = cross_validate(plan, net, dataset, k=k, epochs=epochs, seed=seed, metric=metric,
                                  deadline=budget.deadline_after_share(CV_SHARE),
                                  say=lambda m: progress.stage("cross-validation", m))
        run.write_json("cv.json", estimate)
    if estimate["mean"] is not None:
        progress.stage("cross-validation", f"{estimate['metric']} {estimate['mean']:.4f} ± {estimate['std']:.4f} "
                                           f"over {estimate['k']} folds")
    return estimate, merged(dataset), max(1, round(statistics.median(estimate["epochs"])))


def _small_data_ensemble(run, progress) -> tuple[int, str | None]:
    """The rule book's choice when the user chose none: small data -> soft-vote
    SMALL_DATA_ENSEMBLE members (S0: "20 models voting on the answer"), kept
    only if it validates better (on mnist-5k-small it changed test accuracy by
    -0.1 to +0.4 points: README)."""
    small = next((f for f in run.read_json("findings.json") or [] if f["name"] == "small_data"), None)
    if small is None:
        return 0, None
    progress.stage("ensemble", f"{SMALL_DATA_ENSEMBLE} members for small data ({small['evidence']}); "
                               f"kept only if it validates better; --ensemble 1 turns it off")
    return SMALL_DATA_ENSEMBLE, f"small data: {small['evidence']}"


def _ensemble(model, top_models, size: int, dataset, net, progress):
    """The final model soft-voted with the best trial models (`size` members);
    returns the model to keep and what was measured."""
    from advisor.training.ensemble import soft_vote
    from advisor.report.evaluate import evaluate

    others = [(f"trial {t}", m) for _, t, m in top_models if m is not model][: size - 1]
    sources, members = ["final fit"] + [s for s, _ in others], [model] + [m for _, m in others]
    if len(members) < 2:
        progress.stage("ensemble", "no trial model to vote with (the search ran no other trial, or was resumed)")
        return model, {"kept": False, "members": [], "note": "no trial model in memory"}
    classification = dataset.info.task != "regression"
    voted = soft_vote(members, loss=model.loss, metrics=["accuracy"] if classification else None)
    x, y = dataset.inputs("test"), dataset.labels("test")
    keys = ("accuracy", "macro_f1") if classification else ("mae", "rmse")

    def test_scores(m):
        scores = evaluate(m, x, y, dataset.info.task, dataset.info.class_names)
        return {k: scores[k] for k in keys}

    kept = _better(voted, model, dataset, net)
    record = {"kept": kept, "members": [{"source": s, "test": test_scores(m)} for s, m in zip(sources, members)],
              "ensemble_test": test_scores(voted)}
    progress.stage("ensemble", f"{len(members)} members: " + ("kept, it validates better than the final model"
                                                              if kept else "not kept, the final model validates as well"))
    return (voted if kept else model), record


def _better(candidate, model, dataset, net) -> bool:
    """True when `candidate` scores better than `model` on the validation split."""
    maximize = _objective(net, dataset).direction == "max"

    def score(m):
        values = m.evaluate(dataset.batches("val"), verbose=0, return_dict=True)
        key = next((k for k in values if "acc" in k), None) if maximize else "loss"
        value = values.get(key if key else "loss", math.nan)
        return value if maximize else -value

    try:
        return score(candidate) > score(model)
    except Exception:  # noqa: BLE001  a model that cannot be evaluated is not better
        return False


def _single_host_copy(model):
    """The trained weights in a model outside the strategy: predicting with the
    multi-host model would split the test set across hosts."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _check_tuner_role(role: str, tuner: str) -> None:
    from advisor.search.cluster import set_role

    if role != "chief":
        raise AdvisorError(f"train() runs the chief; a worker is advisor.search.cluster.run_worker (got {role!r})")
    if tuner in ("hyperband", "none"):
        # Hyperband continues trials from checkpoints in its own directory, which workers on other hosts lack.
        raise AdvisorError(f"--tuner-role needs --tuner bayesian or random, not {tuner}")
    set_role(role)


def _check_finite(dataset) -> None:
    """Refuse NaN/inf inputs: training on them gives a NaN loss, and no recipe repairs the data.
    (Decoded images are finite: a streamed folder has none.)"""
    import numpy as np

    if not dataset.in_memory:
        return
    bad = {split: int((~np.isfinite(x)).sum()) for split, (x, _) in dataset.arrays.items()}
    if any(bad.values()):
        where = ", ".join(f"{n:,} in {split}" for split, n in bad.items() if n)
        raise AdvisorError(f"the inputs hold NaN or infinite values ({where}): impute or drop those samples "
                           f"before training ('advisor diagnose DATA --no-probe' reports them)")


def _check_plan_fits(plan, net, dataset, source) -> None:
    """Try a given plan on the model and data before any work: a recipe that does not
    apply (augmentation on a table, focal loss or class weights on regression) would
    otherwise fail after the probe, mid-run."""
    from recipes import Plan

    name = "the given plan" if isinstance(source, Plan) else repr(str(source))
    try:
        plan.build(net, train=dataset.train_data(), epochs=1)
        plan.transform(dataset.train, dataset.val)
        fit = plan.fit_kwargs(train=dataset.train_data(), epochs=1)
    except ValueError as err:
        first = (str(err).strip().splitlines() or [""])[0]
        raise AdvisorError(f"plan {name} does not fit this model and data: {first}; "
                           f"remove or change that recipe") from None
    if "class_weight" in fit and dataset.info.task == "regression":
        raise AdvisorError(f"plan {name} weights classes, but {dataset.info.name} is a regression task; "
                           f"remove 'class_weights'")


def _load_plan(plan):
    from recipes import Plan

    if isinstance(plan, Plan):
        return plan
    try:
        return Plan.load(str(plan))
    except FileNotFoundError:
        raise AdvisorError(f"plan file {str(plan)!r} does not exist: pass a plan.json written by advisor") from None
    except ValueError as e:
        raise AdvisorError(str(e)) from None


def _with_tunable_lr(plan):
    """Whatever else is tuned, the learning rate is ([PB]: with few trials, tune
    only the LR): a plan without an optimizer recipe gets a LearningRate(1.0)."""
    from recipes import LearningRate, Plan

    if any(r.slot == "optimizer" or r.name == "learning_rate" for r in plan.recipes):
        return plan
    return Plan(list(plan.recipes) + [LearningRate(factor=1.0)])


def _configured(plan, values: dict):
    """The plan with the tuner's chosen values baked into each recipe's config."""
    import keras_tuner as kt

    hp = kt.HyperParameters()
    plan.search_space(hp)  # registers every tunable with its default
    hp.values.update(values)
    return plan.search_space(hp)


def _tune(plan, net, dataset, run, *, tuner, trials, epochs, seed, deadline, resume, progress,
          chief=False, lease_s=None):
    done = run.read_json("trials.json") if resume else None
    if done is not None:
        return done["best_hyperparameters"], done["trials"]
    import keras_tuner as kt

    from advisor.search import tune

    probe_hp = kt.HyperParameters()
    plan.search_space(probe_hp)
    if tuner == "none" or not probe_hp.space:
        progress.stage("tune", "skipped" + ("" if probe_hp.space else ": the plan has nothing to tune"))
        result = {"tuner": tuner, "best_hyperparameters": dict(probe_hp.values), "trials": []}
        run.write_json("trials.json", result)
        return result["best_hyperparameters"], []
    objective = _objective(net, dataset)
    hypermodel = tune.PlanHyperModel(plan, net, dataset, epochs=trial_epochs(epochs))
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
        rows, extra = _serve(t, plan, net, dataset, tuner=tuner, trials=trials, epochs=epochs, seed=seed,
                             objective=objective, max_epochs=max_epochs, deadline=deadline, lease_s=lease_s,
                             progress=progress)
    else:
        rows = tune.search(t, dataset, epochs=trial_epochs(epochs), deadline=deadline, on_trial=on_trial)
    best = dict(t.get_best_hyperparameters(1)[0].values) if rows and rows[0]["score"] is not None \
        else dict(probe_hp.values)
    best = {k: v for k, v in best.items() if not k.startswith(("tuner/", "advisor:"))}
    run.write_json("trials.json", {"tuner": tuner, "objective": objective.name,
                                   "best_hyperparameters": best, "trials": rows, **extra})
    return best, rows


def _serve(t, plan, net, dataset, *, tuner, trials, epochs, seed, objective, max_epochs, deadline, lease_s,
           progress):
    """As chief: publish the job, serve the trials to workers, and collect them."""
    from advisor.search import cluster as tune_cluster, tune

    lease_s = lease_s or tune_cluster.DEFAULT_LEASE_S
    tune_cluster.publish(t, {
        "plan": plan.to_dict(), "epochs": trial_epochs(epochs), "max_epochs": max_epochs, "tuner": tuner,
        "max_trials": trials, "objective": [objective.name, objective.direction], "seed": seed,
        "data": tune_cluster.fingerprint(dataset), "model": tune_cluster.model_fingerprint(net),
        "lease_s": lease_s, "deadline_unix": time.time() + max(0.0, deadline - time.monotonic())})
    requeued = tune_cluster.serve(t, lease_s=lease_s, deadline=deadline, say=lambda m: progress.stage("tune", m))
    rows = [dict(r, hyperparameters=tune_cluster.without_job(r["hyperparameters"])) for r in tune.trials(t)]
    return rows, {"distributed": {"requeued": requeued, "worker_timeout_s": lease_s}}


def _objective(net, dataset):
    import keras_tuner as kt

    if dataset.info.task != "regression" and _asks_accuracy(net):
        return kt.Objective("val_accuracy", "max")
    return kt.Objective("val_loss", "min")


def _asks_accuracy(net) -> bool:
    config = net.get_compile_config() or {}
    metrics = config.get("metrics") or []
    flat = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    return any("acc" in str(m).lower() for m in flat)


def _final_fit(plan, net, dataset, run, *, epochs, progress, deadline: float | None = None, ensemble: int = 0,
               warm_start=None):
    """Fit with per-epoch backups (resume), NaN recovery and the budget's
    deadline; returns the model, the merged history, the plan actually used
    (stabilized after a NaN) and how the fit ended.

    `warm_start`: the best search trial's model, trained with this same plan;
    the fit starts from its weights (a fresh optimizer and LR schedule), so the
    trial's epochs are not paid twice when the budget cuts the fit short."""
    from advisor.training.nan_guard import MAX_RECOVERIES, LastGoodWeights, stabilized

    guard, history, recoveries = LastGoodWeights(), {}, run.read_json("recoveries.json") or []
    monitor = "val_accuracy" if _objective(net, dataset).name == "val_accuracy" else "val_loss"
    # After a cut: the cut epoch's validation, _better's two validation passes, the test predictions;
    # an ensemble of K adds about K validation passes and two test passes per member.
    n_val, n_test = dataset.count("val"), dataset.count("test")
    ratio = n_test / max(1, n_val)
    stop = FitDeadline(deadline if deadline is not None else math.inf, monitor,
                       closing_passes=3 + ratio + ensemble * (1 + 2 * ratio))
    has_val = n_val > 0
    train_ds, val_ds = plan.transform(dataset.train, dataset.val if has_val else None)
    total, epoch_seconds = epochs, []
    while True:
        model = plan.build(net, train=dataset.train_data(), epochs=epochs)
        if recoveries and guard.weights is not None:
            model.set_weights(guard.weights)
        elif warm_start is not None:
            warm_start = _warm_started(model, warm_start)
        fit = plan.fit_kwargs(train=dataset.train_data(), epochs=epochs)
        total = fit.get("epochs", epochs)
        # Without a validation split (train + val after --cv) nothing may watch val_*.
        planned = [c for c in fit.pop("callbacks", [])
                   if has_val or not str(getattr(c, "monitor", "")).startswith("val_")]
        callbacks = planned + [
            # delete_checkpoint=False: a NaN stop must not erase the last good epoch.
            keras.callbacks.BackupAndRestore(str(run.file("checkpoints")), save_freq="epoch", delete_checkpoint=False),
            keras.callbacks.TensorBoard(str(run.file("logs"))),
            (epoch_line := progress.callback("final fit", total)), guard, stop]
        progress.stage("final fit", f"up to {total} epochs" + (f", from epoch {guard.epochs_done + 1}"
                                                                if recoveries else "")
                       + (", from the best search trial's weights" if warm_start is not None else ""))
        hist = model.fit(train_ds, validation_data=val_ds, callbacks=callbacks, verbose=0,
                         initial_epoch=guard.epochs_done if recoveries else 0, **fit)
        for k, vals in hist.history.items():
            history.setdefault(k, []).extend(float(v) for v in vals)
        epoch_seconds += epoch_line.train_seconds
        if guard.nan_epoch is None or stop.cut:
            break
        shutil.rmtree(run.file("checkpoints"), ignore_errors=True)  # the diverged optimizer's state
        if len(recoveries) >= MAX_RECOVERIES:
            progress.stage("final fit", f"loss still NaN after {MAX_RECOVERIES} recoveries: keeping the last good weights")
            model.set_weights(guard.weights)
            break
        plan = stabilized(plan)
        recoveries.append({"nan_epoch": guard.nan_epoch + 1, "rolled_back_to_epoch": guard.epochs_done,
                           "action": "learning rate / 10, clipnorm 1.0",
                           "plan": [r.name for r in plan.recipes]})
        run.write_json("recoveries.json", recoveries)
        run.write_json("plan.json", plan.to_dict())
        progress.stage("final fit", f"NaN loss in epoch {guard.nan_epoch + 1}: rolled back to epoch "
                                    f"{guard.epochs_done}, LR / 10 and gradient clipping")
    shutil.rmtree(run.file("checkpoints"), ignore_errors=True)
    ran = len(history.get("loss", []))
    if stop.cut:
        progress.stage("final fit", f"budget reached after {ran} of {total} epochs: kept the best epoch's weights")
    info = {"epochs_planned": total, "epochs_run": ran, "cut_at_deadline": stop.cut, "kept": "final fit",
            "started_from": "best search trial" if warm_start is not None else "fresh weights",
            # training phase only; the first epoch includes tracing the model
            "samples_per_s": round(dataset.count("train") / statistics.median(epoch_seconds), 1)
            if epoch_seconds else None}
    return model, history, plan, info


def _warm_started(model, trial_model):
    """Copy the trial model's weights into `model` (built from the same plan);
    the trial model, or None when the two do not match."""
    try:
        model.set_weights(trial_model.get_weights())
    except ValueError:  # another structure (cannot happen for one plan, but never worth a crash)
        return None
    return trial_model


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
