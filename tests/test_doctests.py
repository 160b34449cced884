"""Every docstring example in the advisor package runs as written (recipes/ has its own, in
tests/recipes/test_every_recipe.py): an example that drifted from the code fails here."""
import doctest
import importlib
import pkgutil

import pytest

import advisor

MODULES = sorted(m.name for m in pkgutil.walk_packages(advisor.__path__, "advisor."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    failures, _ = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert failures == 0
