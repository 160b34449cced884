"""The rule book page, written from the rule registry (`advisor.rules.all_rules`).

For each rule: its priority and family, the findings it reads and the recipes
it can recommend (both read from the rule's source by an AST walk that follows
the helpers it calls), its rationale (the docstring `advisor rules` prints) and
the sources that rationale cites, resolved through docs/references.md. Then the
ordered repair alternatives the search tries per problem
(`advisor.rules.repair_sequence`).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from functools import lru_cache

from docs_gen.common import cell, code
from docs_gen.sources import source_links



@lru_cache(maxsize=None)
def _module_tree(module_name: str):
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    try:
        return ast.parse(inspect.getsource(module)), module
    except (OSError, TypeError):
        return None, module


def _function_node(func) -> tuple[ast.FunctionDef | None, str]:
    tree, _ = _module_tree(func.__module__)
    if tree is None:
        return None, func.__module__
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == func.__name__:
            return node, func.__module__
    return None, func.__module__


def _strings(node) -> list[str]:
    """Every string constant in `node` (tuple elements, dict keys, nested)."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _module_constant(module_name: str, name: str):
    """The value node of a module-level assignment `name = ...` (following `from X import name`)."""
    tree, _ = _module_tree(module_name)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == name and a.asname is None
                                                                     for a in node.names):
            try:
                return _module_constant(node.module, name)
            except ImportError:
                return None
    return None


def _callee(call: ast.Call, module_name: str) -> tuple[str, str] | None:
    """(module, function) of a call to a function defined in this module or in a module
    imported by alias (`H.lr_move`), else None."""
    tree, module = _module_tree(module_name)
    f = call.func
    if isinstance(f, ast.Name):
        target = getattr(module, f.id, None)
    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        target = getattr(getattr(module, f.value.id, None), f.attr, None)
    else:
        return None
    if inspect.isfunction(target) and target.__module__.startswith("advisor."):
        return target.__module__, target.__name__
    return None


class _Reads(ast.NodeVisitor):
    """Collect the names a function mentions (finding candidates: every string constant and the
    strings of module constants it uses, except a recommendation's recipe) and the recipes it
    recommends, following the helper functions it calls."""

    def __init__(self, module_name: str, findings: set[str], recipes: set[str], dynamic: set[str], seen: set):
        self.module_name, self.findings, self.recipes, self.dynamic, self.seen = (
            module_name, findings, recipes, dynamic, seen)
        self.recipe_args: set[int] = set()

    def visit_Constant(self, node):
        if isinstance(node.value, str) and id(node) not in self.recipe_args:
            self.findings.add(node.value)

    def visit_Name(self, node):
        value = _module_constant(self.module_name, node.id)
        if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
            self.findings.update(_strings(value))
        elif isinstance(value, ast.Dict):
            self.findings.update(k.value for k in value.keys if isinstance(k, ast.Constant))

    def visit_Call(self, node):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name == "Recommendation" and node.args and not isinstance(node.args[0], (ast.Starred, ast.Name)):
            first = node.args[0]
            self.recipes.update(_strings(first))
            self.recipe_args.update(id(n) for n in ast.walk(first))
        callee = _callee(node, self.module_name)
        if callee is not None:
            _walk_function(*callee, self.findings, self.recipes, self.dynamic, self.seen, helper=True)
        self.generic_visit(node)


