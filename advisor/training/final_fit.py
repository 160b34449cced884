"""The final fit: the chosen plan trained until the budget's deadline, resumable per
epoch (keras BackupAndRestore), with NaN recovery; and the validation comparison
that decides which model is kept."""
from __future__ import annotations

import math
import shutil
import statistics

import keras

from advisor.search.objective import objective
from advisor.training.deadline import FitDeadline
from advisor.training.nan_guard import MAX_RECOVERIES, LastGoodWeights, stabilized


def final_fit(plan, net, dataset, run, *, epochs, progress, deadline: float | None = None, ensemble: int = 0,
               warm_start=None):
    """Fit with per-epoch backups (resume), NaN recovery and the budget's
    deadline; returns the model, the merged history, the plan actually used
    (stabilized after a NaN) and how the fit ended.

    `warm_start`: the best search trial's model, trained with this same plan;
    the fit starts from its weights (a fresh optimizer and LR schedule), so the
    trial's epochs are not paid twice when the budget cuts the fit short."""
    guard, history, recoveries = LastGoodWeights(), {}, run.read_json("recoveries.json") or []
    n_val, n_test = dataset.count("val"), dataset.count("test")
    has_val = n_val > 0
    # Without a validation split (train + val after --cv) the epoch with the lowest training
    # loss is kept: a late divergence (measured: SGD on wine, loss 0.34 -> 31,607 in the
    # 9th of 16 epochs) must not end the run on wrecked weights.
    monitor = ("val_accuracy" if objective(net, dataset).name == "val_accuracy" else "val_loss") if has_val \
        else "loss"
    # After a cut: the cut epoch's validation, better()'s two validation passes, the test predictions;
    # an ensemble of K adds about K validation passes and two test passes per member.
    ratio = n_test / max(1, n_val)
    stop = FitDeadline(deadline if deadline is not None else math.inf, monitor,
                       closing_passes=3 + ratio + ensemble * (1 + 2 * ratio), keep_best=not has_val)
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


def better(candidate, model, dataset, net) -> bool:
    """True when `candidate` scores better than `model` on the validation split."""
    maximize = objective(net, dataset).direction == "max"

    def score(m):
        values = m.evaluate(dataset.batches("val"), verbose=0, return_dict=True)
        key = next((k for k in values if "acc" in k), None) if maximize else "loss"
        value = values.get(key if key else "loss", math.nan)
        return value if maximize else -value

    try:
        return score(candidate) > score(model)
    except Exception:  # noqa: BLE001  a model that cannot be evaluated is not better
        return False


def single_host_copy(model):
    """The trained weights in a model outside the strategy: predicting with the
    multi-host model would split the test set across hosts."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy
