"""Depth: repeat the last hidden Dense block of a plain stack of layers."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number
from recipes.architecture.graph import LayerGraph
from recipes.architecture.rebuild import head_layers
from recipes.registry import register

# Layers that belong to the Dense layer before them: its activation, normalization, noise, dropout.
BLOCK_LAYERS = (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.ELU,
                keras.layers.PReLU, keras.layers.BatchNormalization, keras.layers.LayerNormalization,
                keras.layers.Dropout, keras.layers.AlphaDropout, keras.layers.GaussianDropout,
                keras.layers.GaussianNoise, keras.layers.ActivityRegularization)


def stack_layers(model) -> list | None:
    """The model's layers in call order if they form one chain (a Sequential, or a functional
    model with one input and one output, no branch, merge or shared layer), else None."""
    if isinstance(model, keras.Sequential):
        return list(model.layers)
    graph = LayerGraph.of(model)
    names = graph.chain()
    return [graph.layers[name] for name in names] if names is not None else None


def last_hidden_block(model, chain) -> tuple[int, int] | None:
    """(start, end) in `chain` of the last hidden Dense layer and the block layers after it."""
    head = head_layers(model)
    hidden = [i for i, layer in enumerate(chain)
              if isinstance(layer, keras.layers.Dense) and id(layer) not in head]
    if not hidden:
        return None
    start = end = hidden[-1]
    end += 1
    while end < len(chain) and isinstance(chain[end], BLOCK_LAYERS) and id(chain[end]) not in head:
        end += 1
    return start, end


def is_plain_stack(model) -> bool:
    """True if Depth can deepen `model`: one chain of layers with a hidden Dense layer."""
    try:
        chain = stack_layers(model)
        return chain is not None and last_hidden_block(model, chain) is not None
    except (AttributeError, ValueError):  # no graph (subclassed or unbuilt models)
        return False


@register
class Depth(Recipe):
    """Repeat the last hidden Dense block (the Dense layer with its activation,
    normalization and dropout layers) `extra` times, right before the output.

    When to use: underfitting in a plain stack of layers - the model cannot
    fit the training data and a deeper one may (S0: "bigger/deeper model";
    S2: grow depth gradually). The new layers start from fresh weights; the
    others keep theirs. Only for a Sequential model or a functional chain with
    no branch, merge or shared layer; anything else is refused at build time.

    Args:
        extra: how many copies of the block to add (0 adds none).

    Example:
        >>> import keras
        >>> from recipes import Depth, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([Depth(extra=1)]).build(my_model)
        >>> [layer.units for layer in model.layers[1:]]
        [8, 8, 3]
    """

    name = "depth"

    def __init__(self, extra: int = 1):
        self.extra = check_number(self, "extra", extra, 0, integer=True)

    def apply(self, setup):
        if self.extra == 0:
            return setup
        return setup.replace(model_transforms=setup.model_transforms + (self.deepen,))

    def search_space(self, hp):
        return self.replace(extra=self.tune_int(hp, "extra", 0, 3))

    def deepen(self, model) -> keras.Model:
        """A new functional model: `model`'s layers (copies, with their weights) and the repeats."""
        chain = stack_layers(model)
        if chain is None:
            raise ValueError(f"'depth': model {model.name!r} branches, merges or shares layers; Depth only "
                             f"deepens a plain stack (Sequential or one chain of layers)")
        block = last_hidden_block(model, chain)
        if block is None:
            raise ValueError(f"'depth': model {model.name!r} has no hidden Dense layer to repeat")
        start, end = block
        names = {layer.name for layer in chain}
        source = model.inputs[0]
        x = inputs = keras.Input(batch_shape=source.shape, dtype=source.dtype, name=LayerGraph.of(model).inputs[0])
        copies = []
        for i, layer in enumerate(chain):
            copy = type(layer).from_config(layer.get_config())
            x = copy(x)
            copies.append((layer, copy))
            if i == end - 1:
                for repeat in range(1, self.extra + 1):
                    for original in chain[start:end]:
                        name = _unique(f"{original.name}_repeat{repeat}", names)
                        x = type(original).from_config(dict(original.get_config(), name=name))(x)
        deeper = keras.Model(inputs, x, name=model.name)
        for layer, copy in copies:
            copy.set_weights(layer.get_weights())
        return deeper


def _unique(name: str, taken: set) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name
