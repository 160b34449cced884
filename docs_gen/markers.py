"""`<!-- docs-gen: KIND ARGS -->` markers of the hand-written pages, expanded at build time.

- `include PATH [optional]`: the Markdown file at PATH (repository-relative),
  headings moved below the page's title level and relative links rebased onto
  the including page. A missing file fails the build, unless `optional`: then
  one line says the table has not been published yet.
- `readme-section TITLE`: the README's `## TITLE` section, without its heading.
- `cli ARGS`: the output of `advisor ARGS`, run in-process at build time.
- `output`: the standard output of the ```python block right above the
  marker, run at build time in a fresh namespace.
- `recipe-catalogue`: every registered recipe by family (recipes/index.md).
- `findings`: every catalog finding, with the rules that read it.
- `thresholds`: every threshold `diagnose(thresholds=...)` accepts, with its source.
"""
from __future__ import annotations

import contextlib
import io
import os
import posixpath
import re
import shlex
import tempfile
import textwrap

from docs_gen.common import DOCS, ROOT

MARKER = re.compile(r"^<!-- docs-gen: (\S+)(?: (.*?))? -->\s*$", re.MULTILINE)
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
HEADING = re.compile(r"^(#{1,6}) ", re.MULTILINE)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
NOT_PUBLISHED = ("*This table has not been published yet: the benchmark writes it when it is run on a "
                 "commit and its results are kept in the repository.*")


class MarkerError(ValueError):
    """A marker that cannot be expanded (the build fails with its text)."""


def _rebase(text: str, source: str, page: str) -> str:
    """Relative links of `source` (docs-relative) rewritten for `page` (docs-relative)."""
    def fix(m):
        target = m.group(2)
        if re.match(r"^[a-z]+:|^#|^/", target):
            return m.group(0)
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        return m.group(1) + posixpath.relpath(resolved, posixpath.dirname(page) or ".") + m.group(3)
    return LINK.sub(fix, text)


def include(args: str, page: str, level: int = 1) -> str:
    """The file's text, its top heading level moved to `level`, its links rebased onto `page`."""
    parts = shlex.split(args)
    path, optional = parts[0], "optional" in parts[1:]
    file = ROOT / path
    if not file.is_file():
        if optional:
            return NOT_PUBLISHED
        raise MarkerError(f"{page}: include {path}: no such file")
    text = file.read_text(encoding="utf-8")
    found = [len(m.group(1)) for m in HEADING.finditer(text)]
    shift = level - min(found) if found else 0
    text = HEADING.sub(lambda m: "#" * max(1, min(6, len(m.group(1)) + shift)) + " ", text)
    try:
        source = file.relative_to(DOCS).as_posix()
    except ValueError:
        source = posixpath.relpath(file.relative_to(ROOT).as_posix(), "docs")
    return _rebase(text, source, page).strip("\n")


def readme_section(title: str, page: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title.strip())}\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if not m:
        raise MarkerError(f"{page}: README.md has no section '## {title}'")
    return _rebase(m.group(1).strip("\n"), "../README.md", page)


def cli_output(args: str, page: str) -> str:
    from click.testing import CliRunner

    from advisor.cli import main

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = CliRunner().invoke(main, shlex.split(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise MarkerError(f"{page}: 'advisor {args}' exited with {result.exit_code}: {result.output[-500:]}")
    return f"```console\n$ advisor {args}\n{result.output.rstrip()}\n```"


def run_output(code: str, page: str) -> str:
    """The code's standard output; it runs in a temporary folder (examples write files)."""
    buffer = io.StringIO()
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="docs-example-") as folder:
        os.chdir(folder)
        try:
            with contextlib.redirect_stdout(buffer):
                exec(compile(code, f"<{page}>", "exec"), {"__name__": "__docs_example__"})
        finally:
            os.chdir(here)
    return "```text\n" + buffer.getvalue().rstrip() + "\n```"


def expand(markdown: str, page: str, only: tuple[str, ...] | None = None) -> str:
    """The page with every marker (or only the kinds in `only`) replaced by what it stands for."""
    from docs_gen import catalogues
    from docs_gen.recipe_pages import catalogue_table

    out, last = [], 0
    for m in MARKER.finditer(markdown):
        kind, args = m.group(1), (m.group(2) or "").strip()
        if only is not None and kind not in only:
            continue
        before = markdown[last:m.start()]
        if kind == "include":
            prose = _FENCE.sub("", markdown[:m.start()])  # a "# comment" in a code block is no heading
            levels = [len(h) for h in re.findall(r"^(#{1,6}) ", prose, re.MULTILINE)]
            text = include(args, page, level=(levels[-1] + 1) if levels else 1)
        elif kind == "readme-section":
            text = readme_section(args, page)
        elif kind == "cli":
            text = cli_output(args, page)
        elif kind == "output":
            blocks = list(PYTHON_BLOCK.finditer(before))
            if not blocks or before[blocks[-1].end():].strip():
                raise MarkerError(f"{page}: 'output' marker without a ```python block right above it")
            text = run_output(textwrap.dedent(blocks[-1].group(1)), page)
        elif kind == "recipe-catalogue":
            text = catalogue_table()
        elif kind == "findings":
            text = catalogues.findings_table(depth=page.count("/"))
        elif kind == "thresholds":
            text = catalogues.thresholds_table()
        else:
            raise MarkerError(f"{page}: unknown docs-gen marker {kind!r}")
        out += [before, text, "\n"]
        last = m.end()
    out.append(markdown[last:])
    return "".join(out)


# A citation right after a bracket ("[-1, 1] [UM, DD]", "[UM][DD]") is Markdown's
# reference-link syntax; unescaped, autorefs reports it as a missing cross-reference.
_AFTER_BRACKET = re.compile(r"\](?=(\s?>?[ \t]*)\[([^\[\]\n]{1,60})\](?!\())")
_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


def escape_citation_links(markdown: str) -> str:
    """Escape citation tags that follow a bracket, outside code, so they stay text."""
    from docs_gen.sources import citations

    masked = list(markdown)
    for pattern in (_FENCE, _CODE_SPAN):
        for m in pattern.finditer("".join(masked)):
            masked[m.start():m.end()] = "\0" * (m.end() - m.start())
    text = "".join(masked)
    out = list(markdown)
    for m in reversed(list(_AFTER_BRACKET.finditer(text))):
        at = m.end() + len(m.group(1))  # the opening bracket of the citation
        if citations(f"[{m.group(2)}]") and "\0" not in text[m.start():at + len(m.group(2)) + 2]:
            out[at] = "\\["
    return "".join(out)
