"""The API reference pages: mkdocstrings directives for the public names.

`advisor.diagnose` and `advisor.train` are lazy exports (PEP 562
`__getattr__` in advisor/__init__.py, so `import advisor` does not import
TensorFlow); the module each comes from is read from that `__getattr__` at
build time, so the reference follows the code when the function moves.
"""
from __future__ import annotations

import ast

from docs_gen.common import ROOT

OPTIONS = ["    options:", "      show_root_heading: true", "      heading_level: 2"]


def lazy_exports(package: str = "advisor") -> dict[str, str]:
    """{exported name: defining module path} from the package's `__getattr__`."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name == "__getattr__"):
            continue
        for branch in ast.walk(node):
            if not isinstance(branch, ast.If):
                continue
            test = branch.test
            if not (isinstance(test, ast.Compare) and isinstance(test.comparators[0], ast.Constant)):
                continue
            name = test.comparators[0].value
            for sub in branch.body:
                if isinstance(sub, ast.ImportFrom):
                    for alias in sub.names:
                        if (alias.asname or alias.name) == name:
                            out[name] = f"{sub.module}.{alias.name}"
    return out


def _return_class(path: str) -> str | None:
    """The class a function's return annotation names, when that class is defined in the same module."""
    module, func = path.rsplit(".", 1)
    file = ROOT / (module.replace(".", "/") + ".py")
    if not file.is_file():
        return None
    tree = ast.parse(file.read_text(encoding="utf-8"))
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == func and node.returns is not None:
            name = ast.unparse(node.returns).strip("'\"")
            if name in classes:
                return f"{module}.{name}"
    return None


def _directive(path: str, heading: str | None = None, members: bool = True) -> list[str]:
    lines = [f"::: {path}", *OPTIONS]
    if heading:
        lines.append(f"      heading: \"{heading}\"")
        lines.append("      show_root_full_path: false")
    if not members:
        lines.append("      members: false")
    return lines + [""]


def advisor_page() -> str:
    exports = lazy_exports()
    out = ["# advisor: diagnose and train", "",
           "`from advisor import diagnose, train`. Importing `advisor` is instant: TensorFlow is imported "
           "the first time one of the two is used.", ""]
    for name in ("diagnose", "train"):
        path = exports[name]
        out += _directive(path, heading=f"advisor.{name}")
        returned = _return_class(path)
        if returned:
            short = returned.rsplit(".", 1)[1]
            out += [f"What `advisor.{name}` returns:", "", *_directive(returned, heading=short)]
    return "\n".join(out)


def recipes_page() -> str:
    from docs_gen.recipe_pages import FAMILIES, by_family, public_name

    out = ["# recipes", "",
           "The recipe library: usable without the rest of the advisor. The family pages under "
           "[Recipes](../recipes/index.md) say when to use each recipe; this page is the API.", "",
           "## Plans and the recipe protocol", ""]
    for name in ("recipes.Plan", "recipes.Recipe", "recipes.TrainingSetup"):
        out += _directive(name)
    out += ["## Registry", ""]
    for name in ("recipes.register", "recipes.get", "recipes.all_recipes"):
        out += [f"::: {name}", "    options:", "      show_root_heading: true", "      heading_level: 3", ""]
    groups = by_family()
    for family, (title, _) in FAMILIES.items():
        out += [f"## {title}", ""]
        for key, cls in groups.get(family, {}).items():
            out += [f"::: {public_name(cls)}", "    options:", "      show_root_heading: true",
                    "      heading_level: 3", "      members: false", ""]
    return "\n".join(out)


def rules_page() -> str:
    import advisor.rules

    out = ["# advisor.rules", "",
           "The rule book's public names (`from advisor.rules import rule, Recommendation, advise`), the "
           "`Facts` every rule reads and the engine that turns recommendations into a plan. "
           "The rules themselves: [The rule book](../rules.md).", ""]
    for name in advisor.rules.__all__:
        if name.isupper():
            continue
        out += [f"::: advisor.rules.{name}", "    options:", "      show_root_heading: true",
                "      heading_level: 2", ""]
    for path in ("advisor.rules.facts.Facts", "advisor.rules.engine.decide", "advisor.rules.engine.Decision"):
        out += [f"::: {path}", "    options:", "      show_root_heading: true", "      heading_level: 2", ""]
    return "\n".join(out)
