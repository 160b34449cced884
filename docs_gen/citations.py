"""Check that every path, module, identifier, command and option a Markdown page cites exists.

What is checked, in inline code spans (`...`) outside fenced blocks:

- paths under the repository's own folders (`advisor/rules/curves.py`,
  `tests/docs/`, `docs/bench/generated-bugs.md`); a path starting with one of
  advisor's sub-packages (`training/budget.py`, as docs/architecture.md writes
  them) may also be relative to `advisor/`;
- dotted names of the project's packages (`recipes.Dropout`, `advisor.diagnose`,
  `advisor.rules.all_rules()`, `search.space.STREAM_UNSUITED`) and names the
  `recipes` package exports (`Plan.load`): imported and looked up;
- `from X import a, b` statements;
- `advisor COMMAND --option ...` and bare `--option`: the command and every
  option must exist in the CLI.

In fenced shell blocks (bash, sh, shell or none), `advisor ...` command lines are checked the
same way; console blocks (a command with its output) are not.
Placeholders (`<family>`, `{path}`, `*`, `...`) and things outside the
repository (`runs/digits`, `keras.layers.Dropout`, `plan.json`) are not.

    python -m docs_gen.citations docs/*.md docs/architecture.md
"""
from __future__ import annotations

import importlib
import re
import shlex
import sys
from functools import lru_cache
from pathlib import Path

from docs_gen.common import ROOT

REPO_DIRS = ("advisor", "recipes", "bench", "docs", "docs_gen", "tests")
PACKAGES = ("advisor", "recipes", "bench", "docs_gen")
# File names that look dotted but are files, not identifiers.
FILE_SUFFIXES = ("py", "md", "json", "keras", "html", "png", "csv", "npz", "txt", "h5", "jpg", "jpeg",
                 "toml", "yml", "yaml", "lock", "gz", "tmp", "log")
