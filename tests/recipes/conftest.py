"""Fixtures for the recipes tests; the data and models live in recipes_testkit.py."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # import this checkout's `recipes`, wherever pytest runs from
    sys.path.insert(0, str(REPO))

from recipes_testkit import images  # noqa: E402


@pytest.fixture
def data():
    return images()


@pytest.fixture(autouse=True)
def _seed():
    """Overrides tests/conftest.py's fixture of the same name: same seeding, but
    clear_session(free_memory=False) - its gc.collect() cost ~0.3 s per test here."""
    import keras

    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session(free_memory=False)
