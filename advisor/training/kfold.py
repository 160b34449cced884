"""K-fold estimate of a plan: small data make one validation split a noisy judge.

`cross_validate` trains the plan from the same seed on K folds of train + val
(stratified for classification, scikit-learn's splitters) and scores each
held-out fold with the plan's own early stopping, so the report can say
"mean ± std over K folds" instead of one split's number. The test split is
never touched. `merged` gives the final fit its data: train + val, no
validation split, for the folds' median number of epochs.
"""
from __future__ import annotations

import dataclasses
import math
import statistics
import time

import keras
import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from advisor.data.dataset import Dataset
from advisor.callbacks.deadline import FitDeadline


def fold_splitter(k: int, task: str, seed: int):
    if task == "regression":
        return KFold(n_splits=k, shuffle=True, random_state=seed)
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)


def merged(dataset, val_indices=None):
    """`dataset` with train + val as its training split (or, with `val_indices`,
    those rows of train + val held out as its validation split)."""
    x = np.concatenate([dataset.arrays["train"][0], dataset.arrays["val"][0]])
    y = np.concatenate([dataset.arrays["train"][1], dataset.arrays["val"][1]])
    held = np.zeros(len(y), dtype=bool)
    if val_indices is not None:
        held[val_indices] = True
    arrays = {"train": (x[~held], y[~held]), "val": (x[held], y[held]), "test": dataset.arrays["test"]}
    counts = {split: int(len(arrays[split][1])) for split in arrays}
    return Dataset(arrays, dataclasses.replace(dataset.info, counts=counts))


def cross_validate(plan, net, dataset, *, k: int, epochs: int, seed: int, deadline: float, metric: str,
                   say=lambda *a: None) -> dict:
    """The plan's `metric` (e.g. "accuracy", "loss") on each of K held-out folds.

    Each fold gets an equal share of the time to `deadline`; a fold cut short
    is scored where it stopped. Returns {"k", "metric", "scores", "mean",
    "std", "epochs", "cut"} (epochs each fold ran, and which folds the clock
    cut short), JSON-ready.
    """
    x, y = merged(dataset).arrays["train"]
    scores, ran, cut = [], [], []
    folds = list(fold_splitter(k, dataset.info.task, seed).split(x, y))
    for i, (_, held) in enumerate(folds):
        fold = merged(dataset, held)
        keras.utils.set_random_seed(seed)
        model = plan.build(net, train=fold.arrays["train"], epochs=epochs)
        train_ds, val_ds = plan.transform(fold.train, fold.val)
        fit = plan.fit_kwargs(train=fold.arrays["train"], epochs=epochs)
        share = (deadline - time.monotonic()) / (len(folds) - i)
        stop = FitDeadline(time.monotonic() + max(0.0, share))
        fit["callbacks"] = list(fit.get("callbacks", [])) + [stop]
        history = model.fit(train_ds, validation_data=val_ds, verbose=0, **fit)
        cut.append(stop.cut)
        values = model.evaluate(val_ds, verbose=0, return_dict=True)
        key = next((name for name in values if name == metric or name.endswith(metric)), "loss")
        scores.append(float(values[key]))
        ran.append(len(history.history.get("loss", [])))
        say(f"fold {i + 1}/{len(folds)}: {key} {scores[-1]:.4f} after {ran[-1]} epochs"
            + (" (cut short by the clock)" if stop.cut else ""))
    finite = [s for s in scores if math.isfinite(s)]
    return {"k": len(folds), "metric": metric, "scores": scores, "epochs": ran, "cut": cut,
            "mean": statistics.mean(finite) if finite else None,
            "std": statistics.stdev(finite) if len(finite) > 1 else 0.0}
