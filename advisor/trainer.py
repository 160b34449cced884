"""`train`: the whole job — diagnose, plan, verify, tune, final fit, run folder.

Every stage writes its result into the run folder before the next begins, so
`resume=True` skips finished stages, the tuner continues its own directory, and
the final fit continues from its last epoch (keras BackupAndRestore).
"""
from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

from advisor.errors import AdvisorError
from advisor.progress import Progress
from advisor.run_folder import RunFolder

DEFAULT_BUDGET_S = 300.0
DEFAULT_EPOCHS = 30
# A probe cut after one or two epochs misreads slow starts as underfitting:
# it gets 15% of the budget but never less than 20 s. Project choice.
PROBE_SHARE, PROBE_MIN_S = 0.15, 20.0
# Shares of the time left after diagnosis at which verification and tuning
# must have ended (the final fit gets the rest): shares of what is left, not of
# the whole budget, so a slow probe cannot starve verification.
VERIFY_END, TUNE_END = 0.35, 0.70


@dataclasses.dataclass
class TrainResult:
    """What `advisor train` produced; the same contents as its run folder."""

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
          tuner_role: str | None = None, worker_timeout_s: float | None = None) -> TrainResult:
    """Diagnose, plan, verify the repairs, tune the plan's hyperparameters and
    train; leaves a run folder (model.keras, plan.json, findings.json,
    metrics.json, trials.json, logs/, report.html, status.json).

    Args:
        data / model: as for `advisor.diagnose`.
        plan: a `recipes.Plan` or a path to plan.json to apply instead of the
            auto-selected one (verification is skipped; tuning still refines it).
        budget_s: wall-clock seconds for the whole job (default 300).
        trials: at most this many tuner trials.
        tuner: "hyperband" (default), "bayesian", "random" or "none";
            "bayesian" by default with a tuner_role.
        epochs: epochs of the final fit (early stopping may end it sooner).
        out: the run folder (default runs/<dataset>-<time>).
        resume: continue the run in `out`.
        deterministic: TensorFlow op determinism on, and no timing-based
            choice (mixed precision is not measured, float32 is kept), so two
            runs with the same seed give identical plans and metrics on CPU.
            Budgets are wall-clock: give enough for the trials to finish.
        tuner_role: "chief" to serve the trials to workers started with
            `advisor train DATA --tuner-role worker` (keras-tuner's
            KERASTUNER_ORACLE_IP/_PORT name this host); see advisor.tune_cluster.
        worker_timeout_s: with tuner_role, a worker silent this long is
            presumed dead and its trial goes to another worker (default 60).

    Example:
        result = train("digits", out="runs/digits")
        result.metrics["accuracy"]
    """
    import keras

    from advisor import cluster
    from advisor.diagnosis import diagnose, resolve_data, resolve_model
    from advisor.tune import TUNERS

    hosts = cluster.cluster_size()
    cluster.check(hosts, plan, tuner_role, resume)
    cluster.start()  # before any TensorFlow op, when TF_CONFIG lists several hosts

    tuner = tuner or ("bayesian" if tuner_role else "hyperband")
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
    given_plan = _load_plan(plan) if plan is not None else None
    if hosts > 1:
        tuner = "none"

    budget = budget_s or DEFAULT_BUDGET_S
    start = time.monotonic()
    progress = Progress(quiet=quiet, deadline=start + budget)
    epochs = epochs or DEFAULT_EPOCHS

    keras.utils.set_random_seed(seed)  # before the model is built: same seed, same initial weights
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    # Every input is checked before the run folder exists: bad input leaves no folder behind.
    dataset = resolve_data(data, target=target, data_dir=data_dir, seed=seed)
    _check_finite(dataset)
    net = resolve_model(model, dataset.info)
    if given_plan is not None:
        _check_plan_fits(given_plan, net, dataset, plan)
    out = Path(out) if out else Path("runs") / f"{dataset.info.name.replace(':', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not cluster.is_writer():  # the chief writes the run folder; this host's copy is scratch
        import tempfile

        out = Path(tempfile.mkdtemp(prefix="advisor-worker-")) / "run"
    fresh = not out.exists()
    run = RunFolder(out, resume=resume)
    if resume and run.status() == "complete":
        progress.stage("resume", f"{out} is already complete")
        return _result_from(run)
    run.set_status("incomplete", stage="diagnose")

    # 1. Diagnose and plan (or take the given plan); 2. verify the repairs.
    state = run.read_json("state.json") if resume else None
    if state is None:
        try:
            # Across hosts every stage must run the same steps everywhere: no probe, no timing.
            report = diagnose(net, dataset, probe_epochs=probe_epochs, seed=seed, probe=hosts == 1,
                              probe_seconds=max(PROBE_MIN_S, PROBE_SHARE * budget),
                              measure_precision=not deterministic and hosts == 1, progress=progress)
        except AdvisorError:  # input the probe refused: nothing worth keeping or resuming
            if fresh:
                shutil.rmtree(out, ignore_errors=True)
            raise
        run.write_json("findings.json", [f.to_dict() for f in report.findings])
        run.write_json("diagnosis.json", report.to_dict())
        diagnosed_at = time.monotonic()
        if given_plan is not None:
            chosen, attempts = (cluster.distributed(given_plan, hosts) if hosts > 1 else given_plan), []
        else:
            from advisor.verify import verify

            progress.stage("verify", "re-probing the repairs for training problems")
            probed = len(report.trace.history["loss"])  # re-probe exactly as long as the first probe
            chosen, attempts = verify(report.plan, net, dataset, report, probe_epochs=probed,
                                      seed=seed, deadline=_share_left(start, budget, VERIFY_END), say=progress.stage)
        state = {"plan": chosen.to_dict(), "attempts": attempts, "diagnosed_at": diagnosed_at - start}
        run.write_json("state.json", state)
    from recipes import Plan

    chosen = _with_tunable_lr(Plan.from_dict(state["plan"]))
    run.set_status("incomplete", stage="tune")

    # 3. Refine the plan's own hyperparameters.
    best_hp, trial_rows = _tune(chosen, net, dataset, run, tuner=tuner, trials=trials, epochs=epochs,
                                seed=seed, deadline=_share_left(start, budget, TUNE_END, after=state.get("diagnosed_at")),
                                resume=resume, progress=progress, chief=tuner_role == "chief",
                                lease_s=worker_timeout_s)
    saved = run.read_json("plan.json") if resume else None  # after a NaN recovery, the stabilized plan
    final_plan = Plan.from_dict(saved) if saved else _configured(chosen, best_hp)
    run.write_json("plan.json", final_plan.to_dict())
    run.set_status("incomplete", stage="final fit")

    # 4. Final fit, resumable per epoch, then test metrics.
    keras.utils.set_random_seed(seed)
    model, history, final_plan = _final_fit(final_plan, net, dataset, run, epochs=epochs, progress=progress)
    from advisor.evaluate import evaluate

    x_test, y_test = dataset.arrays["test"]
    metrics = evaluate(_single_host_copy(model) if hosts > 1 else model, x_test, y_test,
                       dataset.info.task, dataset.info.class_names)
    metrics["epochs_run"] = len(history.get("loss", []))
    metrics["wall_time_s"] = round(time.monotonic() - start, 1)
    run.save_model(model)
    run.write_json("history.json", history)
    run.write_json("metrics.json", metrics)

    # 5. The report, last: a complete status means every file above exists.
    from advisor.report_html import write_report

    write_report(run)
    run.set_status("complete")
    result = _result_from(run)
    if not cluster.is_writer():
        shutil.rmtree(out.parent, ignore_errors=True)
        progress.stage("done", "this host's part is done; the chief writes the run folder | " + _headline(metrics))
    else:
        progress.stage("done", f"{out} | " + _headline(metrics))
    return result


