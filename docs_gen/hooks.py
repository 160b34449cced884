"""MkDocs hooks (mkdocs.yml `hooks:`): the generated pages and the page markers.

- `on_files`: adds the pages written from code (`GENERATED`); a generated page
  is never a file in docs/, so it cannot be edited by hand by mistake.
- `on_page_markdown`: expands `<!-- docs-gen: ... -->` markers (`docs_gen.markers`) and keeps
  citation tags that follow a bracket ("[-1, 1] [UM, DD]") from reading as reference links.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # mkdocs loads this file by path; the generators import the checkout
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from docs_gen import pages  # noqa: E402
from docs_gen.markers import escape_citation_links, expand  # noqa: E402


def on_files(files, config):
    from mkdocs.structure.files import File

    for path, content in pages.generated().items():
        if files.get_file_from_path(path) is not None:
            raise ValueError(f"docs/{path} exists, but that page is generated at build time: delete the file")
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    return escape_citation_links(expand(markdown, page.file.src_uri))
