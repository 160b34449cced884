"""A griffe extension for the API reference: the code's "Example:" sections are code.

The docstrings use Google style with a singular "Example:" header, which griffe
would render as an admonition of Markdown text (so `["kept"]` or `[...]` output
lines read as links). Here the header becomes "Examples:", whose `>>>` lines
griffe renders as code; an example without `>>>` (plain Python) is fenced as a
python block. Loaded by mkdocs.yml (`extensions:` of the python handler).
"""
from __future__ import annotations

import re

import griffe

HEADER = re.compile(r"^(\s*)Example:[ \t]*$")


def rewrite(doc: str) -> str:
    """`doc` with each "Example:" section made an "Examples:" section of code."""
    lines = doc.splitlines()
    out, i = [], 0
    while i < len(lines):
        m = HEADER.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = len(m.group(1))
        block, j = [], i + 1
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
            block.append(lines[j])
            j += 1
        while block and not block[-1].strip():
            block.pop()
        out.append(" " * indent + "Examples:")
        if any(line.lstrip().startswith(">>>") for line in block):
            out += block
        else:
            pad = " " * (min(len(b) - len(b.lstrip()) for b in block if b.strip()) if any(
                b.strip() for b in block) else indent + 4)
            out += [pad + "```python", *block, pad + "```"]
        out += lines[i + 1 + len(block):j]
        i = j
    return "\n".join(out)


class DoctestExamples(griffe.Extension):
    def on_instance(self, *, node, obj, agent, **kwargs) -> None:
        if obj.docstring is not None and "Example:" in obj.docstring.value:
            obj.docstring.value = rewrite(obj.docstring.value)
