"""Plan: de-duplication and conflicts, JSON files and their errors, tuning, a big plan training."""
import json
import sys
from importlib import metadata

import keras_tuner as kt
import numpy as np
import pytest

from recipes import (SGD, Adam, AdamW, BatchNorm, BatchSize, ClassWeights, Dropout, EarlyStop,
                     FocalLoss, GradientClip, ImageAugment, L2, LabelSmoothing, Metrics, Mirrored,
                     MultiWorker, Normalize, OneCycle, Plan, Recipe, TensorBoard, WarmupCosine,
                     registry)
from tests.recipes.testkit import images, sequential_model


def test_design_example_imports_and_builds():
    from recipes import Plan, BatchNorm, Dropout, L2, AdamW, WarmupCosine, EarlyStop, MixedPrecision  # noqa: F811

    plan = Plan([MixedPrecision(), BatchNorm(), Dropout(0.3), L2(1e-4),
                 AdamW(1e-3), WarmupCosine(warmup=0.05), EarlyStop(patience=5)])
    x, y = images()
    model = plan.build(sequential_model())
    history = model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0,
                        **plan.fit_kwargs((x, y)))
    assert len(history.history["val_loss"]) == 2


def test_json_form():
    plan = Plan([Dropout(0.25), Adam(0.002)])
    assert plan.to_dict() == {"format": "advisor-plan", "version": 1, "recipes": [
        {"name": "dropout", "config": {"rate": 0.25, "after": "dense"}},
        {"name": "adam", "config": {"learning_rate": 0.002}}]}
    # config may be left out to take every default
    assert Plan.from_dict({"format": "advisor-plan", "version": 1,
                           "recipes": [{"name": "batch_norm"}]}) == Plan([BatchNorm()])


def test_exact_duplicates_are_dropped_conflicts_refused():
    assert Plan([Dropout(0.3), L2(), Dropout(0.3)]).recipes == (Dropout(0.3), L2())
    with pytest.raises(ValueError, match=r"two different 'dropout' recipes: Dropout\(rate=0.3.*Dropout\(rate=0.5"):
        Plan([Dropout(0.3), Dropout(0.5)])
    conflicts = [(Adam(), SGD()), (WarmupCosine(), OneCycle()), (FocalLoss(), LabelSmoothing()),
                 (Mirrored(), MultiWorker())]
    for first, second in conflicts:
        with pytest.raises(ValueError, match="both set the " + first.slot) as error:
            Plan([first, Dropout(), second])
        assert repr(first) in str(error.value) and repr(second) in str(error.value)
    with pytest.raises(ValueError, match="holds Recipe objects"):
        Plan(["dropout"])


def test_recipe_arguments_are_validated_with_the_range():
    with pytest.raises(ValueError, match=r"^'dropout': rate must be in \[0, 1\), got 1.5$"):
        Dropout(1.5)
    with pytest.raises(ValueError, match=r"'l2': strength must be in \(0, inf\), got -1"):
        L2(-1)
    with pytest.raises(ValueError, match=r"'batch_size': size must be an integer, got 3.5"):
        BatchSize(3.5)
    with pytest.raises(ValueError, match="'dropout': after must be one of 'dense', 'all', got 'conv'"):
        Dropout(after="conv")


def good_plan():
    return {"format": "advisor-plan", "version": 1, "recipes": [
        {"name": "batch_norm", "config": {}},
        {"name": "adam", "config": {"learning_rate": 0.001}},
        {"name": "dropout", "config": {"rate": 0.3}}]}


def edited(change):
    data = good_plan()
    change(data)
    return json.dumps(data)


