"""Rebuild a Keras model with a plan's layer edits, as a new functional model.

Sequential models are walked layer by layer, Functional ones (branches, shared
layers) with `keras.models.clone_model(clone_function=, call_function=)`. Each
user layer is recreated from its (edited) config, extra layers go right after
it, and its weights are copied when their shapes still fit. The user's model is
only read. Edits see top-level layers only: a nested model (e.g. a pretrained
backbone used as one layer) is recreated whole, weights included.
"""
from __future__ import annotations

import keras

from recipes.setup import LayerSpec

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


def _producer(tensor):
    # Keras records the layer that made a symbolic tensor in `_keras_history`.
    return tensor._keras_history.operation


def head_layers(model) -> set[int]:
    """ids of the output layers plus the weight-free layers (Activation, Reshape...) that
    sit between each output and the last layer with weights: none of them is "hidden"."""
    head = set()
    for output in model.outputs:
        layer = _producer(output)
        head.add(id(layer))
        while not layer.weights and isinstance(layer.input, keras.KerasTensor):
            layer = _producer(layer.input)
            if isinstance(layer, keras.layers.InputLayer):
                break
            head.add(id(layer))
    return head


class _Rebuilder:
    """The clone and call functions, sharing what they learned about each layer."""

    def __init__(self, edits, head, dtype_policy, entry):
        self.edits, self.head, self.dtype_policy = edits, head, dtype_policy
        self.entry = entry  # id(new input tensor) -> tensor to feed instead (e.g. normalized)
        self.after = {}  # id(new layer) -> layers to call right after it
        self.copies = []  # (user layer, new layer, keep weights)

    def clone(self, layer):
        spec = LayerSpec(source=layer, config=layer.get_config(), kind=layer_kind(layer),
                         in_head=id(layer) in self.head)
        for edit in self.edits:
            edit(spec)
        extra = {}
        if self.dtype_policy and "dtype" in spec.config:
            # Loss and outputs stay float32 for numerical stability: the head runs in float32.
            spec.config["dtype"] = "float32" if spec.in_head else self.dtype_policy
            extra = {"dtype": self.dtype_policy}
        new = layer.__class__.from_config(spec.config)
        self.after[id(new)] = [cls(**{**extra, **kwargs}) for cls, kwargs in spec.after]
        self.copies.append((layer, new, spec.keep_weights))
        return new

    def call(self, layer, *args, **kwargs):
        args = keras.tree.map_structure(lambda a: self.entry.get(id(a), a), args)
        out = layer(*args, **kwargs)
        for extra in self.after[id(layer)]:
            out = extra(out)
        return out

    def copy_weights(self):
        for source, new, keep in self.copies:
            old = source.get_weights()
            if keep and [w.shape for w in old] == [tuple(w.shape) for w in new.weights]:
                new.set_weights(old)


def rebuild(model, setup, x_train=None) -> keras.Model:
    """A new functional model: `model` with `setup`'s input layers, layer edits and dtype policy.

    Args:
        model: a built Sequential or Functional keras.Model (not modified).
        setup: the plan's `TrainingSetup`.
        x_train: training inputs, for input layers that adapt (Normalization).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"plan.build needs a keras.Model, got {type(model).__name__}")
    try:  # a tensor, list or dict; unbuilt Sequential and subclassed models have none
        user_input = model.inputs[0] if isinstance(model, keras.Sequential) else model.input
    except (AttributeError, ValueError, TypeError, IndexError):
        user_input = None
    if user_input is None:
        raise ValueError(f"model {model.name!r} has no input graph: start a Sequential with "
                         "keras.Input(shape=...) (or call model.build(input_shape)); subclassed "
                         "models must be rewritten functionally")
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(batch_shape=t.shape, dtype=t.dtype, name=_producer(t).name), user_input)
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
    builder = _Rebuilder(edits, head_layers(model), setup.dtype_policy, entry)
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
