"""Every benchmark figure in README.md is rendered by code from a published results file,
and the renderer itself gives exactly the expected lines."""
import json
from pathlib import Path

import pytest

from bench import generated, run

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "docs" / "bench"
# (markers, the published results file, the renderer) for every block README.md may have.
BLOCKS = {kind: (start, end, PUBLISHED / f"results{suffix}.json", run.readme_block)
          for kind, (start, end, suffix) in run.BLOCKS.items()}
BLOCKS["generated"] = (generated.MARK_START, generated.MARK_END, PUBLISHED / "generated-results.json",
                       generated.readme_block)


def _between(text: str, start: str, end: str) -> str | None:
    return text.split(start, 1)[1].split(end, 1)[0] if start in text and end in text else None


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_readme_block_is_rendered_from_its_published_results(kind):
    start, end, path, render = BLOCKS[kind]
    shown = _between((ROOT / "README.md").read_text(), start, end)
    if shown is None:
        pytest.skip(f"README.md has no {start} block")
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} is not published yet")
    assert shown == render(json.loads(path.read_text()))


def _rows():
    """wine, 2 seeds: keras-tuner 0.02 under the baseline on seed 0 (counts), 0.004 on seed 1
    (does not); the advisor above on both, its final fit on train + val on both."""
    def row(arm, seed, acc, **kw):
        return {"task": "wine", "arm": arm, "seed": seed, "accuracy": acc, "macro_f1": acc - 0.01,
                "process_s": 10.0 if arm == "baseline" else 60.0, "peak_rss_mb": 800.0, "epochs": 20,
                "trials": 0 if arm == "baseline" else 10, **kw}

    return [row("baseline", 0, 0.70), row("keras-tuner", 0, 0.68), row("advisor", 0, 0.95, train_plus_val=True),
            row("baseline", 1, 0.80), row("keras-tuner", 1, 0.796), row("advisor", 1, 0.97, train_plus_val=True)]


def _results(partial=None):
    rows = _rows()
    meta = {"date": "2026-01-02", "machine": "x86_64, 2 cores, 3.11.7", "commit": "abc1234", "seeds": "2",
            "budget_s": 60.0, "epochs": 20, "tasks": ["wine"], "partial": partial}
    return {"meta": meta, "rows": rows, "summary": run.summarize(rows), "extras": {"Mixed precision": "1.5x"}}


def test_readme_block_of_a_hand_made_results_dict():
    assert run.readme_block(_results()).split("\n") == [
        "",
        "Measured 2026-01-02 on x86_64, 2 cores, 3.11.7, commit abc1234 (2 seeds, budget 60s per arm, "
        "baseline 20 epochs; mean ± standard deviation over the seeds).",
        "",
        "| arm | mean test accuracy (1 tasks) | tasks where best | mean process wall s |",
        "|---|---|---|---|",
        "| baseline | 0.750 | 0 | 10 |",
        "| keras-tuner | 0.738 | 0 | 60 |",
        "| advisor | 0.960 | 1 | 60 |",
        "",
        "Cells (task, seed) below the baseline on test (accuracy more than 0.01 under the baseline's on the same "
        "task and seed): keras-tuner 1 of 2, advisor 0 of 2.",
        "",
        "Every task, arm and seed, the cells below the baseline and the extras: "
        "[docs/bench/results.md](docs/bench/results.md).",
        "",
        "![test accuracy per task and arm](docs/bench/accuracy.png)",
        "",
    ]


def test_the_full_table_lists_every_task_and_arm_with_its_notes():
    lines = run.markdown(_results()).split("\n")
    assert "| wine | advisor (final fit on train + val: 2 of 2 seeds) | 0.960 ± 0.014 | 0.950 | 60 | 20 | 10 | 800 |" \
        in lines


def test_a_partial_block_says_so_and_links_its_own_files():
    lines = run.readme_block(_results(partial="tasks wine only")).split("\n")
    assert lines[1] == "**Partial rerun, not part of the full table** (tasks wine only)."
    assert lines[-2] == "![test accuracy per task and arm](docs/bench/accuracy-partial.png)"
    assert "[docs/bench/results-partial.md](docs/bench/results-partial.md)" in lines[-4]


def test_results_md_lists_the_cells_below_the_baseline():
    text = run.markdown(_results())
    assert "- keras-tuner: wine seed 0 (0.680 vs 0.700)\n- advisor: none\n" in text
    assert text.endswith("**Mixed precision**\n\n1.5x\n")


def test_publish_full_then_partial_then_full(tmp_path):
    """A partial rerun gets its own block under the full table; the next full run retires it."""
    readme, published, out = tmp_path / "README.md", tmp_path / "docs", tmp_path / "out"
    out.mkdir()
    start, end, _ = run.BLOCKS["full"]
    p_start, p_end, _ = run.BLOCKS["partial"]
    readme.write_text(f"intro\n\n{start}\nold table\n{end}\n\nafter\n")

    def results_to(out, results):
        (out / "results.json").write_text(json.dumps(results))
        (out / "results.md").write_text(run.markdown(results))
        (out / "accuracy.png").write_bytes(b"png")

    results_to(out, _results())
    run.publish(out, partial=False, published=published, readme=readme)
    assert readme.read_text() == f"intro\n\n{start}{run.readme_block(_results())}{end}\n\nafter\n"
    assert sorted(p.name for p in published.iterdir()) == ["accuracy.png", "results.json", "results.md"]

    results_to(out, _results(partial="tasks wine only"))
    run.publish(out, partial=True, published=published, readme=readme)
    text = readme.read_text()
    assert _between(text, start, end) == run.readme_block(_results())  # the full table untouched
    assert _between(text, p_start, p_end) == run.readme_block(_results(partial="tasks wine only"))
    assert text.index(end) < text.index(p_start) < text.index("after")

    results_to(out, _results())
    run.publish(out, partial=False, published=published, readme=readme)
    assert readme.read_text() == f"intro\n\n{start}{run.readme_block(_results())}{end}\n\nafter\n"
    assert not list(published.glob("*-partial.*"))


def test_one_command_renders_every_block_and_leaves_others_alone(tmp_path):
    from bench import readme

    (tmp_path / "results.json").write_text(json.dumps(_results()))
    text = f"intro\n{run.BLOCKS['full'][0]}\nhand-edited\n{run.BLOCKS['full'][1]}\noutro\n"
    rendered = readme.render(text, readme.blocks(tmp_path))
    assert rendered == f"intro\n{run.BLOCKS['full'][0]}{run.readme_block(_results())}{run.BLOCKS['full'][1]}\noutro\n"
