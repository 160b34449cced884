"""The recipe registry: string key -> `Recipe` class.

Built-in recipes register themselves with the `register` decorator when
`recipes` is imported. Third-party packages add recipes through the Python
entry-point group **"advisor.recipes"**; each entry point names a `Recipe`
subclass, e.g. in the plug-in's pyproject.toml:

    [project.entry-points."advisor.recipes"]
    cutout = "my_package.cutout:Cutout"

They are loaded the first time `get` or `all_recipes` is called.
"""
from __future__ import annotations

from importlib import metadata

ENTRY_POINT_GROUP = "advisor.recipes"

_RECIPES: dict[str, type] = {}
_entry_points_loaded = False


def register(cls: type) -> type:
    """Class decorator: make a `Recipe` subclass known under its `name`.

    Example:
        >>> from recipes.base import Recipe
        >>> @register                                   # doctest: +SKIP
        ... class Nothing(Recipe):
        ...     name = "nothing_example"
        ...     def apply(self, setup):
        ...         return setup
    """
    from recipes.base import Recipe

    if not (isinstance(cls, type) and issubclass(cls, Recipe)):
        raise ValueError(f"register expects a Recipe subclass, got {cls!r}")
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a non-empty class attribute `name` to be registered")
    known = _RECIPES.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"recipe name {cls.name!r} is taken by {known.__module__}.{known.__name__}; "
                         f"choose another name for {cls.__module__}.{cls.__name__}")
    _RECIPES[cls.name] = cls
    return cls


def load_entry_points() -> None:
    """Register the recipes that installed packages declare under "advisor.recipes"."""
    global _entry_points_loaded
    _entry_points_loaded = True  # set first: a plug-in importing `recipes` must not recurse
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            register(entry_point.load())
        except Exception as error:  # say which plug-in broke, not just the import error
            raise ValueError(f"entry point {entry_point.name!r} = {entry_point.value!r} in group "
                             f"{ENTRY_POINT_GROUP!r} could not be loaded: {error}") from error


def all_recipes() -> dict[str, type]:
    """Every registered recipe class by name, sorted by name."""
    if not _entry_points_loaded:
        load_entry_points()
    return dict(sorted(_RECIPES.items()))


def get(name: str) -> type:
    """The recipe class registered as `name`; ValueError listing the known names otherwise."""
    recipes = all_recipes()
    if not isinstance(name, str) or name not in recipes:
        raise ValueError(f"unknown recipe {name!r}; known recipes: {', '.join(recipes)}")
    return recipes[name]
