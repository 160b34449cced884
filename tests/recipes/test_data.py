"""Data recipes: class weights, oversampling, augmentation, noise, batching."""
import numpy as np
import pytest
import tensorflow as tf
from sklearn.utils.class_weight import compute_class_weight

from recipes import BatchSize, ClassWeights, ImageAugment, Oversample, Plan, TabularNoise
from tests.recipes.testkit import images


def epoch(dataset):
    xs, ys = zip(*[(x, y) for x, y in dataset.as_numpy_iterator()])
    return np.concatenate(xs), np.concatenate(ys)


def test_class_weights_equal_sklearn_balanced():
    x, y = images(imbalance=True)
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    for train in [(x, y), tf.data.Dataset.from_tensor_slices((x, y))]:
        weights = Plan([ClassWeights()]).fit_kwargs(train)["class_weight"]
        assert sorted(weights) == [0, 1, 2]
        np.testing.assert_allclose([weights[c] for c in (0, 1, 2)], expected)
    assert weights[1] > 1 > weights[0]  # the minority counts more
    with pytest.raises(ValueError, match="pass train= to fit_kwargs"):
        Plan([ClassWeights()]).fit_kwargs()


def test_oversample_yields_a_balanced_stream_of_original_samples():
    x, y = images(imbalance=True)
    assert np.bincount(y).tolist() == [36, 6, 6]
    plan = Plan([Oversample(), BatchSize(16)])
    train, _ = plan.transform((x, y))
    labels, originals = [], {row.tobytes() for row in x}
    for _ in range(10):
        xs, ys = epoch(train)
        assert len(ys) == len(y)  # an epoch keeps the split's length
        assert all(row.tobytes() in originals for row in xs)
        labels.append(ys)
    assert len({tuple(epoch_labels) for epoch_labels in labels}) > 1  # fresh draws every epoch
    counts = np.bincount(np.concatenate(labels), minlength=3)
    # 480 draws with p = 1/3 each: expected 160, std ~10.3; the unbalanced stream would give 360/60/60
    assert all(abs(c - 160) < 45 for c in counts), counts
    with pytest.raises(ValueError, match="integer class labels"):
        Plan([Oversample()]).transform((x, y.astype("float32")))


def test_augmentation_changes_training_batches_not_validation_batches():
    x, y = images()
    originals = {row.tobytes() for row in x}
    plain_train, _ = Plan([]).transform((x, y))
    assert all(row.tobytes() in originals for row in epoch(plain_train)[0])

    train, val = Plan([ImageAugment(flip="horizontal", rotation=0.1)]).transform((x, y), (x, y))
    first, second = epoch(train)[0], epoch(train)[0]
    assert not any(row.tobytes() in originals for row in first)
    assert not np.isclose(first.sum(), second.sum())  # fresh augmentation every epoch
    for _ in range(2):  # validation: the original samples, in order, every time
        val_x, val_y = epoch(val)
        np.testing.assert_array_equal(val_x, x)
        np.testing.assert_array_equal(val_y, y)


def test_image_augment_refuses_non_images():
    x = np.zeros((8, 5), "float32")
    with pytest.raises(ValueError, match=r"\(height, width, channels\)"):
        Plan([ImageAugment()]).transform((x, np.zeros(8, "int64")))


def test_tabular_noise_adds_noise_of_the_given_std_to_training_only():
    n = 400
    ids = 1000.0 * np.arange(n, dtype="float32")  # far apart: each noisy row maps back to its source
    x = np.stack([ids, np.zeros(n, "float32")], axis=1)
    y = np.zeros(n, "int64")
    train, val = Plan([TabularNoise(stddev=0.2), BatchSize(50)]).transform((x, y), (x, y))
    noisy = epoch(train)[0]
    source = x[np.round(noisy[:, 0] / 1000.0).astype(int)]
    assert np.std(noisy - source) == pytest.approx(0.2, rel=0.1)
    np.testing.assert_array_equal(epoch(val)[0], x)


def test_batch_size_and_shuffling():
    x, y = images(n=40)
    plan = Plan([BatchSize(16)])
    assert plan.batch_size == 16 and Plan([]).batch_size == 32
    train, val = plan.transform((x, y), (x, y))
    sizes = [len(b[1]) for b in train.as_numpy_iterator()]
    assert sizes == [16, 16, 8]
    orders = [epoch(train)[1].tolist() for _ in range(3)]
    assert orders[0] != orders[1] or orders[1] != orders[2]  # reshuffled every epoch
    assert epoch(val)[1].tolist() == y.tolist()


def test_a_plans_pipelines_start_no_autotuning_thread():
    """Its iterators are deleted at once whenever Keras leaves them in a cycle (`without_autotune`);
    the pipelines still batch and shuffle as before."""
    x, y = images(n=40)
    train, val = Plan([ImageAugment(), BatchSize(16)]).transform((x, y), (x, y))
    assert train.options().autotune.enabled is False and val.options().autotune.enabled is False
    assert sorted(epoch(train)[1].tolist()) == sorted(y.tolist()) and epoch(val)[1].tolist() == y.tolist()
