"""Paths and small Markdown helpers shared by the generators."""
from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REFERENCES = DOCS / "references.md"

# Google-style section headers at the start of a dedented docstring line.
SECTION = re.compile(r"^(When to use|Args|Arguments|Example|Examples|Returns|Raises|Note|Notes):\s*(.*)$")
DOCTEST_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")


def cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def docstring_sections(obj) -> dict[str, str]:
    """A Google-style docstring split into {"summary", "description", "When to use", "Args", "Example", ...}.

    The summary is the first paragraph; the description the text up to the
    first section; a section runs to the next section header. Section bodies
    are dedented; an inline start ("When to use: text") is kept as its first line.
    """
    doc = inspect.getdoc(obj) or ""
    out: dict[str, list[str]] = {"summary": [], "description": []}
    current = "summary"
    for line in doc.splitlines():
        m = SECTION.match(line)
        if m:
            current = "Example" if m.group(1) == "Examples" else "Args" if m.group(1) == "Arguments" else m.group(1)
            out[current] = [m.group(2)] if m.group(2) else []
            continue
        if current == "summary" and not line.strip() and out["summary"]:
            current = "description"
            continue
        out.setdefault(current, []).append(line)
    return {key: textwrap.dedent("\n".join(lines)).strip("\n") for key, lines in out.items()}


def prose_to_markdown(text: str) -> str:
    """Docstring prose as Markdown: indented blocks (formulas, listings) become text code blocks."""
    out, block = [], []

    def flush():
        if block:
            out.extend(["", "```text", *textwrap.dedent("\n".join(block)).splitlines(), "```", ""])
            block.clear()

    for line in text.splitlines():
        if line.startswith("    ") and line.strip():
            block.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out).strip("\n")


def google_args(section: str) -> dict[str, str]:
    """{name: description} of an Args section ("name: text" lines, deeper-indented continuations)."""
    args: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        m = re.match(r"^(\S[^:]*?):\s*(.*)$", line)
        if m and not line.startswith(" "):
            name = m.group(1).strip()
            args[name] = m.group(2)
        elif name is not None and line.strip():
            args[name] += " " + line.strip()
    return args


def doctest_block(section: str) -> str:
    """A doctest example as a `pycon` code block, without doctest directives."""
    lines = [DOCTEST_DIRECTIVE.sub("", line) for line in textwrap.dedent(section).splitlines()]
    return "```pycon\n" + "\n".join(lines).strip("\n") + "\n```"
