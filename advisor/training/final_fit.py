"""The final fit: the chosen plan trained until the budget's deadline, resumable per
epoch (keras BackupAndRestore), with NaN recovery (roll back to the last good
epoch, apply the stabilizing recipes: LR / 10 and gradient clipping,
docs/references.md#knowledge-1 "divergence", and continue); and the validation
comparison that decides which model is kept."""
from __future__ import annotations

import math
import shutil
import statistics

import keras

from advisor.callbacks.deadline import FitDeadline
from advisor.callbacks.nan_guard import LastGoodWeights
from advisor.callbacks.progress import EpochLine
from advisor.runtime.objective import objective
from recipes import GradientClip, LearningRate, Plan


# How many times one final fit may be rolled back and stabilized before the
# last good weights are kept as the result. Project choice: each round cuts
# the LR tenfold, so three rounds span a 1000x range.
MAX_RECOVERIES = 3
STABILIZE_LR_FACTOR = 0.1
STABILIZE_CLIPNORM = 1.0


def final_fit(plan, net, dataset, run, *, epochs, progress, deadline: float | None = None, judged_by: int = 1,
              warm_start=None):
    """Fit with per-epoch backups (resume), NaN recovery and the budget's
    deadline; returns the model, the merged history, the plan actually used
    (stabilized after a NaN) and how the fit ended.

    `warm_start`: the best search trial's model, trained with this same plan;
    the fit starts from its weights (a fresh optimizer and LR schedule), so the
    trial's epochs are not paid twice when the budget cuts the fit short.
    `judged_by`: how many models are scored on validation after the fit (its
    deadline leaves time for those passes, and the test predictions)."""
    guard, history, recoveries = LastGoodWeights(), {}, run.read_json("recoveries.json") or []
    n_val, n_test = dataset.count("val"), dataset.count("test")
    has_val = n_val > 0
    # Without a validation split (train + val after --cv) the epoch with the lowest training
    # loss is kept: a late divergence (measured: SGD on wine, loss 0.34 -> 31,607 in the
    # 9th of 16 epochs) must not end the run on wrecked weights.
    monitor = ("val_accuracy" if objective(net, dataset).name == "val_accuracy" else "val_loss") if has_val \
        else "loss"
    # After a cut: the cut epoch's validation, the candidates' validation passes, the test predictions.
    ratio = n_test / max(1, n_val)
    stop = FitDeadline(deadline if deadline is not None else math.inf, monitor,
                       closing_passes=1 + judged_by + 2 * ratio, keep_best=not has_val)
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
            (epoch_line := EpochLine(lambda line: progress.stage("final fit", line), total)), guard, stop]
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


def single_host_copy(model):
    """The trained weights in a model outside the strategy: predicting with the
    multi-host model would split the test set across hosts."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def stabilized(plan):
    """The plan with its learning rate divided by ten and gradients clipped by norm."""
    factor = next((r.factor for r in plan.recipes if r.name == "learning_rate"), 1.0)
    keep = [r for r in plan.recipes if r.name not in ("learning_rate", "gradient_clip")]
    return Plan(keep + [LearningRate(factor=factor * STABILIZE_LR_FACTOR), GradientClip(clipnorm=STABILIZE_CLIPNORM)])
