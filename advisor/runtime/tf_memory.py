"""Free what TensorFlow keeps of every model traced for training.

Keras's optimizer all-reduces the gradients on each trace of the train step,
even on one device, and that goes through `tf.custom_gradient`, which adds a
closure to TensorFlow's process-wide gradient registry and never removes it.
The closure holds the traced graph, so each build+fit leaves about 7.6 MB
behind that neither `clear_session()` nor gc can free (tensorflow#97697; the
fix, tensorflow#109334, is not in TF 2.21). A tuner builds and fits a model per
trial, so its memory grew without bound.

Dropping the entries added since a snapshot frees those graphs. Safe once they
are traced: the registry is read while tracing the gradient, not when Keras
runs the traced step again. It is a private registry: if TensorFlow changes
it, these functions do nothing (and the memory test says so).
"""
from __future__ import annotations

PREFIX = "CustomGradient-"


def _registry() -> dict:
    try:
        from tensorflow.python.framework import ops

        return ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return {}


def custom_gradients() -> frozenset[str]:
    """The custom-gradient entries registered so far (a snapshot)."""
    return frozenset(k for k in _registry() if k.startswith(PREFIX))


def forget_custom_gradients(keep: frozenset[str]) -> int:
    """Remove the custom-gradient entries not in `keep`; returns how many.
    Call between trials, when the models traced since `keep` are done."""
    registry = _registry()
    stale = [k for k in registry if k.startswith(PREFIX) and k not in keep]
    for key in stale:
        del registry[key]
    return len(stale)
