"""LossForLabels: the loss the model was compiled with, in the form that takes class ids."""
from __future__ import annotations

import keras

from recipes.base import Recipe
from recipes.compile_parts import is_regression, loss_name
from recipes.losses.sparse_labels import SparseCategoricalFocalCrossentropy, SparseSmoothedCrossentropy
from recipes.registry import register


DENSE_LABEL_LOSSES = ("categorical_crossentropy", "categorical_focal_crossentropy")


def takes_class_ids(loss) -> bool:
    """Whether `loss` (a string, function or Loss) reads integer class ids: the sparse
    cross-entropies, binary cross-entropy (a 0/1 label per sample), and this package's
    id-taking subclasses; categorical cross-entropy wants one-hot rows.

    Example:
        >>> takes_class_ids("categorical_crossentropy"), takes_class_ids(SparseSmoothedCrossentropy())
        (False, True)
    """
    if isinstance(loss, (SparseSmoothedCrossentropy, SparseCategoricalFocalCrossentropy)):
        return True
    return loss_name(loss) not in DENSE_LABEL_LOSSES


def label_mismatch(loss, units: int | None, output_activation: str | None = None) -> str | None:
    """Why `loss` cannot train on integer class ids at an output `units` wide, or None
    when it can (or when a head/loss mismatch, not the labels, is the problem).

    Example:
        >>> label_mismatch("categorical_crossentropy", 3)[:40]
        'categorical_crossentropy reads one-hot l'
        >>> label_mismatch("sparse_categorical_crossentropy", 3) is None
        True
    """
    name, units = loss_name(loss), units or 0
    binary, multi = name.startswith("binary") and "crossentropy" in name, "categorical" in name
    if not takes_class_ids(loss) and units > 1:
        return (f"{name} reads one-hot labels {units} wide, but the labels are class ids (one-hot rows "
                f"are read as ids): its sparse form takes them, the model stays as written")
    if binary and units == 2:
        return f"{name} over a 2-unit output needs one-hot rows: sparse categorical cross-entropy takes the class ids"
    if multi and units == 1 and output_activation != "softmax":
        return (f"{name} over a single unit is 0 whatever the model predicts: binary cross-entropy trains a "
                f"1-unit {output_activation or 'linear'} output")
    return None


@register
class LossForLabels(Recipe):
    """Keep the model as written and give it the loss that fits integer class ids
    and its output width: categorical cross-entropy becomes its sparse form (its
    label smoothing or focal settings kept), a cross-entropy over a single
    sigmoid unit becomes binary cross-entropy, binary cross-entropy over a
    2-unit softmax becomes sparse categorical cross-entropy. `from_logits`
    follows the model's loss.

    When to use: integer labels with `categorical_crossentropy` (Keras: "Arguments
    `target` and `output` must have the same rank"), one of the most asked Keras
    errors; a 2-unit softmax compiled with binary cross-entropy; a 1-unit
    sigmoid compiled with categorical cross-entropy (which is 0 whatever the
    prediction). With one-hot labels, `np.argmax(y, axis=1)` gives the class ids.

    Example:
        >>> import keras
        >>> from recipes import LossForLabels, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "categorical_crossentropy")
        >>> model = Plan([LossForLabels()]).build(my_model)
        >>> type(model.loss).__name__
        'SparseCategoricalCrossentropy'
    """

    name = "loss_for_labels"
    slot = "loss"

    def __init__(self):
        pass  # nothing to configure: the loss follows the model's

    def apply(self, setup):
        return setup.replace(loss=self.loss_for)

    def loss_for(self, head):
        if head.loss is not None and is_regression(head):
            raise ValueError(f"'loss_for_labels' is for classification; the model's loss is {loss_name(head.loss)!r}")
        if head.units == 1:
            return keras.losses.BinaryCrossentropy(from_logits=head.from_logits)
        config = head.loss.get_config() if isinstance(head.loss, keras.losses.Loss) else {}
        if "focal" in loss_name(head.loss):
            return SparseCategoricalFocalCrossentropy(gamma=config.get("gamma", 2.0), alpha=config.get("alpha", 0.25),
                                                      from_logits=head.from_logits)
        if config.get("label_smoothing"):
            return SparseSmoothedCrossentropy(label_smoothing=config["label_smoothing"], from_logits=head.from_logits)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=head.from_logits)
