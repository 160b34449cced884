"""The five arms compared on every task, each returning the same row of numbers.

- baseline: the task's model as a user would write it, trained as written (the reference).
- keras-tuner: stock `kt.Hyperband` as keras-tuner's documentation teaches it.
- random-repair: random search over every repair of the rule book, no diagnosis (Kim et al. ICST'23).
- random-search: random search over the advisor's own space for the task, without the rule book's plan.
- advisor: `advisor train`.

Every arm but the baseline ends within the same wall-clock budget, counted from
process start. The three search arms then keep their best trial's model and train
it on until the budget's end with one helper (`train_further`): the courtesy the
advisor gets, which warm-starts its final fit from its best trial.
"""
from __future__ import annotations

import dataclasses
import gc
import tempfile
import time
from pathlib import Path

BASELINE_EPOCHS = 20
PATIENCE = 5  # EarlyStopping's patience in keras-tuner's getting-started tutorial
BATCH_SIZES = (32, 64, 128)  # keras-tuner's batch sizes, tuned in HyperModel.fit


def _budget(budget_s: float, started_at: float | None):
    from advisor.runtime.budget import Budget

    return Budget(budget_s, start=started_at if started_at is not None else time.monotonic())


def _evaluate(model, dataset) -> dict:
    from advisor.report.evaluate import evaluate

    return evaluate(model, dataset.inputs("test"), dataset.labels("test"), dataset.info.task,
                    dataset.info.class_names)


