"""The troubleshooting page: every one-line error the CLI can print, collected from the source.

An AST walk over advisor/ (and the recipes modules a --plan file goes
through) finds each `raise AdvisorError(...)`, click usage error and, for
plan files, `raise ValueError(...)`; its message becomes a template (the
f-string's expressions shown as `{...}`), split into what went wrong and the
fix it names. The CLI prints each as `error: <message>` and exits with code 2.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from docs_gen.common import ROOT, cell

ERRORS = ("AdvisorError", "UsageError", "BadParameter", "ClickException")
# The recipes modules whose ValueErrors reach the CLI as one line (a --plan file, `advisor recipes NAME`).
PLAN_MODULES = ("recipes/plan_file.py", "recipes/plan.py", "recipes/registry.py", "recipes/base.py")
# Words a fix starts with ("...: pass a writable --out", "...; drop --resume").
FIX_VERBS = {
    "add", "adjust", "allow", "ask", "build", "call", "change", "check", "choose", "collect", "compile",
    "convert", "create", "decorate", "delete", "drop", "encode", "fix", "free", "give", "install", "keep",
    "lower", "make", "move", "name", "open", "pass", "pick", "prepare", "put", "raise", "re-split", "re-run",
    "remove", "rename", "replace", "rerun", "reshape", "resize", "restart", "run", "save", "see", "set",
    "shrink", "split", "start", "train", "try", "tune", "uninstall", "use", "wait", "write", "remount",
    "fold", "reduce", "increase", "export", "load", "retry", "stop", "list", "copy", "ensure", "select",
    "impute", "unset", "restore", "name",
}
MAX_EXPR = 28  # longer interpolated expressions are shown as {...}


@dataclass(frozen=True)
class Message:
    path: str  # repository-relative file
    line: int
    function: str
    template: str

    def split(self) -> tuple[str, str]:
        """(what went wrong, the fix it names or '')."""
        return split_fix(self.template)


def _placeholder(value: ast.AST) -> str:
    text = ast.unparse(value)
    text = re.sub(r"^(?:str|repr|len|int|float)\((.*)\)$", r"\1", text)
    simple = re.fullmatch(r"[A-Za-z_][\w.]*(\[[^\]]*\])?", text)
    return "{" + (text if simple and len(text) <= MAX_EXPR else "...") + "}"


def templates(node: ast.AST, functions: dict[str, ast.FunctionDef], depth: int = 0) -> list[str]:
    """The message templates an expression can evaluate to ([] when it is not a literal text)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts = [[""]]
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append([str(value.value)])
            else:
                inner = value.value
                alts = templates(inner, functions, depth) if isinstance(inner, (ast.IfExp, ast.Constant)) else []
                parts.append(alts or [_placeholder(inner)])
        out = [""]
        for alts in parts:
            out = [o + a for o in out for a in alts][:8]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = templates(node.left, functions, depth), templates(node.right, functions, depth)
        if left and right:
            return [a + b for a in left for b in right][:8]
        return []
    if isinstance(node, ast.IfExp):
        return templates(node.body, functions, depth) + templates(node.orelse, functions, depth)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions and depth < 2:
        out = []
        for sub in ast.walk(functions[node.func.id]):
            if isinstance(sub, ast.Return) and sub.value is not None:
                out += templates(sub.value, functions, depth + 1)
        return out
    return []


def split_fix(template: str) -> tuple[str, str]:
    """Split 'what: fix' / 'what; fix' where the fix starts with an imperative verb."""
    depth, cuts = 0, []
    for i, ch in enumerate(template):
        depth += ch in "{([" and 1 or 0
        depth -= ch in "})]" and 1 or 0
        if depth == 0 and ch in ":;" and template[i + 1:i + 2] == " ":
            cuts.append(i)
    for i in cuts:
        rest = template[i + 2:].strip()
        first = re.split(r"[\s,]", rest, maxsplit=1)[0].lower()
        if first in FIX_VERBS or first == "or" and rest.split()[1:2] and rest.split()[1].lower() in FIX_VERBS:
            return template[:i].strip(), rest
    return template.strip(), ""


def _all_functions(paths) -> dict[str, ast.FunctionDef]:
    """Module-level functions by name across the scanned files (to resolve message builders)."""
    out = {}
    for path in paths:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                out.setdefault(node.name, node)
    return out


def _enclosing(tree: ast.AST) -> dict[int, str]:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Raise):
                    names.setdefault(id(sub), node.name)  # ast.walk is breadth-first: outermost first
                    names[id(sub)] = node.name if node.name else names[id(sub)]
    return names