FENCE = re.compile(r"^(```|~~~)([^\n]*)\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
SHELL_FENCES = ("", "bash", "sh", "shell")  # console blocks show output, errors included: not checked
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?$")
FROM_IMPORT = re.compile(r"^from ([\w.]+) import ([\w, ]+)$")
PLACEHOLDER = re.compile(r"[<>{}*\[\]]|\.\.\.|…")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")


@lru_cache(maxsize=1)
def advisor_subpackages() -> tuple[str, ...]:
    return tuple(p.name for p in (ROOT / "advisor").iterdir() if (p / "__init__.py").is_file())


@lru_cache(maxsize=1)
def cli_options() -> dict[str, set[str]]:
    """{command: its options} of the `advisor` CLI; "" holds the group's own."""
    from advisor.cli import main

    out = {"": {"--help", "--version"}}
    for name, command in main.commands.items():
        opts = {"--help"}
        for param in command.params:
            opts.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
        out[name] = opts
    return out


def _resolve(dotted: str) -> bool:
    """True when `dotted` names an importable module or an attribute inside one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return False
        return True
    return False


def check_identifier(span: str) -> str | None:
    """None if `span` (a dotted name) exists, else why not; spans that are not ours pass."""
    name = span[:-2] if span.endswith("()") else span
    first, last = name.split(".", 1)[0], name.rsplit(".", 1)[-1]
    if last in FILE_SUFFIXES:
        return None  # a file name: model.keras, plan.json
    if name in entry_point_groups():
        return None  # `advisor.recipes`: an entry-point group pyproject.toml declares
    candidates = []
    if first in PACKAGES:
        candidates.append(name)
    if first in advisor_subpackages() and name.count(".") >= 2:  # search.space.NAME, not report.plan
        candidates.append(f"advisor.{name}")
    if not candidates:
        import recipes

        if first in getattr(recipes, "__all__", ()):
            candidates.append(f"recipes.{name}")
    if not candidates:
        return None
    if any(_resolve(c) for c in candidates):
        return None
    return f"no such module or attribute ({' or '.join(candidates)})"


@lru_cache(maxsize=1)
def entry_point_groups() -> frozenset[str]:
    """The entry-point groups pyproject.toml declares (`advisor.rules`, `advisor.recipes`)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return frozenset(re.findall(r'^\[project\.entry-points\."([^"]+)"\]', text, re.MULTILINE))


def check_path(span: str) -> str | None:
    """A repository path, optionally with an anchor (`docs/references.md#at`) or an attribute of the
    module it names (`data/streamed.StreamedSplits`)."""
    path = span.split("#", 1)[0].rstrip("/")
    first = path.split("/", 1)[0]
    if first not in REPO_DIRS and first not in advisor_subpackages():
        return None
    bases = ([ROOT] if first in REPO_DIRS else []) + ([ROOT / "advisor"] if first in advisor_subpackages() else [])
    if any((base / path).exists() for base in bases):
        return None
    stem, _, attr = path.rpartition(".")
    if stem and attr not in FILE_SUFFIXES and re.fullmatch(r"[A-Za-z_]\w*", attr):
        for base in bases:
            module = base / f"{stem}.py"
            if module.is_file():
                dotted = module.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
                return None if _resolve(f"{dotted}.{attr}") else f"{dotted} has no {attr}"
    return "no such file or folder in the repository"


def check_command(line: str) -> str | None:
    """An `advisor ...` command line: the command and its options must exist."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        tokens = line.split()
    while tokens and ENV_ASSIGNMENT.match(tokens[0]):
        tokens.pop(0)
    if not tokens or tokens[0] != "advisor":
        return None
    options = cli_options()
    args = tokens[1:]
    command = next((a for a in args if not a.startswith("-")), None)
    if command is None:
        known = options[""]
    elif command not in options:
        return f"no command 'advisor {command}'"
    else:
        known = options[command] | options[""]
    for arg in args:
        if arg.startswith("--") and arg.split("=", 1)[0].rstrip(".,;:") not in known:
            return f"'advisor {command or ''}' has no option {arg.split('=', 1)[0]}"
    return None


def check_option(span: str) -> str | None:
    option = span.split()[0].split("=", 1)[0].rstrip(".,;:)")
    if not re.fullmatch(r"--[a-z][a-z0-9-]*", option):
        return None
    if any(option in opts for opts in cli_options().values()):
        return None
    return f"no advisor command has the option {option}"


def check_import(span: str) -> str | None:
    m = FROM_IMPORT.match(span)
    module, names = m.group(1), [n.strip() for n in m.group(2).split(",") if n.strip()]
    if module.split(".")[0] not in PACKAGES:
        return None
    missing = [n for n in names if not _resolve(f"{module}.{n}")]
    return f"{module} has no {', '.join(missing)}" if missing else None


def check_span(span: str) -> str | None:
    """Why the cited `span` does not exist, or None (fine, or not a citation of ours)."""
    span = span.strip()
    if span.startswith("advisor ") and not PLACEHOLDER.search(span.split("#")[0].split(" --")[0]):
        return check_command(span)
    if span.startswith("--"):
        return check_option(span)
    if FROM_IMPORT.match(span):
        return check_import(span)
    if " " in span or "://" in span or PLACEHOLDER.search(span):
        return None
    if "/" in span:
        return check_path(span)
    if DOTTED.match(span):
        return check_identifier(span)
    return None


def _command_lines(block: str):
    """(line offset, command) of every shell line in a fenced block, continuations joined."""
    joined, start = "", None
    for i, line in enumerate(block.splitlines()):
        if start is None:
            start = i
        joined += line.rstrip("\\").rstrip() + " " if line.rstrip().endswith("\\") else line
        if line.rstrip().endswith("\\"):
            continue
        text = joined.strip()
        text = text[2:] if text.startswith("$ ") else text
        for part in re.split(r"&&|\|\||;|\|", text):
            yield start, part.strip()
        joined, start = "", None


def check_text(text: str, where: str = "<text>") -> list[str]:
    """Every problem in a Markdown text, as 'where:line: `span`: why'."""
    problems = []
    fenced = []
    for m in FENCE.finditer(text):
        fenced.append((m.start(), m.end()))
        if m.group(2).strip().split(" ")[0].lstrip(".{") not in SHELL_FENCES:
            continue
        first_line = text.count("\n", 0, m.start(3)) + 1
        for offset, command in _command_lines(m.group(3)):
            why = check_command(command) if command.startswith(("advisor ", "advisor\t")) or \
                re.match(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+advisor\s", command) else None
            if why:
                problems.append(f"{where}:{first_line + offset}: `{command}`: {why}")
    for m in CODE_SPAN.finditer(text):
        if any(a <= m.start() < b for a, b in fenced):
            continue
        why = check_span(m.group(2))
        if why:
            problems.append(f"{where}:{text.count(chr(10), 0, m.start()) + 1}: `{m.group(2)}`: {why}")
    return problems


def check(markdown_path) -> list[str]:
    """Every cited path, module, identifier, command or option of a Markdown file that does not exist."""
    path = Path(markdown_path)
    try:
        shown = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        shown = str(path)
    return check_text(path.read_text(encoding="utf-8"), shown)


def main(argv=None) -> int:
    sys.path.insert(0, str(ROOT))
    problems = [p for page in (argv if argv is not None else sys.argv[1:]) for p in check(page)]
    print("\n".join(problems) or "every citation resolves")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
