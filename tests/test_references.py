"""Every citation in the code resolves inside the repository, in docs/references.md.

Comments, docstrings and rule rationales cite their sources with short tags:
`[AT]`, `[UM]`, `[AT, S4]`, `[S0-S4]`, bare seed-note tags such as `(S3, S4)`,
and author citations such as `[Loshchilov & Hutter]`. Each one must have a
heading `### [TAG] ...` in docs/references.md, so a new tag without a
reference fails here. Mentions of a KNOWLEDGE.md section ("KNOWLEDGE.md 8",
"KNOWLEDGE.md section 6", "KNOWLEDGE.md §1-2") and links to
`docs/references.md#anchor` must name an anchor the page defines.

Only comments and string literals are scanned (tokenize), so type hints such as
`list[Rule]` are never read as tags; text in backticks is skipped too, so write
a non-citation bracket in a docstring as code: `[B, T]`.

Pure text processing: no TensorFlow, no project imports.
"""
from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("advisor", "recipes", "bench")
REFERENCES = ROOT / "docs" / "references.md"

# A short tag: capital first, up to 6 characters ([AT], [TDC], [S4], [PB]).
TAG = re.compile(r"[A-Z][A-Za-z0-9]{0,5}")
# A bracket group not glued to a name or a closing bracket (x[i], list[Rule], a)[0]).
BRACKETS = re.compile(r"(?<![\w\])])\[([^\[\]\n]{1,60})\]")
PART_SEPARATORS = re.compile(r"\s*(?:,|;|/|–|—|\.\.|-)\s*")
# Author citations in brackets: [Loshchilov & Hutter], [Smith et al.].
AUTHORS = re.compile(r"^[A-Z][a-z]+(?: & [A-Z][a-z]+| et al\.?)$")
# Seed-note tags are cited bare too: "(S3, S4)", "S0-S4", "S3/S4".
SEED = re.compile(r"(?<![\w.])S(\d)(?!\w)")
SEED_RANGE = re.compile(r"(?<![\w.])\[?S(\d)\]?\s*[-–]\s*\[?S(\d)\b")
CODE_SPAN = re.compile(r"`[^`\n]*`")
KNOWLEDGE = re.compile(r"KNOWLEDGE(?:\.md)?\s*(?:section\s*|§\s*)?(\d+)(?:\s*[-–]\s*(\d+))?")
REFERENCE_LINK = re.compile(r"references\.md#([A-Za-z0-9_-]+)")

DEFINITION = re.compile(r"^#{2,4}\s+\[([^\]]+)\]", re.MULTILINE)
ANCHOR = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")

_TEXT_TOKENS = {tokenize.COMMENT, tokenize.STRING} | (
    {tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())


def prose(source: str):
    """(line number, text) of every comment and string literal in `source`."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _TEXT_TOKENS:
            for offset, line in enumerate(tok.string.splitlines()):
                yield tok.start[0] + offset, line


def citations(text: str) -> set[str]:
    """The citation tags in one line of prose."""
    text = CODE_SPAN.sub("", text)
    found = set()
    for group in BRACKETS.findall(text):
        if AUTHORS.match(group.strip()):
            found.add(group.strip())
            continue
        found.update(p for p in PART_SEPARATORS.split(group.strip()) if TAG.fullmatch(p))
    found.update(f"S{d}" for d in SEED.findall(text))
    for low, high in SEED_RANGE.findall(text):
        found.update(f"S{d}" for d in range(int(low), int(high) + 1))
    return found


def python_files():
    for top in SCANNED:
        yield from sorted((ROOT / top).rglob("*.py"))


def scan(pattern_fn) -> dict[str, list[str]]:
    """{key: ["file:line", ...]} for the keys `pattern_fn(text)` returns."""
    where = defaultdict(list)
    for path in python_files():
        for lineno, text in prose(path.read_text(encoding="utf-8")):
            for key in pattern_fn(text):
                where[key].append(f"{path.relative_to(ROOT)}:{lineno}")
    return where


def knowledge_sections(text: str) -> set[str]:
    out = set()
    for low, high in KNOWLEDGE.findall(text):
        out.update(str(n) for n in range(int(low), int(high or low) + 1))
    return out


def defined():
    page = REFERENCES.read_text(encoding="utf-8")
    return {m.strip() for m in DEFINITION.findall(page)}, set(ANCHOR.findall(page))


def _missing(where: dict[str, list[str]], known: set[str]) -> str:
    lines = [f"  {key}: {', '.join(sites[:5])}{' ...' if len(sites) > 5 else ''}"
             for key, sites in sorted(where.items()) if key not in known]
    return "\n".join(lines)


def test_extractor_reads_citations_and_skips_code():
    assert citations("Switch to Adam [AT, S4]; [UM] says so") == {"AT", "S4", "UM"}
    assert citations("augmentation [S0-S4], early stopping [S0, S1]") == {"S0", "S1", "S2", "S3", "S4"}
    assert citations("(S3/S4: \"overfit a tiny subset\")") == {"S3", "S4"}
    assert citations("decay [Loshchilov & Hutter]") == {"Loshchilov & Hutter"}
    assert citations("[KNOWLEDGE.md section 6, S1]") == {"S1"}
    # Not citations: subscripts and type hints, code spans, usage strings, AWS-like names.
    assert citations("-> list[Rule]; x[N]; f(a)[0]") == set()
    assert citations("`python -m advisor.testing.faults [--seed N] [CASE ...]`") == set()
    assert citations("a `[B, T]` tensor, MS1, S10") == set()


def test_the_scan_finds_citations():
    where = scan(citations)
    assert where, "no citation found in advisor/, recipes/, bench/: the scanner is broken"


def test_every_citation_tag_is_defined_in_references_md():
    known, _ = defined()
    missing = _missing(scan(citations), known)
    assert not missing, (
        "citation tags used in the code but not defined in docs/references.md "
        "(add a heading '### [TAG] full reference' there):\n" + missing)


def test_every_knowledge_section_mentioned_is_summarized():
    _, anchors = defined()
    where = scan(knowledge_sections)
    missing = _missing({f"knowledge-{n}": sites for n, sites in where.items()}, anchors)
    assert not missing, (
        "KNOWLEDGE.md sections mentioned in the code without a summary in docs/references.md "
        "(add '<a id=\"knowledge-N\"></a>' before the section's summary):\n" + missing)


def test_every_references_link_resolves():
    _, anchors = defined()
    missing = _missing(scan(lambda text: set(REFERENCE_LINK.findall(text))), anchors)
    assert not missing, "links to docs/references.md#anchor whose anchor the page does not define:\n" + missing
