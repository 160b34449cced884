"""The generated buggy-setup benchmark: the generator is deterministic and covers its space;
the harness's smoke mode runs every arm and writes its files (the figures are not judged here)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import bugs
from bench.generated import SUMMARY_RE, judge

ROOT = Path(__file__).resolve().parents[2]


def test_generate_is_deterministic_and_covers_datasets_and_bug_families():
    setups = bugs.generate(seed=0)
    assert setups == bugs.generate(seed=0)
    assert json.loads(json.dumps(setups)) == setups  # JSON-able as is
    assert setups != bugs.generate(seed=1)
    broken = [s for s in setups if s["kind"] == "broken"]
    healthy = [s for s in setups if s["kind"] == "healthy"]
    assert len(broken) >= 40 and len(healthy) >= 10
    assert len({s["id"] for s in setups}) == len(setups)
    assert {s["dataset"] for s in broken} == set(bugs.DATASETS) == {s["dataset"] for s in healthy}
    assert {f for s in broken for f in bugs.families(s)} == set(bugs.FAMILIES)
    for s in broken:
        assert 1 <= len(s["bugs"]) <= 3 and len(bugs.families(s)) == len(s["bugs"])
        assert 2 <= s["depth"] <= 12 and 8 <= s["width"] <= 256 and 1e-5 <= s["lr"] <= 1
        assert s["activation"] in bugs.ACTIVATIONS and 1 <= s["scale"] <= 1000
    for s in healthy:
        assert s["bugs"] == [] and s["scale"] == 1 and 2 <= s["depth"] <= 4 and 32 <= s["batch"] <= 128
        assert s["output"].startswith("softmax+") and s["activation"] in bugs.HEALTHY_ACTIVATIONS
    keys = {"id", "dataset", "depth", "width", "activation", "initializer", "output", "scale", "optimizer", "lr",
            "batch", "epochs", "bugs", "seed", "style", "functional_activations", "labels", "loss_form"}
    assert all(keys <= set(s) for s in setups)
    # a smaller draw on two datasets still has all its datasets, and only those
    smoke = bugs.generate(0, 3, 1, datasets=("blobs", "circles"), epochs=10)
    assert len(smoke) == 4 and {s["dataset"] for s in smoke} == {"blobs", "circles"}
    assert all(s["epochs"] == 10 for s in smoke)


def test_activation_list_is_every_keras_activation_that_fits_a_dense_layer():
    assert list(bugs.ACTIVATIONS) == bugs.dense_activations()


def test_build_gives_compiled_models_of_the_right_shapes(tmp_path):
    setups = bugs.generate(seed=0)
    picked = {}
    for s in setups:  # one setup per dataset, plus each wrong output pairing and bad initializer
        for key in (s["dataset"], s["output"], s["initializer"]):
            picked.setdefault(key, s)
    for s in {s["id"]: s for s in picked.values()}.values():
        model, data = bugs.build(s)
        assert model.optimizer is not None and model.loss is not None, s["id"]
        assert model.input_shape == (None, bugs.INPUT_DIM[s["dataset"]]), s["id"]
        assert model.output_shape == (None, bugs.NUM_CLASSES[s["dataset"]]), s["id"]
        assert sum(type(layer).__name__ == "Dense" for layer in model.layers) == s["depth"] + 1, s["id"]
        assert {"x_train", "y_train", "x_val", "y_val", "x_test", "y_test"} == set(data)
        assert data["x_train"].shape[1] == bugs.INPUT_DIM[s["dataset"]]
        assert set(data["y_test"].tolist()) == set(range(bugs.NUM_CLASSES[s["dataset"]]))
    # the files the advisor CLI reads
    s = setups[0]
    npz, keras_file = bugs.save_setup(s, tmp_path)
    from advisor.data import load

    ds = load(str(npz))
    assert ds.info.counts == {k: len(bugs.data_for(s)[f"y_{k}"]) for k in ("train", "val", "test")}
    assert keras_file.stat().st_size > 1000


def test_judge_applies_the_repair_and_keep_rules():
    assert judge("broken", 0.3, 0.9, 0.78) is True  # 0.48 >= 0.8 * 0.6
    assert judge("broken", 0.3, 0.9, 0.77) is False
    assert judge("broken", 0.95, 0.9, 0.945) is True and judge("broken", 0.95, 0.9, 0.93) is False
    assert judge("healthy", 0.9, 0.95, 0.891) is True and judge("healthy", 0.9, 0.95, 0.88) is False
    assert judge("broken", 0.3, 0.9, None) is None
    # a broken setup less than 0.05 below the reference was not hurt: judged as kept, not as repaired
    assert judge("broken", 0.86, 0.9, 0.86) is True and judge("broken", 0.86, 0.9, 0.84) is False
    assert judge("broken", 0.85, 0.9, 0.86) is False  # 0.05 below: hurt, 0.01 of the 0.05 gap closed


@pytest.mark.slow
def test_smoke_mode_runs_every_arm_and_writes_its_files(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bench.generated", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    setups = json.loads((tmp_path / "setups.json").read_text())
    assert len(setups) == 2 and sum(s["kind"] == "broken" for s in setups) == 1
    results = json.loads((tmp_path / "results.json").read_text())
    (part,) = results["seeds"]  # smoke: one seed, the development one
    assert part["seed"] == 0 and part["label"] == "development" and part["setups"] == setups
    assert [r["id"] for r in part["rows"]] == [s["id"] for s in setups]
    for row in part["rows"]:
        for arm in ("unchanged", "reference", "advisor"):
            cell = row[arm]
            assert isinstance(cell.get("accuracy"), float) or cell.get("error"), (row["id"], arm, cell)
            if cell.get("accuracy") is not None:
                assert 0.0 <= cell["accuracy"] <= 1.0
        assert row["advisor"].get("wall_s", 0) > 0
    line = proc.stdout.strip().splitlines()[-1]
    assert SUMMARY_RE.match(line), line
    assert part["summary"]["line"] == line and re.search(r"\(budget 15 s\)\.$", line)
    assert results["meta"]["commit"] and "dirty" in results["meta"]
    table = (tmp_path / "results.md").read_text()
    assert line in table and all(f"| {s['id']} |" in table for s in setups)
