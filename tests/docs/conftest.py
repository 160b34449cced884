"""The manual's pages: the hand-written ones in docs/ and the ones generated at build time."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Hand-written pages of the manual, architecture.md included (docs/references.md is the
# citations' own page, checked by tests/test_references.py).
MANUAL = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                if p.relative_to(DOCS).parts[0] not in ("bench", "scripts") and p.name != "references.md")


@pytest.fixture(scope="session")
def generated():
    """{docs-relative path: Markdown} of every page the build hook generates (computed once)."""
    from docs_gen import pages

    return pages.generated()
