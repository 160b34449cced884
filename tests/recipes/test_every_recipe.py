"""One shared test over every registered recipe (scikit-learn style)."""
import doctest
import importlib
import inspect
import json
import pkgutil

import keras
import pytest

from recipes import Mirrored, Plan, Recipe, TensorBoard, all_recipes
from tests.recipes.testkit import functional_model, images, sequential_model

NAMES = sorted(all_recipes())


def example(name, tmp_path) -> Recipe:
    """The registered recipe with defaults, except where the test machine needs a setting."""
    if name == "tensorboard":
        return TensorBoard(log_dir=str(tmp_path / "logs"))
    if name == "mirrored":
        return Mirrored(devices=["/cpu:0"])  # one device here; two in test_distributed.py
    return all_recipes()[name]()


CATALOG = {  # catalog.md: registry key -> class name
    "normalize": "Normalize", "image_augment": "ImageAugment", "tabular_noise": "TabularNoise",
    "class_weights": "ClassWeights", "oversample": "Oversample", "dropout": "Dropout",
    "batch_norm": "BatchNorm", "l2": "L2", "l1": "L1", "initializer": "Initializer",
    "activation": "Activation", "sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop",
    "adam": "Adam", "adamw": "AdamW", "learning_rate": "LearningRate", "step_decay": "StepDecay",
    "exponential_decay": "ExponentialDecay", "warmup_cosine": "WarmupCosine", "one_cycle": "OneCycle",
    "reduce_on_plateau": "ReduceOnPlateau", "focal_loss": "FocalLoss", "label_smoothing": "LabelSmoothing",
    "gradient_clip": "GradientClip", "metrics": "Metrics", "early_stop": "EarlyStop",
    "batch_size": "BatchSize", "tensorboard": "TensorBoard", "mixed_precision": "MixedPrecision",
    "mirrored": "Mirrored", "multi_worker": "MultiWorker", "output_head": "HeadLossPairing", "width": "Width",
    "depth": "Depth", "fine_tune": "FineTune",
}


def test_catalog_is_complete():
    import recipes

    assert {name: all_recipes()[name].__name__ for name in CATALOG} == CATALOG
    assert all(getattr(recipes, cls) is all_recipes()[name] for name, cls in CATALOG.items())
    slots = {name: all_recipes()[name].slot for name in CATALOG if all_recipes()[name].slot}
    assert slots == {
        "sgd": "optimizer", "adagrad": "optimizer", "rmsprop": "optimizer", "adam": "optimizer",
        "adamw": "optimizer", "step_decay": "schedule", "exponential_decay": "schedule",
        "warmup_cosine": "schedule", "one_cycle": "schedule", "reduce_on_plateau": "schedule",
        "focal_loss": "loss", "label_smoothing": "loss", "mirrored": "strategy",
        "multi_worker": "strategy", "mixed_precision": "precision"}


@pytest.mark.parametrize("name", NAMES)
def test_contract(name, tmp_path):
    recipe = example(name, tmp_path)
    cls = type(recipe)
    assert cls.name == name
    # docstring: summary, when to use, example
    doc = inspect.getdoc(cls)
    assert doc and "When to use" in doc and "Example" in doc, f"{cls.__name__} docstring incomplete"
    # every argument keyword-able and defaulted; config = exactly those arguments, plain-typed
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    assert all(p.default is not inspect.Parameter.empty for p in params)
    config = recipe.get_config()
    assert list(config) == [p.name for p in params]
    assert json.loads(json.dumps(config)) == config
    # config and JSON plan round trips
    assert cls.from_config(config) == recipe
    plan = Plan([recipe])
    assert Plan.from_dict(json.loads(plan.to_json())) == plan
    plan.save(tmp_path / "plan.json")
    assert Plan.load(tmp_path / "plan.json") == plan
    # keras-tuner: a configured copy, every name prefixed with the recipe name
    import keras_tuner as kt

    hp = kt.HyperParameters()
    tuned = recipe.search_space(hp)
    assert tuned == recipe  # defaults = the recipe's own values
    assert all(h.name.startswith(f"{name}/") for h in hp.space)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "multi_worker"])  # 2 processes: test_distributed.py
@pytest.mark.parametrize("make_model", [sequential_model, functional_model], ids=["sequential", "functional"])
def test_builds_and_trains_one_step(name, make_model, tmp_path):
    x, y = images()
    plan = Plan([example(name, tmp_path)])
    user_model = make_model()
    if name == "depth" and make_model is functional_model:  # branches: refused (test_capacity.py)
        with pytest.raises(ValueError, match="plain stack"):
            plan.build(user_model, (x, y), epochs=1)
        return
    model = plan.build(user_model, (x, y), epochs=1)
    assert model is not user_model and model.compiled
    train, val = plan.transform((x, y), (x, y))
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.run_eagerly = True  # one step: tracing a tf.function would cost more than the step
    history = model.fit(train.take(1), validation_data=val.take(1), verbose=0,
                        **plan.fit_kwargs((x, y), epochs=1))
    assert len(history.history["loss"]) == 1
    after = [w.numpy() for w in model.trainable_weights]
    assert any((a != b).any() for a, b in zip(after, before)), "one step changed no weight"
    assert keras.ops.all(keras.ops.isfinite(model.predict(x[:4], verbose=0)))


@pytest.mark.parametrize("module", sorted(m.name for m in pkgutil.walk_packages(
    importlib.import_module("recipes").__path__, "recipes.")))
def test_docstring_examples_run(module):
    failures, _ = doctest.testmod(importlib.import_module(module), verbose=False)
    assert failures == 0
