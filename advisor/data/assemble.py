"""Build a `Dataset` from the splits a source gives: check, encode labels, carve missing splits.

Every loader ends here, so these rules hold for every source:
- the source's own splits are kept; a missing test split is carved from train
  first, then a missing val split, stratified by class with a fixed seed
  (`sklearn.model_selection.train_test_split`);
- fractions are of the pool being split (all of train when both are missing);
- x becomes float32, y int64 class ids (float32 for regression).
"""
from __future__ import annotations

import numpy as np

from advisor.data.dataset import Dataset, DatasetInfo, SPLITS
from advisor.data.labels import check_class_ids, encode_labels
from advisor.errors import AdvisorError


def infer_modality(x: np.ndarray) -> str:
    """Modality from the array rank (Keras conventions).

    (N, F) -> tabular; (N, H, W, C) -> image; (N, S, S) with S >= 8 -> a
    single-channel image saved without its channel axis (e.g. MNIST as
    (N, 28, 28)); any other (N, T, F) -> sequence.
    """
    if x.ndim == 2:
        return "tabular"
    if x.ndim == 4:
        return "image"
    if x.ndim == 3:
        return "image" if x.shape[1] == x.shape[2] >= 8 else "sequence"
    raise AdvisorError(
        f"inputs must be (N, features), (N, steps, features) or (N, H, W, C) arrays, got shape {x.shape}")


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 <= f < 1:
            raise AdvisorError(f"{name} must be in [0, 1), got {f}")
    if val_fraction + test_fraction >= 1:
        raise AdvisorError(
            f"val_fraction + test_fraction must be below 1 to leave training data, got "
            f"{val_fraction} + {test_fraction}")


def _carve(x, y, n_out: int, seed: int, stratify: bool):
    """Split n_out samples off (x, y); stratified when every class allows it."""
    from sklearn.model_selection import train_test_split

    if n_out == 0:
        return (x, y), (x[:0], y[:0])
    try:
        xa, xb, ya, yb = train_test_split(
            x, y, test_size=n_out, random_state=seed, stratify=y if stratify else None)
    except ValueError:
        # Classes with a single sample (or more classes than n_out) cannot be
        # stratified; a plain shuffled split still works and the profile then
        # reports any class missing from a split.
        xa, xb, ya, yb = train_test_split(x, y, test_size=n_out, random_state=seed)
    return (xa, ya), (xb, yb)


def _check_class_task(name: str, class_names, task) -> None:
    if task == "regression":
        raise AdvisorError(f"{name} has class labels ({len(class_names)} classes); task='regression' "
                           "does not apply to it")


def _carve_missing(pool_y, has_val: bool, has_test: bool, val_fraction, test_fraction, seed, stratify, name):
    """Indices (train, val, test) into a pool of len(pool_y) samples; None for a split the source has."""
    pool = len(pool_y)
    n_test = round(test_fraction * pool) if not has_test else 0
    n_val = round(val_fraction * pool) if not has_val else 0
    if pool - n_test - n_val < 1:
        raise AdvisorError(
            f"{name} has only {pool:,} training samples, too few to carve val/test splits; add data or "
            "lower val_fraction/test_fraction")
    train, test, val = (np.arange(pool), pool_y), None, None
    if not has_test:
        train, (test, _) = _carve(*train, n_test, seed, stratify)
    if not has_val:
        train, (val, _) = _carve(*train, n_val, seed, stratify)
    return train[0], val, test


def build_streamed_dataset(name: str, parts: dict, class_names: list[str], input_shape, make, notes=(), *,
                           modality: str = "image", task: str | None = None, val_fraction: float = 0.15,
                           test_fraction: float = 0.15, seed: int = 0) -> Dataset:
    """A streamed `Dataset`: the same carving rules as `build_dataset`, on sample ids instead of arrays.

    Args:
        parts: {split: (ids, class ids, fingerprints)} as the source gives them
            (ids: file paths, or record indices into that split).
        input_shape: one decoded sample's shape.
        make: make(columns, origin) -> the `StreamedSplits` backing, from
            columns {split: (ids, labels, fingerprints)} for all three splits and
            origin {split: the part its ids came from} (a carved split's is "train").
        notes: what loading changed or skipped, said once.
        task: None or "classification" (the labels are classes); "regression" is refused.
    """
    _check_fractions(val_fraction, test_fraction)
    _check_class_task(name, class_names, task)
    columns = {s: (np.asarray(ids), np.asarray(y, np.int64), np.asarray(f)) for s, (ids, y, f) in parts.items()}
    keeps = _carve_missing(columns["train"][1], "val" in parts, "test" in parts, val_fraction,
                           test_fraction, seed, stratify=True, name=name)
    origin = {s: s for s in parts}
    pool = columns["train"]
    for split, keep in zip(SPLITS, keeps):
        if keep is not None:
            columns[split], origin[split] = tuple(column[keep] for column in pool), "train"
    info = DatasetInfo(name=name, modality=modality, input_shape=tuple(int(d) for d in input_shape),
                       task="binary" if len(class_names) == 2 else "multiclass", num_classes=len(class_names),
                       class_names=[str(c) for c in class_names],
                       counts={s: int(len(columns[s][1])) for s in SPLITS}, notes=list(notes))
    return Dataset(arrays=None, info=info, records=make(columns, origin), seed=seed)


