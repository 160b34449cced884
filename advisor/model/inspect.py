"""Static model inspection: what the model is, and what is wrong with it before training.

When to use: `inspect_model` gives the `ModelProfile` the rule engine reads;
`model_findings` turns it into `Finding`s (source "model") per docs/references.md#knowledge-4.
No training and no data beyond `DatasetInfo`.

Example:
    >>> from advisor.data import load
    >>> info = load("iris").info
    >>> inputs = keras.Input((4,))
    >>> model = keras.Model(inputs, keras.layers.Dense(3, activation="sigmoid")(inputs))
    >>> model.compile(loss="sparse_categorical_crossentropy")
    >>> profile = inspect_model(model, info)
    >>> [f.name for f in model_findings(profile, info)]
    ['loss_output_mismatch']
"""
from __future__ import annotations

import dataclasses
from typing import Any

import keras
import numpy as np

from advisor.findings import Finding
from advisor.thresholds import Thresholds, resolve
from recipes.architecture.activation import DEAD_ZONE, RELU_FAMILY, SATURATING
from recipes.compile_parts import loss_name_and_logits
from recipes.losses.for_labels import label_mismatch
from recipes.architecture.depth import is_plain_stack
from recipes.architecture.rebuild import layer_activation

MULTI_CE = {"categorical_crossentropy", "sparse_categorical_crossentropy",
            "categorical_focal_crossentropy", "sparse_categorical_focal_crossentropy"}
BINARY_CE = {"binary_crossentropy", "binary_focal_crossentropy"}
REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh",
                     "mean_squared_logarithmic_error", "mean_absolute_percentage_error"}
# Layers that do not change which activation BN sees (for bn_after_activation).
_PASS_THROUGH = (keras.layers.Dropout, keras.layers.Flatten, keras.layers.Reshape,
                 keras.layers.MaxPooling1D, keras.layers.MaxPooling2D, keras.layers.MaxPooling3D,
                 keras.layers.AveragePooling1D, keras.layers.AveragePooling2D)


@dataclasses.dataclass
class LayerInfo:
    """One layer as the checks see it; `activation` is the one applied after it."""

    name: str
    type: str
    computing: bool  # has a kernel (Dense, Conv, ...)
    activation: str | None = None
    kernel_init: str | None = None  # "he", "glorot", "lecun", "zeros", "constant", "other"
    kernel_constant: bool = False  # every kernel entry equal (zeros included)
    kernel_scale: float | None = None  # the kernel's standard deviation x sqrt(fan-in)
    dropout_rate: float | None = None
    batchnorm: bool = False
    bn_after: str | None = None  # for BN layers: the activation right before it


@dataclasses.dataclass
class ModelProfile:
    """What the model is: the fields the rule engine reads, plus per-layer detail."""

    num_params: int
    depth: int  # number of Dense/Conv-like (kernel-bearing) layers
    hidden_activations: list[str]
    output_activation: str | None
    loss: str | None
    from_logits: bool | None
    optimizer: str | None
    learning_rate: float | None
    has_batchnorm: bool
    has_dropout: bool
    max_dropout_rate: float
    compiled: bool = True
    plain_stack: bool = False  # one chain of layers with a hidden Dense (recipes.architecture.depth can deepen it)
    output_units: int | None = None
    n_train: int = 0
    params_per_sample: float | None = None
    layers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    trained_weights: str | None = None  # why the weights look trained, or None for a fresh model
    # A new head on a trained base: the head's fresh kernel layers, and the base's top kernel layer.
    new_head: list[str] = dataclasses.field(default_factory=list)
    base_top: str | None = None
    input_scaling: str | None = None  # the Rescaling/Normalization layer scaling the input first, if any
    label_mismatch: str | None = None  # why the loss cannot read class ids (the labels the advisor feeds)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def activation_name(layer) -> str | None:
    """Name of the non-linearity a layer applies, or None if it applies none: an
    activation layer's (`Activation`, `ReLU`, `ELU`...), else its own `activation`."""
    named = layer_activation(layer)
    if named is not None:
        return named
    fn = getattr(layer, "activation", None)
    return getattr(fn, "__name__", None) if callable(fn) else None


