"""Third-party rules through the "advisor.rules" entry-point group, from a real dist-info on sys.path."""
import sys

import pytest

from advisor.rules.engine import decide
from advisor.errors import AdvisorError
from advisor.rules import ENTRY_POINT_GROUP, all_rules, load_plugins, registry
from tests.rules.facts_builders import healthy

PLUGIN = '''
from advisor.rules import Recommendation, rule


@rule(priority=95)
def tiny_batches_are_noisy(facts):
    """Batches under 16 give noisy gradients; use at least 128 (test plug-in)."""
    if (facts.batch_size or 32) >= 16:
        return []
    return [Recommendation("batch_size", {"size": 128}, f"batch size {facts.batch_size} < 16")]


def plain_rule(facts):
    """A plain function without the decorator: priority comes from its attribute."""
    return [Recommendation(None, {}, "always", advice="plain plug-in advice")] if facts.has("good_fit") else []


plain_rule.priority = 7


def broken_rule(facts):
    return []
'''


def install_fake_distribution(tmp_path, entry_points: str, module: str = "advisor_test_plugin"):
    (tmp_path / f"{module}.py").write_text(PLUGIN)
    info = tmp_path / "advisor_test_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: advisor-test-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}\n")


@pytest.fixture
def clean_registry(monkeypatch):
    """Plug-ins register into the global rule book: undo that after the test."""
    all_rules()
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))
    monkeypatch.setattr(registry, "_plugins_loaded", True)
    yield
    sys.modules.pop("advisor_test_plugin", None)


def test_entry_point_rules_join_the_rule_book_and_the_plan(tmp_path, monkeypatch, clean_registry):
    install_fake_distribution(tmp_path, "tiny = advisor_test_plugin:tiny_batches_are_noisy\n"
                                        "plain = advisor_test_plugin:plain_rule")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = load_plugins(force=True)
    assert sorted(r.name for r in loaded) == ["plain_rule", "tiny_batches_are_noisy"]
    by_name = {r.name: r for r in all_rules()}
    assert by_name["tiny_batches_are_noisy"].priority == 95 and by_name["plain_rule"].priority == 7
    assert by_name["plain_rule"].family == "plugin"

    decision = decide(healthy(batch_size=8))
    batch = next(c for c in decision.chosen if c.recipe == "batch_size")
    assert batch.config == {"size": 128} and batch.rules == ["tiny_batches_are_noisy"]
    assert any(a.text == "plain plug-in advice" and a.rules == ["plain_rule"] for a in decision.advice)


def test_a_plugin_without_docstring_is_refused_by_name(tmp_path, monkeypatch, clean_registry):
    install_fake_distribution(tmp_path, "broken = advisor_test_plugin:broken_rule")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AdvisorError, match="'broken_rule' has no docstring"):
        load_plugins(force=True)


def test_a_plugin_that_fails_to_import_names_the_entry_point(tmp_path, monkeypatch, clean_registry):
    install_fake_distribution(tmp_path, "gone = advisor_test_plugin_missing:rule")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AdvisorError, match="'gone'.*failed to load"):
        load_plugins(force=True)


def test_a_plugin_cannot_take_a_built_in_name(monkeypatch, clean_registry):
    def overfitting(facts):
        """Pretends to be the built-in overfitting rule."""
        return []

    with pytest.raises(AdvisorError, match="'overfitting' is taken by advisor.rules.curves.overfitting"):
        registry.register(overfitting)
    assert registry._RULES["overfitting"].func.__module__ == "advisor.rules.curves"
