"""The repair rate on the broken models, from what the rows really hold: test accuracy
against the baseline's on the same task and seed."""
from bench.extras import repair_rate


def test_repair_rate_counts_seeds_that_beat_the_baseline_by_the_margin():
    def row(task, arm, seed, acc):
        return {"task": task, "arm": arm, "seed": seed, "accuracy": acc}

    rows = [row("fault:high-lr", "baseline", 0, 0.30), row("fault:high-lr", "baseline", 1, 0.50),
            row("fault:high-lr", "advisor", 0, 0.90), row("fault:high-lr", "advisor", 1, 0.506),
            row("fault:high-lr", "keras-tuner", 0, 0.20), {"task": "fault:high-lr", "arm": "keras-tuner",
                                                           "seed": 1, "error": ["boom"]},
            row("digits", "baseline", 0, 0.9), row("digits", "advisor", 0, 0.99)]
    assert repair_rate(rows).split("\n") == [
        "A broken model is repaired on a seed when the arm's test accuracy beats the baseline's on that seed by "
        "more than 0.01. Cells: mean test accuracy (seeds repaired / seeds).",
        "",
        "| task | baseline | keras-tuner | advisor |",
        "|---|---|---|---|",
        "| fault:high-lr | 0.400 | 0.200 (0/1) | 0.703 (1/2) |",
        "",
        "Seeds repaired: keras-tuner 0 of 1, advisor 1 of 2.",
    ]


def test_repair_rate_without_fault_tasks():
    assert repair_rate([{"task": "digits", "arm": "baseline", "seed": 0, "accuracy": 0.9}]).startswith("no fault task")
