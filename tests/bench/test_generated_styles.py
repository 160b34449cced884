"""Generated setups written the ways people write Keras models (layer style, label encoding, loss
form), the labels bug, the held-out seed, and the README block written from results.json."""
import json

import numpy as np
import pytest

from bench import bugs
from bench.generated import (READ_SEEDS, UNSEEN_SEED, judged_row, markdown, merged, publish, readme_block, readme_section,
                             seed_label, summarize, update_readme)

# The four styles, the functional one with each way of writing its activations.
VARIANTS = [("inline", None), ("activation_layer", None), ("layer_class", None),
            ("functional", "inline"), ("functional", "activation_layer")]
# Every activation a layer class exists for, "linear" (no layer), and two written as Activation(name).
ACTIVATIONS = ("relu", "relu6", "leaky_relu", "elu", "softmax", "linear", "sigmoid", "gelu")
# advisor.model.inspect.activation_name reads any ReLU layer as "relu" (or "leaky_relu" with a slope):
# it does not look at max_value, so ReLU(max_value=6) is read as relu, not relu6.
BLIND = {("layer_class", "relu6")}


def _small(seed=0, broken=14, healthy=2):
    """Setups on the two small datasets; 14 broken ones give every bug family twice."""
    return bugs.generate(seed, broken, healthy, datasets=("blobs", "circles"), epochs=1)


def _variant(setup, style, functional, **changes):
    return {**setup, "style": style, "functional_activations": functional, **changes}


@pytest.fixture(scope="module")
def info():
    from advisor.data import load

    return load("iris").info


def test_generate_is_deterministic_per_seed_and_seeds_differ():
    zero, one = bugs.generate(0), bugs.generate(1)
    assert zero == bugs.generate(0) and one == bugs.generate(1) and zero != one
    for s in zero + one:
        assert s["style"] in bugs.STYLES and s["labels"] in bugs.LABEL_ENCODINGS
        assert s["loss_form"] in bugs.LOSS_FORMS
        assert (s["functional_activations"] in bugs.FUNCTIONAL_ACTIVATIONS) == (s["style"] == "functional")
        categorical = s["output"].endswith("+categorical_ce")
        if "labels" in bugs.families(s):  # never collides with the one_hot label style
            assert s["labels"] == "integer" and categorical and bugs.LABELS_BUG in s["bugs"]
        else:
            assert categorical == (s["labels"] == "one_hot")
    every = zero + one
    assert {s["style"] for s in every} == set(bugs.STYLES) and {s["labels"] for s in every} == {"integer", "one_hot"}
    assert {s["loss_form"] for s in every} == set(bugs.LOSS_FORMS)


