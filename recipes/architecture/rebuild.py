"""Rebuild a Keras model with a plan's layer edits, as a new functional model.

Sequential models are walked layer by layer, Functional ones (branches, shared
layers) with `keras.models.clone_model(clone_function=, call_function=)`, after
the plan's model transforms (which add layers, e.g. Depth). Each user layer is
recreated from its (edited) config, extra layers go right after it, and its
weights are copied when their shapes still fit (a resized layer and the layer
after it start fresh). The user's model is only read. Edits see top-level
layers only: a nested model (e.g. a pretrained backbone used as one layer) is
recreated whole, weights included.
"""
from __future__ import annotations

import inspect

import keras

from recipes.architecture.graph import LayerGraph
from recipes.compile_parts import output_head
from recipes.training_setup import LayerSpec

DENSE_LAYERS = (keras.layers.Dense, keras.layers.EinsumDense)
CONV_LAYERS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
               keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
               keras.layers.Conv3DTranspose)


def layer_kind(layer) -> str:
    if isinstance(layer, DENSE_LAYERS):
        return "dense"
    if isinstance(layer, CONV_LAYERS):
        return "conv"
    if isinstance(layer, keras.layers.Activation):
        return "activation"
    return "other"


def layer_activation(layer) -> str | None:
    """The activation an activation layer (Activation, ReLU, ELU...) applies, by its Keras name;
    None for any other layer."""
    if isinstance(layer, keras.layers.Activation):
        value = layer.get_config().get("activation")
        return value if isinstance(value, str) else None
    if isinstance(layer, keras.layers.ReLU):
        if layer.negative_slope:
            return "leaky_relu"
        return "relu6" if layer.max_value == 6 else "relu"
    return {keras.layers.LeakyReLU: "leaky_relu", keras.layers.ELU: "elu", keras.layers.PReLU: "prelu",
            keras.layers.Softmax: "softmax"}.get(type(layer))


NORMALIZATION_LAYERS = (keras.layers.BatchNormalization, keras.layers.LayerNormalization,
                        keras.layers.GroupNormalization, keras.layers.UnitNormalization)


def consumers(model) -> dict[int, list]:
    """id(layer) -> the layers of `model` that take its output (this model's own graph,
    not the layers' uses in other models)."""
    graph = LayerGraph.of(model)
    return {id(layer): [graph.layers[user] for user in graph.consumers(name) if user in graph.layers]
            for name, layer in graph.layers.items()}


def next_activation(layer, users: dict) -> str | None:
    """The activation `layer`'s output meets through weight-free and normalization layers
    (Dense -> BatchNormalization -> Activation("relu") gives "relu"); None when a layer with
    weights or the model output comes first."""
    todo, seen = list(users.get(id(layer), [])), set()
    while todo:
        nxt = todo.pop(0)
        if id(nxt) in seen:
            continue
        seen.add(id(nxt))
        name = layer_activation(nxt)
        if name not in (None, "linear"):
            return name
        if name == "linear" or not nxt.weights or isinstance(nxt, NORMALIZATION_LAYERS):
            todo += users.get(id(nxt), [])
    return None


def _head_chains(model) -> list[list]:
    """Per output: its layer, then the weight-free layers back to (and with) the last layer with weights."""
    graph, chains = LayerGraph.of(model), []
    for name in graph.outputs:
        layer = graph.layers[name]
        chain = [layer]
        while not layer.weights:
            sources = graph.producers(layer.name)
            if len(sources) != 1 or sources[0] not in graph.layers \
                    or isinstance(graph.layers[sources[0]], keras.layers.InputLayer):
                break
            layer = graph.layers[sources[0]]
            chain.append(layer)
        chains.append(chain)
    return chains


def head_layers(model) -> set[int]:
    """ids of the output layers plus the weight-free layers (Activation, Reshape...) that
    sit between each output and the last layer with weights: none of them is "hidden"."""
    return {id(layer) for chain in _head_chains(model) for layer in chain}


def head_activation_layers(model) -> set[int]:
    """ids of the layers that set each output's final activation: the one nearest the output
    that applies a non-linearity, else the nearest with an `activation` setting (logits)."""
    found = set()
    for chain in _head_chains(model):
        squashing = [layer for layer in chain if layer_activation(layer) not in (None, "linear")
                     or layer.get_config().get("activation") not in (None, "linear")]
        settable = [layer for layer in chain if "activation" in layer.get_config()]
        if squashing or settable:
            found.add(id((squashing or settable)[0]))
    return found