def _single_host_copy(model):
    """The trained weights in a model outside the strategy: predicting with the
    multi-host model would split the test set across hosts."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _check_tuner_role(role: str, tuner: str) -> None:
    from advisor.tune_cluster import set_role

    if role != "chief":
        raise AdvisorError(f"train() runs the chief; a worker is advisor.tune_cluster.run_worker (got {role!r})")
    if tuner in ("hyperband", "none"):
        # Hyperband continues trials from checkpoints in its own directory, which workers on other hosts lack.
        raise AdvisorError(f"--tuner-role needs --tuner bayesian or random, not {tuner}")
    set_role(role)


def _check_finite(dataset) -> None:
    """Refuse NaN/inf inputs: training on them gives a NaN loss, and no recipe repairs the data."""
    import numpy as np

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
        plan.build(net, train=dataset.arrays["train"], epochs=1)
        plan.transform(dataset.train, dataset.val)
        fit = plan.fit_kwargs(train=dataset.arrays["train"], epochs=1)
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


def _share_left(start: float, budget: float, share: float, after: float | None = None) -> float:
    """The monotonic time when `share` of the budget left after diagnosis is spent.
    `after` is diagnosis's end in seconds from `start` (now, when None)."""
    t0 = start + after if after is not None else time.monotonic()
    return t0 + share * max(0.0, start + budget - t0)


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

    from advisor import tune

    probe_hp = kt.HyperParameters()
    plan.search_space(probe_hp)
    if tuner == "none" or not probe_hp.space:
        progress.stage("tune", "skipped" + ("" if probe_hp.space else ": the plan has nothing to tune"))
        result = {"tuner": tuner, "best_hyperparameters": dict(probe_hp.values), "trials": []}
        run.write_json("trials.json", result)
        return result["best_hyperparameters"], []
    objective = _objective(net, dataset)
    hypermodel = tune.PlanHyperModel(plan, net, dataset, epochs=max(2, epochs // 3))
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
        rows = tune.search(t, dataset, epochs=max(2, epochs // 3), deadline=deadline, on_trial=on_trial)
    best = dict(t.get_best_hyperparameters(1)[0].values) if rows and rows[0]["score"] is not None \
        else dict(probe_hp.values)
    best = {k: v for k, v in best.items() if not k.startswith(("tuner/", "advisor:"))}
    run.write_json("trials.json", {"tuner": tuner, "objective": objective.name,
                                   "best_hyperparameters": best, "trials": rows, **extra})
    return best, rows


def _serve(t, plan, net, dataset, *, tuner, trials, epochs, seed, objective, max_epochs, deadline, lease_s,
           progress):
    """As chief: publish the job, serve the trials to workers, and collect them."""
    from advisor import tune, tune_cluster

    lease_s = lease_s or tune_cluster.DEFAULT_LEASE_S
    tune_cluster.publish(t, {
        "plan": plan.to_dict(), "epochs": max(2, epochs // 3), "max_epochs": max_epochs, "tuner": tuner,
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


def _final_fit(plan, net, dataset, run, *, epochs, progress):
    """Fit with per-epoch backups (resume) and NaN recovery; returns the model,
    the merged history and the plan actually used (stabilized after a NaN)."""
    import shutil

    import keras

    from advisor.nan_guard import MAX_RECOVERIES, LastGoodWeights, stabilized

    guard, history, recoveries = LastGoodWeights(), {}, run.read_json("recoveries.json") or []
    train_ds, val_ds = plan.transform(dataset.train, dataset.val)
    while True:
        model = plan.build(net, train=dataset.arrays["train"], epochs=epochs)
        if recoveries and guard.weights is not None:
            model.set_weights(guard.weights)
        fit = plan.fit_kwargs(train=dataset.arrays["train"], epochs=epochs)
        total = fit.get("epochs", epochs)
        callbacks = list(fit.pop("callbacks", [])) + [
            # delete_checkpoint=False: a NaN stop must not erase the last good epoch.
            keras.callbacks.BackupAndRestore(str(run.file("checkpoints")), save_freq="epoch", delete_checkpoint=False),
            keras.callbacks.TensorBoard(str(run.file("logs"))),
            progress.callback("final fit", total), guard]
        progress.stage("final fit", f"up to {total} epochs" + (f", from epoch {guard.epochs_done + 1}"
                                                                if recoveries else ""))
        hist = model.fit(train_ds, validation_data=val_ds, callbacks=callbacks, verbose=0,
                         initial_epoch=guard.epochs_done if recoveries else 0, **fit)
        for k, vals in hist.history.items():
            history.setdefault(k, []).extend(float(v) for v in vals)
        if guard.nan_epoch is None:
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
    return model, history, plan


def _headline(metrics: dict) -> str:
    if "accuracy" in metrics:
        return f"test accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}"
    return f"test MAE {metrics['mae']:.4f}, RMSE {metrics['rmse']:.4f}"


def _result_from(run: RunFolder) -> TrainResult:
    state = run.read_json("state.json") or {}
    tuned = run.read_json("trials.json") or {}
    return TrainResult(run_dir=run.path, findings=run.read_json("findings.json") or [],
                       plan=run.read_json("plan.json") or {}, attempts=state.get("attempts", []),
                       trials=tuned.get("trials", []), best_hyperparameters=tuned.get("best_hyperparameters", {}),
                       metrics=run.read_json("metrics.json") or {}, history=run.read_json("history.json") or {},
                       recoveries=run.read_json("recoveries.json") or [])
