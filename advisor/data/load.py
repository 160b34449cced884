"""`load(spec)`: one entry point for every data source the advisor reads."""
from __future__ import annotations

from pathlib import Path

from advisor.data.assemble import build_dataset, build_streamed_dataset
from advisor.data.builtin import BUILTIN_NAMES, load_builtin, unknown_builtin_message
from advisor.data.dataset import Dataset
from advisor.errors import AdvisorError

_FILE_KINDS = (".csv", ".npz")


def load(spec: str, *, target: str | None = None, data_dir: str | None = None,
         val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 0,
         task: str | None = None) -> Dataset:
    """Load a dataset by name or path into train/val/test splits.

    Image folders and TFDS image datasets stream from disk (decoded per batch);
    every other source is read into arrays (they fit in memory: the largest
    built-in is 70,000 28x28 images, 220 MB as float32).

    When to use: first step of every command; the result feeds `profile`,
    the probe and training.

    Args:
        spec: a built-in name (`BUILTIN_NAMES`), ``"tfds:NAME[:SPLIT]"``,
            a ``.csv`` file (with `target`), an ``.npz`` file (arrays x, y and
            optional x_val/y_val, x_test/y_test) or a folder of class sub-folders
            of images.
        target: the CSV column holding the labels.
        data_dir: where prepared TFDS data lives (nothing is downloaded).
        val_fraction, test_fraction: share carved for splits the source lacks.
        seed: fixes the carving, so the same call gives the same splits.
        task: None to infer; "classification" or "regression" to force.

    Raises:
        AdvisorError: a one-line message naming what was wrong and the fix.

    Example:
        >>> ds = load("digits")
        >>> ds.info.input_shape, sum(ds.info.counts.values())
        ((8, 8, 1), 1797)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise AdvisorError(f"data spec must be a name or path, got {spec!r}")
    if target is not None and not spec.lower().endswith(".csv"):
        raise AdvisorError(f"--target {target!r} only applies to .csv files, not {spec!r}")
    if data_dir is not None and not spec.startswith("tfds:"):
        raise AdvisorError(f"--data-dir only applies to tfds:NAME datasets, not {spec!r}")
    if spec.startswith("tfds:"):
        from advisor.data.tfds_source import load_tfds

        kind, parts, class_names, *rest = load_tfds(spec[len("tfds:"):], data_dir)
        if kind == "streamed":
            make, shape, notes = rest
            return build_streamed_dataset(spec, parts, class_names, shape, make, notes, task=task,
                                          val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)
        modality, name = rest[0], spec
    elif spec in BUILTIN_NAMES:
        parts, class_names, modality = load_builtin(spec)
        name = spec
    else:
        path = Path(spec).expanduser()
        name = path.name or spec
        if path.is_dir():
            return _load_folder(path, name, task, val_fraction, test_fraction, seed)
        parts, class_names, modality = _load_path(path, spec, target)
    return build_dataset(name, parts, modality=modality, class_names=class_names, task=task,
                         val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)


def _load_folder(path: Path, name: str, task, val_fraction, test_fraction, seed) -> Dataset:
    """A folder of class sub-folders of images, streamed from disk (`advisor.data.image_files`)."""
    from advisor.data.image_files import load_image_folder

    parts, names, make, shape, notes = load_image_folder(path)
    return build_streamed_dataset(name, parts, names, shape, make, notes, task=task, val_fraction=val_fraction,
                                  test_fraction=test_fraction, seed=seed)


def _load_path(path: Path, spec: str, target):
    if not path.exists():
        looks_like_path = "/" in spec or "\\" in spec or path.suffix != ""
        if looks_like_path:
            raise AdvisorError(f"no such file or folder: {spec}")
        raise AdvisorError(unknown_builtin_message(spec))
    if path.stat().st_size == 0:
        raise AdvisorError(f"{spec} is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from advisor.data.csv_source import load_csv

        return load_csv(path, target), None, "tabular"
    if suffix == ".npz":
        from advisor.data.npz_source import load_npz

        return load_npz(path), None, None
    raise AdvisorError(f"cannot read {spec}: supported files are {', '.join(_FILE_KINDS)} "
                       "(or give an image folder, a built-in name or tfds:NAME)")
