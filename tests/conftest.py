"""Shared test setup: quiet TensorFlow, fixed seeds, CPU only."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # In xdist's workers (pyproject.toml's addopts; docs/architecture.md): one TensorFlow
    # compute thread per worker (and the processes it starts) instead of a pool per core in each.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

import socket  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def free_ports():
    """free_ports(n): n TCP ports on 127.0.0.1 free right now, for multi-process tests."""
    def take(n: int) -> list[int]:
        sockets = [socket.socket() for _ in range(n)]
        for s in sockets:  # all bound at once, so the n ports differ
            s.bind(("127.0.0.1", 0))
        ports = [s.getsockname()[1] for s in sockets]
        for s in sockets:
            s.close()
        return ports

    return take


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state and a fresh Keras graph.
    free_memory=False: the gc.collect() it would run costs ~0.3-0.5 s a test."""
    import keras

    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session(free_memory=False)
