"""Fixtures for the recipes tests; the data and models live in testkit.py."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # import this checkout's `recipes`, wherever pytest runs from
    sys.path.insert(0, str(REPO))

from tests.recipes.testkit import images  # noqa: E402


@pytest.fixture
def data():
    return images()