class _Rebuilder:
    """The clone and call functions, sharing what they learned about each layer."""

    def __init__(self, edits, model, dtype_policy, entry, output):
        self.edits, self.dtype_policy, self.output = edits, dtype_policy, output
        self.head, self.head_activation = head_layers(model), head_activation_layers(model)
        self.users = consumers(model)
        self.entry = entry  # id(new input tensor) -> tensor to feed instead (e.g. normalized)
        self.after = {}  # id(new layer) -> layers to call right after it
        self.copies = []  # (user layer, new layer, keep weights)

    def clone(self, layer):
        in_head = id(layer) in self.head
        spec = LayerSpec(source=layer, config=layer.get_config(), kind=layer_kind(layer), in_head=in_head,
                         next_activation=next_activation(layer, self.users), layer_class=type(layer),
                         head_activation=id(layer) in self.head_activation, head=self.output if in_head else None)
        for edit in self.edits:
            edit(spec)
        extra = {}
        if self.dtype_policy and "dtype" in spec.config:
            # Loss and outputs stay float32 for numerical stability: the head runs in float32.
            spec.config["dtype"] = "float32" if spec.in_head else self.dtype_policy
            extra = {"dtype": self.dtype_policy}
        new = spec.layer_class.from_config(spec.config)
        self.after[id(new)] = [cls(**{**extra, **kwargs}) for cls, kwargs in spec.after]
        self.copies.append((layer, new, spec.keep_weights))
        return new

    def call(self, layer, *args, **kwargs):
        args = keras.tree.map_structure(lambda a: self.entry.get(id(a), a), args)
        # A swapped layer (Softmax() -> Activation) takes only what its own call accepts (no `mask`).
        accepted = inspect.signature(layer.call).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        out = layer(*args, **kwargs)
        for extra in self.after[id(layer)]:
            out = extra(out)
        return out

    def copy_weights(self):
        for source, new, keep in self.copies:
            old = source.get_weights()
            if keep and [w.shape for w in old] == [tuple(w.shape) for w in new.weights]:
                new.set_weights(old)


def _graph_input(model):
    try:  # a tensor, list or dict; unbuilt Sequential and subclassed models have none
        return model.inputs[0] if isinstance(model, keras.Sequential) else model.input
    except (AttributeError, ValueError, TypeError, IndexError):
        return None


def rebuild(model, setup, x_train=None, loss=None) -> keras.Model:
    """A new functional model: `model` with `setup`'s model transforms, input layers, layer
    edits and dtype policy.

    Args:
        model: a built Sequential or Functional keras.Model (not modified).
        setup: the plan's `TrainingSetup`.
        x_train: training inputs, for input layers that adapt (Normalization).
        loss: the loss the model will be compiled with unless a recipe replaces it; output-head
            edits read it.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"plan.build needs a keras.Model, got {type(model).__name__}")
    user_input = _graph_input(model)
    if user_input is None:
        raise ValueError(f"model {model.name!r} has no input graph: start a Sequential with "
                         "keras.Input(shape=...) (or call model.build(input_shape)); subclassed "
                         "models must be rewritten functionally")
    if setup.model_transforms:
        for transform in setup.model_transforms:
            model = transform(model)
        user_input = _graph_input(model)
    entries = LayerGraph.of(model).inputs  # the input layers' names (a tensor's own name may differ)
    single = len(keras.tree.flatten(user_input)) == 1
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(batch_shape=t.shape, dtype=t.dtype, name=entries[0] if single else t.name), user_input)
    flat_inputs = keras.tree.flatten(inputs)
    entry = {}
    if setup.input_layers:
        if len(flat_inputs) != 1:
            raise ValueError(f"input layers (e.g. Normalize) need a single-input model, "
                             f"got {len(flat_inputs)} inputs")
        x = flat_inputs[0]
        for make_layer in setup.input_layers:
            x = make_layer(x_train)(x)
        entry[id(flat_inputs[0])] = x
    edits = [edit for _, edit in sorted(setup.layer_edits, key=lambda stage_edit: stage_edit[0])]
    try:
        output = output_head(model, loss)
    except ValueError:  # several outputs: loss and head recipes refuse them at compile
        output = None
    builder = _Rebuilder(edits, model, setup.dtype_policy, entry, output)
    if isinstance(model, keras.Sequential):
        x = inputs
        for layer in model.layers:
            x = builder.call(builder.clone(layer), x)
        new = keras.Model(inputs, x, name=model.name)
    else:
        new = keras.models.clone_model(model, input_tensors=inputs,
                                       clone_function=builder.clone, call_function=builder.call)
    builder.copy_weights()
    return new