def _init_kind(init) -> str:
    kind = type(init).__name__
    if kind == "Zeros":
        return "zeros"
    if kind in ("Ones", "Constant"):
        return "constant"
    if isinstance(init, keras.initializers.VarianceScaling):
        if init.scale == 2.0 and init.mode == "fan_in":
            return "he"
        if init.scale == 1.0:
            return {"fan_avg": "glorot", "fan_in": "lecun"}.get(init.mode, "other")
    return "other"


def describe_layers(model) -> list[LayerInfo]:
    """Layers in order (nested models flattened), with activations folded onto
    the kernel layer they follow (Dense(linear) -> Activation("relu") = relu)."""
    infos, last_computing, last_act = [], None, None
    for layer in _flat_layers(model):
        kernel = getattr(layer, "kernel", None)
        act = activation_name(layer)
        if kernel is not None:
            values = keras.ops.convert_to_numpy(kernel)
            fan_in = int(np.prod(values.shape[:-1])) if values.ndim > 1 else 0
            info = LayerInfo(layer.name, type(layer).__name__, True, act,
                             _init_kind(getattr(layer, "kernel_initializer", None)),
                             bool(values.size) and bool(np.all(values == values.flat[0])),
                             float(values.std() * np.sqrt(fan_in)) if fan_in and values.size > 1 else None)
            last_computing = info
        else:
            info = LayerInfo(layer.name, type(layer).__name__, False, act)
            if isinstance(layer, keras.layers.Dropout):
                info.dropout_rate = float(layer.rate)
            if isinstance(layer, keras.layers.BatchNormalization):
                info.batchnorm = True
                info.bn_after = last_act
            if act and last_computing is not None and last_computing.activation in (None, "linear"):
                last_computing.activation = act
        infos.append(info)
        if act or info.batchnorm or kernel is not None:
            last_act = act if act not in (None, "linear") else None
        elif not isinstance(layer, _PASS_THROUGH):
            last_act = None
    return infos


def _learning_rate(optimizer) -> float | None:
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None


def trained_weights(model: keras.Model) -> str | None:
    """Why `model`'s weights look trained, or None when they could be a fresh start.

    Two exact signs: its optimizer has taken steps (a `.keras` file saved after
    `fit` keeps the count), or a kernel holds a value its own initializer can
    never draw (Keras's uniform and truncated-normal VarianceScaling draws are
    bounded: He, Glorot and LeCun, the defaults).
    """
    optimizer = getattr(model, "optimizer", None)
    steps = int(keras.ops.convert_to_numpy(optimizer.iterations)) if optimizer is not None else 0
    if steps > 0:
        return f"its optimizer has taken {steps} training steps"
    return next((why for _, why in _kernel_evidence(model) if why), None)


def new_head(model: keras.Model) -> tuple[str | None, list[str]]:
    """(the base's top kernel layer, the trailing kernel layers that are fresh on
    a trained base): a new head put on a pretrained model (the Keras
    transfer-learning setup); (None, []) otherwise.

    Only kernel evidence can tell layers apart (optimizer steps say every layer
    trained): the base must hold a value no fresh draw can, and each head layer
    must be a VarianceScaling draw within its bound.
    """
    evidence = _kernel_evidence(model)
    head = []
    for layer, why in reversed(evidence):
        if why is not None or not isinstance(getattr(layer, "kernel_initializer", None),
                                             keras.initializers.VarianceScaling):
            break
        head.insert(0, layer.name)
    base = evidence[: len(evidence) - len(head)]
    return (base[-1][0].name, head) if head and any(why for _, why in base) else (None, [])


def _kernel_evidence(model) -> list[tuple]:
    """(layer, why it looks trained or None) for each layer with a kernel, in order."""
    found = []
    for layer in _flat_layers(model):
        init, kernel = getattr(layer, "kernel_initializer", None), getattr(layer, "kernel", None)
        if kernel is None:
            continue
        bound = _draw_bound(init, tuple(kernel.shape)) if isinstance(init, keras.initializers.VarianceScaling) \
            else None
        largest = float(np.abs(keras.ops.convert_to_numpy(kernel)).max()) if bound else 0.0
        found.append((layer, f"layer {layer.name}'s kernel holds {largest:.3g}, beyond the {bound:.3g} its "
                             f"{type(init).__name__} initializer can draw" if bound and largest > 1.001 * bound
                      else None))
    return found


