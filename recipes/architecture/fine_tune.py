"""FineTune: Keras's transfer-learning procedure on a pretrained model.

Freeze the base, train the head, then unfreeze the top of the base and go on
at a lower learning rate (the Keras guide "Transfer learning & fine-tuning").
"""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.architecture.rebuild import head_layers
from recipes.registry import register

NORMALIZATION_LAYERS = (keras.layers.BatchNormalization, keras.layers.LayerNormalization,
                        keras.layers.GroupNormalization)


@register
class FineTune(Recipe):
    """Train the head on a frozen base first, then the base's top layers at LR / `lr_drop`.

    When to use: the model carries pretrained weights and the data are small
    (S1, S4: "a pre-trained model and its parameters"; "freeze part of the
    network"): training every layer from the first step lets the large
    gradients of an untrained head wreck the pretrained features.

    The base is every layer with weights before the head (the output layer),
    or up to and including `freeze_until`. For the first `head_epochs` epochs
    of a fit only the head trains; then the top `unfreeze_top` layers of the
    base with weights become trainable and the optimizer starts again at its
    learning rate divided by `lr_drop`. Normalization layers (BatchNorm...)
    stay frozen throughout, so BatchNorm keeps running in inference mode with
    its pretrained statistics (the guide's advice).

    Args:
        head_epochs: epochs of the first phase (head only), >= 1.
        unfreeze_top: layers of the base unfrozen in the second phase (0:
            only the head ever trains).
        lr_drop: divisor of the learning rate for the second phase (>= 1).
        freeze_until: name of the last layer of the base; "" for every layer
            before the head.

    Example:
        >>> import keras, numpy as np
        >>> from recipes import FineTune, Plan
        >>> pretrained = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                                keras.layers.Dense(8, activation="relu"),
        ...                                keras.layers.Dense(3, activation="softmax")])
        >>> pretrained.compile("adam", "sparse_categorical_crossentropy")
        >>> plan = Plan([FineTune(head_epochs=1, unfreeze_top=1)])
        >>> model = plan.build(pretrained)
        >>> tuple(layer.trainable for layer in model.layers[1:])   # only the head trains in the first epoch
        (False, False, True)
        >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32"); y = np.arange(32) % 3
        >>> history = model.fit(x, y, epochs=1, verbose=0, **plan.fit_kwargs())   # then epochs > head_epochs
    """

    name = "fine_tune"

    def __init__(self, head_epochs: int = 3, unfreeze_top: int = 2, lr_drop: float = 10.0,
                 freeze_until: str = ""):
        self.head_epochs = check_number(self, "head_epochs", head_epochs, 1, integer=True)
        self.unfreeze_top = check_number(self, "unfreeze_top", unfreeze_top, 0, integer=True)
        self.lr_drop = check_number(self, "lr_drop", lr_drop, 1)
        if not isinstance(freeze_until, str):
            raise ValueError(f"'{self.name}': freeze_until must be a layer name, got {freeze_until!r}")
        self.freeze_until = freeze_until

    def apply(self, setup):
        return setup.replace(freezes=setup.freezes + (self.freeze,), callbacks=setup.callbacks + (self.callback,))

    def search_space(self, hp):
        return self.replace(head_epochs=self.tune_int(hp, "head_epochs", 1, 6),
                            unfreeze_top=self.tune_int(hp, "unfreeze_top", 0, 4),
                            lr_drop=self.tune_choice(hp, "lr_drop", [3.0, 10.0, 30.0]))

    def base(self, model) -> list:
        """The base's layers with weights, in model order (ValueError for an unknown `freeze_until`)."""
        head = head_layers(model)
        layers = [layer for layer in model.layers if layer.weights and id(layer) not in head]
        if self.freeze_until:
            names = [layer.name for layer in model.layers]
            if self.freeze_until not in names:
                raise ValueError(f"'{self.name}': freeze_until names no layer of the model: {self.freeze_until!r} "
                                 f"(its layers: {', '.join(names)})")
            last = names.index(self.freeze_until)
            layers = [layer for layer in layers if names.index(layer.name) <= last]
        return layers

    def freeze(self, model) -> None:
        """Phase one on the rebuilt model (before compile): the base does not train."""
        for layer in self.base(model):
            layer.trainable = False

    def callback(self):
        return _Unfreeze(self)


class _Unfreeze(keras.callbacks.Callback):
    """At epoch `head_epochs` (or on resuming past it): unfreeze the top of the
    base, and restart the optimizer from its config at LR / lr_drop (new
    trainable variables need optimizer slots of their own)."""

    def __init__(self, recipe: FineTune):
        super().__init__()
        self.recipe, self.done = recipe, False

    def on_epoch_begin(self, epoch, logs=None):
        if self.done or epoch < self.recipe.head_epochs:
            return
        self.done = True
        top = [layer for layer in self.recipe.base(self.model)
               if not isinstance(layer, NORMALIZATION_LAYERS)][-self.recipe.unfreeze_top:] \
            if self.recipe.unfreeze_top else []
        if not top:
            return
        for layer in top:
            layer.trainable = True
        old = self.model.optimizer
        config = old.get_config()
        inner = config["inner_optimizer"]["config"] if "inner_optimizer" in config else config  # loss scaling
        inner["learning_rate"] = float(keras.ops.convert_to_numpy(old.learning_rate)) / self.recipe.lr_drop
        with self.model.distribute_strategy.scope():
            new = type(old).from_config(config)
            new.build(self.model.trainable_variables)  # outside the traced step
        self.model.optimizer = new
        self.model.make_train_function(force=True)
