"""Short hashes that say whether two processes have the same data and model
(a resumed run against its inputs.json; a tuning worker against its chief)."""
from __future__ import annotations

import hashlib


def fingerprint(dataset) -> str:
    """A short hash of the training split: workers must tune on the chief's data."""
    digest = hashlib.sha256()
    for array in (dataset.digests("train"), dataset.labels("train")):
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def model_fingerprint(net) -> str:
    """Layer types and parameter count: layer names differ between processes."""
    shape = [type(layer).__name__ for layer in net.layers] + [str(net.count_params())]
    return hashlib.sha256(" ".join(shape).encode()).hexdigest()[:16]
