"""Every path, module, identifier, command and option the manual cites exists.

`docs_gen.citations.check(path)` takes any Markdown file; run it on
docs/architecture.md with `python -m docs_gen.citations docs/architecture.md`.
"""
import pytest

from docs_gen import citations, markers

from .conftest import DOCS, MANUAL


@pytest.mark.parametrize("page", MANUAL)
def test_handwritten_page_cites_only_what_exists(page):
    problems = citations.check(DOCS / page)
    assert not problems, "\n".join(problems)
    # and what it includes (the README's sections, the benchmark's tables)
    included = markers.expand((DOCS / page).read_text(), page, only=("include", "readme-section"))
    problems = citations.check_text(included, f"{page} (with its includes)")
    assert not problems, "\n".join(problems)


def test_the_readme_cites_only_what_exists():
    problems = citations.check(DOCS.parent / "README.md")
    assert not problems, "\n".join(problems)


def test_generated_pages_cite_only_what_exists(generated):
    problems = [p for path, text in generated.items() for p in citations.check_text(text, path)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("span", [
    "advisor/rules/curves.py", "recipes.Dropout", "advisor.diagnose", "advisor.rules.all_rules()",
    "Plan.load", "advisor/data/", "docs/references.md#at", "advisor diagnose digits --no-probe --json",
    "--budget", "from advisor import diagnose, train", "advisor.recipes",
    # not ours or placeholders: never checked
    "keras.layers.Dropout", "runs/digits", "model.keras", "report.plan", "recipes/<family>/", "{path}",
])
def test_existing_or_foreign_spans_pass(span):
    assert citations.check_span(span) is None


@pytest.mark.parametrize("span, why", [
    ("advisor/rules/no_such.py", "no such file"),
    ("recipes.NoSuchRecipe", "no such module or attribute"),
    ("advisor.rules.no_such_function", "no such module or attribute"),
    ("advisor train digits --no-such-option", "has no option --no-such-option"),
    ("advisor fly digits", "no command"),
    ("--no-such-option", "no advisor command"),
    ("from advisor.rules import rule, no_such_name", "has no no_such_name"),
    ("search.space.NO_SUCH_NAME", "no such module or attribute"),
])
def test_missing_spans_are_reported(span, why):
    assert why in (citations.check_span(span) or "")


def test_commands_in_code_blocks_are_checked():
    text = "```bash\nadvisor train digits \\\n  --budjet 5m\nTF_CONFIG='{}' advisor diagnose x --json\n```\n"
    problems = citations.check_text(text, "page.md")
    assert len(problems) == 1 and "--budjet" in problems[0] and problems[0].startswith("page.md:2:")
