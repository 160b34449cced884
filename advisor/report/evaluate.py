"""Test-split metrics for the final model, computed by scikit-learn."""
from __future__ import annotations

import numpy as np


def evaluate(model, x, y: np.ndarray, task: str, class_names: list[str] | None = None,
             batch_size: int = 256) -> dict:
    """Accuracy, macro-F1, per-class precision/recall and the confusion matrix
    (classification), or MAE/RMSE (regression), on held-out data.

    `x` is an array or a batched tf.data stream of inputs in the order of `y`
    (`Dataset.inputs`): predictions accumulate batch by batch, so a split
    streamed from disk is scored without holding its images.

    Example:
        metrics = evaluate(model, x_test, y_test, "multiclass")
        metrics["accuracy"], metrics["macro_f1"]
    """
    from sklearn import metrics as skm

    batching = {"batch_size": batch_size} if isinstance(x, np.ndarray) else {}
    out = np.asarray(model.predict(x, verbose=0, **batching), dtype=np.float64)
    if task == "regression":
        pred = out.reshape(len(y))
        err = pred - y.astype(np.float64)
        return {"task": task, "n": int(len(y)), "mae": float(np.abs(err).mean()),
                "rmse": float(np.sqrt((err ** 2).mean()))}
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    else:  # one sigmoid unit (or logit): positive class when above the midpoint
        flat = out.reshape(len(y))
        threshold = 0.5 if flat.min() >= 0 and flat.max() <= 1 else 0.0
        pred = (flat > threshold).astype(np.int64)
    labels = list(range(len(class_names))) if class_names else sorted(set(y.tolist()) | set(pred.tolist()))
    names = class_names or [str(i) for i in labels]
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=0)
    return {
        "task": task,
        "n": int(len(y)),
        "accuracy": float(skm.accuracy_score(y, pred)),
        "macro_f1": float(skm.f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {names[i]: {"precision": float(precision[i]), "recall": float(recall[i]),
                                 "f1": float(f1[i]), "support": int(support[i])}
                      for i in range(len(labels))},
        "confusion_matrix": skm.confusion_matrix(y, pred, labels=labels).tolist(),
        "class_names": names,
    }
