"""The `Dataset` value every stage after loading works on."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

MODALITIES = ("image", "tabular", "sequence")
TASKS = ("binary", "multiclass", "regression")
SPLITS = ("train", "val", "test")
BATCH = 256  # inference batches of data in memory
STREAM_BATCH = 32  # ... and of a streamed folder: 19 MB of 224x224 RGB, a few of them in flight


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
    notes: list[str] = dataclasses.field(default_factory=list)  # what loading changed or skipped, said once

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d


@dataclasses.dataclass
class Dataset:
    """Loaded data: train/val/test splits plus their `DatasetInfo`.

    Two backings, one interface. Small sources (arrays, CSV, .npz, built-ins,
    TFDS) hold numpy `arrays`; image folders and large TFDS datasets hold
    `records` (labels and a digest per sample, known without decoding) and are
    decoded per batch, so data larger than memory trains. Later stages use the methods below, which work for both;
    `arrays` is None for a streamed dataset.
    `x` is float32; `y` int64 class indices (float32 for regression).
    """

    arrays: dict[str, tuple[np.ndarray, np.ndarray]] | None  # split -> (x, y)
    info: DatasetInfo
    records: Any = None  # when streamed: an `advisor.data.streamed.StreamedSplits` (image files, TFDS records)
    seed: int = 0  # the per-pass file order of a streamed train split

    @property
    def in_memory(self) -> bool:
        return self.arrays is not None

    def labels(self, split: str) -> np.ndarray:
        return self.arrays[split][1] if self.in_memory else self.records.labels[split]

    def count(self, split: str) -> int:
        return len(self.labels(split))

    def split(self, name: str) -> "tf.data.Dataset":  # noqa: F821
        """Unbatched (x, y); a streamed train split comes in a new file order each pass."""
        import tensorflow as tf

        if self.in_memory:
            return tf.data.Dataset.from_tensor_slices(self.arrays[name])
        return self.records.stream(name, shuffle_seed=self.seed if name == "train" else None)

    @property
    def train(self):
        return self.split("train")

    @property
    def val(self):
        return self.split("val")

    @property
    def test(self):
        return self.split("test")

    def batches(self, split: str):
        """Batched (x, y) in the split's fixed order, for evaluation and prediction."""
        if self.in_memory:
            import tensorflow as tf

            return tf.data.Dataset.from_tensor_slices(self.arrays[split]).batch(BATCH)
        return self.records.stream(split).batch(STREAM_BATCH).prefetch(2)

    def inputs(self, split: str):
        """x of one split as `model.predict` takes it: the array, or batches of x in `labels` order."""
        return self.arrays[split][0] if self.in_memory else self.batches(split).map(lambda x, y: x)

    def _rows(self, split: str, n: int | None, seed: int) -> np.ndarray:
        count = self.count(split)
        return np.arange(count) if n is None or n >= count else np.random.default_rng(seed).permutation(count)[:n]

    def sample(self, split: str, n: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) arrays of n samples in a seeded random order (the whole split, in order, when n
        is None or not below its size); a streamed split decodes only those."""
        rows = self._rows(split, n, seed)
        if not self.in_memory:
            return self.records.read(split, rows)
        x, y = self.arrays[split]
        return (x, y) if n is None or n >= len(y) else (x[rows], y[rows])

    def sample_batches(self, split: str, n: int | None, seed: int = 0):
        """`sample`'s samples as numpy (x, y) batches: a streamed split never sits in memory whole."""
        rows = self._rows(split, n, seed)
        if not self.in_memory:
            yield from self.records.read_batches(split, rows, STREAM_BATCH)
            return
        x, y = self.arrays[split]
        for start in range(0, len(rows), 8192):
            yield x[rows[start:start + 8192]], y[rows[start:start + 8192]]

    def sample_stream(self, split: str, n: int | None, seed: int = 0):
        """`sample`'s samples as an unbatched tf.data stream, decoded as they are read."""
        import tensorflow as tf

        if self.in_memory:
            return tf.data.Dataset.from_tensor_slices(self.sample(split, n, seed))
        return self.records.subset(split, self._rows(split, n, seed)).stream(split)

    def digests(self, split: str) -> np.ndarray:
        """One digest per sample, for exact duplicates: a hash of the row's bytes, or of the image file's."""
        from advisor.data.duplicates import row_hashes

        return row_hashes(self.arrays[split][0]) if self.in_memory else self.records.fingerprints[split]

    def train_data(self):
        """The training split as `recipes.TrainData` (Normalize adapts on it, class weights count it)."""
        from recipes.data.train_data import TrainData

        if self.in_memory:
            return TrainData(self.arrays["train"])
        return TrainData(self.split("train"), labels=self.labels("train"))
