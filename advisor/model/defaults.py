"""Default models per modality, and loading the user's model from a spec.

When to use: the CLI needs a model when the user brings none (`default_model`)
or names one (`load_model("my.keras" | "pkg.module:build" | "mlp")`).

Example:
    >>> from advisor.data import load
    >>> info = load("digits").info
    >>> default_model(info).compiled           # compiled, ready to probe
    True
    >>> load_model("mlp", info).count_params() > 0   # a built-in architecture
    True
"""
from __future__ import annotations

import importlib
import os

import keras

from advisor.errors import AdvisorError

BUILTIN_ARCHITECTURES = ("mlp", "cnn", "cnn1d")
# The default CNN flattens its last feature map up to 8x8 cells (28x28 MNIST gives 7x7).
FLATTEN_MAX_CELLS = 64
_DEFAULT_FOR_MODALITY = {"tabular": "mlp", "image": "cnn", "sequence": "cnn1d"}


def _output(info, x):
    """Output layer and loss that belong together for the task."""
    if info.task == "multiclass":
        return keras.layers.Dense(info.num_classes, activation="softmax", name="output")(x)
    if info.task == "binary":
        return keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.layers.Dense(1, name="output")(x)  # regression: linear [UM]


def default_loss(task: str) -> str:
    """Loss paired with `_output`: sparse CE / binary CE / MSE."""
    return {"multiclass": "sparse_categorical_crossentropy",
            "binary": "binary_crossentropy"}.get(task, "mean_squared_error")


def default_metrics(task: str) -> list[str]:
    return ["mae"] if task == "regression" else ["accuracy"]


def compile_default(model: keras.Model, task: str) -> keras.Model:
    """Compile with Adam 1e-3 (S4's usual default) and the task's loss."""
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=default_loss(task),
                  metrics=default_metrics(task))
    return model


def _dense(units):
    # He init for ReLU (S3, S4), so our own defaults never trip init_activation_mismatch.
    return keras.layers.Dense(units, activation="relu", kernel_initializer="he_normal")


def build_architecture(name: str, info) -> keras.Model:
    """An uncompiled built-in architecture ("mlp", "cnn", "cnn1d") for `info`."""
    shape = tuple(info.input_shape)
    inputs = keras.Input(shape=shape, name="input")
    x = inputs
    if name == "mlp":
        x = keras.layers.Flatten()(x) if len(shape) > 1 else x
        x = _dense(128)(x)
        x = _dense(64)(x)
    elif name == "cnn":
        if len(shape) == 2:  # grayscale without a channel axis
            x = keras.layers.Reshape(shape + (1,))(x)
        elif len(shape) != 3:
            raise AdvisorError(f"'cnn' needs image input (H, W[, C]), got input shape {shape}; use 'mlp'")
        for filters in (32, 64):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                    kernel_initializer="he_normal")(x)
            if min(x.shape[1], x.shape[2]) >= 4:  # keep tiny images (8x8 digits) from vanishing
                x = keras.layers.MaxPooling2D()(x)
        if x.shape[1] * x.shape[2] <= FLATTEN_MAX_CELLS:
            # The Keras "simple MNIST convnet" head: it keeps where each feature is. Measured
            # (README benchmark, baseline arm): 0.91 vs 0.51 test accuracy on 300 MNIST
            # images and 0.96 vs 0.91 on 3,500 against global average pooling + Dense(64).
            x = keras.layers.Flatten()(x)
            x = keras.layers.Dropout(0.5)(x)
        else:  # large images: a flattened map would give the output layer millions of weights
            x = keras.layers.GlobalAveragePooling2D()(x)
            x = _dense(64)(x)
    elif name == "cnn1d":
        if len(shape) == 1:  # a univariate series
            x = keras.layers.Reshape(shape + (1,))(x)
        elif len(shape) != 2:
            raise AdvisorError(f"'cnn1d' needs sequence input (T[, C]), got input shape {shape}")
        for filters, kernel in ((32, 5), (64, 3)):
            x = keras.layers.Conv1D(filters, kernel, padding="same", activation="relu",
                                    kernel_initializer="he_normal")(x)
            if x.shape[1] >= 4:
                x = keras.layers.MaxPooling1D()(x)
        x = keras.layers.GlobalAveragePooling1D()(x)
        x = _dense(64)(x)
    else:
        raise AdvisorError(f"Unknown architecture {name!r}; choose one of {', '.join(BUILTIN_ARCHITECTURES)}")
    return keras.Model(inputs, _output(info, x), name=name)


