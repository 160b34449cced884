"""The generated pages cover what the registries hold: every recipe, every rule, every error message."""
import re

import pytest

from docs_gen import markers, recipe_pages, troubleshooting
from docs_gen.rule_book import rule_reads


def test_recipe_pages_list_every_registered_recipe(generated):
    from recipes import registry

    pages = {path: text for path, text in generated.items() if path.startswith("recipes/")}
    assert set(pages) == {recipe_pages.page_of(f) for f in recipe_pages.FAMILIES}
    documented = {}
    for path, text in pages.items():
        for key in re.findall(r"^## \w+ \{#(\w+)\}$", text, re.MULTILINE):
            documented[key] = path
    assert sorted(documented) == sorted(registry.all_recipes())
    for key, cls in registry.all_recipes().items():
        section = pages[documented[key]].split(f"{{#{key}}}", 1)[1].split("\n## ", 1)[0]
        assert f"Registry key `{key}`" in section
        assert "**When to use.**" in section and "**Arguments**" in section and "**Example**" in section, key
        for arg in cls.arg_names():
            assert f"| `{arg}` |" in section, (key, arg)


def test_every_family_page_is_in_the_nav_and_no_recipe_is_homeless():
    import yaml

    nav = yaml.safe_load((markers.ROOT / "mkdocs.yml").read_text())["nav"]
    flat = re.findall(r"[\w/]+\.md", str(nav))
    for family in recipe_pages.FAMILIES:
        assert recipe_pages.page_of(family) in flat
    homeless = [key for key, cls in recipe_pages.by_family().get(None, {}).items()
                if cls.__module__.split(".")[0] == "recipes"]  # plug-ins are listed on recipes/index.md
    assert not homeless, f"built-in recipes outside the family packages: {homeless}"


def test_rule_book_lists_every_registered_rule(generated):
    from advisor.rules import all_rules

    page = generated["rules.md"]
    sections = re.findall(r"^## `(\w+)` \{#\w+\}$", page, re.MULTILINE)
    assert sections == [r.name for r in all_rules()]  # in priority order, as `advisor rules`
    for r in all_rules():
        section = page.split(f"{{#{r.name}}}", 1)[1].split("\n## ", 1)[0]
        assert f"priority **{r.priority}**" in section
        assert " ".join(r.rationale.split()[:6]) in " ".join(section.split()), r.name


def test_rule_reads_finds_findings_and_recipes_through_helpers():
    from advisor.rules import all_rules

    rules = {r.name: r for r in all_rules()}
    findings, recipes, dynamic = rule_reads(rules["overfitting"])
    assert findings == ["overfitting"]
    assert {"dropout", "l2", "adamw", "label_smoothing", "early_stop", "image_augment"} <= set(recipes)
    findings, recipes, _ = rule_reads(rules["bad_initialization"])  # names in a comprehension's tuple
    assert findings == ["init_activation_mismatch", "init_scale", "zero_init"] and recipes == ["initializer"]
    assert "learning_rate" in rule_reads(rules["divergence"])[1]  # via the lr_move helper
    assert rule_reads(rules["data_hygiene"])[0]  # via a module-level dict's keys


def test_every_rule_source_resolves_in_references(generated):
    assert "none cited" not in generated["rules.md"].split("## `divergence`", 1)[1].split("\n## ", 1)[0]
    assert "(../references.md#" not in generated["rules.md"]  # rules.md sits at the top: no ../
    assert "[\\[AT\\] AUTOTRAINER](references.md#at)" in generated["rules.md"]


def test_troubleshooting_holds_every_collected_message(generated):
    page = generated["troubleshooting.md"]
    messages = troubleshooting.collect()
    assert len(messages) > 100
    for m in messages:
        what, _ = m.split()
        assert " ".join(what.split())[:40].replace("|", "\\|") in page, m
    assert "## `advisor/cli.py`" in page
    assert "`--budget must be positive, got {text}`" in page
    assert "error: No such option '--budjet'" in page  # the CLI's own output, run at build time


@pytest.mark.parametrize("template, fix", [
    ("--no-probe looks at the data only: drop --model, or drop --no-probe", "drop --model, or drop --no-probe"),
    ("{path} has no column {target}; columns are: {...}", ""),
    ("run folder {path} is in use by {by} (advisor train); wait for it or choose another --out",
     "wait for it or choose another --out"),
])
def test_fix_split(template, fix):
    assert troubleshooting.split_fix(template)[1] == fix


def test_templates_resolve_fstrings_concatenation_and_message_builders():
    import ast

    functions = {f.name: f for f in ast.parse("def hint(n):\n    return f'unknown {n}: pick one'\n").body}
    call = ast.parse("f'a {x!r} b' + ('c' if y else 'd')", mode="eval").body
    assert troubleshooting.templates(call, functions) == ["a {x} bc", "a {x} bd"]
    assert troubleshooting.templates(ast.parse("hint(name)", mode="eval").body, functions) == \
        ["unknown {n}: pick one"]


def test_optional_include_says_the_table_is_not_published(tmp_path):
    assert markers.include("docs/bench/no-such-results.md optional", "benchmarks.md") == markers.NOT_PUBLISHED
    with pytest.raises(markers.MarkerError, match="no such file"):
        markers.include("docs/bench/no-such-results.md", "benchmarks.md")


def test_include_moves_headings_and_rebases_links():
    text = markers.include("docs/bench/generated-bugs.md", "benchmarks.md", level=3)
    assert text.startswith("### ")
    rebased = markers._rebase("![plot](accuracy.png) [up](../index.md) [web](https://x.org)",
                              "bench/results.md", "benchmarks.md")
    assert rebased == "![plot](bench/accuracy.png) [up](index.md) [web](https://x.org)"


def test_citation_brackets_after_a_bracket_stay_text():
    out = markers.escape_citation_links("outside [-1, 1] [UM][DD]: a `x[AT][PB]` [link][ref]")
    assert out == "outside [-1, 1] \\[UM]\\[DD]: a `x[AT][PB]` [link][ref]"


def test_a_plugin_recipe_is_listed_on_the_recipes_index_with_an_anchor(monkeypatch):
    from recipes import Recipe, registry

    registry.all_recipes()
    monkeypatch.setattr(registry, "_RECIPES", dict(registry._RECIPES))  # undone after the test

    class Nothing(Recipe):
        """Change nothing (a test plug-in)."""

        name = "nothing_plugin"

        def apply(self, setup):
            return setup

    Nothing.__module__ = "my_advisor_plugin"
    registry.register(Nothing)
    assert "### `nothing_plugin` {#nothing_plugin}" in recipe_pages.catalogue_table()
    assert recipe_pages.recipe_pages()["nothing_plugin"] == "recipes/index.md"
