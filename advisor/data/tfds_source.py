"""Read a TensorFlow Datasets dataset that is already prepared: "tfds:NAME[:SPLIT]".

Never downloads (``download=False``): offline, an unprepared dataset is a
clear error naming ``--data-dir``. Without SPLIT, the dataset's own train,
validation and test splits are kept; with SPLIT (e.g. ``train[:10%]``) only
that split is read and val/test are carved from it.
"""
from __future__ import annotations

import numpy as np

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


def load_tfds(spec: str, data_dir=None):
    """Raw parts, class names (None when labels are not classes) and modality.

    Example:
        >>> with tfds.testing.mock_data(num_examples=20):
        ...     parts, names, modality = load_tfds("mnist")
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
    return parts, names, None
