"""Named thresholds the data checks, the model inspection and the probe detectors compare against.

Every number cites where it comes from (see docs/references.md):
[AT] AUTOTRAINER (ICSE'21), [DD] DeepDiagnosis (ICSE'22), [UM] UMLAUT (CHI'21),
[TDC] TheDeepChecker (TOSEM'22), [PB] Google's Deep Learning Tuning Playbook.
Where a published number assumes a long training run and our probe lasts only
~5 epochs, the comment says how and why it was adapted. Numbers marked
"(ours)" have no published source; they are our choice and say why.

This module is TensorFlow-free so the CLI can import it cheaply.

Example:
    >>> from advisor.thresholds import resolve
    >>> resolve({"dying_relu_share": 0.6})["dying_relu_share"]
    0.6
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from advisor.errors import AdvisorError

# --- Data -------------------------------------------------------------------
# [TDC] label balance (exp(entropy) - 1) / (K - 1) below 0.5 = unbalanced labels.
LABEL_BALANCE_MIN = 0.5
# Ours: majority/minority ratios where class weights start to matter (3:1) and
# where accuracy alone becomes misleading (10:1).
IMBALANCE_RATIO_MEDIUM = 3.0
IMBALANCE_RATIO_HIGH = 10.0
# Ours (the seeds name "small data" without a number): fewer than 100 training
# samples per class is few, fewer than 10 very few.
FEW_SAMPLES_PER_CLASS = 100
VERY_FEW_SAMPLES_PER_CLASS = 10
# Ours: under 1,000 training samples a deep net overfits easily (S2: fewer
# layers, K-fold); from 100,000 on go deep, batch big, mixed precision (S2).
SMALL_DATA_SAMPLES = 1_000
LARGE_DATA_SAMPLES = 100_000
# Ours: a few exact repeats are normal; from 1% they skew the loss.
DUPLICATE_SHARE_MEDIUM = 0.01
# [UM][DD]: inputs outside [-1, 1] are unnormalized ...
INPUT_ABS_MAX = 1.0
# ... unless already standardized (S1: mean 0, variance 1): tolerances ours.
STANDARDIZED_MEAN_TOL = 0.5
STANDARDIZED_STD_RANGE = (0.5, 2.0)
# Tabular features whose spreads differ this much need per-feature scaling
# even when the pooled range looks fine (project choice).
FEATURE_STD_RATIO_MAX = 100.0

# --- Curves -----------------------------------------------------------------
# [UM] "gap train-val accuracy > 5 points after epoch 3".
OVERFIT_ACCURACY_GAP = 0.05
OVERFIT_MIN_EPOCHS = 3
# [UM] "val loss rising while train loss falls"; [AT] counts consecutive such
# epochs. A 5-epoch probe has room for few, so 2 in a row is enough (adapted).
OVERFIT_VAL_RISE_EPOCHS = 2
# [AT] "satisfied accuracy" Theta=0.7: a run whose best training accuracy stays
# below it has not converged.
UNDERFIT_TRAIN_ACCURACY = 0.7
# (ours) Loss-based twin of the above, also right for imbalanced classes: the
# final training loss still above half of the chance-level loss ln(C) means the
# model has learned little of what even a 5-epoch probe should reach.
UNDERFIT_LOSS_FRACTION = 0.5
# (ours) Regression: final training MSE above 80% of var(y), i.e. training R^2
# below 0.2. Lower would flag healthy models on noisy targets (scikit-learn's
# diabetes data leaves ~50% of var(y) unexplained even at its best fit).
UNDERFIT_REGRESSION_FRACTION = 0.8
# [AT] largest epoch-to-epoch accuracy gain < 0.01 (we also count the gain
# from initialization, because a probe's first epoch carries most progress).
SLOW_MAX_ACCURACY_GAIN = 0.01
# [TDC] loss falling < 5% per window; our window is one probe epoch.
SLOW_MIN_LOSS_DECREASE = 0.05
# [AT] oscillation: a local max-min accuracy swing >= 0.03 (zeta) in >= 20% of
# epochs (eta). Applied to both train and validation accuracy: a probe's
# per-epoch train accuracy is an average over many steps and hides swings.
OSCILLATION_ACCURACY_SWING = 0.03
OSCILLATION_EPOCH_SHARE = 0.2
# (ours) Loss-based reversals, counted like the accuracy swings above: the
# epoch-mean train loss rising by > 10% (healthy runs' epoch means only fall), or
# the validation loss jumping by > 50% in one epoch (overfitting raises it
# gradually; an LR that is too high makes it jump).
OSCILLATION_LOSS_RISE = 0.10
OSCILLATION_VAL_SPIKE = 0.5
# [AT] divergence: NaN/inf loss, or loss >= 1e5.
DIVERGENCE_LOSS = 1e5
# (ours) Loss at initialization more than 2 nats above the chance level ln(C)
# (Karpathy's "verify loss @ init"): the true class gets < e^-2 = 14% of the
# uniform probability on average, i.e. outputs are confidently wrong before
# training. A margin rather than a ratio: healthy binary models start anywhere
# in 0.6-2.1 (ln 2 = 0.69), healthy 10-class ones at 2.3-2.8. Only the high side
# is checked: a low initial loss is normal for an already trained model.
INITIAL_LOSS_EXCESS = 2.0

# --- Gradients, activations, weights -----------------------------------------
# [AT] vanishing: first/last layer gradient-norm ratio <= 1e-3 (beta_1) and
# first-layer norm <= 1e-4 (beta_2).
VANISH_GRAD_RATIO = 1e-3
VANISH_FIRST_GRAD = 1e-4
# [AT] exploding: first/last gradient-norm ratio >= 70 (beta_3).
EXPLODE_GRAD_RATIO = 70.0
# [TDC] exploding: any gradient norm > 1e6.
EXPLODE_GRAD_NORM = 1e6
# [DD] dying ReLU: >= 70% of ReLU outputs <= 0 (same 0.7 as [AT]'s zero-gradient
# share gamma). Applied per unit (a unit whose output is <= 0 on every probe
# sample is dead): the per-element share of zeros is ~50% in healthy ReLU nets
# and would flag them.
DYING_RELU_SHARE = 0.7
# [DD] saturation: > 50% of sigmoid/tanh inputs beyond +-5.
SATURATION_SHARE = 0.5
# The probe records the share at this fixed +-5 (it is not a detect() override).
SATURATION_PREACTIVATION = 5.0
# [TDC] healthy per-step update ratio: log10(|dW|/|W|) within [-4, -1].
UPDATE_RATIO_LOW = 1e-4
UPDATE_RATIO_HIGH = 1e-1
# [DD] a layer's weights unchanged for 5 epochs. Adapted: unchanged over the
# whole probe (it may be shorter); "unchanged" = relative change below 1e-8.
UNCHANGED_RELATIVE_CHANGE = 1e-8
# (ours) Tiny-subset sanity check (S3/S4 "overfit a tiny subset"): reaching at
# least 97% accuracy on 32 samples (at most one miss); regression must cut its
# loss to 10% of the initial loss.
SUBSET_MIN_ACCURACY = 0.97
SUBSET_MAX_LOSS_FRACTION = 0.1

# --- Static model inspection --------------------------------------------------
# [UM] dropout rate > 0.5 is suspicious.
HIGH_DROPOUT_RATE = 0.5
# (ours) sigmoid derivative <= 0.25, so 3 stacked saturating layers already
# shrink gradients >= 64x (S3/S4: "don't use sigmoid").
DEEP_SATURATING_LAYERS = 3
# (ours) the standard initializers keep a kernel's standard deviation within 1.5x
# of 1/sqrt(fan-in) (LeCun 1, He sqrt(2), Glorot between); a kernel 20x off either
# way (RandomNormal(stddev=1e-4), RandomUniform(-10, 10)) shrinks or blows up the
# signal at every layer (S4: initialization).
INIT_SCALE_FACTOR = 20.0
# (ours) S0 only says params cost memory/time; we flag > 100 parameters per
# training sample (ResNet-50 on ImageNet has ~20).
PARAMS_PER_SAMPLE = 100.0

DEFAULTS: dict[str, float | tuple[float, float]] = {
    "label_balance_min": LABEL_BALANCE_MIN,
    "imbalance_ratio_medium": IMBALANCE_RATIO_MEDIUM,
    "imbalance_ratio_high": IMBALANCE_RATIO_HIGH,
    "few_samples_per_class": FEW_SAMPLES_PER_CLASS,
    "very_few_samples_per_class": VERY_FEW_SAMPLES_PER_CLASS,
    "small_data_samples": SMALL_DATA_SAMPLES,
    "large_data_samples": LARGE_DATA_SAMPLES,
    "duplicate_share_medium": DUPLICATE_SHARE_MEDIUM,
    "input_abs_max": INPUT_ABS_MAX,
    "standardized_mean_tol": STANDARDIZED_MEAN_TOL,
    "standardized_std_range": STANDARDIZED_STD_RANGE,
    "feature_std_ratio_max": FEATURE_STD_RATIO_MAX,
    "overfit_accuracy_gap": OVERFIT_ACCURACY_GAP,
    "overfit_min_epochs": OVERFIT_MIN_EPOCHS,
    "overfit_val_rise_epochs": OVERFIT_VAL_RISE_EPOCHS,
    "underfit_train_accuracy": UNDERFIT_TRAIN_ACCURACY,
    "underfit_loss_fraction": UNDERFIT_LOSS_FRACTION,
    "underfit_regression_fraction": UNDERFIT_REGRESSION_FRACTION,
    "slow_max_accuracy_gain": SLOW_MAX_ACCURACY_GAIN,
    "slow_min_loss_decrease": SLOW_MIN_LOSS_DECREASE,
    "oscillation_accuracy_swing": OSCILLATION_ACCURACY_SWING,
    "oscillation_epoch_share": OSCILLATION_EPOCH_SHARE,
    "oscillation_loss_rise": OSCILLATION_LOSS_RISE,
    "oscillation_val_spike": OSCILLATION_VAL_SPIKE,
    "divergence_loss": DIVERGENCE_LOSS,
    "initial_loss_excess": INITIAL_LOSS_EXCESS,
    "vanish_grad_ratio": VANISH_GRAD_RATIO,
    "vanish_first_grad": VANISH_FIRST_GRAD,
    "explode_grad_ratio": EXPLODE_GRAD_RATIO,
    "explode_grad_norm": EXPLODE_GRAD_NORM,
    "dying_relu_share": DYING_RELU_SHARE,
    "saturation_share": SATURATION_SHARE,
    "update_ratio_low": UPDATE_RATIO_LOW,
    "update_ratio_high": UPDATE_RATIO_HIGH,
    "unchanged_relative_change": UNCHANGED_RELATIVE_CHANGE,
    "subset_min_accuracy": SUBSET_MIN_ACCURACY,
    "subset_max_loss_fraction": SUBSET_MAX_LOSS_FRACTION,
    "high_dropout_rate": HIGH_DROPOUT_RATE,
    "deep_saturating_layers": DEEP_SATURATING_LAYERS,
    "init_scale_factor": INIT_SCALE_FACTOR,
    "params_per_sample": PARAMS_PER_SAMPLE,
}


def resolve(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults merged with `overrides`; unknown keys or values that are not
    numbers (a (low, high) pair where the default is one) raise AdvisorError.

    Args:
        overrides: e.g. `{"dying_relu_share": 0.6}`; `None` keeps all defaults.

    Returns:
        A new dict with every threshold name.
    """
    merged = dict(DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise AdvisorError(f"unknown threshold {key!r}; known thresholds: {', '.join(sorted(DEFAULTS))}")
        pair = isinstance(DEFAULTS[key], tuple)
        numbers = list(value) if pair and isinstance(value, (tuple, list)) else [value]
        if (pair and len(numbers) != 2) or not all(_is_number(v) for v in numbers):
            raise AdvisorError(f"threshold {key!r} must be {'a (low, high) pair of numbers' if pair else 'a number'}, "
                               f"got {value!r}")
        merged[key] = tuple(float(v) for v in numbers) if pair else float(value)
    return merged


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)
