"""Built-in datasets load offline with their known sizes, classes and modalities."""
import numpy as np
import pytest

from advisor.data import BUILTIN_NAMES, load
from advisor.errors import AdvisorError


def _totals(ds):
    return sum(len(y) for _, y in ds.arrays.values())


def _class_totals(ds):
    return np.bincount(np.concatenate([y for _, y in ds.arrays.values()]))


def test_digits_known_counts_and_image_shape():
    ds = load("digits")
    assert _totals(ds) == 1797
    assert ds.info.num_classes == 10 and ds.info.task == "multiclass"
    assert ds.info.modality == "image" and ds.info.input_shape == (8, 8, 1)
    assert ds.info.counts == {"train": 1257, "val": 270, "test": 270}
    assert sum(ds.info.counts.values()) == 1797
    assert _class_totals(ds).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    x, y = ds.arrays["train"]
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (1257, 8, 8, 1)


def test_breast_cancer_counts_names_and_stratified_splits():
    ds = load("breast-cancer")
    assert _totals(ds) == 569
    assert ds.info.class_names == ["malignant", "benign"]
    assert ds.info.task == "binary" and ds.info.modality == "tabular" and ds.info.input_shape == (30,)
    assert _class_totals(ds).tolist() == [212, 357]
    # stratified: every split keeps the 212:357 proportion within a sample
    for split, (_, y) in ds.arrays.items():
        assert abs(y.mean() - 357 / 569) < 0.02, split


def test_splits_are_seeded_and_configurable():
    a, b = load("wine", seed=3), load("wine", seed=3)
    np.testing.assert_array_equal(a.arrays["val"][1], b.arrays["val"][1])
    c = load("wine", val_fraction=0.2, test_fraction=0.1)
    assert c.info.counts == {"train": 124, "val": 36, "test": 18}  # round(178 * 0.2), round(178 * 0.1)
    assert load("iris").info.class_names == ["setosa", "versicolor", "virginica"]


def test_mnist1d_is_a_sequence_with_its_own_test_split():
    ds = load("mnist1d")
    assert ds.info.modality == "sequence" and ds.info.input_shape == (40, 1)
    assert ds.info.counts["test"] == 1000  # the generator's own test split, kept
    assert ds.info.counts["train"] + ds.info.counts["val"] == 4000


def test_mnist_5k_is_28x28_images():
    ds = load("mnist-5k")
    assert ds.info.modality == "image" and ds.info.input_shape == (28, 28, 1)
    assert _totals(ds) == 5000 and ds.info.num_classes == 10
    assert ds.arrays["train"][0].max() == 255.0


@pytest.mark.parametrize("bad", [(0.5, 0.5), (-0.1, 0.1), (0.2, 1.0)])
def test_bad_fractions_are_refused(bad):
    with pytest.raises(AdvisorError, match="fraction"):
        load("iris", val_fraction=bad[0], test_fraction=bad[1])


def test_unknown_builtin_lists_valid_names():
    with pytest.raises(AdvisorError) as e:
        load("digitz")
    assert "did you mean 'digits'" in str(e.value)
    assert all(name in str(e.value) for name in BUILTIN_NAMES)
