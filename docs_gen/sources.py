"""Citation tags ([AT], (S3, S4), [Loshchilov & Hutter]) and their entries in docs/references.md.

The tag grammar is the one tests/test_references.py enforces on the code, so
every tag a rule cites resolves to a heading `### [TAG] ...` of references.md,
whose `<a id="...">` anchor the rule book links to.
"""
from __future__ import annotations

import re

from docs_gen.common import REFERENCES

TAG = re.compile(r"[A-Z][A-Za-z0-9]{0,5}")
BRACKETS = re.compile(r"(?<![\w\])])\[([^\[\]\n]{1,60})\]")
PART_SEPARATORS = re.compile(r"\s*(?:,|;|/|–|—|\.\.|-)\s*")
AUTHORS = re.compile(r"^[A-Z][a-z]+(?: & [A-Z][a-z]+| et al\.?)$")
SEED = re.compile(r"(?<![\w.])S(\d)(?!\w)")
SEED_RANGE = re.compile(r"(?<![\w.])\[?S(\d)\]?\s*[-–]\s*\[?S(\d)\b")
CODE_SPAN = re.compile(r"`[^`\n]*`")
AUTHOR_IN_PARENS = re.compile(r"\b([A-Z][a-z]+(?: & [A-Z][a-z]+| et al\.?))")
HEADING = re.compile(r"^#{2,4}\s+\[([^\]]+)\]\s*(.*)$")
ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")


def citations(text: str) -> list[str]:
    """The citation tags in `text`, in order of first appearance (code spans skipped)."""
    text = CODE_SPAN.sub("", text)
    found: dict[str, int] = {}

    def add(tag: str, at: int):
        found.setdefault(tag, at)

    for m in BRACKETS.finditer(text):
        group = m.group(1).strip()
        if AUTHORS.match(group):
            add(group, m.start())
            continue
        for part in PART_SEPARATORS.split(group):
            if TAG.fullmatch(part):
                add(part, m.start())
            elif AUTHORS.match(part.strip()):
                add(part.strip(), m.start())
    for m in SEED.finditer(text):
        add(f"S{m.group(1)}", m.start())
    for m in SEED_RANGE.finditer(text):
        for d in range(int(m.group(1)), int(m.group(2)) + 1):
            add(f"S{d}", m.start())
    return sorted(found, key=found.get)


def reference_entries() -> dict[str, tuple[str, str]]:
    """{tag: (anchor id, short title)} from the headings of docs/references.md."""
    entries: dict[str, tuple[str, str]] = {}
    last_anchor = None
    for line in REFERENCES.read_text(encoding="utf-8").splitlines():
        a = ANCHOR.search(line)
        if a and line.lstrip().startswith("<a"):
            last_anchor = a.group(1)
            continue
        m = HEADING.match(line)
        if m:
            tag = m.group(1).strip()
            entries[tag] = (last_anchor or "", m.group(2).strip())
            last_anchor = None
        elif line.strip():
            last_anchor = None if not line.startswith("#") else last_anchor
    return entries


def known_citations(text: str, entries: dict[str, tuple[str, str]] | None = None) -> list[str]:
    """`citations(text)` limited to tags references.md defines, plus authors named in parentheses
    ("(S0, Lin et al.)") that it defines too."""
    entries = reference_entries() if entries is None else entries
    tags = [t for t in citations(text) if t in entries]
    for m in AUTHOR_IN_PARENS.finditer(CODE_SPAN.sub("", text)):
        if m.group(1) in entries and m.group(1) not in tags:
            tags.append(m.group(1))
    return tags


def source_links(text: str, page_depth: int = 0) -> list[str]:
    """Markdown links to references.md for every tag cited in `text`."""
    entries = reference_entries()
    prefix = "../" * page_depth
    out = []
    for tag in known_citations(text, entries):
        anchor, title = entries[tag]
        target = f"{prefix}references.md" + (f"#{anchor}" if anchor else "")
        out.append(f"[\\[{tag}\\] {title}]({target})")
    return out
