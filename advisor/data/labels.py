"""Turn raw targets into class ids (or regression floats), and say which task it is.

The rule, applied to all splits of a source together so ids agree:
- text, bool or object targets are class labels; classes are the sorted values;
- numeric targets are **regression** when forced with ``task="regression"``, or
  when they are floats with at least one non-whole value and more than
  `REGRESSION_MIN_DISTINCT` distinct values (e.g. prices, temperatures);
- every other numeric target is classification and must hold whole numbers
  (``0, 1, 2`` or ``-1, 1`` or ``3.0, 7.0``); ids are the sorted distinct values.
"""
from __future__ import annotations

import numpy as np

from advisor.errors import AdvisorError

# Fewer distinct float values than this look like class codes, not measurements.
REGRESSION_MIN_DISTINCT = 20
TASK_CHOICES = (None, "classification", "regression")


def _preview(values, limit: int = 5) -> str:
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def _as_1d(y: np.ndarray, what: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if y.ndim == 2 and y.dtype.kind in "iufb" and np.isin(y, (0, 1)).all() and (y.sum(1) == 1).all():
        return y.argmax(1)  # one-hot rows
    if y.ndim != 1:
        raise AdvisorError(
            f"{what} must be one label per sample (1-D), got shape {y.shape}; "
            "give class ids or one-hot rows")
    return y


def encode_labels(y, task: str | None = None, what: str = "labels"):
    """Class ids (int64) or regression targets (float32), the task and class names.

    When to use: by every loader, on all splits concatenated, before splitting.

    Args:
        y: raw targets, 1-D (or one-hot / a single column).
        task: None to infer (module docstring), "classification" or "regression".
        what: how to name the targets in error messages (e.g. "column 'label'").

    Returns:
        (y_encoded, task in {"binary","multiclass","regression"}, class_names)

    Example:
        >>> encode_labels(np.array(["cat", "dog", "cat"]))[0]
        array([0, 1, 0])
    """
    if task not in TASK_CHOICES:
        raise AdvisorError(f"task must be one of classification, regression or unset, got {task!r}")
    y = _as_1d(np.asarray(y), what)
    if len(y) == 0:
        raise AdvisorError(f"{what} are empty: the data has no samples")
    if y.dtype.kind in "OUSb":
        missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in y]) \
            if y.dtype.kind == "O" else np.zeros(len(y), bool)
        if missing.any():
            raise AdvisorError(
                f"{missing.sum():,} of {len(y):,} {what} are missing (NaN/None); drop or fill those rows")
        if task == "regression":
            raise AdvisorError(f"{what} are not numbers (e.g. {_preview(y)}), so they cannot be regression targets")
        y = y.astype(str)
        return _to_classes(y, what)
    if y.dtype.kind not in "iuf":
        raise AdvisorError(f"{what} have unsupported dtype {y.dtype}; give numbers or text labels")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            raise AdvisorError(
                f"{bad.sum():,} of {len(y):,} {what} are NaN or infinite; drop or fill those rows")
    whole = y.dtype.kind in "iu" or bool(np.all(y == np.round(y)))
    if task == "regression" or (task is None and not whole and len(np.unique(y)) > REGRESSION_MIN_DISTINCT):
        return y.astype(np.float32), "regression", []
    if not whole:
        odd = np.unique(y[y != np.round(y)])
        raise AdvisorError(
            f"{what} are not whole numbers (e.g. {_preview(odd)}): for classification use integer class ids, "
            f"for regression pass task='regression' (--task regression)")
    return _to_classes(y, what)


def _to_classes(y: np.ndarray, what: str):
    values, ids = np.unique(y, return_inverse=True)
    if len(values) < 2:
        raise AdvisorError(
            f"{what} hold a single class ({_preview(values)}) in all {len(y):,} samples; "
            "a classifier needs at least 2 classes")
    if values.dtype.kind == "f":
        names = [str(int(v)) for v in values]
    else:
        names = [str(v) for v in values]
    task = "binary" if len(values) == 2 else "multiclass"
    return ids.astype(np.int64), task, names


def check_class_ids(y, num_classes: int, what: str = "labels") -> np.ndarray:
    """Validate labels that a source already gives as ids 0..num_classes-1.

    Example:
        >>> check_class_ids(np.array([0, 2, 1]), 3)
        array([0, 2, 1])
    """
    y = _as_1d(np.asarray(y), what)
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise AdvisorError(f"{(~np.isfinite(y)).sum():,} {what} are NaN or infinite; drop those samples")
        if not np.all(y == np.round(y)):
            raise AdvisorError(f"{what} are not whole class ids (e.g. {_preview(y[y != np.round(y)])})")
    elif y.dtype.kind not in "iu":
        raise AdvisorError(f"{what} must be integer class ids, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise AdvisorError(f"{what} must lie in 0..{num_classes - 1}, found {y.min()}..{y.max()}")
    present = np.unique(y)
    if len(present) < 2:
        raise AdvisorError(
            f"{what} hold a single class (id {_preview(present)}) in all {len(y):,} samples; "
            "a classifier needs at least 2 classes")
    return y