def baseline(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """The task's model as a user would write it: Adam at its default LR, fixed
    epochs, no regularization (and no budget: it is the reference)."""
    import keras

    keras.utils.set_random_seed(seed)
    start = started_at if started_at is not None else time.monotonic()
    train = dataset.train.shuffle(4096, seed=0).batch(32).prefetch(2)
    model = build_model(dataset.info)
    hist = model.fit(train, validation_data=dataset.val.batch(256), epochs=epochs, verbose=0)
    return {"metrics": _evaluate(model, dataset), "wall_s": time.monotonic() - start,
            "epochs": len(hist.history["loss"]), "trials": 0, "train_plus_val": False}


def train_further(model, dataset, budget, train, val, *, epochs: int, monitor: str, fit: dict | None = None):
    """Train the best trial's `model` on until the budget's end, then evaluate it on test.

    At most `epochs`; EarlyStopping (restore_best_weights) and FitDeadline, both on
    `monitor`; the cut leaves time for its epoch's validation and the test predictions.
    The starting weights are kept when the further fit validates worse.
    `fit`: the plan's own `model.fit` arguments (its callbacks, class weights).
    Returns (test metrics, epochs run).
    """
    import keras

    from advisor.callbacks.deadline import FitDeadline

    if budget.expired():  # one batch from fresh optimizer state would only move it off its best epoch
        return _evaluate(model, dataset), 0
    fit = dict(fit or {})
    mode = "max" if "acc" in monitor else "min"
    callbacks = fit.pop("callbacks", []) + [
        keras.callbacks.EarlyStopping(monitor, patience=PATIENCE, mode=mode, restore_best_weights=True),
        FitDeadline(budget.fit.at, monitor, closing_passes=1 + dataset.count("test") / max(1, dataset.count("val")))]
    start = [w.copy() for w in model.get_weights()]
    before = model.evaluate(val, verbose=0, return_dict=True).get(monitor.removeprefix("val_"))
    hist = model.fit(train, validation_data=val, epochs=epochs, verbose=0, callbacks=callbacks, **fit)
    after = model.evaluate(val, verbose=0, return_dict=True).get(monitor.removeprefix("val_"))
    # The trial's own weights stay when the further fit validates worse (as the advisor's selection does).
    if before is not None and after is not None and (after < before if mode == "max" else after > before):
        model.set_weights(start)
    return _evaluate(model, dataset), len(hist.history.get("loss", []))


def _tunable_builder(dataset, build_model):
    """keras-tuner's usual knobs. Plain tasks: LR, dropout, width, on a fresh
    MLP/CNN behind a Normalization layer; fault tasks keep the user's (broken)
    architecture: LR only.

    The Normalization layer gets the training split's per-feature mean and variance,
    computed once here rather than by `adapt` in every build: they do not depend on
    any hyperparameter, Hyperband builds dozens of models within the budget, and a
    layer given mean/variance is saved in the model's config, so
    `get_best_models` rebuilds it without the data.
    """
    import keras

    info = dataset.info
    fixed = getattr(build_model, "fixed_architecture", False)
    if not fixed:
        x = dataset.arrays["train"][0]
        flat = x.reshape(-1, x.shape[-1])  # what adapt() computes with the default axis=-1
        mean, variance = flat.mean(axis=0), flat.var(axis=0)
    loss = "sparse_categorical_crossentropy" if info.task != "regression" else "mse"

    def build(hp):
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        if fixed:
            model = build_model(info)
            model.compile(optimizer=keras.optimizers.Adam(lr), loss=model.loss, metrics=["accuracy"])
            return model
        width = hp.Choice("width", [32, 64, 128])
        rate = hp.Float("dropout", 0.0, 0.5, step=0.1)
        inputs = keras.Input(info.input_shape)
        h = keras.layers.Normalization(mean=mean, variance=variance)(inputs)
        if info.modality == "image":
            for mult in (1, 2):
                h = keras.layers.Conv2D(width // 2 * mult, 3, padding="same", activation="relu")(h)
                h = keras.layers.MaxPooling2D()(h) if h.shape[1] >= 4 else h
        elif info.modality == "sequence":
            h = keras.layers.Conv1D(width // 2, 5, padding="same", activation="relu")(h)
            h = keras.layers.MaxPooling1D()(h)
        h = keras.layers.Flatten()(h)
        h = keras.layers.Dense(width, activation="relu")(h)
        h = keras.layers.Dropout(rate)(h)
        outputs = keras.layers.Dense(max(info.num_classes, 1), activation="softmax" if info.num_classes else None)(h)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=["accuracy"])
        return model

    return build


def keras_tuner(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """Stock `kt.Hyperband` (objective val_accuracy, max_epochs = the baseline's epochs,
    factor 3) over LR, dropout, width and batch size, EarlyStopping in `search` as the
    tutorial does, fits cut by FitDeadline; the search ends once its share of the
    budget is spent (the share the advisor keeps at least for its final fit is left),
    then `get_best_models(1)[0]` is trained on until the budget's end."""
    import keras
    import keras_tuner as kt

    from advisor.callbacks.deadline import FitDeadline
    from advisor.runtime.budget import FINAL_MIN_SHARE

    keras.utils.set_random_seed(seed)
    budget = _budget(budget_s, started_at)
    search_end = budget.share(1 - FINAL_MIN_SHARE)
    fixed = getattr(build_model, "fixed_architecture", False)
    build = _tunable_builder(dataset, build_model)

    class HyperModel(kt.HyperModel):
        def build(self, hp):
            return build(hp)

        def fit(self, hp, model, *args, **kwargs):  # batch size tuned here, as keras-tuner's docs show
            return model.fit(*args, batch_size=32 if fixed else hp.Choice("batch_size", list(BATCH_SIZES)), **kwargs)

    class BudgetedHyperband(kt.Hyperband):
        """Stock Hyperband whose search ends at `search_end`. keras-tuner has no
        wall-clock limit; after every trial its documented `on_trial_end` hook runs,
        and once the deadline has passed this one sets `oracle.max_trials` to the
        trials so far, so the stock oracle answers STOPPED to the next `create_trial`:
        the search ends the keras-tuner way, with no patched oracle and no exception.
        The trial running at the deadline is cut by FitDeadline."""

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            if search_end.passed():
                self.oracle.max_trials = len(self.oracle.trials)

    (x, y), val = dataset.arrays["train"], dataset.arrays["val"]
    with tempfile.TemporaryDirectory() as tmp:
        tuner = BudgetedHyperband(HyperModel(), objective="val_accuracy", max_epochs=epochs, factor=3, seed=seed,
                                  directory=tmp, project_name="kt")
        tuner.search(x, y, validation_data=val, epochs=epochs, verbose=0,
                     callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE),
                                FitDeadline(search_end.at, "val_accuracy")])
        best = tuner.get_best_hyperparameters(1)[0]
        model = tuner.get_best_models(1)[0]
        trials = len(tuner.oracle.trials)
    # The trial cut mid-epoch left its iterator in a reference cycle: deleted now, while young,
    # not by a later collection inside the fit below (recipes.data.pipeline.without_autotune).
    gc.collect()
    train = dataset.train.shuffle(4096, seed=seed).batch(best.values.get("batch_size", 32)).prefetch(2)
    metrics, ran = train_further(model, dataset, budget, train, dataset.val.batch(256), epochs=epochs,
                                 monitor="val_accuracy")
    return {"metrics": metrics, "wall_s": budget.used(), "epochs": ran, "trials": trials, "train_plus_val": False,
            "best_hyperparameters": {k: v for k, v in best.values.items() if not k.startswith("tuner/")}}


def _random_arm(dataset, build_model, space_for, *, seed, budget_s, epochs, started_at):
    """A random arm: `run_search` with tuner "random" over `space_for(net, dataset, budget, seed)`
    (its first two trials always run, as the advisor's seeded ones do; no seeded trials,
    no LR range test), then the best trial's weights in a freshly built model of its plan
    (as keras-tuner's `get_best_models` and the advisor's final fit start) trained on by
    `train_further`. No K-fold, ablation or ensemble. When no trial produced a model, the
    user's model is trained for the baseline's epochs in the time left, and the row says so."""
    import keras

    from advisor.pipeline import trial_epochs
    from advisor.runtime.objective import chance, objective
    from advisor.search.run import run_search
    from recipes import Plan

    budget = _budget(budget_s, started_at)
    keras.utils.set_random_seed(seed)
    net = build_model(dataset.info)
    space = space_for(net, dataset, budget, seed)
    goal = objective(net, dataset)
    with tempfile.TemporaryDirectory() as tmp:
        found = run_search(space, net, dataset, Path(tmp), tuner="random", objective=goal,
                           chance=chance(goal, net, dataset), epochs=trial_epochs(epochs), final_epochs=epochs,
                           seed=seed, budget=budget)
    row = {"trials": len(found.trials), "search_stopped": found.stopped_because, "train_plus_val": False}
    plan = found.plan if found.best_model is not None else Plan([])  # Plan([]) builds the user's model as is
    keras.utils.set_random_seed(seed)
    model = plan.build(net, train=dataset.train_data(), epochs=epochs)
    if found.best_model is not None:
        model.set_weights(found.best_model.get_weights())
        row["plan"] = [r.name for r in plan.recipes]
    else:
        row["fallback"] = "no trial produced a model: the user's model trained for the baseline's epochs"
    train, val = plan.transform(dataset.train, dataset.val)
    metrics, ran = train_further(model, dataset, budget, train, val, epochs=epochs, monitor=goal.name,
                                 fit=plan.fit_kwargs(train=dataset.train_data()))
    return {"metrics": metrics, "wall_s": budget.used(), "epochs": ran, **row}


def _every_repair_space(net, dataset, budget, seed):
    """random-repair's space: one Choice per problem the rule book can repair, over its
    whole repair sequence read with empty Facts (no probe, no findings), plus the space's
    usual knobs; its plan holds no recipe. Built by `SearchSpace.from_report` from a
    report that names every repairable problem and knows nothing else; the groups
    from_report adds beyond the repair sequences (the initializer choice) are dropped."""
    from types import SimpleNamespace

    from advisor.rules.facts import Facts
    from advisor.rules.repairs import repairable_problems
    from advisor.search.space import NONE, SearchSpace
    from recipes import Plan

    problems = repairable_problems()
    blind = SimpleNamespace(plan=Plan([]), facts=Facts(),
                            findings=[SimpleNamespace(name=p, severity="warning") for p in problems])
    space = SearchSpace.from_report(blind, net)
    groups = {p: space.groups[p] for p in problems if p in space.groups}
    return dataclasses.replace(space, groups=groups, defaults={p: NONE for p in groups})


def _advisor_space_without_rule_book(net, dataset, budget, seed):
    """random-search's space: the advisor's own for this task (its diagnosis, the probe
    paid as the advisor pays it), its plan emptied to the recipes every trial needs
    (`space.required`), so "rulebook" on or off is the same plan and no option is the
    rule book's default."""
    from advisor.diagnosis import diagnose
    from advisor.search.space import NONE, SearchSpace
    from recipes import Plan

    report = diagnose(net, dataset, seed=seed, probe_seconds=budget.probe_seconds())
    space = SearchSpace.from_report(report, net)
    return dataclasses.replace(space, plan=Plan(list(space.required)), defaults={p: NONE for p in space.groups})


def random_repair(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """Repairs drawn uniformly from the rule book's repair list, no diagnosis (Kim et al. ICST'23's baseline)."""
    return _random_arm(dataset, build_model, _every_repair_space, seed=seed, budget_s=budget_s, epochs=epochs,
                       started_at=started_at)


def random_search(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """Random search over the advisor's own space for this task, without the rule book's plan."""
    return _random_arm(dataset, build_model, _advisor_space_without_rule_book, seed=seed, budget_s=budget_s,
                       epochs=epochs, started_at=started_at)


def advisor(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """`advisor train` with the same budget."""
    from advisor.pipeline import train

    start = started_at if started_at is not None else time.monotonic()
    model = build_model(dataset.info) if getattr(build_model, "fixed_architecture", False) else None
    with tempfile.TemporaryDirectory() as tmp:
        result = train(dataset, model, budget_s=budget_s, epochs=epochs, out=f"{tmp}/run", seed=seed, quiet=True,
                       started_at=start)
    m = result.metrics
    return {"metrics": m, "wall_s": time.monotonic() - start, "epochs": m.get("epochs_run"),
            "trials": len(result.trials), "plan": [r["name"] for r in result.plan.get("recipes", [])],
            "train_plus_val": bool((m.get("final_fit") or {}).get("train_plus_val")),
            "kept": (m.get("kept") or {}).get("kept")}


ARMS = {"baseline": baseline, "keras-tuner": keras_tuner, "random-repair": random_repair,
        "random-search": random_search, "advisor": advisor}
