"""Read a folder of images, one sub-folder per class (`keras.utils.image_dataset_from_directory`).

Layouts:
- ``DIR/CLASS/*.png``: one pool, split by `build_dataset`;
- ``DIR/train/CLASS/...`` plus ``DIR/val|validation|test/CLASS/...``: the
  folder's own splits are kept; classes are matched by folder name.
Image size and colour mode come from the first image (capped at
`MAX_IMAGE_SIDE`, aspect kept); pixels stay 0..255 floats so the profile sees
the real scale.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from advisor.errors import AdvisorError

MAX_IMAGE_SIDE = 256  # keeps an in-memory folder of photos within RAM
_SPLIT_DIRS = {"train": "train", "val": "val", "validation": "val", "test": "test"}
_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}
_BATCH = 256


def _first_image_format(paths: list[str]):
    import tensorflow as tf

    image = _decode(tf, paths[0])
    h, w, c = image.shape
    scale = min(1.0, MAX_IMAGE_SIDE / max(h, w))
    return (max(1, round(h * scale)), max(1, round(w * scale))), _COLOR_MODES.get(c, "rgb")


def _decode(tf, path: str):
    try:
        return tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
        reason = re.sub(r"\{\{.*?\}\}|\[Op:.*", "", e.message).strip().splitlines()[0][:120]
        raise AdvisorError(f"cannot read image {path}: {reason}; "
                           "fix or remove the file") from None


def _read_split(directory: Path):
    """(x, y, class_names) of one DIR/CLASS/* tree; names the first unreadable file."""
    import keras
    import tensorflow as tf

    subdirs = sorted(p for p in directory.iterdir() if p.is_dir())
    if not subdirs:
        raise AdvisorError(f"{directory} has no class sub-folders; put images in {directory}/CLASS_NAME/")
    try:
        probe = keras.utils.image_dataset_from_directory(
            directory, batch_size=None, shuffle=False, verbose=False, image_size=(8, 8))
    except ValueError as e:
        raise AdvisorError(f"{directory}: {str(e).splitlines()[0]}") from None
    paths = list(probe.file_paths)
    if not paths:
        raise AdvisorError(f"{directory} holds no images (.png, .jpg, .jpeg, .bmp, .gif)")
    size, color_mode = _first_image_format(paths)
    ds = keras.utils.image_dataset_from_directory(
        directory, batch_size=_BATCH, shuffle=False, verbose=False, image_size=size, color_mode=color_mode)
    xs, ys = [], []
    iterator = iter(ds)
    for batch_index in range(len(ds)):
        try:
            x, y = next(iterator)
        except tf.errors.InvalidArgumentError:
            # The pipeline is ordered, so the bad file is in this batch: find it.
            for path in paths[batch_index * _BATCH:(batch_index + 1) * _BATCH]:
                _decode(tf, path)
            raise AdvisorError(f"cannot read the images of {directory}") from None
        xs.append(x.numpy())
        ys.append(y.numpy())
    return np.concatenate(xs), np.concatenate(ys), list(ds.class_names)


def load_image_folder(path: Path):
    """Raw parts, class names and modality ("image") of an image folder.

    Example:
        >>> parts, names, modality = load_image_folder(Path("flowers"))  # flowers/roses/*.jpg ...
    """
    subdirs = {p.name: p for p in path.iterdir() if p.is_dir()}
    split_layout = "train" in subdirs and set(subdirs) <= set(_SPLIT_DIRS)
    if not split_layout:
        x, y, names = _read_split(path)
        return {"train": (x, y)}, names, "image"
    raw = {_SPLIT_DIRS[d]: _read_split(p) for d, p in subdirs.items()}
    names = sorted(set().union(*(n for _, _, n in raw.values())))
    parts = {}
    for split, (x, y, split_names) in raw.items():
        remap = np.array([names.index(n) for n in split_names])
        parts[split] = (x, remap[y])
    shapes = {s: p[0].shape[1:] for s, p in parts.items()}
    if len(set(shapes.values())) > 1:
        raise AdvisorError(f"{path}: splits have different image formats {shapes}; use one size and colour mode")
    return parts, names, "image"
