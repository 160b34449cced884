"""`TrainingSetup`: everything a plan decides about training, before anything is built.

Recipes are pure functions `apply(setup) -> setup` (they return
`setup.replace(...)`, never mutate). Things that need the model or the data are
stored as small callables that `Plan.build` / `Plan.transform` call later, in
the one order that works: strategy scope and dtype policy, then the model
transforms (layers added), the model rebuild with the layer edits, then compile.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

# Layer edits run in this order whatever the order of the plan, because later
# edits read what earlier ones decided: the initializer and batch norm need the
# final activation, and dropout goes after batch norm + activation. Layer sizes
# come first so every later edit sees the final shape.
SIZE_STAGE = 5
ACTIVATION_STAGE = 10
INITIALIZER_STAGE = 20
REGULARIZER_STAGE = 30
NORMALIZATION_STAGE = 40
DROPOUT_STAGE = 50


@dataclasses.dataclass
class LayerSpec:
    """One layer of the user's model as the rebuild is about to recreate it.

    Layer edits (see `TrainingSetup.layer_edits`) change `config` (and
    `layer_class` with it), append layers to `after`, may clear `keep_weights`,
    and update `next_activation` when they change the activation of the layer
    it names; nothing else.
    """

    source: Any  # the user's layer: read it, never change it
    config: dict  # the new layer is made from this
    kind: str  # "dense", "conv", "activation" or "other"
    in_head: bool  # the output layer, or a weight-free layer between it and the model output
    after: list = dataclasses.field(default_factory=list)  # (layer class, kwargs), called in order
    keep_weights: bool = True  # copy the user's weights when their shapes still fit
    layer_class: Any = None  # the new layer is made by layer_class.from_config(config); the source's class
    # For a layer with a linear activation: the activation of the Activation layer its output
    # reaches through weight-free and normalization layers (Dense -> BN -> Activation("relu")),
    # None if another kernel layer or the model output comes first.
    next_activation: str | None = None
    head_activation: bool = False  # its activation is the model output's final one
    head: OutputHead | None = None  # the user's single output (None for multi-output models)

    @property
    def hidden_kernel_layer(self) -> bool:
        """A Dense/Conv layer that is not the output layer."""
        return self.kind in ("dense", "conv") and not self.in_head

    @property
    def activation(self) -> str | None:
        """The layer's activation name ("relu", ...) or None (custom callables too)."""
        value = self.config.get("activation")
        return value if isinstance(value, str) else None

    @property
    def effective_activation(self) -> str | None:
        """The non-linearity applied to this layer's output: its own, else `next_activation`."""
        own = self.activation
        return own if own not in (None, "linear") else (self.next_activation or own)


@dataclasses.dataclass(frozen=True)
class OutputHead:
    """What loss and metric recipes need to know about the model's single output."""

    units: int  # last-axis size: 1 for binary, C for C classes
    from_logits: bool
    loss: Any = None  # the default loss (the compiled one or build(loss=...)), may be None


@dataclasses.dataclass(frozen=True)
class TrainingSetup:
    """The training decisions of a plan; every field has a do-nothing default."""

    dtype_policy: str | None = None  # e.g. "mixed_bfloat16"; None keeps each layer's policy
    strategy: Callable[[], Any] | None = None  # () -> tf.distribute.Strategy
    input_layers: tuple = ()  # (x_train ndarray | None) -> keras layer placed right after the input
    model_transforms: tuple = ()  # keras.Model -> new keras.Model, before the layer edits (e.g. Depth)
    layer_edits: tuple = ()  # (stage, edit(LayerSpec) -> None)
    freezes: tuple = ()  # rebuilt keras.Model -> None, sets layers' `trainable` before compile (FineTune)
    optimizer: str | None = None  # Keras optimizer class name; None keeps the model's (or Adam)
    optimizer_kwargs: dict = dataclasses.field(default_factory=dict)
    optimizer_options: dict = dataclasses.field(default_factory=dict)  # e.g. clipnorm, on any optimizer
    lr_factor: float = 1.0  # multiplies the optimizer's learning rate
    lr_schedule: Callable | None = None  # (base_lr, steps_per_epoch, epochs) -> LearningRateSchedule
    loss: Callable[[OutputHead], Any] | None = None
    # Rewrites what the loss recipe is told about the output (HeadLossPairing: the paired loss,
    # from_logits=False), so loss recipes later in the plan build on the repaired pairing.
    head_pairing: Callable[[OutputHead], OutputHead] | None = None
    metrics: Callable[[OutputHead], list] | None = None
    callbacks: tuple = ()  # () -> keras.callbacks.Callback (fresh per fit)
    fit_options: tuple = ()  # (y_train ndarray) -> dict of extra model.fit kwargs
    sample_transforms: tuple = ()  # tf.data.Dataset -> Dataset on the unbatched training stream
    batch_transforms: tuple = ()  # tf.data.Dataset -> Dataset on the batched training stream
    batch_size: int = 32  # global: a strategy splits it across replicas

    def replace(self, **changes) -> "TrainingSetup":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)
