"""Tables written from the code for hand-written pages: the finding catalogue and the thresholds."""
from __future__ import annotations

import ast
import io
import tokenize

from docs_gen.common import ROOT, cell, code


def findings_table(depth: int = 0) -> str:
    """Every catalog finding by source, with the rules that read it."""
    from advisor.rules import all_rules
    from advisor.rules.catalog import FINDINGS
    from docs_gen.rule_book import rule_reads

    readers: dict[str, list[str]] = {}
    for r in all_rules():
        for name in rule_reads(r)[0]:
            readers.setdefault(name, []).append(r.name)
    prefix = "../" * depth
    out = ["| source | finding | read by |", "|---|---|---|"]
    for source, names in FINDINGS.items():
        for name in names:
            rules = ", ".join(f"[{code(r)}]({prefix}rules.md#{r})" for r in readers.get(name, []))
            out.append(f"| {source} | {code(name)} | {rules or 'no rule (information)'} |")
    return "\n".join(out)


def _thresholds_class():
    """(source text, ClassDef) of `class Thresholds`, wherever it lives in advisor/."""
    for path in sorted((ROOT / "advisor").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "class Thresholds" not in text:
            continue
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef) and node.name == "Thresholds":
                return text, node
    raise LookupError("no class Thresholds in advisor/")


def thresholds_table() -> str:
    """Every threshold `diagnose(thresholds=...)` accepts: name, default, and the comment above it."""
    text, cls = _thresholds_class()
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out = ["| threshold | default | where the number comes from |", "|---|---|---|"]
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
            continue
        above, line = [], node.lineno - 1
        while line in comments and not comments[line].startswith("---"):
            above.insert(0, comments[line])
            line -= 1
        if not above:  # a field sharing the comment of the field above it
            prev = out[-1].split(" | ")[-1].rstrip(" |") if len(out) > 2 else ""
            why = "as above" if prev else ""
        else:
            why = " ".join(above)
        out.append(f"| {code(node.target.id)} | {code(ast.unparse(node.value))} | {cell(why)} |")
    return "\n".join(out)
