"""Named thresholds the data checks, the model inspection and the probe detectors compare against.

Every number cites where it comes from (see docs/references.md):
[AT] AUTOTRAINER (ICSE'21), [DD] DeepDiagnosis (ICSE'22), [UM] UMLAUT (CHI'21),
[TDC] TheDeepChecker (TOSEM'22), [PB] Google's Deep Learning Tuning Playbook.
Where a published number assumes a long training run and our probe lasts only
~5 epochs, the comment says how and why it was adapted. Numbers marked
"(ours)" have no published source; they are our choice and say why.

This module is TensorFlow-free so the CLI can import it cheaply.

Example:
    >>> from advisor.thresholds import DEFAULTS, resolve
    >>> resolve({"dying_relu_share": 0.6}).dying_relu_share, DEFAULTS.dying_relu_share
    (0.6, 0.7)
    >>> DEFAULTS.replace(dying_relu_shar=0.6)
    Traceback (most recent call last):
    ...
    advisor.errors.AdvisorError: unknown threshold 'dying_relu_shar'; known thresholds: ...
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

from advisor.errors import AdvisorError

# [DD] saturation counts sigmoid/tanh inputs beyond +-5; the probe records the share
# at this fixed edge, so it is not an overridable threshold.
SATURATION_PREACTIVATION = 5.0

@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Every number a finding is compared against; `replace` gives a validated copy."""

    # --- Data -------------------------------------------------------------------
    # [TDC] label balance (exp(entropy) - 1) / (K - 1) below 0.5 = unbalanced labels.
    label_balance_min: float = 0.5
    # Ours: majority/minority ratios where class weights start to matter (3:1) and
    # where accuracy alone becomes misleading (10:1).
    imbalance_ratio_medium: float = 3.0
    imbalance_ratio_high: float = 10.0
    # Ours (the seeds name "small data" without a number): fewer than 100 training
    # samples per class is few, fewer than 10 very few.
    few_samples_per_class: float = 100
    very_few_samples_per_class: float = 10
    # Ours: under 1,000 training samples a deep net overfits easily (S2: fewer
    # layers, K-fold); from 100,000 on go deep, batch big, mixed precision (S2).
    small_data_samples: float = 1_000
    large_data_samples: float = 100_000
    # Ours: a few exact repeats are normal; from 1% they skew the loss.
    duplicate_share_medium: float = 0.01
    # [UM][DD]: inputs outside [-1, 1] are unnormalized ...
    input_abs_max: float = 1.0
    # ... unless already standardized (S1: mean 0, variance 1): tolerances ours.
    standardized_mean_tol: float = 0.5
    standardized_std_range: tuple[float, float] = (0.5, 2.0)
    # Tabular features whose spreads differ this much need per-feature scaling
    # even when the pooled range looks fine (project choice).
    feature_std_ratio_max: float = 100.0

    # --- Curves -----------------------------------------------------------------
    # [UM] "gap train-val accuracy > 5 points after epoch 3".
    overfit_accuracy_gap: float = 0.05
    overfit_min_epochs: float = 3
    # [UM] "val loss rising while train loss falls"; [AT] counts consecutive such
    # epochs. A 5-epoch probe has room for few, so 2 in a row is enough (adapted).
    overfit_val_rise_epochs: float = 2
    # [AT] "satisfied accuracy" Theta=0.7: a run whose best training accuracy stays
    # below it has not converged.
    underfit_train_accuracy: float = 0.7
    # (ours) Loss-based twin of the above, also right for imbalanced classes: the
    # final training loss still above half of the chance-level loss ln(C) means the
    # model has learned little of what even a 5-epoch probe should reach.
    underfit_loss_fraction: float = 0.5
    # (ours) Regression: final training MSE above 80% of var(y), i.e. training R^2
    # below 0.2. Lower would flag healthy models on noisy targets (scikit-learn's
    # diabetes data leaves ~50% of var(y) unexplained even at its best fit).
    underfit_regression_fraction: float = 0.8
    # [AT] largest epoch-to-epoch accuracy gain < 0.01 (we also count the gain
    # from initialization, because a probe's first epoch carries most progress).
    slow_max_accuracy_gain: float = 0.01
    # [TDC] loss falling < 5% per window; our window is one probe epoch.
    slow_min_loss_decrease: float = 0.05
    # [AT] oscillation: a local max-min accuracy swing >= 0.03 (zeta) in >= 20% of
    # epochs (eta). Applied to both train and validation accuracy: a probe's
    # per-epoch train accuracy is an average over many steps and hides swings.
    oscillation_accuracy_swing: float = 0.03
    oscillation_epoch_share: float = 0.2
    # (ours) Loss-based reversals, counted like the accuracy swings above: the
    # epoch-mean train loss rising by > 10% (healthy runs' epoch means only fall), or
    # the validation loss jumping by > 50% in one epoch (overfitting raises it
    # gradually; an LR that is too high makes it jump).
    oscillation_loss_rise: float = 0.10
    oscillation_val_spike: float = 0.5
    # [AT] divergence: NaN/inf loss, or loss >= 1e5.
    divergence_loss: float = 1e5
    # (ours) Loss at initialization more than 2 nats above the chance level ln(C)
    # (Karpathy's "verify loss @ init"): the true class gets < e^-2 = 14% of the
    # uniform probability on average, i.e. outputs are confidently wrong before
    # training. A margin rather than a ratio: healthy binary models start anywhere
    # in 0.6-2.1 (ln 2 = 0.69), healthy 10-class ones at 2.3-2.8. Only the high side
    # is checked: a low initial loss is normal for an already trained model.
    initial_loss_excess: float = 2.0

    # --- Gradients, activations, weights -----------------------------------------
    # [AT] vanishing: first/last layer gradient-norm ratio <= 1e-3 (beta_1) and
    # first-layer norm <= 1e-4 (beta_2).
    vanish_grad_ratio: float = 1e-3
    vanish_first_grad: float = 1e-4
    # [AT] exploding: first/last gradient-norm ratio >= 70 (beta_3).
    explode_grad_ratio: float = 70.0
    # [TDC] exploding: any gradient norm > 1e6.
    explode_grad_norm: float = 1e6
    # [DD] dying ReLU: >= 70% of ReLU outputs <= 0 (same 0.7 as [AT]'s zero-gradient
    # share gamma). Applied per unit (a unit whose output is <= 0 on every probe
    # sample is dead): the per-element share of zeros is ~50% in healthy ReLU nets
    # and would flag them.
    dying_relu_share: float = 0.7
    # [DD] saturation: > 50% of sigmoid/tanh inputs beyond +-5.
    saturation_share: float = 0.5
    # [TDC] healthy per-step update ratio: log10(|dW|/|W|) within [-4, -1].
    update_ratio_low: float = 1e-4
    update_ratio_high: float = 1e-1
    # [DD] a layer's weights unchanged for 5 epochs. Adapted: unchanged over the
    # whole probe (it may be shorter); "unchanged" = relative change below 1e-8.
    unchanged_relative_change: float = 1e-8
    # (ours) Tiny-subset sanity check (S3/S4 "overfit a tiny subset"): reaching at
    # least 97% accuracy on 32 samples (at most one miss); regression must cut its
    # loss to 10% of the initial loss.
    subset_min_accuracy: float = 0.97
    subset_max_loss_fraction: float = 0.1

    # --- Static model inspection --------------------------------------------------
    # [UM] dropout rate > 0.5 is suspicious.
    high_dropout_rate: float = 0.5
    # (ours) sigmoid derivative <= 0.25, so 3 stacked saturating layers already
    # shrink gradients >= 64x (S3/S4: "don't use sigmoid").
    deep_saturating_layers: float = 3
    # (ours) the standard initializers keep a kernel's standard deviation within 1.5x
    # of 1/sqrt(fan-in) (LeCun 1, He sqrt(2), Glorot between); a kernel 20x off either
    # way (RandomNormal(stddev=1e-4), RandomUniform(-10, 10)) shrinks or blows up the
    # signal at every layer (S4: initialization).
    init_scale_factor: float = 20.0
    # (ours) S0 only says params cost memory/time; we flag > 100 parameters per
    # training sample (ResNet-50 on ImageNet has ~20).
    params_per_sample: float = 100.0

    def replace(self, **overrides) -> "Thresholds":
        """A copy with `overrides` (threshold name -> number, or a (low, high) pair for a
        range); an unknown name or a value that is not a number raises AdvisorError."""
        known = {f.name for f in dataclasses.fields(self)}
        changes = {}
        for key, value in overrides.items():
            if key not in known:
                raise AdvisorError(f"unknown threshold {key!r}; known thresholds: {', '.join(sorted(known))}")
            pair = isinstance(getattr(self, key), tuple)
            numbers = list(value) if pair and isinstance(value, (tuple, list)) else [value]
            if (pair and len(numbers) != 2) or not all(_is_number(v) for v in numbers):
                raise AdvisorError(f"threshold {key!r} must be "
                                   f"{'a (low, high) pair of numbers' if pair else 'a number'}, got {value!r}")
            changes[key] = tuple(float(v) for v in numbers) if pair else float(value)
        return dataclasses.replace(self, **changes)


DEFAULTS = Thresholds()


def resolve(overrides: "Thresholds | Mapping[str, Any] | None" = None) -> Thresholds:
    """`overrides` as `Thresholds`: a `Thresholds` as is, a mapping of names to values
    applied to the defaults (validated by `Thresholds.replace`), `None` the defaults."""
    if isinstance(overrides, Thresholds):
        return overrides
    return DEFAULTS.replace(**dict(overrides or {}))


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)