BAD_FILES = {
    "dropout >= 1": (edited(lambda d: d["recipes"][2]["config"].update(rate=1.5)),
                     r"plan.json: recipes\[2\] 'dropout': rate must be in \[0, 1\), got 1.5$"),
    "negative rate": (edited(lambda d: d["recipes"][1]["config"].update(learning_rate=-0.1)),
                      r"plan.json: recipes\[1\] 'adam': learning_rate must be in \(0, inf\), got -0.1$"),
    "wrong type": (edited(lambda d: d["recipes"][2]["config"].update(rate="high")),
                   r"plan.json: recipes\[2\] 'dropout': rate must be a number, got 'high'$"),
    "unknown recipe": (edited(lambda d: d["recipes"][0].update(name="batchnorm")),
                       r"plan.json: recipes\[0\] unknown recipe 'batchnorm'; known recipes: activation, "),
    "unknown setting": (edited(lambda d: d["recipes"][2]["config"].update(rat=0.1)),
                        r"plan.json: recipes\[2\] 'dropout': unknown setting 'rat'; valid settings: rate, after$"),
    "config not an object": (edited(lambda d: d["recipes"][1].update(config=[0.001])),
                             r"plan.json: recipes\[1\] 'adam': 'config' must be an object, got \[0.001\]$"),
    "missing name": (edited(lambda d: d["recipes"][1].pop("name")),
                     r"plan.json: recipes\[1\]: missing field 'name'$"),
    "missing recipes": (edited(lambda d: d.pop("recipes")), r"plan.json: missing field 'recipes'$"),
    "missing version": (edited(lambda d: d.pop("version")), r"plan.json: missing field 'version'$"),
    "wrong version": (edited(lambda d: d.update(version=2)), r"plan.json: 'version' must be 1, got 2$"),
    "wrong format": (edited(lambda d: d.update(format="keras")),
                     r"plan.json: 'format' must be 'advisor-plan', got 'keras'$"),
    "recipes not a list": (edited(lambda d: d.update(recipes={"dropout": {}})),
                           r"plan.json: 'recipes' must be a list, got dict$"),
    "not an object": ("[1, 2]", r"plan.json: expected a JSON object, got list$"),
    "bad JSON": ('{"format": "advisor-plan", "version": 1,,}',
                 r"plan.json: not valid JSON \(Expecting property name enclosed in double quotes at line 1, column 41\)$"),
    "two optimizers": (edited(lambda d: d["recipes"].append({"name": "sgd", "config": {}})),
                       r"plan.json: Adam\(learning_rate=0.001\) and SGD\(.*\) both set the optimizer"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_plan_file_gives_one_clear_error_naming_the_field(case, tmp_path):
    text, message = BAD_FILES[case]
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        Plan.load(path)
    text = str(error.value)
    assert "\n" not in text
    assert text.startswith(str(path))
    assert __import__("re").search(message.replace("plan.json", "plan\\.json"), text), text


def test_missing_plan_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read plan file"):
        Plan.load(tmp_path / "nope.json")


@pytest.mark.slow
def test_ten_recipe_plan_builds_and_trains(tmp_path):
    x, y = images(n=60, imbalance=True)
    plan = Plan([Normalize(), ImageAugment(rotation=0.05), ClassWeights(), BatchNorm(), Dropout(0.2),
                 L2(1e-4), AdamW(3e-3), WarmupCosine(warmup=0.1), GradientClip(clipnorm=1.0),
                 EarlyStop(patience=3), Metrics(set="imbalanced"), BatchSize(16),
                 TensorBoard(log_dir=str(tmp_path / "logs"), histogram_freq=1)])
    assert len(plan) == 13
    model = plan.build(sequential_model(), (x, y), epochs=3)
    train, val = plan.transform((x, y), (x, y))
    history = model.fit(train, validation_data=val, verbose=0, **plan.fit_kwargs((x, y), epochs=3))
    assert len(history.history["loss"]) == 3
    assert all(np.isfinite(history.history["val_loss"]))
    assert {"val_f1_score", "val_auc"} <= set(history.history)
    assert any((tmp_path / "logs").rglob("events.out.tfevents*"))
    assert isinstance(model.optimizer.get_config()["learning_rate"], dict)  # the schedule is in it


@pytest.mark.slow
def test_search_space_gives_keras_tuner_a_configured_plan(tmp_path):
    x, y = images()
    plan = Plan([Dropout(0.3), AdamW(1e-3), BatchNorm(), BatchSize(16)])
    hp = kt.HyperParameters()
    assert plan.search_space(hp) == plan
    assert [h.name for h in hp.space] == ["dropout/rate", "adamw/learning_rate", "adamw/weight_decay",
                                          "batch_size/size"]
    hp.values.update({"dropout/rate": 0.5, "adamw/learning_rate": 0.01, "batch_size/size": 64})
    tuned = plan.search_space(hp)
    assert tuned.recipes[0] == Dropout(0.5) and tuned.recipes[1].learning_rate == 0.01
    assert tuned.batch_size == 64 and tuned.recipes[2] == BatchNorm()

    def build(hp):
        return plan.search_space(hp).build(sequential_model(), (x, y), epochs=1)

    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, directory=tmp_path,
                            project_name="t", seed=0)
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    best = tuner.get_best_hyperparameters()[0]
    assert 0.0 <= best["dropout/rate"] <= 0.6 and len(tuner.oracle.trials) == 2


def test_registry_get_and_register():
    assert registry.get("dropout") is Dropout
    with pytest.raises(ValueError, match=r"unknown recipe 'dropot'; known recipes: activation, adagrad"):
        registry.get("dropot")

    class OtherDropout(Recipe):
        name = "dropout"

    with pytest.raises(ValueError, match="'dropout' is taken by recipes.regularizers.dropout.Dropout"):
        registry.register(OtherDropout)
    with pytest.raises(ValueError, match="Recipe subclass"):
        registry.register(dict)


def test_third_party_recipes_load_from_entry_points(tmp_path, monkeypatch):
    (tmp_path / "my_plugin.py").write_text(
        "from recipes.base import Recipe\n"
        "class Cutout(Recipe):\n"
        "    '''Blank a square of each image. When to use: tests. Example: Cutout()'''\n"
        "    name = 'cutout'\n"
        "    def __init__(self, size: int = 4):\n"
        "        self.size = size\n"
        "    def apply(self, setup):\n"
        "        return setup\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = metadata.EntryPoint(name="cutout", value="my_plugin:Cutout", group="advisor.recipes")
    monkeypatch.setattr(metadata, "entry_points",
                        lambda group=None: [entry] if group == "advisor.recipes" else [])
    monkeypatch.setattr(registry, "_RECIPES", dict(registry._RECIPES))
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    cutout = registry.get("cutout")
    assert cutout.__module__ == "my_plugin" and "cutout" in registry.all_recipes()
    plan = Plan.from_dict({"format": "advisor-plan", "version": 1,
                           "recipes": [{"name": "cutout", "config": {"size": 8}}]})
    assert plan.recipes[0].get_config() == {"size": 8}
    monkeypatch.delitem(sys.modules, "my_plugin")
