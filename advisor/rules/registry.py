"""The rule registry: `@rule`, `Recommendation`, and third-party rules.

A rule is a plain function `f(facts) -> list[Recommendation]`. Its name is the
function name, its docstring is the rationale `advisor rules` shows, and its
priority orders it against other rules (higher wins a conflict).

Third-party rules: entry-point group ``"advisor.rules"``. In a package's
pyproject.toml::

    [project.entry-points."advisor.rules"]
    warn_tiny_batches = "my_pkg.rules:warn_tiny_batches"

The object an entry point names must be a function taking `Facts` and
returning a list of `Recommendation` (import it from `advisor.rules`), with a
docstring (its rationale). Either decorate it with `@rule(priority=...)`, or
leave it plain and optionally set `warn_tiny_batches.priority = 40`
(default `DEFAULT_PRIORITY`). Its name must not clash with another rule's.
A plug-in that fails to import or breaks this contract raises `AdvisorError`
naming the entry point: a silently skipped rule would silently change plans.

Example (a plug-in module writes ``@rule(priority=50)`` above the function;
the doctest builds the same `Rule` without adding it to the rule book):
    >>> from advisor.rules.facts import Facts
    >>> def likes_adam(facts):
    ...     '''Adam is a sound default [S4].'''
    ...     return [Recommendation("adam", {"learning_rate": 1e-3}, why="no optimizer chosen")]
    >>> [(r.recipe, r.rule, r.priority) for r in Rule("likes_adam", likes_adam, 50, "", "mine")(Facts())]
    [('adam', 'likes_adam', 50)]
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
from typing import Any, Callable

from advisor.errors import AdvisorError

ENTRY_POINT_GROUP = "advisor.rules"
DEFAULT_PRIORITY = 50
# The built-in families, one module each, imported on first use.
FAMILIES = ("curves", "gradients", "data", "model", "hardware", "defaults")

_RULES: dict[str, "Rule"] = {}
_plugins_loaded = False


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """Apply `recipe` with `config` (or, with recipe None, follow `advice`), because `why`.

    Args:
        recipe: a recipe registry key, or None for advice-only items.
        config: the recipe's keyword arguments, concrete numbers.
        why: the evidence, with its numbers.
        rule: the rule that made it (stamped by the registry).
        priority: that rule's priority (stamped by the registry).
        advice: what to do, for items no recipe can apply.
    """

    recipe: str | None
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    why: str = ""
    rule: str = ""
    priority: int = 0
    advice: str | None = None

    def __post_init__(self):
        if self.recipe is None and not self.advice:
            raise ValueError(f"A Recommendation without a recipe needs advice text; got why={self.why!r}")
        if not self.why:
            raise ValueError(f"Recommendation {self.recipe or self.advice!r} needs evidence in `why`")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def advise(text: str, why: str) -> Recommendation:
    """An advice-only recommendation (no recipe can do it for the user)."""
    return Recommendation(None, {}, why, advice=text)


@dataclasses.dataclass(frozen=True)
class Rule:
    """A registered rule: call it with Facts to get stamped recommendations."""

    name: str
    func: Callable
    priority: int
    rationale: str
    family: str

    def __call__(self, facts) -> list[Recommendation]:
        out = self.func(facts) or []
        if not all(isinstance(r, Recommendation) for r in out):
            raise AdvisorError(f"rule {self.name!r} must return a list of Recommendation, got {out!r}")
        return [dataclasses.replace(r, rule=self.name, priority=self.priority) for r in out]


def register(func: Callable, priority: int = DEFAULT_PRIORITY, family: str | None = None) -> Rule:
    """Add a function to the rule book; returns its `Rule`."""
    doc = (func.__doc__ or "").strip()
    if not doc:
        raise AdvisorError(f"rule {func.__name__!r} has no docstring; its docstring is the rationale users see")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise AdvisorError(f"rule {func.__name__!r} priority must be an int, got {priority!r}")
    existing = _RULES.get(func.__name__)
    if existing is not None and _origin(existing.func) != _origin(func):
        raise AdvisorError(f"rule name {func.__name__!r} is taken by {_origin(existing.func)}; rename "
                           f"{_origin(func)}")
    new = Rule(func.__name__, func, priority, doc, family or func.__module__.rsplit(".", 1)[-1])
    _RULES[new.name] = new
    return new


def rule(priority: int = DEFAULT_PRIORITY) -> Callable:
    """Decorator: register the function as a rule; the function is returned unchanged."""
    def decorate(func):
        func.advisor_rule = register(func, priority)
        return func
    return decorate


def all_rules(plugins: bool = True) -> list[Rule]:
    """Every rule, highest priority first, ties by name (a deterministic order)."""
    for family in FAMILIES:
        importlib.import_module(f"advisor.rules.{family}")
    if plugins:
        load_plugins()
    return sorted(_RULES.values(), key=lambda r: (-r.priority, r.name))


def load_plugins(force: bool = False) -> list[Rule]:
    """Load the rules of the `advisor.rules` entry-point group (once unless `force`)."""
    global _plugins_loaded
    if _plugins_loaded and not force:
        return []
    loaded = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            func = ep.load()
        except Exception as e:  # any import error in someone else's package
            raise AdvisorError(f"rule plug-in {ep.name!r} ({ep.value}) failed to load: {e}; "
                               "fix or uninstall the package providing it") from e
        if not callable(func):
            raise AdvisorError(f"rule plug-in {ep.name!r} ({ep.value}) is {func!r}, not a function of Facts")
        found = getattr(func, "advisor_rule", None)
        loaded.append(found or register(func, getattr(func, "priority", DEFAULT_PRIORITY), family="plugin"))
    _plugins_loaded = True
    return loaded


def _origin(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"
