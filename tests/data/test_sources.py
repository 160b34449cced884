"""CSV, .npz, image-folder and TFDS sources on small real files."""
import shutil

import keras
import numpy as np
import pandas as pd
import pytest

from advisor.data import load
from advisor.data.assemble import infer_modality
from advisor.errors import AdvisorError


def test_csv_text_target_becomes_classes(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=60), "b": rng.integers(0, 5, 60),
                       "flag": rng.random(60) > 0.5, "label": np.where(np.arange(60) % 3, "dog", "cat")})
    df.to_csv(tmp_path / "pets.csv", index=False)
    ds = load(str(tmp_path / "pets.csv"), target="label")
    assert ds.info.class_names == ["cat", "dog"] and ds.info.task == "binary"
    assert ds.info.modality == "tabular" and ds.info.input_shape == (3,)
    y = np.concatenate([y for _, y in ds.arrays.values()])
    assert np.bincount(y).tolist() == [20, 40]


def test_csv_float_target_with_many_values_is_regression(tmp_path):
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(size=50), "price": rng.normal(100, 10, 50)}).to_csv(tmp_path / "p.csv", index=False)
    ds = load(str(tmp_path / "p.csv"), target="price")
    assert ds.info.task == "regression" and ds.info.num_classes == 0
    assert ds.arrays["train"][1].dtype == np.float32


def test_csv_missing_feature_values_are_kept_as_nan(tmp_path):
    (tmp_path / "n.csv").write_text("a,b,y\n1,,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n6,7,1\n7,8,0\n8,9,1\n")
    ds = load(str(tmp_path / "n.csv"), target="y")
    assert sum(int(np.isnan(x).sum()) for x, _ in ds.arrays.values()) == 1


def test_npz_keeps_its_own_splits_and_encodes_sparse_ids(tmp_path):
    rng = np.random.default_rng(2)
    np.savez(tmp_path / "d.npz", x=rng.random((40, 5)), y=np.tile([-1, 1], 20),
             x_test=rng.random((10, 5)), y_test=np.tile([-1, 1], 5))
    ds = load(str(tmp_path / "d.npz"))
    assert ds.info.counts == {"train": 34, "val": 6, "test": 10}
    assert ds.info.class_names == ["-1", "1"]
    assert set(np.unique(ds.arrays["test"][1])) == {0, 1}


def test_npz_float_labels_can_be_forced_to_regression(tmp_path):
    np.savez(tmp_path / "r.npz", x=np.random.rand(30, 2), y=np.arange(30) % 3 + 0.5)
    with pytest.raises(AdvisorError, match="not whole numbers"):
        load(str(tmp_path / "r.npz"))
    assert load(str(tmp_path / "r.npz"), task="regression").info.task == "regression"


def test_npz_object_arrays_are_refused_not_unpickled(tmp_path):
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4))
    with pytest.raises(AdvisorError, match="object arrays"):
        load(str(tmp_path / "o.npz"))


@pytest.mark.parametrize("shape,modality", [((5, 3), "tabular"), ((5, 28, 28), "image"),
                                            ((5, 40, 3), "sequence"), ((5, 8, 8, 3), "image")])
def test_modality_follows_array_rank(shape, modality):
    assert infer_modality(np.zeros(shape)) == modality


def _write_images(root, classes, n=4, size=(12, 10), channels=3, seed=0):
    rng = np.random.default_rng(seed)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            keras.utils.save_img(root / c / f"{i}.png", rng.integers(0, 255, (*size, channels)).astype("uint8"))


def test_image_folder_reads_size_and_channels_from_first_image(tmp_path):
    _write_images(tmp_path / "pets", ["cat", "dog", "eel"], n=5, size=(12, 10), channels=1)
    ds = load(str(tmp_path / "pets"))
    assert ds.info.modality == "image" and ds.info.input_shape == (12, 10, 1)
    assert ds.info.class_names == ["cat", "dog", "eel"] and sum(ds.info.counts.values()) == 15
    assert ds.sample("train", None)[0].max() > 1  # raw 0..255 pixels, so the profile sees the scale


def test_image_folder_streams_from_its_file_list(tmp_path):
    """A folder is never read into arrays: every stage reads files per batch, and the
    splits, samples and digests agree with the files on disk."""
    _write_images(tmp_path / "pets", ["cat", "dog"], n=20, size=(6, 5))
    ds = load(str(tmp_path / "pets"), seed=3)
    assert ds.arrays is None and not ds.in_memory
    assert ds.info.counts == {"train": 28, "val": 6, "test": 6}
    assert sorted(np.bincount(ds.labels("test")).tolist()) == [3, 3]  # stratified
    x, y = ds.sample("test", None)
    assert x.shape == (6, 6, 5, 3) and x.dtype == np.float32 and (y == ds.labels("test")).all()
    for path, image, label in zip(ds.records.paths["test"], x, y):
        assert path.split("/")[-2] == ds.info.class_names[label]
        assert np.array_equal(image, keras.utils.img_to_array(keras.utils.load_img(path)))
    seen = np.concatenate([b for _, b in ds.batches("train").as_numpy_iterator()])
    assert sorted(seen.tolist()) == sorted(ds.labels("train").tolist())
    train = ds.train  # as model.fit sees it: one dataset, one pass per epoch
    one, two = ([float(x.sum()) for x, _ in train.as_numpy_iterator()] for _ in range(2))
    assert one != two and sorted(one) == sorted(two)  # a new file order each pass


