"""The recipe pages, one per family, written from the recipe registry and each class's docstring.

A recipe's family is the sub-package of `recipes` its class lives in
(`recipes/regularizers/dropout.py` -> regularizers). For each recipe: its
registry key and class, the summary, "When to use", the arguments with their
defaults, the values keras-tuner may vary (`search_space`), and the docstring's
example (which `tests/recipes/test_every_recipe.py` runs).
"""
from __future__ import annotations

import inspect

from docs_gen.common import (cell, code, docstring_sections, doctest_block, google_args, prose_to_markdown)
from docs_gen.sources import source_links

# family (sub-package of recipes) -> (page title, one line on what the family changes)
FAMILIES = {
    "optimizers": ("Optimizers", "The optimizer `Plan.build` compiles the model with, its learning rate and "
                                 "gradient clipping."),
    "schedules": ("Schedules", "How the learning rate changes over training. A plan holds one schedule."),
    "regularizers": ("Regularizers", "Ways to make the model generalize: dropout, weight penalties, batch "
                                     "normalization, label smoothing, input noise."),
    "losses": ("Losses and metrics", "The loss the model is compiled with, and the metrics `fit` reports."),
    "callbacks": ("Callbacks", "Callbacks `Plan.fit_kwargs` adds to `model.fit`."),
    "data": ("Data", "What happens to the data before it reaches the model: normalization, augmentation, "
                     "class balance, batch size."),
    "architecture": ("Architecture", "Edits to the model itself: activations, initializers, width, depth, the "
                                     "output head, fine-tuning a pretrained base."),
    "hardware": ("Hardware", "Where and in which precision the model trains: mixed precision, several "
                             "devices, several hosts."),
}
# Recipes defined outside a family sub-package, by module.
MODULE_FAMILY = {"recipes.metrics": "losses"}


def page_of(family: str) -> str:
    return f"recipes/{family}.md"


def family_of(cls) -> str | None:
    """The family of a recipe class, or None (a plug-in recipe defined outside `recipes`)."""
    module = cls.__module__
    if module in MODULE_FAMILY:
        return MODULE_FAMILY[module]
    parts = module.split(".")
    if parts[0] == "recipes" and len(parts) > 2 and parts[1] in FAMILIES:
        return parts[1]
    return None


def by_family() -> dict[str | None, dict[str, type]]:
    """{family: {key: class}} for every registered recipe (plug-ins under None)."""
    from recipes import registry

    out: dict[str | None, dict[str, type]] = {family: {} for family in FAMILIES}
    for key, cls in registry.all_recipes().items():
        out.setdefault(family_of(cls), {})[key] = cls
    return out


def recipe_pages() -> dict[str, str]:
    """recipe key -> the docs-relative page that documents it."""
    return {key: (page_of(family) if family else "recipes/index.md")
            for family, recipes in by_family().items() for key, cls in recipes.items()}


def public_name(cls) -> str:
    """`recipes.Dropout` when the class is exported by `recipes`, else its full path."""
    import recipes

    if getattr(recipes, cls.__name__, None) is cls:
        return f"recipes.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _hyperparameters(cls) -> list[str]:
    """The tunable values of the recipe's default instance, as 'name: range (default)'."""
    import keras_tuner as kt

    hp = kt.HyperParameters()
    try:
        cls().search_space(hp)
    except Exception as error:  # a plug-in that cannot be built without arguments
        return [f"(not shown: {type(error).__name__})"]
    out = []
    for h in hp.space:
        c = h.get_config()
        kind = type(h).__name__
        if "values" in c:
            what = "one of " + ", ".join(code(repr(v)) for v in c["values"])
        elif "min_value" in c:
            scale = " (log scale)" if c.get("sampling") == "log" else ""
            what = f"{kind.lower()} from {c['min_value']:g} to {c['max_value']:g}{scale}"
        else:
            what = kind.lower()
        out.append(f"{code(c['name'])}: {what}, default {code(repr(c['default']))}")
    return out


def _args_table(cls, documented: dict[str, str]) -> list[str]:
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    if not params:
        return ["No arguments."]
    rows = ["| argument | default | meaning |", "|---|---|---|"]
    for p in params:
        default = "required" if p.default is inspect.Parameter.empty else code(repr(p.default))
        meaning = next((text for names, text in documented.items()
                        if p.name in [n.strip() for n in names.replace("/", ",").split(",")]), "")
        rows.append(f"| {code(p.name)} | {default} | {cell(meaning)} |")
    return rows


def render_recipe(key: str, cls, depth: int = 1) -> str:
    """One recipe's section."""
    doc = docstring_sections(cls)
    summary = " ".join(doc.get("summary", "").split())
    out = [f"## {cls.__name__} {{#{key}}}", "",
           f"Registry key {code(key)} · class [{code(public_name(cls))}][{public_name(cls)}]"
           + (f" · one per plan (slot {code(cls.slot)})" if cls.slot else ""), "",
           summary, ""]
    if doc.get("description"):
        out += [prose_to_markdown(doc["description"]), ""]
    if doc.get("When to use"):
        when = " ".join(doc["When to use"].split())
        out += ["**When to use.** " + when[:1].upper() + when[1:], ""]
    out += ["**Arguments**", "", *_args_table(cls, google_args(doc.get("Args", ""))), ""]
    tunable = _hyperparameters(cls)
    out += ["**Tunable values** (what keras-tuner varies when a plan holding it is tuned): "
            + ("; ".join(tunable) if tunable else "none."), ""]
    sources = source_links(inspect.getdoc(cls) or "", page_depth=depth)
    if sources:
        out += ["**Sources:** " + ", ".join(sources), ""]
    if doc.get("Example"):
        out += ["**Example**", "", doctest_block(doc["Example"]), ""]
    return "\n".join(out)


def render_family(family: str) -> str:
    title, line = FAMILIES[family]
    recipes = by_family()[family]
    out = [f"# {title}", "",
           "!!! note \"Generated\"",
           "    Written at build time from the recipe registry and each recipe's docstring. "
           "Its examples run as tests.", "",
           line, "",
           "| recipe | key | summary |", "|---|---|---|"]
    for key, cls in recipes.items():
        summary = docstring_sections(cls).get("summary", "")
        out.append(f"| [{cls.__name__}](#{key}) | {code(key)} | {cell(summary)} |")
    out.append("")
    for key, cls in recipes.items():
        out += [render_recipe(key, cls), ""]
    return "\n".join(out).rstrip() + "\n"


def catalogue_table() -> str:
    """Every registered recipe, by family, linking to its section (for recipes/index.md)."""
    out = ["| family | recipes |", "|---|---|"]
    groups = by_family()
    for family, (title, _) in FAMILIES.items():
        links = ", ".join(f"[{code(key)}]({family}.md#{key})" for key in groups.get(family, {}))
        out.append(f"| [{title}]({family}.md) | {links} |")
    plugins = groups.get(None, {})
    if plugins:
        out += ["", "## Plug-in recipes", "",
                "Installed packages add these through the entry-point group `advisor.recipes`.", ""]
        for key, cls in plugins.items():
            summary = " ".join(docstring_sections(cls).get("summary", "").split())
            out += [f"### {code(key)} {{#{key}}}", "",
                    f"{summary} (class {code(f'{cls.__module__}.{cls.__qualname__}')})", ""]
    return "\n".join(out)
