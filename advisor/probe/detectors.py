"""Detectors: turn a probe's `TrainingTrace` into training `Finding`s.

When to use: after `advisor.probe.run.run_probe`; `detect(trace)` returns the
findings of docs/references.md#knowledge-1 and #knowledge-2 (source "training"), each with the numbers and
the layer in its evidence, compared against `advisor.thresholds` (overridable:
`detect(trace, thresholds={"dying_relu_share": 0.6})`).

The findings are kept consistent with each other: a diverged run gets
`divergence` and none of the curve verdicts (their curves are meaningless);
`good_fit` (severity "info") only when nothing else fired.

Example:
    >>> from advisor.data import load
    >>> from advisor.model.defaults import default_model
    >>> from advisor.probe.run import run_probe
    >>> dataset = load("iris")
    >>> [f.name for f in detect(run_probe(default_model(dataset.info), dataset, epochs=3))]  # doctest: +ELLIPSIS
    [...]
"""
from __future__ import annotations

import math

import numpy as np

from advisor.findings import Finding
from advisor.probe.trace import TrainingTrace
from advisor.thresholds import resolve


def _f(name, severity, evidence, layer=None, **values) -> Finding:
    return Finding(name, severity, "training", evidence, values, layer)


def _finite(values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _divergence(tr, t) -> list[Finding]:
    """[AT]: NaN/inf loss, or loss >= 1e5 (any probe epoch: a blow-up that then
    settles into dead units is still a blow-up); NaN in gradients/weights is
    also an exploding gradient [AT]."""
    found, h = [], tr.history
    if tr.nan:
        where, epoch = tr.nan["where"], tr.nan["epoch"] + 1
        stopped = "; training stopped" if tr.stopped == "nan" else ""
        found.append(_f("divergence", "high", f"NaN/inf in the {where} at epoch {epoch}{stopped} [AT]",
                        where=where, epoch=epoch))
        if where in ("gradients", "weights"):
            found.append(_f("exploding_gradient", "high", f"NaN/inf in the {where} at epoch {epoch} [AT]",
                            where=where, epoch=epoch))
        return found
    losses = [v for key in ("loss", "val_loss") for v in h.get(key, [])]
    worst = max(losses, default=0.0)
    # Regression: scaled by var(y), so MSE on large-valued targets is not "diverged".
    scale = max(1.0, tr.baseline_loss or 1.0) if tr.task == "regression" else 1.0
    limit = t.divergence_loss * scale
    if not _finite(losses) or worst >= limit:
        found.append(_f("divergence", "high", f"loss reached {worst:.3g} (threshold {limit:.0e} [AT])",
                        max_loss=worst, threshold=limit))
    return found


def _series(tr):
    """(train loss, val loss, train accuracy, val accuracy); accuracies [] without a metric."""
    h, key = tr.history, tr.accuracy_key
    acc, val_acc = (h.get(key, []), h.get("val_" + key, [])) if key else ([], [])
    return h.get("loss", []), h.get("val_loss", []), acc, val_acc


def _overfitting(tr, t) -> list[Finding]:
    """[UM]: accuracy gap after epoch 3, or val loss rising while train loss falls."""
    loss, val_loss, acc, val_acc = _series(tr)
    gap = acc[-1] - val_acc[-1] if acc and val_acc else None
    if gap is not None and len(loss) >= t.overfit_min_epochs and gap > t.overfit_accuracy_gap:
        return [_f("overfitting", "medium", f"train accuracy {acc[-1]:.1%} vs validation {val_acc[-1]:.1%} after "
                   f"{len(loss)} epochs: gap {gap:.1%} > {t.overfit_accuracy_gap:.0%} [UM]",
                   gap=gap, train_accuracy=acc[-1], val_accuracy=val_acc[-1])]
    rises = 0  # trailing epochs where val loss rose (by > 1%: noise is not a trend) and train loss fell
    for i in range(min(len(val_loss), len(loss)) - 1, 0, -1):
        if not (val_loss[i] > val_loss[i - 1] * 1.01 and loss[i] < loss[i - 1]):
            break
        rises += 1
    if rises >= t.overfit_val_rise_epochs:
        return [_f("overfitting", "medium", f"val_loss rose {rises} epochs in a row ({val_loss[-rises - 1]:.3g} "
                   f"-> {val_loss[-1]:.3g}) while train loss fell [UM]", val_rise_epochs=rises,
                   val_loss=val_loss[-1])]
    return []


def _underfitting(tr, t) -> list[Finding]:
    """Training itself is poor: [AT] best accuracy below Theta, or loss vs chance level."""
    loss, _, acc, _ = _series(tr)
    base = tr.baseline_loss
    fraction = t.underfit_regression_fraction if tr.task == "regression" else t.underfit_loss_fraction
    poor_loss = base is not None and base > 0 and loss[-1] > fraction * base
    poor_acc = bool(acc) and max(acc) < t.underfit_train_accuracy
    if not (poor_loss or poor_acc):
        return []
    what = (f"best train accuracy {max(acc):.1%} < {t.underfit_train_accuracy:.0%} [AT]" if poor_acc else
            f"final train loss {loss[-1]:.3g} is still {loss[-1] / base:.0%} of the chance-level loss "
            f"{base:.3g} (threshold {fraction:.0%})")
    return [_f("underfitting", "medium", f"after {len(loss)} epochs {what}", final_loss=loss[-1],
               baseline_loss=base, best_train_accuracy=max(acc) if acc else None)]


def _slow_convergence(tr, t) -> list[Finding]:
    """[AT] largest accuracy gain < 0.01 (train from initialization, and val) and
    [TDC] loss falling < 5% per epoch; regression runs use the loss test alone."""
    loss, _, acc, val_acc = _series(tr)
    losses = ([tr.initial_loss] if tr.initial_loss is not None else []) + loss
    drops = [(a - b) / a for a, b in zip(losses, losses[1:]) if a > 0]
    train_acc = ([tr.initial_accuracy] if tr.initial_accuracy is not None else []) + acc
    gains = [b - a for series in (train_acc, val_acc) for a, b in zip(series, series[1:])]
    best_drop, best_gain = max(drops, default=0.0), max(gains, default=0.0)
    if not drops or best_drop >= t.slow_min_loss_decrease or (acc and best_gain >= t.slow_max_accuracy_gain):
        return []
    why = f"largest epoch-to-epoch loss decrease {best_drop:.1%} < {t.slow_min_loss_decrease:.0%} [TDC]"
    if acc:
        why += f", largest accuracy gain {best_gain:.3f} < {t.slow_max_accuracy_gain} [AT]"
    return [_f("slow_convergence", "medium", why, best_loss_decrease=best_drop,
               best_accuracy_gain=best_gain if acc else None)]


def _oscillation(tr, t) -> list[Finding]:
    """[AT] swings in >= 20% of epochs, adapted: an epoch-mean accuracy hides swings
    inside the epoch, so any accuracy drop >= 0.03 (train or val), train-loss rise
    > 10% or val-loss jump > 50% between epochs counts as one reversal."""
    loss, val_loss, acc, val_acc = _series(tr)
    swing, rise, spike = t.oscillation_accuracy_swing, t.oscillation_loss_rise, t.oscillation_val_spike
    events = sum(b < a - swing for series in (acc, val_acc) for a, b in zip(series, series[1:]))
    events += sum(b > a * (1 + rise) for a, b in zip(loss, loss[1:]))
    events += sum(b > a * (1 + spike) for a, b in zip(val_loss, val_loss[1:]))
    steps = len(loss) - 1
    if steps < 2 or events < max(1, math.ceil(t.oscillation_epoch_share * steps)):
        return []
    return [_f("oscillating_loss", "medium", f"{events} reversal(s) in {steps} epoch steps: accuracy dropping "
               f">= {swing:g}, train loss rising > {rise:.0%} or val loss jumping > {spike:.0%} (threshold "
               f"{t.oscillation_epoch_share:.0%} of epochs [AT])", events=events, train_loss=loss,
               val_loss=val_loss, train_accuracy=acc, val_accuracy=val_acc)]


def _gradients(tr, t) -> list[Finding]:
    """Vanishing [AT] and exploding [AT][TDC] gradients, over init + every epoch."""
    found, order = [], tr.layer_order
    snapshots = [tr.initial_grad_norms] + list(tr.grad_norms)
    snapshots = [g for g in snapshots if g and _finite(g.values())]
    if len(order) < 2 or not snapshots:
        return found
    first, last = order[0], order[-1]
    pairs = [(g[first] / g[last], g[first]) for g in snapshots if g.get(last, 0) > 0]
    ratios = [r for r, _ in pairs]
    vanish = [r for r, norm in pairs if r <= t.vanish_grad_ratio and norm <= t.vanish_first_grad]
    # Most snapshots must agree: one odd probe batch is not a diagnosis.
    if ratios and len(vanish) * 2 > len(ratios):
        found.append(_f("vanishing_gradient", "high", f"layer {first}: gradient norm "
                        f"{snapshots[-1][first]:.2e} is {np.median(ratios):.1e}x that of {last} "
                        f"(thresholds ratio <= {t.vanish_grad_ratio:g} and norm <= {t.vanish_first_grad:g} "
                        f"[AT]) in {len(vanish)}/{len(ratios)} measurements", first,
                        ratio=float(np.median(ratios)), first_norm=snapshots[-1][first]))
    biggest = max((v, name) for g in snapshots for name, v in g.items())
    explode_ratio = [r for r in ratios if r >= t.explode_grad_ratio]
    if biggest[0] > t.explode_grad_norm:
        found.append(_f("exploding_gradient", "high", f"layer {biggest[1]}: gradient norm {biggest[0]:.2e} "
                        f"> {t.explode_grad_norm:.0e} [TDC]", biggest[1], max_norm=biggest[0]))
    elif ratios and len(explode_ratio) * 2 > len(ratios):
        found.append(_f("exploding_gradient", "high", f"layer {first}: gradient norm {np.median(ratios):.1f}x "
                        f"that of {last} (threshold {t.explode_grad_ratio:g} [AT])", first,
                        ratio=float(np.median(ratios))))
    return found


def _activations(tr, t) -> list[Finding]:
    """Dying ReLU and saturated sigmoid/tanh [DD], on the last epoch's probe batch."""
    found = []
    if not tr.activation_stats:
        return found
    for layer, s in tr.activation_stats[-1].items():
        dead = s.get("dead_unit_share")
        if dead is not None and dead >= t.dying_relu_share:
            found.append(_f("dying_relu", "high", f"layer {layer}: {dead:.0%} of {s['activation']} units output "
                            f"<= 0 on every probe sample (threshold {t.dying_relu_share:.0%} [DD])", layer,
                            dead_unit_share=dead, zero_share=s.get("zero_share")))
        sat = s.get("saturated_share")
        if sat is not None and sat > t.saturation_share:
            found.append(_f("saturated_activations", "medium", f"layer {layer}: {sat:.0%} of {s['activation']} "
                            f"inputs beyond +-5 on the probe batch (threshold {t.saturation_share:.0%} [DD])",
                            layer, saturated_share=sat))
    return found


def _weights(tr, t) -> list[Finding]:
    """Update ratios out of [1e-4, 1e-1] [TDC] and unchanged weights [DD]."""
    found = []
    for layer in tr.layer_order:
        change = tr.weight_change.get(layer)
        if change is not None and change <= t.unchanged_relative_change and tr.trainable.get(layer, True):
            found.append(_f("unchanged_weights", "high", f"layer {layer}: kernel unchanged over {tr.epochs} "
                            f"epochs (relative change {change:.1e}) [DD]", layer, relative_change=change))
            continue
        ratios = [r[layer] for r in tr.update_ratios if r.get(layer)]
        if not ratios:
            continue
        ratio = float(np.median(ratios))  # median: Adam's first step is larger by design
        low, high = t.update_ratio_low, t.update_ratio_high
        if not low <= ratio <= high:
            direction = "raise" if ratio < low else "lower"
            found.append(_f("update_ratio_out_of_range", "low", f"layer {layer}: per-step update ratio "
                            f"|dW|/|W| = {ratio:.1e} outside [{low:g}, {high:g}] [TDC]; {direction} the "
                            f"learning rate", layer, ratio=ratio, direction=direction))
    return found


def _sanity(tr, t) -> list[Finding]:
    """Loss at initialization vs ln(C), and the tiny-subset overfit check."""
    found = []
    exp, init = tr.expected_initial_loss, tr.initial_loss
    if exp and init is not None and math.isfinite(init) and init > exp + t.initial_loss_excess:
        found.append(_f("wrong_initial_loss", "medium", f"loss at initialization {init:.3g} is {init - exp:.3g} "
                        f"above the chance level ln(C) = {exp:.3g} (threshold +{t.initial_loss_excess:g}): "
                        f"outputs are confidently wrong before training", initial_loss=init, expected=exp))
    s = tr.subset
    if s:
        acc, frac = s.get("final_accuracy"), s.get("loss_fraction")
        failed = (acc < t.subset_min_accuracy) if acc is not None else (
            frac is None or not math.isfinite(frac) or frac > t.subset_max_loss_fraction)
        if failed:
            if acc is not None:
                what = f"reached only {acc:.0%} accuracy (threshold {t.subset_min_accuracy:.0%})"
            elif frac is None or not math.isfinite(frac):
                what = "ended with a NaN/inf loss"
            else:
                what = f"kept {frac:.0%} of its loss (threshold {t.subset_max_loss_fraction:.0%})"
            found.append(_f("cannot_overfit_subset", "high", f"trained {s['steps']} steps on {s['n']} samples, "
                            f"the model {what}: check capacity, labels and the input pipeline (S3, S4)",
                            **{k: v for k, v in s.items()}))
    return found


def detect(trace, thresholds=None) -> list[Finding]:
    """Training findings from a probe trace.

    Args:
        trace: a `TrainingTrace` (or its `to_dict()`).
        thresholds: overrides of `advisor.thresholds` names; unknown keys raise ValueError.

    Returns:
        Findings (source "training"); `good_fit` alone when nothing is wrong.
    """
    t = resolve(thresholds)
    if isinstance(trace, dict):
        trace = TrainingTrace.from_dict(trace)
    tr = trace
    found = _divergence(tr, t)
    if not found and tr.history.get("loss"):  # a diverged run's curves mean nothing
        found += _overfitting(tr, t) + _underfitting(tr, t) + _slow_convergence(tr, t) + _oscillation(tr, t)
    names = {f.name for f in found}
    found += [f for f in _gradients(tr, t) if f.name not in names]
    found += _activations(tr, t) + _weights(tr, t) + _sanity(tr, t)
    if not found and tr.epochs:
        h, key = tr.history, tr.accuracy_key
        summary = (f"train accuracy {h[key][-1]:.1%}" if key else f"train loss {h['loss'][-1]:.3g}")
        val = h.get("val_" + key if key else "val_loss")
        if val:  # a user's fit (advisor.Watch) may have no validation data
            summary += f", validation {val[-1]:.1%}" if key else f", validation {val[-1]:.3g}"
        found.append(_f("good_fit", "info", f"after {tr.epochs} epochs {summary}; no training problem detected",
                        epochs=tr.epochs))
    return found
