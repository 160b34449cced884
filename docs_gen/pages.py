"""Every page generated at build time: {docs-relative path: Markdown}."""
from __future__ import annotations


def generated() -> dict[str, str]:
    """The generated pages, written from the code as it is now."""
    from docs_gen import reference, rule_book, troubleshooting
    from docs_gen.recipe_pages import FAMILIES, page_of, recipe_pages, render_family

    out = {page_of(family): render_family(family) for family in FAMILIES}
    out["rules.md"] = rule_book.render(recipe_pages())
    out["troubleshooting.md"] = troubleshooting.render()
    out["reference/advisor.md"] = reference.advisor_page()
    out["reference/recipes.md"] = reference.recipes_page()
    out["reference/rules.md"] = reference.rules_page()
    return out
