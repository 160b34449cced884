"""`LayerGraph`: who feeds whom in a model, read from its public config.

A Functional model's `get_config()` lists, for each layer, every call of it
(its inbound nodes) with the tensors it took, each named by the layer that made
it (`keras_history`). That is the graph the recipes need (which layer follows
which, what stands between the last kernel layer and the output, whether the
model is one plain chain), read without Keras's private node attributes. A
Sequential model is its layers in order.
"""
from __future__ import annotations

import dataclasses

import keras


@dataclasses.dataclass
class LayerGraph:
    """`layers` by name; `calls[name]`: per call of that layer, the names of the layers
    whose outputs it took, in order; `inputs` / `outputs`: the input and output layer names.

    Example:
        >>> x = keras.Input((4,), name="x")
        >>> h = keras.layers.Dense(8, name="h")(x)
        >>> model = keras.Model(x, keras.layers.Dense(2, name="out")(h))
        >>> graph = LayerGraph.of(model)
        >>> graph.producers("out"), graph.consumers("x"), graph.chain()
        (['h'], ['h'], ['h', 'out'])
    """

    layers: dict
    calls: dict
    inputs: list
    outputs: list

    @classmethod
    def of(cls, model) -> "LayerGraph":
        layers = {layer.name: layer for layer in model.layers}
        if isinstance(model, keras.Sequential):
            names = [layer.name for layer in model.layers]
            first = model.get_config()["layers"][0]
            entry = first["config"]["name"] if first.get("class_name") == "InputLayer" else "input"
            calls = {name: [[before]] for name, before in zip(names, [entry] + names[:-1])}
            return cls(layers, calls, [entry], names[-1:])
        config = model.get_config()
        calls = {entry["name"]: [_tensor_sources(node) for node in entry.get("inbound_nodes", [])]
                 for entry in config["layers"]}
        return cls(layers, calls, _names(config["input_layers"]), _names(config["output_layers"]))

    def producers(self, name: str) -> list[str]:
        """The layers whose outputs `name` takes, over all its calls, each once."""
        return list(dict.fromkeys(source for call in self.calls.get(name, []) for source in call))

    def consumers(self, name: str) -> list[str]:
        """The layers that take `name`'s output (once per call that does)."""
        return [user for user, calls in self.calls.items() for call in calls if name in call]

    def chain(self) -> list[str] | None:
        """The layer names in call order (inputs left out) if the model is one chain: one
        input, one output, every layer called once on one tensor, none shared; else None."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return None
        order, current = [], self.inputs[0]
        while current != self.outputs[0]:
            users = self.consumers(current)
            if len(users) != 1 or len(self.calls[users[0]]) != 1 or len(self.calls[users[0]][0]) != 1:
                return None
            current = users[0]
            order.append(current)
        callable_layers = [n for n, calls in self.calls.items() if calls]
        return order if len(order) == len(callable_layers) else None


def _tensor_sources(node) -> list[str]:
    """The producing layer names of every tensor in one inbound node's arguments."""
    found = []

    def walk(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found.append(value["config"]["keras_history"][0])
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk([node.get("args", []), node.get("kwargs", {})])
    return found


def _names(spec) -> list[str]:
    """Layer names of a config's `input_layers` / `output_layers` ([name, node, tensor]
    entries, possibly nested in lists or dicts)."""
    if isinstance(spec, dict):
        return [name for value in spec.values() for name in _names(value)]
    if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
        return [spec[0]]
    return [name for item in spec or [] for name in _names(item)]
