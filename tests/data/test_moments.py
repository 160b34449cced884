"""One-pass moments agree with numpy, per channel and with NaN/inf skipped."""
import numpy as np
import pytest

from advisor.data import moments as moments_module
from advisor.data.duplicates import duplicate_stats, row_hashes
from advisor.data.moments import add_rows, empty_moments, feature_moments


def test_pooled_stats_match_numpy_per_channel(monkeypatch):
    monkeypatch.setattr(moments_module, "_CHUNK_VALUES", 7 * 48)  # force several chunks of 7 rows
    rng = np.random.default_rng(0)
    x = rng.normal([0.0, 10.0, -5.0], [1.0, 3.0, 0.5], size=(50, 4, 4, 3)).astype(np.float32)
    m = feature_moments(x)
    mins, maxs, means, stds = m.pooled(3)
    per_channel = x.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(means, per_channel.mean(0), rtol=1e-9)
    np.testing.assert_allclose(stds, per_channel.std(0), rtol=1e-6)
    np.testing.assert_allclose(mins, per_channel.min(0))
    np.testing.assert_allclose(maxs, per_channel.max(0))
    np.testing.assert_allclose(m.pooled()[3][0], x.astype(np.float64).std(), rtol=1e-6)
    batched = add_rows(add_rows(empty_moments(48), x[:20]), x[20:])  # as a streamed folder's batches arrive
    for whole, parts in zip(m.pooled(3), batched.pooled(3)):
        np.testing.assert_allclose(parts, whole, rtol=1e-12)


def test_non_finite_values_are_skipped_and_all_nan_feature_is_constant():
    x = np.array([[1.0, np.nan, 5.0], [3.0, np.nan, np.inf], [5.0, np.nan, 5.0]])
    m = feature_moments(x)
    assert m.count.tolist() == [3, 0, 2]
    assert m.pooled()[2] == [pytest.approx(19 / 5)]
    assert m.constant().tolist() == [1, 2]


def test_duplicate_stats_regression_skips_label_conflicts():
    x = np.array([[1.0], [1.0], [2.0]], np.float32)
    hashes = {"train": row_hashes(x), "val": row_hashes(x[:0]), "test": row_hashes(x[2:])}
    stats = duplicate_stats(hashes, np.array([0.1, 0.9, 0.5]), classify=False)
    assert stats == {"n_duplicates_train": 1, "n_conflicting_duplicates": 0,
                     "leaked": {"val": 0, "test": 1, "val_test": 0}}