@pytest.mark.slow
def test_every_style_gives_the_same_model_and_trains_a_few_steps():
    setup = next(s for s in _small() if s["kind"] == "healthy")
    data = {k: v[:64] for k, v in bugs.data_for(setup).items()}
    outputs, params = [], []
    for (style, functional), labels, form in zip(VARIANTS, ("integer", "one_hot") * 3, bugs.LOSS_FORMS * 2):
        ce = "categorical_ce" if labels == "one_hot" else "sparse_ce"
        s = _variant(setup, style, functional, labels=labels, loss_form=form, output=f"softmax+{ce}")
        model = bugs.build_model(s)
        params.append(model.count_params())
        outputs.append(np.asarray(model(data["x_test"][:16])))
        row = bugs.fit_and_score(model, data, epochs=1, batch_size=32, one_hot=labels == "one_hot")
        assert row["epochs_run"] == 1 and row["final_loss"] is not None, (style, labels, form)
    assert len(set(params)) == 1  # activation layers carry no weights
    for out in outputs[1:]:  # same seeded kernels, same activations: the same function
        np.testing.assert_allclose(out, outputs[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("style,functional", VARIANTS)
def test_inspection_reads_the_drawn_activation_in_every_style(style, functional, info):
    from advisor.model.inspect import inspect_model

    base = _small()[0]
    pairs = [(act, "softmax") for act in ACTIVATIONS if (style, act) not in BLIND]
    pairs += [("relu", out) for out in bugs.WRONG_OUTPUT_ACTIVATIONS]  # the output bugs stay what they are
    for act, out in pairs:
        s = _variant(base, style, functional, activation=act, depth=2, width=8, output=f"{out}+sparse_ce")
        profile = inspect_model(bugs.build_model(s), info)
        assert profile.hidden_activations == [act, act] and profile.output_activation == out, (act, out)


def test_inspection_reads_relu6_written_as_a_relu_layer(info):
    from advisor.model.inspect import inspect_model

    s = _variant(_small()[0], "layer_class", None, activation="relu6", depth=2, width=8)
    assert inspect_model(bugs.build_model(s), info).hidden_activations == ["relu6", "relu6"]


def test_one_hot_setups_write_one_hot_labels(tmp_path):
    setup = next(s for s in _small() if s["labels"] == "one_hot")
    data = bugs.data_for(setup)
    got = np.load(bugs.save_npz(setup, tmp_path / "data.npz"))
    for key, split in (("y", "train"), ("y_val", "val"), ("y_test", "test")):
        assert got[key].shape == (len(data[f"y_{split}"]), setup["num_classes"])
        assert (got[key].sum(1) == 1).all() and (got[key].argmax(1) == data[f"y_{split}"]).all()
    integer = next(s for s in _small() if s["labels"] == "integer")
    assert np.load(bugs.save_npz(integer, tmp_path / "int.npz"))["y"].ndim == 1


def test_the_labels_bug_scores_the_majority_class_and_says_fit_failed():
    setup = next(s for s in _small() if "labels" in bugs.families(s))
    row = bugs.unchanged(setup)
    y_test = bugs.data_for(setup)["y_test"]
    assert row["accuracy"] == np.bincount(y_test).max() / len(y_test)
    assert row["note"].startswith("fit failed (ValueError: ") and row["epochs_run"] == 0
    with pytest.raises(ValueError):  # the same fault without the bug recorded is a failed arm, not a score
        bugs.unchanged({**setup, "bugs": []})


def _summary(seed, label, hurt, repaired, gap, others, kept, below):
    return {"seed": seed, "label": label, "hurt": hurt, "repaired": repaired, "gap_closed": gap, "others": others,
            "kept": kept, "below_unchanged": below, "budget_s": 60.0}


def test_readme_block_renders_each_seed_from_results(tmp_path):
    results = {"meta": {"commit": "abc1234", "dirty": False, "date": "2030-01-02T03:04:05"},
               "seeds": [{"summary": _summary(0, "development", 33, 30, 0.8712, 17, 16, ["h03-blobs"])},
                         {"summary": _summary(1, "held-out", 35, 28, -0.131, 15, 15, [])}]}
    expected = ("\nGenerated bugs, seed 0 (development): 30 of 33 hurt setups repaired (mean gap closed 0.87), "
                "16 of 17 others kept, 1 below unchanged (budget 60 s).\n\n"
                "Generated bugs, seed 1 (held-out): 28 of 35 hurt setups repaired (mean gap closed -0.13), "
                "15 of 15 others kept, 0 below unchanged (budget 60 s).\n\n"
                "Per-setup table: [docs/bench/generated-bugs.md](docs/bench/generated-bugs.md) "
                "(commit abc1234, 2030-01-02).\n")
    assert readme_block(results) == expected
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- generated:start -->\nold\n<!-- generated:end -->\nb\n")
    assert update_readme("\nolder\n", readme) and readme_section(readme.read_text()) == "\nolder\n"
    # --readme: results, table and setups published, the block rendered from the published results.json
    out = tmp_path / "out"
    out.mkdir()
    for name, text in (("results.json", json.dumps(results)), ("results.md", "table"), ("setups.json", "[]")):
        (out / name).write_text(text)
    assert publish(out, tmp_path / "docs", readme)
    published = json.loads((tmp_path / "docs" / "generated-results.json").read_text())
    assert readme_section(readme.read_text()) == readme_block(published) == expected
    assert readme.read_text().startswith("a\n") and readme.read_text().endswith("\nb\n")
    assert (tmp_path / "docs" / "generated-bugs.md").read_text() == "table"
    assert (tmp_path / "docs" / "generated-setups.json").read_text() == "[]"


def test_summaries_count_hurt_not_hurt_and_below_unchanged():
    setups = {s["id"]: s for s in _small(0, 3, 1)}
    broken = [s for s in setups.values() if s["kind"] == "broken"]
    healthy = next(s for s in setups.values() if s["kind"] == "healthy")
    arms = [(broken[0], 0.4, 0.9, 0.85),  # hurt, 0.9 of the gap closed: repaired
            (broken[1], 0.5, 0.9, 0.6),  # hurt, 0.25 closed: not repaired
            (broken[2], 0.88, 0.9, 0.86),  # not hurt, 0.02 lost: not kept, below unchanged
            (healthy, 0.9, 0.92, None)]  # advisor failed: not kept
    rows = [judged_row(s, {"accuracy": u}, {"accuracy": r}, {"accuracy": a, "error": None if a else "exit 1"})
            for s, u, r, a in arms]
    got = summarize(rows, 60.0, UNSEEN_SEED)
    assert (got["hurt"], got["repaired"], got["others"], got["kept"]) == (2, 1, 2, 0)
    assert got["gap_closed"] == pytest.approx((0.9 + 0.25) / 2) and got["not_hurt"] == [broken[2]["id"]]
    assert got["below_unchanged"] == [broken[2]["id"]] and got["label"] == "held-out"
    assert [r["verdict"] for r in rows] == ["repaired", "not repaired", "not kept", "error"]
    meta = {"date": "2030-01-02T03:04:05", "machine": "x", "commit": "abc", "dirty": True, "budget_s": 60.0,
            "duration_s": 60.0}
    table = markdown({"meta": meta, "seeds": [{"seed": UNSEEN_SEED, "label": "held-out", "rows": rows,
                                               "summary": got}]})
    assert f"## Seed {UNSEEN_SEED} (held-out)" in table and got["line"] in table
    assert all(f"| {s['id']} |" in table for s, *_ in arms)
    # --merge: runs of one clean commit become one results dict, each seed summarized again; a seed
    # whose loss was read and fixed (READ_SEEDS) is labelled so.
    def run(seed, **meta_changes):  # meta["commit"] "abc" is unknown to git: read seeds stay read
        part = {"seed": seed, "label": "held-out", "setups": [], "rows": rows, "summary": {"line": "stale"}}
        return {"meta": {**meta, "dirty": False, "seeds": [seed], "references": {f"blobs/{seed}": {}},
                         **meta_changes}, "seeds": [part]}
    both = merged([run(UNSEEN_SEED), run(1)])
    assert [p["seed"] for p in both["seeds"]] == both["meta"]["seeds"] == [1, UNSEEN_SEED]
    assert both["meta"]["duration_s"] == 120.0 and set(both["meta"]["references"]) == {"blobs/1", f"blobs/{UNSEEN_SEED}"}
    assert both["seeds"][1]["summary"] == got and both["seeds"][1]["label"] == "held-out"
    assert both["seeds"][0]["label"] == seed_label(1) == f"no longer held out: {READ_SEEDS[1]} fixes a loss read on it"
    # ... from that commit on: a run of an earlier commit measured it unseen.
    assert seed_label(1, "1565c17") == "held-out" and seed_label(UNSEEN_SEED) == "held-out"
    assert both["seeds"][0]["summary"]["line"].startswith(f"Generated bugs, seed 1 ({seed_label(1)}): 1 of 2 ")
    for bad in ([run(1), run(UNSEEN_SEED, commit="def")], [run(1, dirty=True), run(UNSEEN_SEED, dirty=True)],
                [run(1), run(1)]):
        with pytest.raises(ValueError):
            merged(bad)
