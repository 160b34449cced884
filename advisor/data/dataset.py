"""The `Dataset` value every stage after loading works on."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

MODALITIES = ("image", "tabular", "sequence")
TASKS = ("binary", "multiclass", "regression")
SPLITS = ("train", "val", "test")


@dataclasses.dataclass
class DatasetInfo:
    """What the data is, independent of its arrays (JSON-serializable)."""

    name: str
    modality: str  # one of MODALITIES
    input_shape: tuple[int, ...]  # one sample, no batch axis
    task: str  # one of TASKS
    num_classes: int  # 0 for regression
    class_names: list[str]
    counts: dict[str, int]  # samples per split

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d


@dataclasses.dataclass
class Dataset:
    """Loaded data: in-memory numpy splits plus their `DatasetInfo`.

    Splits are kept as arrays (every source the advisor reads fits in memory on
    a 24 GiB machine); `train`/`val`/`test` give unbatched `tf.data.Dataset`s.
    `x` arrays are float32; `y` are int64 class indices (float32 for regression).
    """

    arrays: dict[str, tuple[np.ndarray, np.ndarray]]  # split -> (x, y)
    info: DatasetInfo

    def split(self, name: str) -> "tf.data.Dataset":  # noqa: F821
        import tensorflow as tf

        x, y = self.arrays[name]
        return tf.data.Dataset.from_tensor_slices((x, y))

    @property
    def train(self):
        return self.split("train")

    @property
    def val(self):
        return self.split("val")

    @property
    def test(self):
        return self.split("test")
