"""No import cycles inside the product's packages, function-local imports included:
a local import hides a cycle from Python, not from a reader."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _graph(package: str) -> dict[str, set[str]]:
    modules = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        package_of = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package_of.split(".")[: len(package_of.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    deps.add(target if target in modules else base)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle, as the path that closes it, or None (depth-first search)."""
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", ["advisor", "recipes"])
def test_no_import_cycle(package):
    cycle = _cycle(_graph(package))
    assert cycle is None, " -> ".join(cycle)


def _packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between `advisor.<package>` (a top-level module is its own node)."""
    def node(module):
        return ".".join(module.split(".")[:2])

    packages = {}
    for module, deps in graph.items():
        packages.setdefault(node(module), set()).update(node(d) for d in deps if node(d) != node(module))
    return packages


def test_no_import_cycle_between_packages():
    """docs/architecture.md's layers: no package imports one that imports it back (the
    package `advisor` itself, whose __init__ only re-exports lazily, left out)."""
    packages = {k: v - {"advisor"} for k, v in _packages(_graph("advisor")).items() if k != "advisor"}
    cycle = _cycle(packages)
    assert cycle is None, " -> ".join(cycle)


def test_search_and_training_stand_side_by_side_on_the_runtime():
    packages = _packages(_graph("advisor"))
    assert "advisor.training" not in packages["advisor.search"]
    assert "advisor.search" not in packages["advisor.training"]
    # The bottom layer: budget, progress, run folder... import no other stage.
    assert packages["advisor.runtime"] <= {"advisor.errors"}, packages["advisor.runtime"]


def test_the_check_sees_a_cycle_through_a_local_import():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    graph = _graph("advisor")
    assert "advisor.probe.trace" in graph["advisor.probe.detectors"]  # a module-level import
    assert "advisor.pipeline" in graph["advisor.cli"]  # a function-local one (cli imports lazily)


def test_stage_packages_do_not_shadow_the_lazy_exports():
    """`advisor.training` is a package; importing it must leave `from advisor import train`
    the function (a package named `advisor.train` would have replaced it)."""
    import types

    import advisor.pipeline  # noqa: F401
    from advisor import diagnose, train

    assert callable(train) and callable(diagnose)
    assert not isinstance(train, types.ModuleType) and train.__module__ == "advisor.pipeline"