def _draw_bound(init, shape: tuple) -> float | None:
    """The largest |value| `init` can draw for `shape` (None: unbounded)."""
    if len(shape) < 2:
        return None
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[init.mode]
    variance = init.scale / max(1.0, fan)
    if init.distribution == "uniform":
        return float(np.sqrt(3.0 * variance))
    if init.distribution == "truncated_normal":  # cut at 2 standard deviations of the rescaled normal
        return float(2.0 * np.sqrt(variance) / 0.87962566103423978)
    return None


def _flat_layers(model) -> list:
    flat = []
    for layer in model.layers:
        flat.extend(_flat_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return flat


def inspect_model(model: keras.Model, info, pretrained: bool = False) -> ModelProfile:
    """Read the model's structure and compile settings (static; no training).

    Args:
        model: a built Keras model (compiled or not).
        info: the `DatasetInfo` it will train on (for parameters per sample).
        pretrained: the user says its weights are trained (else `trained_weights` decides).
    """
    layers = describe_layers(model)
    computing = [layer for layer in layers if layer.computing]
    dropouts = [layer.dropout_rate for layer in layers if layer.dropout_rate is not None]
    compiled = bool(getattr(model, "compiled", False))
    loss, from_logits = loss_name_and_logits(model.loss) if compiled else (None, None)
    optimizer = model.optimizer if compiled else None
    n_train = int(info.counts.get("train", 0))
    num_params = int(model.count_params())
    base_top, head = new_head(model)
    units = int(model.outputs[0].shape[-1]) if getattr(model, "outputs", None) else None
    output = (computing[-1].activation or "linear") if computing else None
    return ModelProfile(
        num_params=num_params,
        depth=len(computing),
        hidden_activations=[layer.activation or "linear" for layer in computing[:-1]],
        output_activation=output,
        loss=loss,
        from_logits=from_logits,
        optimizer=type(optimizer).__name__.lower() if optimizer is not None else None,
        learning_rate=_learning_rate(optimizer) if optimizer is not None else None,
        has_batchnorm=any(layer.batchnorm for layer in layers),
        has_dropout=bool(dropouts),
        max_dropout_rate=max(dropouts, default=0.0),
        compiled=compiled,
        plain_stack=is_plain_stack(model),
        output_units=units,
        n_train=n_train,
        params_per_sample=num_params / n_train if n_train else None,
        layers=[dataclasses.asdict(layer) for layer in layers],
        trained_weights="the user says so (--pretrained)" if pretrained else trained_weights(model),
        base_top=base_top, new_head=head,
        input_scaling=_input_scaling(model),
        label_mismatch=label_mismatch(model.loss, units, output) if compiled and info.task != "regression" else None,
    )


def _input_scaling(model) -> str | None:
    """The scaling layer the input goes through before any layer with a kernel:
    such a model brings its own normalization (a Normalize recipe on top would
    feed it inputs it was not built, or pretrained, for)."""
    for layer in _flat_layers(model):
        if isinstance(layer, (keras.layers.Rescaling, keras.layers.Normalization)):
            return f"{layer.name} ({type(layer).__name__})"
        if getattr(layer, "kernel", None) is not None:
            return None
    return None


def _finding(name, severity, evidence, layer=None, **values) -> Finding:
    return Finding(name, severity, "model", evidence, values, layer)


def _output_pairing(p: ModelProfile, vals: dict) -> list[Finding]:
    """Output activation against loss and from_logits [UM] (first mismatch only)."""
    out, loss = p.output_activation, p.loss
    if out == "softmax" and loss in BINARY_CE:
        why = f"softmax output with {loss}: use sigmoid + binary CE, or softmax + categorical CE [UM]"
    elif out == "softmax" and p.output_units == 1:
        why = "softmax over a single unit always outputs 1.0; use sigmoid for binary outputs [UM]"
    elif out == "sigmoid" and loss in MULTI_CE and (p.output_units or 0) > 1:
        why = f"sigmoid output with multi-class {loss}: use softmax [UM]"
    elif out == "linear" and loss in MULTI_CE | BINARY_CE and p.from_logits is False:
        why = (f"linear output (logits) with {loss}(from_logits=False): set from_logits=True or add "
               f"softmax/sigmoid [UM]")
    elif out in ("softmax", "sigmoid") and p.from_logits:
        why = (f"{out} output with {loss}(from_logits=True): probabilities are treated as logits; "
               f"set from_logits=False [UM]")
    elif out not in (None, "linear", "softmax", "sigmoid") and loss in MULTI_CE | BINARY_CE and not p.from_logits:
        # relu, tanh, log_softmax ... heads give a cross-entropy no probabilities (negative or
        # unnormalized outputs): the loss clips them and training stalls at chance.
        why = (f"{out} output with {loss}: cross-entropy needs probabilities, use "
               f"{'softmax' if loss in MULTI_CE else 'sigmoid'} [UM]")
    else:
        return []
    return [_finding("loss_output_mismatch", "high", why, **vals)]


def _pairing_findings(p: ModelProfile, info) -> list[Finding]:
    """Output activation vs loss vs task [UM]; output units vs classes."""
    out, loss, found = p.output_activation, p.loss, []
    vals = {"output_activation": out, "loss": loss, "from_logits": p.from_logits}
    if loss in MULTI_CE | BINARY_CE and info.task == "regression":
        found.append(_finding("loss_output_mismatch", "high", f"{loss} is a classification loss but the "
                              f"task is regression; use mean_squared_error", **vals))
    elif loss in REGRESSION_LOSSES and info.task != "regression":
        found.append(_finding("loss_output_mismatch", "medium", f"{loss} on a {info.task} task; "
                              f"classification trains best with cross-entropy", **vals))
    if not found:  # when the loss is wrong for the task, output pairing would only repeat it
        found += _output_pairing(p, vals)
    units, expected = p.output_units, None
    if info.task == "multiclass" and units != info.num_classes:
        expected = info.num_classes
    elif info.task == "binary" and units not in (1, 2):
        expected = 1 if loss in BINARY_CE else 2
    elif info.task == "regression" and units != 1:
        expected = 1
    # Whatever else is wrong with the head, a loss that cannot read class ids fails on this data.
    why = p.label_mismatch if expected is None and info.task != "regression" else None
    if why:  # the loss recipe `loss_for_labels` fixes it and leaves the model as written
        found.append(_finding("label_loss_mismatch", "high", why, loss=loss, output_units=units))
    if expected is not None:
        found.append(_finding("output_units_mismatch", "high", f"output layer has {units} units but the "
                              f"{info.task} task with {info.num_classes} classes and {loss} needs {expected}",
                              output_units=units, expected_units=expected))
    if info.task == "regression" and out not in (None, "linear"):
        found.append(_finding("regression_output_activation", "medium", f"regression output uses {out}; "
                              f"a non-linear output bounds the predictions, use linear [UM]", output_activation=out))
    return found


def _layer_findings(p: ModelProfile, t: Thresholds) -> list[Finding]:
    """Per-layer issues: dropout, initializers, saturating stacks, BN placement."""
    found, layers = [], [LayerInfo(**d) for d in p.layers]
    computing = [layer for layer in layers if layer.computing]
    for layer in layers:
        if layer.dropout_rate is not None and layer.dropout_rate > t.high_dropout_rate:
            found.append(_finding("high_dropout", "medium", f"layer {layer.name}: dropout rate "
                                  f"{layer.dropout_rate:g} > {t.high_dropout_rate:g} [UM]", layer.name,
                                  rate=layer.dropout_rate, threshold=t.high_dropout_rate))
        if layer.bn_after:
            found.append(_finding("bn_after_activation", "low", f"layer {layer.name}: BatchNormalization "
                                  f"follows the {layer.bn_after} activation; put it before the activation (S2)",
                                  layer.name, activation=layer.bn_after))
    hidden = computing[:-1]
    if not p.trained_weights:  # a pretrained model's weights are not a start to judge
        found += _init_findings(hidden, t, several=len(computing) > 1)
    saturating = [layer.name for layer in hidden if layer.activation in SATURATING]
    if len(saturating) >= t.deep_saturating_layers and not p.has_batchnorm:
        found.append(_finding("deep_saturating_stack", "medium", f"{len(saturating)} hidden sigmoid/tanh "
                              f"layers without BatchNormalization (threshold {t.deep_saturating_layers:g}): "
                              f"gradients shrink through each (S3, S4)", saturating[0], layers=saturating))
    dead = [layer for layer in hidden if layer.activation in DEAD_ZONE]
    if dead:
        kinds = "/".join(sorted({layer.activation for layer in dead}))
        found.append(_finding("dead_zone_activation", "high", f"{len(dead)} hidden {kinds} layer(s) "
                              f"({', '.join(layer.name for layer in dead[:4])}): zero output or slope around "
                              f"zero, where freshly initialized units start, so they pass no gradient",
                              dead[0].name, layers=[layer.name for layer in dead]))
    return found


def _init_findings(hidden: list[LayerInfo], t: Thresholds, several: bool) -> list[Finding]:
    """Initialization: constant kernels, kernels far from their scale, initializers
    that do not suit the activation. Only meaningful for a fresh start."""
    found = []
    for layer in hidden:
        if layer.kernel_constant and several:
            what = "all zeros" if layer.kernel_init == "zeros" else "one constant value"
            found.append(_finding("zero_init", "high", f"layer {layer.name}: kernel is {what}, so its units "
                                  f"stay identical and cannot learn different features (S4)", layer.name,
                                  kernel_init=layer.kernel_init))
    factor = t.init_scale_factor
    off = [layer for layer in hidden if layer.kernel_scale and not layer.kernel_constant
           and not 1 / factor <= layer.kernel_scale <= factor]
    if off:
        scales = ", ".join(f"{layer.name} {layer.kernel_scale:.2g}x" for layer in off[:4])
        found.append(_finding("init_scale", "high", f"{len(off)} hidden layer(s) start with kernels far from the "
                              f"1/sqrt(fan-in) scale ({scales}; outside 1/{factor:g}x..{factor:g}x): the signal "
                              f"shrinks or explodes at every layer (S4)", off[0].name,
                              layers=[layer.name for layer in off], threshold=factor))
    expected = {"he": RELU_FAMILY, "glorot": SATURATING, "lecun": {"selu"}}
    for init, acts in expected.items():
        bad = [layer.name for layer in hidden if layer.activation in acts
               and layer.kernel_init not in (init, "zeros", "constant")]
        if bad:
            severity = "medium" if init == "lecun" else "low"
            kinds = sorted({layer.activation for layer in hidden if layer.name in bad})
            found.append(_finding("init_activation_mismatch", severity, f"{len(bad)} {'/'.join(kinds)} layer(s) "
                                  f"({', '.join(bad[:4])}) not {init}-initialized; {init} init suits "
                                  f"{'/'.join(sorted(acts))} (S3, S4)", bad[0], layers=bad, expected_init=init))
    return found


def model_findings(profile: ModelProfile, info, thresholds=None) -> list[Finding]:
    """Findings (source "model") about a model before it trains.

    Args:
        profile: from `inspect_model`.
        info: the `DatasetInfo` (task, classes, training-set size).
        thresholds: overrides for `advisor.thresholds` names.
    """
    t = resolve(thresholds)
    found = []
    if not profile.compiled:
        found.append(_finding("not_compiled", "medium", "the model is not compiled; the advisor compiles "
                              "it with Adam(1e-3) and the task's default loss"))
    if profile.trained_weights:
        fresh = profile.new_head
        head = (f"; its top layer{'s' if len(fresh) > 1 else ''} {', '.join(fresh)} "
                f"{'are' if len(fresh) > 1 else 'is'} fresh: a new head on a pretrained base"
                if fresh else "")
        found.append(_finding("pretrained_weights", "info", f"the model carries trained weights: "
                              f"{profile.trained_weights}{head}; initialization findings are skipped and no "
                              f"recipe re-initializes it without saying so", why=profile.trained_weights,
                              new_head=profile.new_head, base_top=profile.base_top))
    found += _pairing_findings(profile, info) + _layer_findings(profile, t)
    ratio = profile.params_per_sample
    if ratio is not None and ratio > t.params_per_sample:
        found.append(_finding("too_many_params", "medium", f"{profile.num_params:,} parameters for "
                              f"{profile.n_train:,} training samples ({ratio:.0f} per sample > "
                              f"{t.params_per_sample:g}): expect overfitting, slow steps (S0)",
                              num_params=profile.num_params, n_train=profile.n_train, per_sample=ratio))
    return found