def collect(root: Path = ROOT) -> list[Message]:
    """Every literal error message, in file and line order."""
    advisor_files = sorted((root / "advisor").rglob("*.py"))
    plan_files = [root / p for p in PLAN_MODULES if (root / p).is_file()]
    functions = _all_functions(advisor_files + plan_files)
    found: list[Message] = []
    for path in advisor_files + plan_files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = _enclosing(tree)
        kinds = ERRORS + (("ValueError",) if path in plan_files else ())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            f = node.exc.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name not in kinds or not node.exc.args:
                continue
            rel = path.relative_to(root).as_posix()
            for text in templates(node.exc.args[0], functions):
                text = " ".join(text.split())
                if text:
                    found.append(Message(rel, node.lineno, owner.get(id(node), ""), text))
    seen, unique = set(), []
    for m in sorted(found, key=lambda m: (m.path, m.line)):
        if (m.path, m.template) not in seen:
            seen.add((m.path, m.template))
            unique.append(m)
    return unique


def disk_errors(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """(errno name, what happened, fix) from the `DISK_ERRORS` table of the run-folder code."""
    for path in sorted((root / "advisor").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DISK_ERRORS"
                                                     for t in node.targets) and isinstance(node.value, ast.Dict)):
                rows = []
                for k, v in zip(node.value.keys, node.value.values):
                    if isinstance(v, ast.Tuple) and len(v.elts) == 2:
                        rows.append((ast.unparse(k).split(".")[-1], v.elts[0].value, v.elts[1].value))
                return rows
    return []


def _escape(text: str) -> str:
    return cell(text).replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*").replace("_", "\\_")


def _as_code(text: str) -> str:
    text = cell(text)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


USAGE_EXAMPLES = (["train", "digits", "--budjet", "5m"], ["diagnose"], ["train", "digits", "--tuner", "grid"])


def usage_examples() -> list[str]:
    """The CLI's own output for a few usage errors, as a console block."""
    from click.testing import CliRunner

    from advisor.cli import main

    lines = ["```console"]
    for args in USAGE_EXAMPLES:
        result = CliRunner().invoke(main, args, prog_name="advisor")
        lines += [f"$ advisor {' '.join(args)}", result.output.strip()]
    return lines + ["```"]


def render() -> str:
    messages = collect()
    out = [
        "# Troubleshooting",
        "",
        "!!! note \"Generated\"",
        "    Collected at build time from the source: every literal message of an `AdvisorError` "
        "(the CLI's and the Python API's), a click usage error, or (for plan files) a recipe's "
        "`ValueError`. Edit the message in the code, not here.",
        "",
        "Bad input never produces a traceback: the CLI prints one line `error: <message>` on stderr and "
        "exits with code 2. Input, options and plan are checked before anything is trained (for "
        "`advisor train`, before the run folder is created); the rest (a busy run folder, a chief that "
        "does not answer) when they are met. The message says what was wrong and, in most cases, the "
        "fix. `{...}` stands for a value filled in at run time.",
        "",
        f"{len(messages)} messages in {len({m.path for m in messages})} modules.",
        "",
        "## Usage errors from click",
        "",
        "An unknown option, a missing argument or a value outside a choice is reported by click, with a "
        "pointer to the command's help. Run the `--help` it names. For example (run when this page was built):",
        "",
        *usage_examples(),
        "",
        "## Disk errors and interruptions {#disk-errors}",
        "",
        "A full disk, a quota, a read-only or forbidden folder met anywhere during `advisor train` stop "
        "the run with one line naming the file, exit code 2. The half-written checkpoint is removed, so "
        "the run continues with `--resume` once the cause is fixed.",
        "",
        "| errno | message starts | fix |",
        "|---|---|---|",
    ]
    for errno_name, what, fix in disk_errors():
        out.append(f"| `{errno_name}` | {_as_code(what + ' {path}')} | {_escape(fix)}, then rerun with "
                   f"`--resume` |")
    out += ["",
            "Ctrl-C during `advisor train` prints the stage it stopped in and the command that continues "
            "the run (the same command with `--out` and `--resume`), exit code 130.", ""]
    by_module: dict[str, list[Message]] = {}
    for m in messages:
        by_module.setdefault(m.path, []).append(m)
    for path, items in by_module.items():
        out += [f"## `{path}`", "", "| message | fix it names |", "|---|---|"]
        for m in items:
            what, fix = m.split()
            out.append(f"| {_as_code(what)} | {_escape(fix) if fix else '&mdash;'} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