def default_model(info) -> keras.Model:
    """A compiled model that suits `info.modality` (MLP / small CNN / 1-D CNN).

    Args:
        info: the `DatasetInfo` of the data the model will train on.
    """
    if info.modality not in _DEFAULT_FOR_MODALITY:
        raise AdvisorError(f"Unknown modality {info.modality!r}; expected one of {sorted(_DEFAULT_FOR_MODALITY)}")
    return compile_default(build_architecture(_DEFAULT_FOR_MODALITY[info.modality], info), info.task)


def _load_file(path: str) -> keras.Model:
    if not path.endswith(".keras"):
        raise AdvisorError(f"Model file {path!r} is not a .keras file; save it with model.save('model.keras')")
    if not os.path.isfile(path):
        raise AdvisorError(f"Model file {path!r} does not exist")
    try:
        # safe_mode refuses Lambda layers, whose saved bytecode would run on load.
        return keras.models.load_model(path, safe_mode=True)
    except ValueError as err:
        if "Lambda" in str(err) or "safe_mode" in str(err):
            raise AdvisorError(f"Model file {path!r} contains a Lambda layer, which is refused (unsafe to "
                               f"deserialize); replace it with a registered custom layer") from None
        raise AdvisorError(f"Cannot load model file {path!r}: {str(err).splitlines()[0]}") from None


def _load_function(spec: str, info) -> keras.Model:
    module_name, _, func_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise AdvisorError(f"Cannot import module {module_name!r} from model spec {spec!r} ({err}); "
                           f"put its folder on PYTHONPATH") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise AdvisorError(f"Module {module_name!r} has no function {func_name!r} (model spec {spec!r})")
    model = func(tuple(info.input_shape), info.num_classes)
    if not isinstance(model, keras.Model):
        raise AdvisorError(f"{spec!r} returned {type(model).__name__}, expected a keras.Model")
    return model


def all_layers(model) -> list:
    """Every layer, descending into nested models, in order."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(all_layers(layer))
    return found


def load_model(spec, info) -> keras.Model:
    """The user's model from `spec`, compiled (with the task's default loss if it was not).

    Args:
        spec: a `keras.Model`; a path to a `.keras` file; `"module:function"`
            where `function(input_shape, num_classes)` returns a model; or a
            built-in name in `BUILTIN_ARCHITECTURES`.
        info: the `DatasetInfo` of the data.

    Raises:
        AdvisorError: unknown spec, missing file, Lambda layer, import failure.
    """
    if isinstance(spec, keras.Model):
        model = spec
    elif not isinstance(spec, str) or not spec:
        raise AdvisorError(f"Model spec must be a .keras path, 'module:function' or one of "
                           f"{BUILTIN_ARCHITECTURES}, got {spec!r}")
    elif spec in BUILTIN_ARCHITECTURES:
        model = build_architecture(spec, info)
    elif spec.endswith(".keras") or os.path.sep in spec or os.path.isfile(spec):
        model = _load_file(spec)
    elif ":" in spec:
        model = _load_function(spec, info)
    else:
        raise AdvisorError(f"Model spec {spec!r} is neither a .keras file, 'module:function' nor one of "
                           f"{', '.join(BUILTIN_ARCHITECTURES)}")
    if any(isinstance(layer, keras.layers.Lambda) for layer in all_layers(model)):
        raise AdvisorError(f"Model {spec!r} contains a Lambda layer, which is refused; use a custom layer")
    return ensure_compiled(model, info)


def ensure_compiled(model: keras.Model, info) -> keras.Model:
    """`model` itself, compiled with the task's defaults if it was not compiled."""
    if not getattr(model, "compiled", False):
        compile_default(model, info.task)
    return model
