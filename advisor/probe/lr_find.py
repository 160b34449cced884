"""The LR range test (Leslie Smith 2015; fastai's `lr_find`).

When to use: before training, to pick a learning rate. `lr_range_test` trains a
copy of the model for about 100 batches while the learning rate grows
exponentially from `start_lr` to `end_lr`, records the loss of each batch, and
suggests the rate where the (lag-free) smoothed loss falls fastest. The user's
model, its weights and its optimizer are never touched (a clone with a fresh
optimizer of the same class and settings is trained).

Example:
    >>> from advisor.data import load
    >>> from advisor.model.defaults import default_model
    >>> digits = load("digits")
    >>> finding = lr_range_test(default_model(digits.info), digits, steps=40)
    >>> len(finding.lrs) <= 40 and finding.lrs[0] == finding.start_lr
    True
    >>> save_plot(finding, "lr_find.png")  # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from advisor.callbacks.lr_sweep import DIVERGENCE_FACTOR, LRSweep
from advisor.data import Dataset
from advisor.errors import AdvisorError
from advisor.model.defaults import default_loss
from advisor.probe.copies import copy_with_weights
from recipes.data.pipeline import without_autotune

DEFAULT_STEPS = 100  # fastai's num_it: enough points for the curve, seconds on CPU
SKIP_END = 5  # fastai drops the last points (the blow-up) before its valley
# Width of the lag-free smoothing the suggestion is read from (`centered_curve`):
# 0.5 decade (~6 steps of a 100-step sweep each side). On digits and mnist1d MLPs
# with Adam it kept the steepest point within about 2x across seeds; 0.25 was
# noisier, 0.75 pulled it lower.
SMOOTH_DECADES = 0.5


@dataclasses.dataclass
class LRFinding:
    """One sweep: per-step learning rates and losses, and the suggestions.

    `losses` are smoothed as fastai does (bias-corrected EMA, beta 0.98; the
    stop rule reads them); `raw_losses` are the batch losses; `centered` is the
    lag-free smoothing of the raw losses up to the blow-up (`centered_curve`,
    covering lrs[:len(centered)]). `suggestion` is the steepest descent of
    `centered` over log(lr) before its minimum, at `min_loss_lr`; `valley` is
    fastai's valley on `losses`. `stop_reason` is "end_lr", "diverged", "nan"
    or "deadline".
    """

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float]
    centered: list[float]
    suggestion: float | None
    valley: float | None
    min_loss_lr: float | None
    stopped_early: bool
    stop_reason: str
    start_lr: float
    end_lr: float
    steps: int  # planned steps; len(lrs) is the steps run
    batch_size: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def lr_range_test(model, dataset, *, start_lr: float = 1e-7, end_lr: float = 10.0, steps: int | None = None,
                  batch_size: int = 32, seed: int = 0, deadline: float | None = None) -> LRFinding:
    """Sweep the learning rate exponentially over one batch per step and suggest one.

    Args:
        model: a built Keras model; compiled (its optimizer class and settings
            and its loss are used) or not (the task's default, with a Dataset).
            It is not modified.
        dataset: an `advisor.data.Dataset` (its train split) or an `(x, y)` tuple.
        start_lr, end_lr: the sweep's range; step i uses
            start_lr * (end_lr / start_lr) ** (i / (steps - 1)).
        steps: batches in the sweep (default 100); the training data is
            reshuffled and repeated when it has fewer batches.
        seed: fixes the batch order.
        deadline: a `time.monotonic()` value; the sweep stops when it passes.

    Raises:
        AdvisorError: bad range or steps, empty data, or a model that cannot be copied.
    """
    steps = DEFAULT_STEPS if steps is None else int(steps)
    if not 0 < start_lr < end_lr:
        raise AdvisorError(f"the LR range must satisfy 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if steps < 2:
        raise AdvisorError(f"steps must be at least 2, got {steps}")
    if int(batch_size) < 1:
        raise AdvisorError(f"batch_size must be a positive integer, got {batch_size!r}")
    batches, info = _sweep_batches(dataset, steps, int(batch_size), seed)
    clone = _clone(model, info, start_lr)
    schedule = start_lr * (end_lr / start_lr) ** (np.arange(steps) / (steps - 1))
    sweep = LRSweep(schedule, deadline)
    began = time.monotonic()
    clone.fit(**batches, epochs=1, shuffle=False, verbose=0, callbacks=[sweep])
    seconds = time.monotonic() - began
    curve = centered_curve(sweep.lrs, sweep.raw)
    return LRFinding(
        lrs=sweep.lrs, losses=sweep.smoothed, raw_losses=sweep.raw, centered=[float(v) for v in curve],
        suggestion=steepest(sweep.lrs, curve, steps), valley=valley(sweep.lrs, sweep.smoothed, steps),
        min_loss_lr=sweep.lrs[int(np.argmin(curve))] if len(curve) else None,
        stopped_early=sweep.stop_reason != "end_lr", stop_reason=sweep.stop_reason,
        start_lr=float(start_lr), end_lr=float(end_lr), steps=steps, batch_size=int(batch_size),
        seconds=round(seconds, 3))


def centered_curve(lrs, raw_losses) -> np.ndarray:
    """The raw losses up to the blow-up, smoothed without lag.

    Why not the EMA: with beta 0.98 it averages ~50 steps, half of a 100-step
    sweep (~4 decades of lr), so its descent and minimum arrive decades late; on
    digits its steepest point fell anywhere from 3e-6 to 0.3 across seeds and
    models. A Gaussian over log10(lr) (sigma SMOOTH_DECADES) is centred, hence
    lag-free. The curve ends at the first batch whose loss exceeds 4x the lowest
    smoothed loss so far (fastai's divergence rule on lag-free values): after a
    blow-up a network can collapse to chance-level loss, and that plateau must
    not pass for the minimum.
    """
    lrs, raw = np.asarray(lrs, float), np.asarray(raw_losses, float)
    if len(raw) == 0:
        return raw
    smooth = _gaussian(lrs, raw)
    blown = np.nonzero(raw > DIVERGENCE_FACTOR * np.minimum.accumulate(smooth))[0]
    end = int(blown[0]) if len(blown) else len(raw)
    return _gaussian(lrs[:end], raw[:end])  # again without the blow-up, which would lift the minimum


def _gaussian(lrs, values):
    d = np.log10(lrs)[:, None] - np.log10(lrs)[None, :]
    weights = np.exp(-0.5 * (d / SMOOTH_DECADES) ** 2)
    return weights @ values / weights.sum(axis=1)


def steepest(lrs, curve, steps: int) -> float | None:
    """The LR where `curve` falls fastest per log(lr), before the curve's minimum.

    Why before the minimum: past it the curve turns up and its slope says
    nothing about a usable rate. The first steps/10 points are skipped, as
    fastai does. None when the loss never fell.
    """
    lrs, curve = np.asarray(lrs, float)[:len(curve)], np.asarray(curve, float)
    skip = steps // 10
    if len(curve) < skip + 3:
        return None
    lowest = skip + int(np.argmin(curve[skip:]))
    if lowest - skip < 2:
        return None
    part = slice(skip, lowest + 1)
    slope = np.gradient(curve[part], np.log(lrs[part]))
    return float(lrs[part][int(np.argmin(slope))])


def valley(lrs: np.ndarray, losses: np.ndarray, steps: int) -> float | None:
    """fastai's valley: 2/3 of the way along (roughly) the longest decreasing run
    of the smoothed loss, found as a longest decreasing subsequence (O(n^2), n ~ 100).
    The first steps/10 and the last 5 points are dropped, as fastai does."""
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    lrs, losses = lrs[steps // 10:-SKIP_END], losses[steps // 10:-SKIP_END]
    n = len(losses)
    if n < 3:
        return None
    run = [1] * n
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
            if run[end] < run[i]:
                end, start = i, i - run[i]
    third = (end - start) / 3
    return float(lrs[start + int(third) + int(third / 2)])


def _sweep_batches(dataset, steps, batch_size, seed):
    """(model.fit's data arguments, info or None): steps full batches of the training data, as
    a dataset without autotuning (the sweep stops mid-epoch: `without_autotune` says why)."""
    if isinstance(dataset, Dataset) and not dataset.in_memory:  # streamed: a new file order per pass
        if dataset.count("train") == 0:
            raise AdvisorError("the training data must be non-empty")
        stream = dataset.train.repeat().take(steps * batch_size).batch(batch_size)
        return {"x": without_autotune(stream)}, dataset.info
    if isinstance(dataset, Dataset):
        x, y = dataset.arrays["train"]
        info = dataset.info
    elif isinstance(dataset, (tuple, list)) and len(dataset) == 2:
        x, y = (np.asarray(a) for a in dataset)
        info = None
    else:
        raise AdvisorError(f"data must be an advisor Dataset or an (x, y) tuple, got {type(dataset).__name__}")
    if len(x) == 0 or len(x) != len(y):
        raise AdvisorError(f"the training data must be non-empty with as many labels as inputs, "
                           f"got {len(x)} inputs and {len(y)} labels")
    xb, yb = _batches(x, y, steps, batch_size, seed)
    return {"x": without_autotune(tf.data.Dataset.from_tensor_slices((xb, yb)).batch(batch_size))}, info


def _batches(x, y, steps, batch_size, seed):
    """Exactly steps * batch_size samples: reshuffled passes over the data, so
    every batch is full (equal weight per point) and small data is repeated."""
    rng = np.random.default_rng(seed)
    need = steps * batch_size
    order = np.concatenate([rng.permutation(len(x)) for _ in range(-(-need // len(x)))])[:need]
    return x[order], y[order]


def _clone(model, info, lr):
    """A copy with the same weights, loss and optimizer class/settings (learning
    rate set to `lr`, fresh state). Only the loss is compiled: metrics would cost
    time and the sweep reads the loss alone."""
    if not isinstance(model, keras.Model):
        raise AdvisorError(f"model must be a keras.Model, got {type(model).__name__}")
    clone = copy_with_weights(model, "for the LR range test")
    if getattr(model, "compiled", False):
        optimizer, loss = _fresh_optimizer(model.optimizer, lr), model.loss
    elif info is not None:
        optimizer, loss = keras.optimizers.Adam(lr), default_loss(info.task)
    else:
        raise AdvisorError("the model is not compiled: compile it with its optimizer and loss "
                           "(an (x, y) tuple does not say which loss fits)")
    clone.compile(optimizer=optimizer, loss=loss)
    return clone


def _fresh_optimizer(optimizer, lr):
    """Same class and settings, new state, and a float learning rate: a schedule
    would make the rate unsettable by the callback."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        config = optimizer.get_config()
        config.pop("inner_optimizer")
        return type(optimizer)(_fresh_optimizer(optimizer.inner_optimizer, lr), **config)
    config = optimizer.get_config()
    config["learning_rate"] = float(lr)
    return type(optimizer).from_config(config)


def save_plot(finding: LRFinding, path) -> str:
    """Plot loss against lr (log axis), marking the suggestion and the valley; returns `path`.

    Uses a bare Figure on the Agg canvas rather than pyplot, so the caller's
    matplotlib backend and open figures are left alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    lrs = finding.lrs
    ax.plot(lrs, finding.raw_losses, color="0.75", lw=0.8, label="batch loss")
    ax.plot(lrs, finding.losses, color="C0", lw=1, label="EMA 0.98 (fastai)")
    ax.plot(lrs[:len(finding.centered)], finding.centered, color="C1", lw=2, label="centred smoothing")
    if finding.suggestion is not None:
        i = lrs.index(finding.suggestion)
        ax.plot([lrs[i]], [finding.centered[i]], "o", color="C3", ms=8,
                label=f"suggestion (steepest) {finding.suggestion:.2g}")
    if finding.valley is not None:
        i = lrs.index(finding.valley)
        ax.plot([lrs[i]], [finding.losses[i]], "s", color="C2", label=f"valley (fastai) {finding.valley:.2g}")
    ax.set_xscale("log")
    curves = finding.losses + finding.centered
    if curves:  # clip the blow-up, which would squash the useful part of the curve
        lo = min(curves + finding.raw_losses[:len(finding.centered)])
        hi = max(finding.losses[0], *finding.centered[:1])
        pad = max(hi - lo, 1e-3)
        ax.set_ylim(lo - 0.1 * pad, hi + 0.5 * pad)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title(f"LR range test: {len(lrs)} of {finding.steps} steps, batch {finding.batch_size}, "
                 f"ended: {finding.stop_reason}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return str(path)
