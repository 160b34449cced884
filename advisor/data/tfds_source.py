"""Read a TensorFlow Datasets dataset that is already prepared: "tfds:NAME[:SPLIT]".

Never downloads (``download=False``): offline, an unprepared dataset is a
clear error naming ``--data-dir``. Without SPLIT, the dataset's own train,
validation and test splits are kept; with SPLIT (e.g. ``train[:10%]``) only
that split is read and val/test are carved from it.

Images with class labels stream (`TfdsRecords`): one pass reads the records
with the images left encoded, for the labels and a fingerprint of each
image's bytes; training decodes them per batch. Other datasets (tables,
sequences, regression targets) are read into arrays.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from advisor.data.streamed import StreamedSplits
from advisor.errors import AdvisorError

_OWN_SPLITS = {"train": "train", "validation": "val", "test": "test"}


def _to_numpy(ds):
    import tensorflow_datasets as tfds

    xs, ys = [], []
    for x, y in tfds.as_numpy(ds.batch(4096)):
        xs.append(x)
        ys.append(y)
    if not xs:
        return None
    return np.concatenate(xs), np.concatenate(ys)


def _not_prepared(name: str, data_dir) -> AdvisorError:
    where = data_dir or "the default TFDS folder (~/tensorflow_datasets)"
    return AdvisorError(
        f"TFDS dataset {name!r} is not prepared in {where}: prepare it once online "
        f"(tfds build {name} --data_dir DIR) and pass --data-dir DIR")


@dataclasses.dataclass
class TfdsRecords(StreamedSplits):
    """Per split: which TFDS split it reads and which of its records (indices, in
    stored order), their labels and image fingerprints; images decoded per batch."""

    builder: Any
    source: dict[str, str]  # our split -> the TFDS split it reads
    index: dict[str, np.ndarray]  # our split -> record indices into that TFDS split, ascending
    sizes: dict[str, int]  # records per TFDS split
    labels: dict[str, np.ndarray]
    fingerprints: dict[str, np.ndarray]
    keys: tuple[str, str]  # (image feature, label feature)
    image_format: tuple  # (size, channels, resize), as for image folders

    @property
    def input_shape(self) -> tuple[int, int, int]:
        size, channels, _ = self.image_format
        return (*size, channels)

    def stream(self, split: str, shuffle_seed: int | None = None):
        """Records in stored order; shuffled through a window bounded in bytes (TFDS prepares
        its records shuffled, and reads them sequentially)."""
        import tensorflow as tf

        from recipes.data.pipeline import MAX_SHUFFLE_BYTES

        image, label = self.keys
        records = _records(self.builder, self.source[split], image)
        if len(self.index[split]) < self.sizes[self.source[split]]:
            wanted = np.zeros(self.sizes[self.source[split]], bool)
            wanted[self.index[split]] = True
            wanted = tf.constant(wanted)
            records = records.enumerate().filter(lambda index, _: wanted[index]).map(lambda _, example: example)
        size, channels, resize = self.image_format

        def decode(ex):
            x = tf.io.decode_image(ex[image], channels=channels, expand_animations=False)
            x = tf.image.resize(x, size) if resize else tf.cast(x, tf.float32)
            return tf.ensure_shape(x, self.input_shape), tf.cast(ex[label], tf.int64)

        samples = records.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        if shuffle_seed is not None:
            window = max(1, MAX_SHUFFLE_BYTES // (4 * int(np.prod(self.input_shape))))
            samples = samples.shuffle(window, seed=shuffle_seed, reshuffle_each_iteration=True)
        return samples

    def subset(self, split: str, indices) -> "TfdsRecords":
        chosen = np.sort(np.asarray(indices, np.int64))  # records are read in stored order
        return dataclasses.replace(self, source={split: self.source[split]}, index={split: self.index[split][chosen]},
                                   labels={split: self.labels[split][chosen]},
                                   fingerprints={split: self.fingerprints[split][chosen]})


def _records(builder, split: str, image_key: str):
    """A TFDS split's examples with the image left encoded (bytes)."""
    import tensorflow_datasets as tfds

    return builder.as_dataset(split=split, decoders={image_key: tfds.decode.SkipDecoding()}, shuffle_files=False)


