"""`data_findings(profile) -> list[Finding]`: what is wrong with the data, with the numbers.

Thresholds are the named constants of `advisor.thresholds`, each with the source of
its number (docs/references.md#knowledge-3; "ours" marks a project choice where the
sources give no number). Override any of them per call: ``data_findings(p, {"few_samples_per_class": 50})``.
"""
from __future__ import annotations

from advisor.data import profile as _profile
from advisor.findings import SEVERITIES, Finding
from advisor.thresholds import resolve

def _finding(name, severity, evidence, **values):
    return Finding(name=name, severity=severity, source="data", evidence=evidence, values=values)


def _class_name(p, i):
    return p.class_names[i] if i < len(p.class_names) else str(i)


def _balance_findings(p, t):
    if p.task == "regression":
        return []
    present = sum(1 for c in p.class_counts if c > 0)
    if present < 2:
        cls = [_class_name(p, i) for i, c in enumerate(p.class_counts) if c > 0]
        return [_finding("single_class", "high",
                         f"the training split holds only class {', '.join(cls) or 'none'} "
                         f"({p.n_train:,} samples): nothing to tell apart", classes_present=present)]
    out = []
    ratio, balance = p.imbalance_ratio, p.label_balance
    if ratio >= t.imbalance_ratio_medium or balance < t.label_balance_min:
        high = ratio >= t.imbalance_ratio_high or balance < t.label_balance_min
        minority = p.minority_class
        out.append(_finding(
            "class_imbalance", "high" if high else "medium",
            f"class {_class_name(p, minority)} has {p.class_counts[minority]:,} of {p.n_train:,} training "
            f"samples: imbalance 1:{ratio:.{0 if ratio >= 10 else 1}f}, label balance {balance:.2f} (TDC flags < "
            f"{t.label_balance_min})",
            imbalance_ratio=ratio, label_balance=balance, minority_class=minority,
            minority_share=p.minority_share))
    few = p.min_samples_per_class
    if few < t.few_samples_per_class:
        out.append(_finding(
            "few_samples_per_class", "high" if few < t.very_few_samples_per_class else "medium",
            f"class {_class_name(p, p.minority_class)} has only {few:,} training samples "
            f"(fewer than {t.few_samples_per_class:,} per class is few)",
            min_samples_per_class=few, threshold=t.few_samples_per_class))
    return out


def _size_findings(p, t):
    if p.n_train < t.small_data_samples:
        return [_finding("small_data", "medium",
                         f"{p.n_train:,} training samples (under {t.small_data_samples:,}): "
                         "a deep net will overfit quickly", n_train=p.n_train)]
    if p.n_train >= t.large_data_samples:
        return [_finding("large_data", "info",
                         f"{p.n_train:,} training samples: room for a deeper model and bigger batches",
                         n_train=p.n_train)]
    return []


def _scale_findings(p, t):
    out = []
    unnormalized = _profile.looks_unnormalized(p.x_min, p.x_max, p.x_mean, p.x_std, p.feature_std_ratio, t)
    if unnormalized:
        spread = (f"; feature spreads differ {p.feature_std_ratio:,.0f}x"
                  if p.feature_std_ratio and p.feature_std_ratio > t.feature_std_ratio_max else "")
        out.append(_finding(
            "unnormalized_input", "high",
            f"inputs range {p.x_min:g}..{p.x_max:g} (mean {p.x_mean:.3g}, std {p.x_std:.3g}), outside "
            f"[-{t.input_abs_max:g}, {t.input_abs_max:g}] and not standardized{spread}",
            x_min=p.x_min, x_max=p.x_max, x_mean=p.x_mean, x_std=p.x_std,
            feature_std_ratio=p.feature_std_ratio))
    if p.nan_count or p.inf_count:
        where = ", ".join(f"{s} {n:,}" for s, n in p.non_finite_by_split.items() if n)
        out.append(_finding("nan_or_inf", "high",
                            f"{p.nan_count:,} NaN and {p.inf_count:,} infinite input values ({where})",
                            nan_count=p.nan_count, inf_count=p.inf_count, by_split=p.non_finite_by_split))
    if p.n_constant_features:
        tabular = p.modality == "tabular"
        all_constant = p.n_constant_features == p.n_features
        out.append(_finding(
            "constant_features", "high" if all_constant else ("medium" if tabular else "low"),
            f"{p.n_constant_features:,} of {p.n_features:,} input features never change in the training split"
            + ("" if tabular else " (e.g. always-blank border pixels)"),
            n_constant=p.n_constant_features, features=p.constant_features))
    return out


def _split_findings(p, t):
    out = []
    if p.n_duplicates_train:
        share = p.duplicate_share_train
        conflict = (f"; {p.n_conflicting_duplicates:,} inputs carry different labels"
                    if p.n_conflicting_duplicates else "")
        severity = "medium" if share >= t.duplicate_share_medium else "low"
        out.append(_finding(
            "duplicates_in_train", "high" if p.n_conflicting_duplicates else severity,
            f"{p.n_duplicates_train:,} of {p.n_train:,} training samples ({share:.1%}) repeat another exactly"
            + conflict,
            n_duplicates=p.n_duplicates_train, share=share, conflicting=p.n_conflicting_duplicates))
    leaks = {k: v for k, v in p.leaked.items() if v}
    if leaks:
        sizes = {"val": p.n_val, "test": p.n_test, "val_test": p.n_test}
        what = {"val": "val samples also in train", "test": "test samples also in train",
                "val_test": "test samples also in val"}
        parts = [f"{n:,} of {sizes[k]:,} {what[k]}" for k, n in leaks.items()]
        out.append(_finding("leakage_across_splits", "high",
                            "; ".join(parts) + ": evaluation scores will be optimistic", **p.leaked))
    for split, missing in p.missing_classes.items():
        names = ", ".join(_class_name(p, i) for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
        out.append(_finding(
            "missing_class_in_split", "high" if split == "train" else "medium",
            f"the {split} split has no samples of class {names} ({len(missing)} of {p.num_classes} classes)",
            split=split, classes=missing))
    return out


def data_findings(profile, thresholds: dict | None = None) -> list[Finding]:
    """Findings about a `DataProfile`, most severe first.

    When to use: after `advisor.data.profile.profile`; the rule engine and the
    `advisor diagnose` report read these.

    Args:
        profile: a `DataProfile`.
        thresholds: overrides for `advisor.thresholds` names.

    Example:
        >>> from advisor.data import load
        >>> from advisor.data.profile import profile
        >>> [f.name for f in data_findings(profile(load("digits")))]
        ['unnormalized_input', 'constant_features']
    """
    t = resolve(thresholds)
    found = (_balance_findings(profile, t) + _size_findings(profile, t) + _scale_findings(profile, t)
             + _split_findings(profile, t))
    return sorted(found, key=lambda f: SEVERITIES.index(f.severity))
