"""Every ```python example of the manual runs, each page in a fresh process (its rules and recipes
register globally); the test_* functions a page defines (Extending's walk-through) run too."""
import os
import subprocess
import sys

import pytest

from .conftest import DOCS, MANUAL, ROOT
from .run_examples import blocks

PAGES = [page for page in MANUAL if blocks(DOCS / page)]


def test_the_pages_with_examples_are_found():
    assert {"index.md", "concepts.md", "extending.md", "data.md"} <= set(PAGES)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "docs" / "run_examples.py"), str(DOCS / page)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{page}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    ran = done.stdout.count(": ran")
    assert ran == len(blocks(DOCS / page)), done.stdout
    if page == "extending.md":
        assert done.stdout.count(": passed") == 6, done.stdout
