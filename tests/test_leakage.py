"""A leakage guard: the test split is read only to report. Permuting the test labels
(every class id moved to the next one) changes no decision of `advisor train` — the plan, the trials and their scores, the
epochs, the ablation, the K-fold estimate, the ensemble and the kept model — only the
test metrics."""
import json

import numpy as np
import pytest

from advisor.data import load
from advisor.pipeline import train


def _decisions(run) -> dict:
    trials = json.loads((run / "trials.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    return {"plan": json.loads((run / "plan.json").read_text()),
            "trials": sorted((t["trial_id"], json.dumps(t["hyperparameters"], sort_keys=True), t["score"])
                             for t in trials["trials"]),
            "ablation": trials.get("ablation"), "kept": metrics["kept"], "cv": metrics.get("cv"),
            "ensemble": (metrics.get("ensemble") or {}).get("kept"), "epochs": metrics["epochs_run"],
            "search": metrics["search"]}


@pytest.mark.slow
def test_permuting_the_test_labels_changes_no_decision(tmp_path):
    wine = load("wine")
    arrays = {split: wine.arrays[split] for split in ("train", "val", "test")}
    x_test, y_test = arrays["test"]
    permuted = (y_test + 1) % wine.info.num_classes  # a permutation of the class ids: every label moves

    runs = []
    for name, labels in (("as-is", y_test), ("permuted", permuted)):
        path = tmp_path / f"{name}.npz"
        np.savez(path, x=arrays["train"][0], y=arrays["train"][1], x_val=arrays["val"][0], y_val=arrays["val"][1],
                 x_test=x_test, y_test=labels)
        # A trial limit, not the clock, ends the search: both runs take the same steps.
        result = train(str(path), out=tmp_path / name, budget_s=300, trials=3, epochs=6, seed=0, quiet=True,
                       deterministic=True, ensemble=3)
        runs.append(result)
    first, second = (_decisions(r.run_dir) for r in runs)
    assert first == second
    assert runs[0].metrics["accuracy"] != runs[1].metrics["accuracy"]  # the test metrics did move
