"""`profile`: counts, balance, scale, hygiene and leakage numbers on real and crafted data."""
import json
import time

import numpy as np
import pytest

from advisor.data import Dataset, DatasetInfo, load
from advisor.data.profile import profile

CATALOG_FIELDS = ("n_train", "n_val", "n_test", "task", "modality", "num_classes", "class_counts",
                  "imbalance_ratio", "minority_share", "min_samples_per_class", "x_min", "x_max",
                  "x_mean", "x_std", "looks_unnormalized")


def make_dataset(train, val, test, modality="tabular", num_classes=2):
    """A Dataset straight from arrays, so tests control every split exactly."""
    arrays = {s: (np.asarray(x, np.float32), np.asarray(y, np.int64))
              for s, (x, y) in {"train": train, "val": val, "test": test}.items()}
    info = DatasetInfo("crafted", modality, arrays["train"][0].shape[1:], "binary" if num_classes == 2
                       else "multiclass", num_classes, [f"c{i}" for i in range(num_classes)],
                       {s: len(a[0]) for s, a in arrays.items()})
    return Dataset(arrays=arrays, info=info)


@pytest.fixture(scope="module")
def digits_profile():
    return profile(load("digits"))


def test_digits_profile_counts_and_scale(digits_profile):
    p = digits_profile
    assert (p.n_train, p.n_val, p.n_test) == (1257, 270, 270)
    assert sum(p.class_counts) == p.n_train and len(p.class_counts) == 10
    assert p.min_samples_per_class == min(p.class_counts) and p.imbalance_ratio < 1.1
    assert (p.x_min, p.x_max) == (0.0, 16.0) and p.looks_unnormalized
    assert p.channel_max == [16.0] and p.n_constant_features > 0  # blank corner pixels
    assert 0.4 < p.zero_share < 0.6  # about half the digit pixels are blank
    assert p.missing_classes == {} and p.leaked == {"val": 0, "test": 0, "val_test": 0}


def test_profile_has_catalog_fields_and_is_strict_json(digits_profile):
    d = digits_profile.to_dict()
    assert all(name in d for name in CATALOG_FIELDS)
    assert json.loads(json.dumps(d, allow_nan=False))["n_train"] == 1257


def test_breast_cancer_profile_balance():
    p = profile(load("breast-cancer"))
    assert p.n_train + p.n_val + p.n_test == 569
    assert [sum(p.class_counts_by_split[s][i] for s in ("train", "val", "test")) for i in (0, 1)] == [212, 357]
    assert p.imbalance_ratio == pytest.approx(p.class_counts[1] / p.class_counts[0])
    assert p.minority_class == 0 and p.feature_std_ratio > 1000 and p.looks_unnormalized


def test_scaled_inputs_do_not_look_unnormalized():
    ds = load("digits")
    ds.arrays = {s: (x / 16.0, y) for s, (x, y) in ds.arrays.items()}
    assert not profile(ds).looks_unnormalized
    rng = np.random.default_rng(0)
    standardized = make_dataset((rng.normal(size=(200, 4)), np.arange(200) % 2),
                                (rng.normal(size=(20, 4)), np.arange(20) % 2),
                                (rng.normal(size=(20, 4)), np.arange(20) % 2))
    assert not profile(standardized).looks_unnormalized  # beyond [-1, 1] but mean 0, std 1


def test_duplicates_conflicts_and_leakage_are_counted():
    rng = np.random.default_rng(1)
    x = rng.random((100, 3))
    y = np.arange(100) % 2
    x[1] = x[0]            # exact duplicate, same label (0 vs 1 -> different labels!)
    x[2] = x[4]            # duplicate with the same label (both even)
    val, test = (x[10:15].copy(), y[10:15]), (rng.random((8, 3)), np.arange(8) % 2)
    test[0][:3] = x[20:23]  # three test rows leak from train
    p = profile(make_dataset((x, y), val, test))
    assert p.n_duplicates_train == 2 and p.n_conflicting_duplicates == 1
    assert p.leaked == {"val": 5, "test": 3, "val_test": 0}


def test_nan_inf_constant_and_missing_class():
    x = np.random.default_rng(2).random((30, 4))
    x[:, 2] = 7.0
    x[0, 0], x[1, 1] = np.nan, np.inf
    y = np.arange(30) % 3
    p = profile(make_dataset((x, y), (x[:4], np.zeros(4)), (x[:6], np.arange(6) % 3), num_classes=3))
    assert (p.nan_count, p.inf_count) == (3, 3)  # the NaN/inf rows are reused in val and test
    assert p.constant_features == [2] and p.missing_classes == {"val": [1, 2]}
    assert np.isfinite([p.x_min, p.x_max, p.x_mean, p.x_std]).all()


def test_profiles_70k_mnist_sized_split_in_seconds():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (70_000, 28, 28, 1), dtype=np.uint8).astype(np.float32)
    y = rng.integers(0, 10, 70_000)
    ds = make_dataset((x, y), (x[:100], y[:100]), (x[-100:], y[-100:]), modality="image", num_classes=10)
    start = time.perf_counter()
    p = profile(ds)
    elapsed = time.perf_counter() - start
    assert p.n_train == 70_000 and p.leaked["val"] == 100
    assert elapsed < 10, f"profiling 70k images took {elapsed:.1f}s"
