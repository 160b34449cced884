"""The manual builds with `mkdocs build --strict` (a broken link, anchor or missing page fails it),
and the built site holds what the generators wrote and a search index that finds it."""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the strict build takes ~10 s: CI runs it, the fast loop does not

from .conftest import ROOT


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "NO_MKDOCS_2_WARNING": "1", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-6000:]
    return out


def test_strict_build_writes_every_page(site):
    for page in ("index.html", "concepts/index.html", "rules/index.html", "troubleshooting/index.html",
                 "recipes/regularizers/index.html", "reference/advisor/index.html", "benchmarks/index.html",
                 "architecture/index.html", "images/report.png"):
        assert (site / page).is_file(), page
    assert not (site / "bench" / "generated-bugs" / "index.html").exists()  # included, not a page
    assert not (site / "scripts").exists()


def test_generated_content_and_includes_are_in_the_site(site):
    rules = (site / "rules" / "index.html").read_text()
    assert 'id="dying_relu"' in rules and "references/#dd" in rules
    bench = (site / "benchmarks" / "index.html").read_text()
    assert "b00-digits" in bench  # docs/bench/generated-bugs.md, included
    assert "docs-gen:" not in bench and "docs-gen:" not in (site / "concepts" / "index.html").read_text()
    reference = (site / "reference" / "advisor" / "index.html").read_text()
    assert "advisor.diagnose" in reference and "advisor.train" in reference and "probe_epochs" in reference


def test_search_index_finds_dying_relu(site):
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    hits = {d["location"].split("#")[0] for d in docs if "dying relu" in (d["title"] + " " + d["text"]).lower()}
    assert {"concepts/", "recipes/architecture/"} <= hits, hits
