"""HeadLossPairing: the output activation and the loss that belong together, for the task."""
from __future__ import annotations

import dataclasses

import keras

from recipes.base import Recipe, check_choice
from recipes.compile_parts import is_regression, loss_name
from recipes.registry import register
from recipes.training_setup import ACTIVATION_STAGE
from recipes.losses.sparse_labels import SparseSmoothedCrossentropy

TASKS = ("auto", "classification", "multiclass", "binary", "regression")
HEAD_ACTIVATION = {"multiclass": "softmax", "binary": "sigmoid", "regression": "linear"}


def _probabilities(loss):
    """`loss` reading probabilities: a Loss object with from_logits=True is recreated without it."""
    if isinstance(loss, keras.losses.Loss) and loss.get_config().get("from_logits"):
        return type(loss).from_config({**loss.get_config(), "from_logits": False})
    return loss  # strings and functions take probabilities


@register
class HeadLossPairing(Recipe):
    """Pair the output activation with the loss: softmax + categorical cross-entropy,
    sigmoid + binary cross-entropy, linear + a regression loss.

    When to use: a wrong pairing - sigmoid over C classes with a categorical
    loss, softmax over one unit, logits with from_logits=False, probabilities
    with from_logits=True, a squashing regression output [UM]; [AT]'s TDSC
    extension repairs these the same way. The output layer (or the Activation
    layer after it) gets the task's activation, any other activation in the
    head becomes linear; the model's loss is kept when it already suits the
    task (with from_logits=False), else it becomes cross-entropy that takes
    int class ids and one-hot rows alike (binary: BinaryCrossentropy;
    regression: mean squared error). Loss recipes later in the plan
    (FocalLoss, LabelSmoothing) build on the repaired pairing. Multi-label
    (several sigmoid units with binary cross-entropy) is not a task it knows.

    Args:
        task: "multiclass" (softmax over C > 1 units), "binary" (sigmoid over
            one unit), "regression" (linear), "classification" (multiclass or
            binary by the number of output units), or "auto" (regression when
            the model's loss is a regression loss, else classification).

    Example:
        >>> import keras
        >>> from recipes import HeadLossPairing, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="sigmoid")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([HeadLossPairing(task="classification")]).build(my_model)
        >>> model.layers[-1].get_config()["activation"]   # sigmoid over 3 classes -> softmax
        'softmax'
    """

    name = "output_head"

    def __init__(self, task: str = "auto"):
        self.task = check_choice(self, "task", task, TASKS)

    def apply(self, setup):
        return setup.replace(layer_edits=setup.layer_edits + ((ACTIVATION_STAGE, self._edit),),
                             head_pairing=self.pair)

    def task_for(self, head) -> str:
        """The concrete task ("multiclass", "binary" or "regression") for the output `head`."""
        task = self.task
        if task == "auto":
            task = "regression" if is_regression(head) else "classification"
        if task == "classification":
            task = "multiclass" if head.units > 1 else "binary"
        if task == "multiclass" and head.units < 2:
            raise ValueError(f"'output_head': task 'multiclass' needs one output unit per class; the model's "
                             f"output has {head.units} unit - use task='binary' or widen the output layer")
        if task == "binary" and head.units != 1:
            raise ValueError(f"'output_head': task 'binary' needs a 1-unit output; the model's output has "
                             f"{head.units} units - use task='multiclass' or a Dense(1) output")
        return task

    def pair(self, head):
        """The output as the loss recipes should see it: the paired loss, probabilities out."""
        task, name = self.task_for(head), loss_name(head.loss)
        if task == "regression":
            loss = head.loss if is_regression(head) else keras.losses.MeanSquaredError()
            return dataclasses.replace(head, loss=loss, from_logits=False)
        if task == "binary":
            fits = "binary" in name and "crossentropy" in name
            loss = _probabilities(head.loss) if fits else keras.losses.BinaryCrossentropy()
        else:
            fits = "categorical" in name and "crossentropy" in name
            loss = _probabilities(head.loss) if fits else SparseSmoothedCrossentropy(label_smoothing=0.0)
        return dataclasses.replace(head, loss=loss, from_logits=False)

    def _edit(self, spec):
        if not spec.in_head:
            return
        if spec.head is None:
            raise ValueError("'output_head' needs a single-output model")
        target = HEAD_ACTIVATION[self.task_for(spec.head)]
        if spec.head_activation:
            if "activation" in spec.config:
                spec.config["activation"] = target
            elif target == "softmax" and isinstance(spec.source, keras.layers.Softmax):
                pass
            elif not spec.source.weights:  # ReLU(), LeakyReLU(), ELU(), Softmax(): an Activation layer now
                kept = {key: spec.config[key] for key in ("name", "trainable", "dtype") if key in spec.config}
                spec.layer_class, spec.config = keras.layers.Activation, {**kept, "activation": target}
            else:
                raise ValueError(f"'output_head': the output ends in a {type(spec.source).__name__} layer, "
                                 f"which has weights and cannot become {target}; use Activation(...) or the "
                                 f"output layer's activation instead")
        elif spec.activation not in (None, "linear"):
            spec.config["activation"] = "linear"  # the head's final activation is the only one