def _returned_recipes(fn: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """Recipe names a helper returns as the first item of (recipe, config[, ...]) tuples,
    and the expressions it returns there instead of a name (e.g. `facts.optimizer`)."""
    names, dynamic = set(), set()
    for node in ast.walk(fn):
        if not isinstance(node, ast.Tuple) or len(node.elts) < 2 or not isinstance(node.elts[1], ast.Dict):
            continue
        first = node.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
        elif isinstance(first, ast.Attribute):
            dynamic.add(ast.unparse(first))
    for node in ast.walk(fn):  # `return facts.optimizer, config, move`
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and node.value.elts:
            first = node.value.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
            elif isinstance(first, ast.Attribute):
                dynamic.add(ast.unparse(first))
    return names, dynamic


def _walk_function(module_name, func_name, findings, recipes, dynamic, seen, helper=False):
    if (module_name, func_name) in seen:
        return
    seen.add((module_name, func_name))
    tree, _ = _module_tree(module_name)
    node = next((n for n in (tree.body if tree else []) if isinstance(n, ast.FunctionDef) and n.name == func_name),
                None)
    if node is None:
        return
    if helper:
        names, dyn = _returned_recipes(node)
        recipes.update(names)
        dynamic.update(dyn)
    _Reads(module_name, findings, recipes, dynamic, seen).visit(node)


def rule_reads(rule) -> tuple[list[str], list[str], list[str]]:
    """(findings read, recipes recommended, recipes chosen at run time) of one rule, from its source;
    limited to the catalog's finding and recipe names (and registered plug-in recipes)."""
    from advisor.rules.catalog import FINDINGS, RECIPES
    from recipes import registry

    node, module_name = _function_node(rule.func)
    if node is None:
        return [], [], []
    findings, recipes, dynamic = set(), set(), set()
    _walk_function(module_name, rule.func.__name__, findings, recipes, dynamic, set())
    known_findings = {n for names in FINDINGS.values() for n in names}
    known_recipes = set(RECIPES) | set(registry.all_recipes())
    return (sorted(findings & known_findings), sorted(recipes & known_recipes), sorted(dynamic))


def recipe_link(name: str, pages: dict[str, str], depth: int = 0) -> str:
    page = pages.get(name)
    return f"[{code(name)}]({'../' * depth}{page}#{name})" if page else code(name)


def _config(config: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in config.items())


def render(recipe_pages: dict[str, str]) -> str:
    """The whole rule book page. `recipe_pages`: recipe key -> page path (docs-relative)."""
    from advisor.rules import all_rules, repair_sequence, repairable_problems

    rules = all_rules()
    out = [
        "# The rule book",
        "",
        "!!! note \"Generated\"",
        "    This page is written at build time from the rule registry (`advisor.rules.all_rules()`, "
        "the same list `advisor rules` prints). Edit a rule's docstring, not this page.",
        "",
        "A rule is a plain function of the `Facts` a diagnosis collected; it returns recommendations "
        "(a recipe with a concrete config and the evidence, or advice only you can follow). "
        "The engine runs every rule, takes recommendations highest priority first, drops those that "
        "contradict a higher one (no dropout against underfitting, one optimizer per plan) and orders "
        "the rest the way a plan is built. "
        "How to add a rule: [Extending](extending.md#a-new-rule).",
        "",
        f"{len(rules)} rules, highest priority first.",
        "",
        "| rule | family | priority | reads | can recommend |",
        "|---|---|---:|---|---|",
    ]
    details = []
    for r in rules:
        findings, recipes, dynamic = rule_reads(r)
        reads = ", ".join(code(f) for f in findings) or "facts only"
        recs = ", ".join(recipe_link(name, recipe_pages) for name in recipes) or "advice only"
        if dynamic:
            recs += " (or the optimizer in use, at a new rate)" if any("optimizer" in d for d in dynamic) else ""
        out.append(f"| [{code(r.name)}](#{r.name}) | {r.family} | {r.priority} | {reads} | {recs} |")
        rationale = textwrap.dedent(r.rationale).strip()
        block = [f"## {code(r.name)} {{#{r.name}}}", "",
                 f"Family **{r.family}**, priority **{r.priority}**.", "",
                 "> " + "\n> ".join(" ".join(p.split()) for p in rationale.split("\n\n")), ""]
        block.append(f"- **Reads:** {reads}")
        block.append(f"- **Can recommend:** {recs}")
        sources = source_links(rationale)
        block.append(f"- **Sources:** {', '.join(sources) if sources else 'none cited'}")
        details += block + [""]
    out += ["", *details]
    out += ["## Repair alternatives the search tries {#repair-alternatives}", "",
            "For each training problem the diagnosis finds, `advisor train` offers keras-tuner one choice "
            "among these steps (and *none*); a step's recipes are applied together. Shown with no facts; "
            "with a real model, learning-rate and batch steps carry its numbers "
            "(`advisor.rules.repair_sequence(problem, facts)`).", ""]
    for problem in repairable_problems():
        out += [f"### {code(problem)}", ""]
        for i, step in enumerate(repair_sequence(problem), 1):
            parts = [recipe_link(name, recipe_pages) + (f" ({cell(_config(config))})" if config else "")
                     for name, config in step]
            out.append(f"{i}. " + " + ".join(parts))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
