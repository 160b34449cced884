"""Data loading: `load(spec)` turns a name or path into a `Dataset`."""
from advisor.data.builtin import BUILTIN_NAMES
from advisor.data.dataset import Dataset, DatasetInfo
from advisor.data.load import load

__all__ = ["BUILTIN_NAMES", "Dataset", "DatasetInfo", "load"]
