"""A folder of images as file lists, decoded per batch by tf.data: never the whole folder in memory.

Layouts:
- ``DIR/CLASS/...``: one pool, split by `advisor.data.assemble.build_file_dataset`;
- ``DIR/train/CLASS/...`` plus ``DIR/val|validation|test/CLASS/...``: the
  folder's own splits are kept; classes are matched by folder name.

One scan decodes every file once in a parallel tf.data pass (about 4,000
224x224 JPEGs/s on 2 cores): it names corrupt files up front, finds mixed image
sizes, and fingerprints each file's bytes for the duplicate and leakage counts.
Image size and colour mode come from the first image (capped at
`MAX_IMAGE_SIDE`, aspect kept); pixels stay 0..255 floats so the profile sees
the real scale.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import numpy as np

from advisor.data.streamed import StreamedSplits
from advisor.errors import AdvisorError

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what tf.io.decode_image reads
MAX_IMAGE_SIDE = 256  # larger photos are resized: a CNN trained here would not use the detail
SPLIT_DIRS = {"train": "train", "val": "val", "validation": "val", "test": "test"}
_SCAN_BATCH = 256
FINGERPRINT_BYTES = 8  # tf.fingerprint (farmhash): collisions among 50,000 files ~ 1e-10


@dataclasses.dataclass
class ImageFiles(StreamedSplits):
    """File paths, labels and byte fingerprints per split, and how to decode them."""

    paths: dict[str, np.ndarray]  # split -> file paths (str)
    labels: dict[str, np.ndarray]  # split -> int64 class ids
    fingerprints: dict[str, np.ndarray]  # split -> 8-byte fingerprint of each file's bytes
    image_size: tuple[int, int]
    channels: int
    resize: bool  # some images differ from image_size

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (*self.image_size, self.channels)

    def stream(self, split: str, shuffle_seed: int | None = None):
        """Unbatched (x float32 HxWxC, y int64) decoded in parallel, in file order or,
        with `shuffle_seed`, in a new order each pass (the file list is shuffled, not pixels)."""
        import tensorflow as tf

        files = tf.data.Dataset.from_tensor_slices((self.paths[split], self.labels[split]))
        if shuffle_seed is not None:
            files = files.shuffle(len(self.paths[split]), seed=shuffle_seed, reshuffle_each_iteration=True)
        return files.map(lambda path, label: (self._decode(path), label), num_parallel_calls=tf.data.AUTOTUNE)

    def subset(self, split: str, indices) -> "ImageFiles":
        """The files at `indices` of one split (the only split of the result)."""
        indices = np.asarray(indices, np.int64)
        return dataclasses.replace(self, paths={split: self.paths[split][indices]},
                                   labels={split: self.labels[split][indices]},
                                   fingerprints={split: self.fingerprints[split][indices]})

    def _decode(self, path):
        import tensorflow as tf

        image = tf.io.decode_image(tf.io.read_file(path), channels=self.channels, expand_animations=False)
        image = tf.image.resize(image, self.image_size) if self.resize else tf.cast(image, tf.float32)
        return tf.ensure_shape(image, self.input_shape)


def list_class_files(directory: Path) -> tuple[list[str], list[int], list[str], list[str]]:
    """(paths, class ids, class names, ignored non-image files) of one DIR/CLASS/... tree."""
    classes = sorted(p.name for p in directory.iterdir() if p.is_dir())
    if not classes:
        raise AdvisorError(f"{directory} has no class sub-folders; put images in {directory}/CLASS_NAME/")
    paths, labels, ignored, empty = [], [], [], []
    for label, name in enumerate(classes):
        found = []
        for root, dirs, files in os.walk(directory / name, followlinks=True):
            dirs.sort()
            for file in sorted(files):
                target = found if file.lower().endswith(IMAGE_SUFFIXES) else ignored
                target.append(os.path.join(root, file))
        if not found:
            empty.append(name)
        paths += found
        labels += [label] * len(found)
    if len(empty) == len(classes):
        raise AdvisorError(f"no images found in the class sub-folders of {directory} "
                           f"(looked for {', '.join(IMAGE_SUFFIXES)})")
    if empty:
        raise AdvisorError(f"class folder {directory / empty[0]} holds no images"
                           f"{f' (nor {len(empty) - 1} more)' if len(empty) > 1 else ''}; "
                           "add images to it or remove it")
    return paths, labels, classes, ignored


def scan(paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(fingerprints, shapes) of every file, decoding each once; names the first unreadable one."""
    import tensorflow as tf

    def inspect(index, path):
        data = tf.io.read_file(path)
        image = tf.io.decode_image(data, expand_animations=False)
        return index, tf.fingerprint(data[None])[0], tf.shape(image)

    files = tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), paths))
    scanned = files.map(inspect, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors().batch(_SCAN_BATCH)
    indices, fingerprints, shapes = [], [], []
    for index, fingerprint, shape in scanned.as_numpy_iterator():
        indices.append(index)
        fingerprints.append(fingerprint)
        shapes.append(shape)
    read = np.concatenate(indices) if indices else np.zeros(0, np.int64)
    if len(read) < len(paths):
        bad = np.setdiff1d(np.arange(len(paths)), read)
        more = f" (and {len(bad) - 1:,} more of {len(paths):,})" if len(bad) > 1 else ""
        raise AdvisorError(f"cannot read image {paths[bad[0]]}{more}: {_reason(paths[bad[0]])}; "
                           "fix or remove the file")
    return np.concatenate(fingerprints).view(f"S{FINGERPRINT_BYTES}").ravel(), np.concatenate(shapes)


def _reason(path: str) -> str:
    import tensorflow as tf

    try:
        tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
        return re.sub(r"\{\{.*?\}\}|\[Op:.*", "", e.message).strip().splitlines()[0][:120].rstrip(".")
    return "it failed to decode"


def image_format(shapes: np.ndarray) -> tuple[tuple[int, int], int, bool, list[str]]:
    """(size, channels, resize, notes): the first image's format, capped at MAX_IMAGE_SIDE."""
    h, w, c = (int(v) for v in shapes[0])
    scale = min(1.0, MAX_IMAGE_SIDE / max(h, w))
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    sizes = np.unique(shapes[:, :2], axis=0)
    notes = []
    if len(sizes) > 1:
        notes.append(f"images come in {len(sizes)} sizes; all are resized to {size[0]}x{size[1]} "
                     "(the first image's)")
    elif scale < 1:
        notes.append(f"images are {h}x{w}; resized to {size[0]}x{size[1]} (at most {MAX_IMAGE_SIDE} a side)")
    return size, c, len(sizes) > 1 or scale < 1, notes


def load_image_folder(path: Path):
    """({split: (paths, labels, fingerprints)}, class names, a `make` for
    `build_streamed_dataset`, input shape, notes) of a folder of images.

    Example:
        >>> parts, names, make, shape, notes = load_image_folder(Path("flowers"))  # doctest: +SKIP
    """
    subdirs = {p.name: p for p in path.iterdir() if p.is_dir()}
    split_layout = "train" in subdirs and set(subdirs) <= set(SPLIT_DIRS)
    listed = {SPLIT_DIRS[d]: list_class_files(p) for d, p in subdirs.items()} if split_layout \
        else {"train": list_class_files(path)}
    names = sorted(set().union(*(n for _, _, n, _ in listed.values())))
    order, ignored = list(listed), [f for *_, skipped in listed.values() for f in skipped]
    fingerprints, shapes = scan([p for s in order for p in listed[s][0]])
    prints = np.split(fingerprints, np.cumsum([len(listed[s][0]) for s in order])[:-1])
    parts = {}
    for split, split_prints in zip(order, prints):
        paths, labels, split_names, _ = listed[split]
        remap = np.array([names.index(n) for n in split_names])
        parts[split] = (np.array(paths), remap[np.array(labels, np.int64)], split_prints)
    size, channels, resize, notes = image_format(shapes)
    if ignored:
        notes.append(f"ignored {len(ignored):,} file(s) that are not images "
                     f"({', '.join(IMAGE_SUFFIXES)}), e.g. {ignored[0]}")

    def make(columns, origin):
        paths, labels, fingerprints = ({s: c[i] for s, c in columns.items()} for i in range(3))
        return ImageFiles(paths, labels, fingerprints, size, channels, resize)

    return parts, names, make, (*size, channels), notes