def test_image_folder_resizes_mixed_sizes_and_ignores_other_files_saying_so(tmp_path):
    _write_images(tmp_path / "pets", ["cat"], n=4, size=(12, 10))
    _write_images(tmp_path / "more", ["dog"], n=4, size=(20, 30))
    (tmp_path / "more" / "dog").rename(tmp_path / "pets" / "dog")
    (tmp_path / "pets" / "dog" / "notes.txt").write_text("not an image")
    ds = load(str(tmp_path / "pets"))
    assert ds.info.input_shape == (12, 10, 3) and sum(ds.info.counts.values()) == 8
    assert ds.sample("train", None)[0].shape[1:] == (12, 10, 3)
    assert [n for n in ds.info.notes if "resized to 12x10" in n] and len(ds.info.notes) == 2
    assert [n for n in ds.info.notes if "ignored 1 file" in n and "notes.txt" in n]


def test_image_folder_duplicates_and_leakage_are_exact(tmp_path):
    """Copies of a file are found by the fingerprint of its bytes, in train and across splits."""
    from advisor.data.profile import profile

    _write_images(tmp_path / "d" / "train", ["a", "b"], n=10)
    _write_images(tmp_path / "d" / "test", ["a", "b"], n=3, seed=1)
    train_a = tmp_path / "d" / "train" / "a"
    shutil.copy(train_a / "0.png", train_a / "copy.png")
    shutil.copy(train_a / "1.png", tmp_path / "d" / "test" / "a" / "leaked.png")
    p = profile(load(str(tmp_path / "d"), val_fraction=0.0))
    assert p.n_duplicates_train == 1 and p.leaked["test"] == 1 and p.stats_sample is None


def test_image_folder_with_split_folders_keeps_them(tmp_path):
    _write_images(tmp_path / "d" / "train", ["a", "b"], n=6)
    _write_images(tmp_path / "d" / "test", ["a", "b"], n=2)
    ds = load(str(tmp_path / "d"))
    assert ds.info.counts["test"] == 4 and ds.info.counts["train"] + ds.info.counts["val"] == 12
    assert ds.info.class_names == ["a", "b"]


def test_tfds_mock_loads_offline():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=30):
        ds = load("tfds:mnist")
        one_split = load("tfds:mnist:train")
    assert ds.info.modality == "image" and ds.info.input_shape == (28, 28, 1)
    assert ds.info.num_classes == 10 and ds.info.counts["test"] == 30  # TFDS's own test split kept
    assert ds.info.counts["train"] + ds.info.counts["val"] == 30
    assert sum(one_split.info.counts.values()) == 30


def test_tfds_images_stream_record_by_record_in_label_order():
    """TFDS images are read encoded for labels and fingerprints, then decoded per batch; a
    carved split filters its records out of the TFDS split it shares."""
    import tensorflow_datasets as tfds

    from advisor.data.profile import profile

    with tfds.testing.mock_data(num_examples=40):
        ds = load("tfds:mnist", seed=1)
        assert not ds.in_memory and ds.info.counts == {"train": 34, "val": 6, "test": 40}
        decoded = {}
        for split in ("train", "val", "test"):
            pairs = list(ds.batches(split).unbatch().as_numpy_iterator())
            assert [int(y) for _, y in pairs] == ds.labels(split).tolist()
            decoded[split] = np.stack([x for x, _ in pairs])
            assert decoded[split].shape[1:] == (28, 28, 1) and decoded[split].max() > 1
        # val was carved out of TFDS's train split: none of its images is in our train split
        train_images = {x.tobytes() for x in decoded["train"]}
        assert not any(x.tobytes() in train_images for x in decoded["val"])
        assert not set(ds.digests("val")) & set(ds.digests("train"))
        x, y = ds.sample("val", 3, seed=0)
        assert len(x) == 3 and all(any(np.array_equal(a, b) for b in decoded["val"]) for a in x)
        p = profile(ds)
        assert (p.n_train, p.n_val, p.n_test, p.streamed) == (34, 6, 40, True)
        assert sum(p.class_counts) == 34


def test_tfds_unprepared_names_data_dir(tmp_path):
    with pytest.raises(AdvisorError, match="--data-dir"):
        load("tfds:mnist", data_dir=str(tmp_path))
