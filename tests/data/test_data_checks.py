"""`data_findings`: crafted problems are flagged with their numbers; healthy data is not."""
import numpy as np
import pytest

from advisor.data import load
from advisor.data.checks import data_findings
from advisor.thresholds import DEFAULTS
from advisor.errors import AdvisorError
from advisor.data.profile import profile


def _names(findings):
    return {f.name for f in findings}


def _by_name(findings, name):
    return next(f for f in findings if f.name == name)


@pytest.fixture(scope="module")
def imbalanced(tmp_path_factory):
    """One rare class (3: 10 samples) among nine common ones (110 each)."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), [110, 110, 110, 10, 110, 110, 110, 110, 110, 110])
    path = tmp_path_factory.mktemp("npz") / "imbalanced.npz"
    np.savez(path, x=rng.normal(size=(len(y), 6)), y=y)
    return profile(load(str(path)))


def test_imbalanced_npz_is_flagged_with_numbers(imbalanced):
    found = data_findings(imbalanced)
    f = _by_name(found, "class_imbalance")
    assert f.severity == "high" and f.source == "data"
    assert f.values["minority_class"] == 3
    assert f"class 3 has {imbalanced.class_counts[3]} of {imbalanced.n_train:,}" in f.evidence
    assert f.values["imbalance_ratio"] == pytest.approx(imbalanced.imbalance_ratio) and f.values["imbalance_ratio"] > 10
    assert "few_samples_per_class" in _names(found)


def test_balanced_data_has_no_imbalance_and_thresholds_override(imbalanced):
    assert "class_imbalance" not in _names(data_findings(profile(load("digits"))))
    relaxed = data_findings(imbalanced, {"imbalance_ratio_medium": 50, "imbalance_ratio_high": 100,
                                         "few_samples_per_class": 5})
    assert not {"class_imbalance", "few_samples_per_class"} & _names(relaxed)
    with pytest.raises(AdvisorError, match="unknown threshold 'imbalance'"):
        data_findings(imbalanced, {"imbalance": 3})
    assert DEFAULTS.label_balance_min == 0.5


def test_leaking_split_is_flagged(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(200, 5)), np.arange(200) % 2
    np.savez(tmp_path / "leak.npz", x=x, y=y, x_val=rng.normal(size=(20, 5)), y_val=np.arange(20) % 2,
             x_test=x[:25], y_test=y[:25])
    found = data_findings(profile(load(str(tmp_path / "leak.npz"))))
    f = _by_name(found, "leakage_across_splits")
    assert f.severity == "high" and f.values["test"] == 25 and "25 of 25 test samples" in f.evidence
    assert found[0].severity == "high"  # most severe first


def test_unscaled_flagged_scaled_not():
    ds = load("digits")
    f = _by_name(data_findings(profile(ds)), "unnormalized_input")
    assert "0..16" in f.evidence and f.values["x_max"] == 16.0
    ds.arrays = {s: (x / 16.0, y) for s, (x, y) in ds.arrays.items()}
    assert "unnormalized_input" not in _names(data_findings(profile(ds)))


def test_size_nan_duplicates_and_missing_class(tmp_path):
    x = np.random.default_rng(2).random((60, 3))
    x[5] = x[6]
    x[7, 0] = np.nan
    y = np.arange(60) % 3
    np.savez(tmp_path / "messy.npz", x=x, y=y, x_val=x[:2] + 5, y_val=[0, 0], x_test=x[:3] + 9, y_test=[0, 1, 2])
    found = data_findings(profile(load(str(tmp_path / "messy.npz"))))
    assert {"small_data", "nan_or_inf", "duplicates_in_train", "missing_class_in_split"} <= _names(found)
    assert _by_name(found, "duplicates_in_train").severity == "high"  # rows 5, 6 carry different labels
    assert _by_name(found, "missing_class_in_split").values == {"split": "val", "classes": [1, 2]}
    assert "1 NaN" in _by_name(found, "nan_or_inf").evidence


def test_regression_gets_no_class_findings(tmp_path):
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "reg.npz", x=rng.normal(size=(300, 4)), y=rng.normal(size=300))
    found = data_findings(profile(load(str(tmp_path / "reg.npz"))))
    assert _names(found) == {"small_data"}
