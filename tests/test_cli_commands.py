"""The CLI commands beyond data-only diagnosis, through click's runner."""
import json

from click.testing import CliRunner

from advisor.cli import main


def test_diagnose_probes_the_default_model_and_saves_a_loadable_plan(tmp_path):
    from recipes import Plan

    plan_path = tmp_path / "plan.json"
    result = CliRunner().invoke(main, ["diagnose", "wine", "--json", "--probe-epochs", "3",
                                       "--save-plan", str(plan_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model_profile"]["num_params"] > 0
    assert len(report["trace"]["history"]["loss"]) == 3
    sources = {f["source"] for f in report["findings"]}
    assert "data" in sources  # wine's features span very different scales
    chosen = [c["recipe"] for c in report["plan"]["chosen"]]
    assert "normalize" in chosen and all(c["why"] for c in report["plan"]["chosen"])
    assert [r.name for r in Plan.load(str(plan_path)).recipes] == chosen


def test_diagnose_text_output_shows_findings_and_plan_with_why():
    result = CliRunner().invoke(main, ["diagnose", "wine", "--probe-epochs", "3"])
    assert result.exit_code == 0, result.output
    assert "Findings" in result.stdout and "Plan (recipe, config, why)" in result.stdout
    assert "unnormalized_input" in result.stdout and "normalize" in result.stdout


def test_rules_lists_every_rule_with_its_rationale():
    from advisor.rules import all_rules

    out = CliRunner().invoke(main, ["rules"]).stdout
    for r in all_rules():
        assert r.name in out and r.rationale.strip().splitlines()[0].strip() in out


def test_recipes_catalogue_and_one_recipe():
    from recipes import registry

    out = CliRunner().invoke(main, ["recipes"]).stdout
    assert all(name in out for name in registry.all_recipes())
    one = CliRunner().invoke(main, ["recipes", "dropout"])
    assert one.exit_code == 0 and "rate" in one.stdout and "dropout/rate" in one.stdout
    bad = CliRunner().invoke(main, ["recipes", "nosuch"])
    assert bad.exit_code == 2 and "nosuch" in bad.stderr