def _scan_records(builder, split: str, keys, fixed_shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, fingerprints, shapes) of one TFDS split, decoding images only when their size varies."""
    import tensorflow as tf

    from advisor.data.image_files import FINGERPRINT_BYTES

    image, label = keys

    def inspect(ex):
        shape = tf.constant(fixed_shape, tf.int32) if fixed_shape else \
            tf.shape(tf.io.decode_image(ex[image], expand_animations=False))
        return tf.cast(ex[label], tf.int64), tf.fingerprint(ex[image][None])[0], shape

    scanned = _records(builder, split, image).map(inspect, num_parallel_calls=tf.data.AUTOTUNE).batch(4096)
    parts = list(zip(*scanned.as_numpy_iterator()))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, f"S{FINGERPRINT_BYTES}"), np.zeros((0, 3), np.int32)
    labels, prints, shapes = (np.concatenate(p) for p in parts)
    return labels, prints.view(f"S{FINGERPRINT_BYTES}").ravel(), shapes


def _streamed_parts(builder, wanted: dict, keys, name: str):
    """({split: (record indices, labels, fingerprints)}, a `make` for `build_streamed_dataset`, input shape, notes)."""
    from advisor.data.image_files import image_format

    feature = builder.info.features[keys[0]]
    fixed = tuple(feature.shape) if None not in feature.shape else None
    parts, sizes, shapes = {}, {}, []
    for ours, theirs in wanted.items():
        labels, prints, split_shapes = _scan_records(builder, theirs, keys, fixed)
        if len(labels):
            parts[ours], sizes[theirs] = (np.arange(len(labels)), labels, prints), len(labels)
            shapes.append(split_shapes)
    if "train" not in parts:
        raise AdvisorError(f"TFDS split {wanted['train']!r} of {name!r} is empty")
    size, channels, resize, notes = image_format(np.concatenate(shapes))

    def make(columns, origin):
        index, labels, prints = ({s: c[i] for s, c in columns.items()} for i in range(3))
        order = {s: np.argsort(index[s], kind="stable") for s in index}  # stored order: read sequentially
        return TfdsRecords(builder, {s: wanted[origin[s]] for s in index}, {s: index[s][order[s]] for s in index},
                           sizes, {s: labels[s][order[s]] for s in index}, {s: prints[s][order[s]] for s in index},
                           tuple(keys), (size, channels, resize))

    return parts, make, (*size, channels), notes


def load_tfds(spec: str, data_dir=None):
    """("arrays", raw parts, class names or None, modality) or ("streamed", parts, class names,
    make, input shape, notes) for `build_streamed_dataset`.

    Example:
        >>> import tensorflow_datasets as tfds
        >>> with tfds.testing.mock_data(num_examples=20):
        ...     kind, parts, names, *rest = load_tfds("mnist")
        >>> kind, len(parts["train"][0]), len(names)
        ('streamed', 20, 10)
    """
    import tensorflow_datasets as tfds

    name, _, split = spec.partition(":")
    if not name:
        raise AdvisorError(f"tfds spec {spec!r} has no dataset name; write tfds:NAME or tfds:NAME:SPLIT")
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except ValueError as e:  # DatasetNotFoundError, or a bad config/version in the name
        first = str(e).splitlines()[0].strip().rstrip(".:")
        raise AdvisorError(f"TFDS dataset {name!r}: {first}; see https://www.tensorflow.org/datasets/catalog") from None
    keys = builder.info.supervised_keys
    if not keys or len(keys) != 2:
        raise AdvisorError(f"TFDS dataset {name!r} has no (input, label) pair (supervised_keys); "
                           "pick a supervised dataset")
    label = builder.info.features[keys[1]]
    names = list(label.names) if isinstance(label, tfds.features.ClassLabel) else None

    if split:
        wanted = {"train": split}
    else:
        # Split info comes from the prepared metadata; unprepared or mocked
        # builders report none, so ask for the usual names.
        known = list(builder.info.splits) or ["train", "test"]
        wanted = {_OWN_SPLITS[s]: s for s in known if s in _OWN_SPLITS}
        if "train" not in wanted:
            raise AdvisorError(f"TFDS dataset {name!r} has no train split (splits: {known}); "
                               f"name one: tfds:{name}:SPLIT")
    if names is not None and isinstance(builder.info.features[keys[0]], tfds.features.Image):
        try:
            parts, make, shape, notes = _streamed_parts(builder, wanted, keys, name)
        except AssertionError:  # tfds signals "no prepared data" with an assert
            raise _not_prepared(name, data_dir) from None
        except ValueError as e:  # e.g. an unknown split name
            raise AdvisorError(f"TFDS dataset {name!r}: {str(e).splitlines()[0]}") from None
        return "streamed", parts, names, make, shape, notes
    parts = {}
    for ours, theirs in wanted.items():
        try:
            ds = tfds.load(name, split=theirs, data_dir=data_dir, as_supervised=True, download=False)
        except AssertionError:  # tfds signals "no prepared data" with an assert
            raise _not_prepared(name, data_dir) from None
        except ValueError as e:  # e.g. an unknown split name
            raise AdvisorError(f"TFDS dataset {name!r}: {str(e).splitlines()[0]}") from None
        arrays = _to_numpy(ds)
        if arrays is not None:
            parts[ours] = arrays
    if "train" not in parts:
        raise AdvisorError(f"TFDS split {wanted['train']!r} of {name!r} is empty")
    x = parts["train"][0]
    if x.dtype.kind not in "iufb":
        raise AdvisorError(f"TFDS dataset {name!r} has non-numeric inputs ({x.dtype}); "
                           "the advisor reads images, tables and numeric sequences")
    return "arrays", parts, names, None
