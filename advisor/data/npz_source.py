"""Read an .npz file of arrays: x, y and optionally x_val/y_val, x_test/y_test.

Read with ``allow_pickle=False``: object arrays are refused, never unpickled.
Save one with ``np.savez("data.npz", x=features, y=labels, x_test=..., y_test=...)``.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from advisor.errors import AdvisorError

_SPLIT_KEYS = {"train": ("x", "y"), "val": ("x_val", "y_val"), "test": ("x_test", "y_test")}


def load_npz(path: Path):
    """Raw parts {split: (x, y)} of an .npz file.

    Example:
        >>> np.savez("/tmp/d.npz", x=np.zeros((4, 2)), y=[0, 1, 0, 1])
        >>> sorted(load_npz(Path("/tmp/d.npz")))
        ['train']
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as e:  # object arrays need pickle, which we refuse
        raise AdvisorError(
            f"{path} holds object arrays ({str(e).splitlines()[0]}); save plain numeric arrays") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise AdvisorError(f"{path} is not a readable .npz file ({e}); save it with numpy.savez") from None
    if "x" not in arrays or "y" not in arrays:
        missing = [k for k in ("x", "y") if k not in arrays]
        raise AdvisorError(
            f"{path} has no array {' or '.join(repr(k) for k in missing)} (found: {', '.join(arrays) or 'none'}); "
            "save with numpy.savez(path, x=inputs, y=labels)")
    parts = {}
    for split, (kx, ky) in _SPLIT_KEYS.items():
        if (kx in arrays) != (ky in arrays):
            raise AdvisorError(f"{path} has {kx if kx in arrays else ky!r} without its pair; "
                               f"give both {kx!r} and {ky!r} or neither")
        if kx in arrays:
            parts[split] = (arrays[kx], arrays[ky])
    return parts
