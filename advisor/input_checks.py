"""Every check of `train`'s inputs, run before the run folder exists: bad input
is one AdvisorError (the CLI prints it as one line, exit 2) and leaves nothing behind."""
from __future__ import annotations

import math
import time

import numpy as np

from advisor.diagnosis import MIN_PROBE_STEPS, PROBE_BATCH
from advisor.errors import AdvisorError
from advisor.probe.copies import clone_for_training
from advisor.runtime.budget import MIN_BUDGET_S, Budget
from recipes import Plan


def load_plan(plan) -> Plan:
    """A `Plan` as given, or read from a plan.json path."""
    if isinstance(plan, Plan):
        return plan
    try:
        return Plan.load(str(plan))
    except ValueError as e:
        raise AdvisorError(str(e)) from None


def check_folds(k: int, dataset) -> None:
    """Stratified folds need every class in every fold: at least K samples of each in train + val."""
    if not dataset.in_memory:
        raise AdvisorError(f"--cv trains K copies on train + val held in memory; {dataset.info.name} is "
                           "streamed from disk: drop --cv (its validation split is large enough to judge on)")
    smallest = _smallest_fold_unit(dataset)
    what = "samples" if dataset.info.task == "regression" else "samples of every class"
    if k > smallest:
        fix = f"give --cv {smallest} or fewer" if smallest >= 2 else "drop --cv"
        raise AdvisorError(f"--cv {k} needs {k} {what} in train + val; this data has {smallest}: {fix}")


def folds_possible(k: int, dataset) -> int:
    """`k`, or fewer folds (at least 2) when a class has fewer than `k` samples in
    train + val; 0 when no folds fit (streamed data, a class with one sample)."""
    if not dataset.in_memory or dataset.count("val") == 0:
        return 0
    k = min(k, _smallest_fold_unit(dataset))
    return k if k >= 2 else 0


def _smallest_fold_unit(dataset) -> int:
    """Samples in train + val (regression), or of the rarest class (classification)."""
    if dataset.info.task == "regression":
        return dataset.count("train") + dataset.count("val")
    labels = np.concatenate([dataset.labels("train"), dataset.labels("val")]).astype(np.int64)
    return int(np.bincount(labels, minlength=max(1, dataset.info.num_classes)).min())


def check_finite(dataset) -> None:
    """Refuse NaN/inf inputs: training on them gives a NaN loss, and no recipe repairs the data.
    (Decoded images are finite: a streamed folder has none.)"""
    if not dataset.in_memory:
        return
    bad = {split: int((~np.isfinite(x)).sum()) for split, (x, _) in dataset.arrays.items()}
    if any(bad.values()):
        where = ", ".join(f"{n:,} in {split}" for split, n in bad.items() if n)
        raise AdvisorError(f"the inputs hold NaN or infinite values ({where}): impute or drop those samples "
                           f"before training ('advisor diagnose DATA --no-probe' reports them)")


def check_plan_fits(plan, net, dataset, source) -> None:
    """Try a given plan on the model and data before any work: a recipe that does not
    apply (augmentation on a table, focal loss or class weights on regression) would
    otherwise fail after the probe, mid-run."""
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


def check_budget(budget: Budget, net, dataset) -> None:
    """Refuse a budget below what one probe and one final epoch need on this data.

    The estimate times a few real training steps of the user's model: the
    probe needs `MIN_PROBE_STEPS` of them, the final fit one epoch, plus what
    has been spent so far and the closing (evaluation, saving).
    """
    if budget.total_s >= 4 * MIN_BUDGET_S:
        return  # far above any small-data floor: not worth the timing
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