def build_dataset(name: str, parts: dict, *, modality: str | None = None, class_names=None,
                  task: str | None = None, val_fraction: float = 0.15, test_fraction: float = 0.15,
                  seed: int = 0) -> Dataset:
    """Check and complete the splits of one source into a `Dataset`.

    Args:
        name: dataset name shown in reports.
        parts: {"train": (x, y), optional "val"/"test": (x, y)} raw arrays.
        modality: "image"/"tabular"/"sequence"; inferred from x's rank when None.
        class_names: when the source knows its classes, y must already be ids.
        task: None (infer), "classification" or "regression" (see `labels`).
        val_fraction, test_fraction, seed: how missing splits are carved.

    Example:
        >>> ds = build_dataset("toy", {"train": (np.random.rand(100, 3), np.arange(100) % 2)})
        >>> ds.info.counts
        {'train': 70, 'val': 15, 'test': 15}
    """
    _check_fractions(val_fraction, test_fraction)
    unknown = set(parts) - set(SPLITS)
    if "train" not in parts or unknown:
        raise AdvisorError(f"{name}: splits must include train and only {SPLITS}, got {sorted(parts)}")
    xs, ys = {}, {}
    for split, (x, y) in parts.items():
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype.kind not in "iufb":
            raise AdvisorError(f"{name}: {split} inputs must be numeric arrays, got dtype {x.dtype}")
        if x.ndim < 2:
            raise AdvisorError(f"{name}: {split} inputs need a feature axis, (N, features...), got shape "
                               f"{x.shape}; for one feature per sample use x.reshape(-1, 1)")
        if len(x) == 0:
            raise AdvisorError(f"{name}: {split} inputs hold no samples (shape {x.shape}); give at least one")
        if len(x) != len(y):
            raise AdvisorError(
                f"{name}: {split} has {len(x):,} inputs but {len(y):,} labels; they must match one to one")
        xs[split], ys[split] = x, y
    shapes = {split: x.shape[1:] for split, x in xs.items()}
    if len(set(shapes.values())) > 1:
        raise AdvisorError(f"{name}: splits have different input shapes {shapes}; they must match")

    order = list(xs)
    y_all = np.concatenate([ys[s] for s in order])
    what = f"labels of {name}"
    if class_names is not None:
        _check_class_task(name, class_names, task)
        y_all = check_class_ids(y_all, len(class_names), what)
        task_name = "binary" if len(class_names) == 2 else "multiclass"
        class_names = [str(c) for c in class_names]
    else:
        y_all, task_name, class_names = encode_labels(y_all, task, what)
    bounds = np.cumsum([len(ys[s]) for s in order])[:-1]
    ys = dict(zip(order, np.split(y_all, bounds)))

    keeps = _carve_missing(ys["train"], "val" in xs, "test" in xs, val_fraction, test_fraction, seed,
                           stratify=task_name != "regression", name=name)
    pool = xs["train"], ys["train"]
    for split, keep in zip(SPLITS, keeps):
        if keep is not None:
            xs[split], ys[split] = pool[0][keep], pool[1][keep]

    y_dtype = np.float32 if task_name == "regression" else np.int64
    arrays = {s: (np.ascontiguousarray(xs[s], dtype=np.float32), ys[s].astype(y_dtype)) for s in SPLITS}
    x_train = arrays["train"][0]
    info = DatasetInfo(
        name=name,
        modality=modality or infer_modality(x_train),
        input_shape=tuple(int(d) for d in x_train.shape[1:]),
        task=task_name,
        num_classes=0 if task_name == "regression" else len(class_names),
        class_names=list(class_names),
        counts={s: int(len(arrays[s][0])) for s in SPLITS},
    )
    if info.modality == "image" and x_train.ndim == 3:  # (N, H, W) -> (N, H, W, 1)
        arrays = {s: (x[..., None], y) for s, (x, y) in arrays.items()}
        info.input_shape = info.input_shape + (1,)
    return Dataset(arrays=arrays, info=info)
