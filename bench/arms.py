"""The four arms compared on every task, each returning the same row of numbers."""
from __future__ import annotations

import tempfile
import time

BASELINE_EPOCHS = 20


def _fit_eval(model, dataset, *, epochs, batch_size=32, callbacks=()):
    from advisor.report.evaluate import evaluate

    train = dataset.train.shuffle(4096, seed=0).batch(batch_size).prefetch(2)
    hist = model.fit(train, validation_data=dataset.val.batch(256), epochs=epochs, verbose=0,
                     callbacks=list(callbacks))
    x, y = dataset.arrays["test"]
    return evaluate(model, x, y, dataset.info.task, dataset.info.class_names), len(hist.history["loss"])


def baseline(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """The task's model as a user would write it: Adam at its default LR, fixed
    epochs, no regularization (and no budget: it is the reference)."""
    import keras

    keras.utils.set_random_seed(seed)
    start = started_at if started_at is not None else time.monotonic()
    metrics, ran = _fit_eval(build_model(dataset.info), dataset, epochs=epochs)
    return {"metrics": metrics, "wall_s": time.monotonic() - start, "epochs": ran, "trials": 0}


def _tunable_builder(dataset, build_model):
    """keras-tuner's usual knobs. Plain tasks: LR, dropout, width (a fresh
    MLP/CNN); fault tasks keep the user's (broken) architecture: LR only."""
    import keras

    info = dataset.info
    loss = "sparse_categorical_crossentropy" if info.task != "regression" else "mse"

    def build(hp):
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        if getattr(build_model, "fixed_architecture", False):
            model = build_model(info)
            model.compile(optimizer=keras.optimizers.Adam(lr), loss=model.loss, metrics=["accuracy"])
            return model
        width = hp.Choice("width", [32, 64, 128])
        rate = hp.Float("dropout", 0.0, 0.5, step=0.1)
        inputs = keras.Input(info.input_shape)
        h = inputs
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


def tuner_alone(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """Hyperband over LR, dropout, width and batch size, same wall-clock budget:
    the search gets 80% of what is left after loading, the final fit the rest
    and ends at the budget's end (as the advisor's does)."""
    import keras
    import keras_tuner as kt

    from advisor.training.budget import Budget
    from advisor.training.deadline import FitDeadline
    from advisor.search.oracle import SeededHyperband
    from advisor.search.tune import _OracleHyperband

    keras.utils.set_random_seed(seed)
    budget = Budget(budget_s, start=started_at if started_at is not None else time.monotonic())
    start, deadline = budget.start, budget.deadline_after_share(0.8)

    class Model(kt.HyperModel):
        def build(self, hp):
            return _tunable_builder(dataset, build_model)(hp)

        def fit(self, hp, model, *args, **kwargs):
            bs = hp.Choice("batch_size", [32, 64, 128])
            kwargs.pop("validation_data", None)
            return model.fit(dataset.train.shuffle(4096, seed=seed).batch(bs), validation_data=dataset.val.batch(256),
                             *args, **kwargs)

    with tempfile.TemporaryDirectory() as tmp:
        oracle = SeededHyperband(objective=kt.Objective("val_accuracy", "max"), max_epochs=epochs, factor=3,
                                 seed=seed, deadline=deadline)
        tuner = _OracleHyperband(oracle, Model(), directory=tmp, project_name="kt")
        tuner.search(epochs=epochs, callbacks=[FitDeadline(deadline, "val_accuracy")], verbose=0)
        best = tuner.get_best_hyperparameters(1)[0]
        trials = len(tuner.oracle.trials)
        keras.utils.set_random_seed(seed)
        model = Model().build(best)
        n_val, n_test = len(dataset.arrays["val"][1]), len(dataset.arrays["test"][1])
        metrics, ran = _fit_eval(model, dataset, epochs=epochs, batch_size=best.get("batch_size"),
                                 callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True),
                                            FitDeadline(budget.fit_end, "val_accuracy",
                                                        closing_passes=1 + n_test / max(1, n_val))])
    return {"metrics": metrics, "wall_s": time.monotonic() - start, "epochs": ran, "trials": trials}


def advisor(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None, tuner="bayesian"):
    """`advisor train` with the same budget."""
    from advisor.training.pipeline import train

    start = started_at if started_at is not None else time.monotonic()
    model = build_model(dataset.info) if getattr(build_model, "fixed_architecture", False) else None
    with tempfile.TemporaryDirectory() as tmp:
        result = train(dataset, model, budget_s=budget_s, epochs=epochs, out=f"{tmp}/run", seed=seed, quiet=True,
                       tuner=tuner, started_at=start)
    return {"metrics": result.metrics, "wall_s": time.monotonic() - start,
            "epochs": result.metrics.get("epochs_run"), "trials": len(result.trials),
            "plan": [r["name"] for r in result.plan.get("recipes", [])], "attempts": result.attempts}


def random_search(dataset, build_model, *, seed, budget_s, epochs=BASELINE_EPOCHS, started_at=None):
    """Random search over the advisor's own space (its repair alternatives and
    knobs), with no rule-book ordering and no seeded trials: the field's honest
    baseline for a repair tool."""
    return advisor(dataset, build_model, seed=seed, budget_s=budget_s, epochs=epochs, started_at=started_at,
                   tuner="random")


ARMS = {"baseline": baseline, "keras-tuner": tuner_alone, "random": random_search, "advisor": advisor}
