"""`Plan`: an ordered, de-duplicated list of recipes with a JSON form, that builds models."""
from __future__ import annotations

import functools
import json
from pathlib import Path

from recipes import plan_file
from recipes.base import Recipe
from recipes.build import build_model
from recipes.data.pipeline import make_pipeline
from recipes.schedules.schedule_callback import ScheduleCallback
from recipes.training_setup import TrainingSetup
from recipes.data.train_data import TrainData


class Plan:
    """Recipes in order; applies them to a Keras model, its fit call and its data.

    When to use: whenever recipes go together - hand-written, loaded from
    plan.json or produced by the advisor. An exact duplicate recipe is dropped;
    two different recipes of the same name, or two in one exclusive slot (two
    optimizers, two schedules...), raise ValueError naming both.

    Args:
        recipes: `Recipe` objects, in the order they are applied.

    Example:
        >>> import keras, numpy as np
        >>> from recipes import Plan, Dropout, Adam, EarlyStop
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        ...                              keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("sgd", "sparse_categorical_crossentropy")
        >>> plan = Plan([Dropout(0.3), Adam(1e-3), EarlyStop(patience=5)])
        >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32"); y = np.arange(64) % 3
        >>> train_ds, val_ds = (x[:48], y[:48]), (x[48:], y[48:])   # or unbatched tf.data.Datasets of (x, y)
        >>> model = plan.build(my_model)                   # a new compiled model; my_model is unchanged
        >>> train, val = plan.transform(train_ds, val_ds)   # batched; augmentation / oversampling on train only
        >>> history = model.fit(train, validation_data=val, epochs=1, verbose=0, **plan.fit_kwargs(train_ds))
        >>> sorted(history.history)
        ['loss', 'val_loss']
    """

    def __init__(self, recipes=()):
        kept: list[Recipe] = []
        for recipe in recipes:
            if not isinstance(recipe, Recipe):
                raise ValueError(f"a Plan holds Recipe objects, got {recipe!r}")
            if recipe in kept:
                continue
            for other in kept:
                if other.name == recipe.name:
                    raise ValueError(f"the plan has two different '{recipe.name}' recipes: "
                                     f"{other!r} and {recipe!r}; keep one")
                if recipe.slot is not None and other.slot == recipe.slot:
                    raise ValueError(f"{other!r} and {recipe!r} both set the {recipe.slot}; "
                                     f"a plan takes one {recipe.slot} recipe")
            kept.append(recipe)
        self._recipes = tuple(kept)

    # -- the list -------------------------------------------------------------
    @property
    def recipes(self) -> tuple[Recipe, ...]:
        return self._recipes

    def __iter__(self):
        return iter(self._recipes)

    def __len__(self) -> int:
        return len(self._recipes)

    def __contains__(self, name: str) -> bool:
        return any(recipe.name == name for recipe in self._recipes)

    def __eq__(self, other) -> bool:
        return isinstance(other, Plan) and self._recipes == other._recipes

    def __repr__(self) -> str:
        return f"Plan([{', '.join(repr(r) for r in self._recipes)}])"

    # -- what it decides --------------------------------------------------------
    @functools.cached_property
    def setup(self) -> TrainingSetup:
        """The `TrainingSetup` after applying every recipe in order."""
        setup = TrainingSetup()
        for recipe in self._recipes:
            setup = recipe.apply(setup)
        return setup

    @functools.cached_property
    def strategy(self):
        """The plan's `tf.distribute.Strategy` (created once, on first use), or None.

        Create it early: MultiWorkerMirroredStrategy must exist before TF runs ops.
        """
        return self.setup.strategy() if self.setup.strategy is not None else None

    @property
    def batch_size(self) -> int:
        """Global batch size: the BatchSize recipe's (default 32). A strategy splits it
        over its replicas; to keep 32 per device on N devices, BatchSize(32 * N), as
        the rule book's `multiple_gpus` rule does (multiplying here too made it 32 * N * N)."""
        return self.setup.batch_size

    # -- applying it --------------------------------------------------------------
    def build(self, model, train=None, *, epochs=None, loss=None, metrics=None):
        """A new compiled model with the plan applied; `model` itself is not changed.

        Args:
            model: a built Sequential or Functional keras.Model. Its compile
                arguments are the defaults the plan's recipes override.
            train: the unbatched training tf.data.Dataset or an (x, y) tuple; needed by
                Normalize, and (with `epochs`) to put LR schedules in the optimizer.
            epochs: how many epochs the model will be fitted for.
            loss, metrics: instead of the model's compiled loss / metrics (a loss is
                required when the model is not compiled).
        """
        return build_model(self.setup, model, strategy=self.strategy, train=train, epochs=epochs,
                           batch_size=self.batch_size, loss=loss, metrics=metrics)

    def fit_kwargs(self, train=None, *, epochs=None) -> dict:
        """Extra `model.fit` arguments: callbacks, class_weight (needs `train`), epochs."""
        setup = self.setup
        kwargs = {"callbacks": [make() for make in setup.callbacks]}
        if setup.lr_schedule is not None:
            kwargs["callbacks"].append(ScheduleCallback(setup.lr_schedule))
        if setup.fit_options:
            if train is None:
                names = ", ".join(r.name for r in self._recipes)
                raise ValueError(f"this plan ({names}) needs the training labels: pass train= to fit_kwargs")
            labels = TrainData(train).y
            for option in setup.fit_options:
                kwargs.update(option(labels))
        if epochs is not None:
            kwargs["epochs"] = epochs
        return kwargs

    def transform(self, train_ds, val_ds=None):
        """(train, val) batched by `batch_size`; augmentation/oversampling on train only."""
        return make_pipeline(self.setup, self.batch_size, train_ds, val_ds)

    def search_space(self, hp) -> "Plan":
        """A Plan of copies configured from keras-tuner `hp` (names like "dropout/rate")."""
        return Plan([recipe.search_space(hp) for recipe in self._recipes])

    # -- JSON (recipes/plan_file.py) ---------------------------------------------
    def to_dict(self) -> dict:
        """{"format": "advisor-plan", "version": 1, "recipes": [{"name", "config"}, ...]}."""
        return plan_file.to_dict(self)

    @classmethod
    def from_dict(cls, data, source: str = "plan") -> "Plan":
        """Read `to_dict` output; every problem is a ValueError starting with `source` and the field."""
        return plan_file.from_dict(cls, data, source)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path) -> None:
        Path(path).write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path) -> "Plan":
        """Read a plan file; ValueError naming the file and the bad field on any problem."""
        return plan_file.load(cls, path)
