"""`Recipe`: the base class of every training recipe, and its argument checks.

A recipe is a small value object like a Keras regularizer: flat, plain-typed,
defaulted keyword arguments stored under the same attribute names. Its one job
is `apply(setup) -> setup` (see `recipes.training_setup.TrainingSetup`); `Plan.build`
turns the final setup into a compiled model.
"""
from __future__ import annotations

import copy
import inspect
import json
import math
from typing import Any, ClassVar


class Recipe:
    """Base class: config round trip, equality, tuning hooks.

    When to use: subclass it to write a recipe; decorate the subclass with
    `recipes.registry.register` so plans can name it.

    Subclasses define `name` (registry key), `slot` (None or an exclusive group
    such as "optimizer"), an `__init__` whose keyword arguments all have
    defaults and are stored as attributes of the same names (validated there),
    and `apply`.

    Example:
        >>> from recipes import Dropout
        >>> Dropout(0.3).get_config()
        {'rate': 0.3, 'after': 'dense'}
        >>> Dropout.from_config({"rate": 0.3}) == Dropout(0.3)
        True
    """

    name: ClassVar[str] = ""
    slot: ClassVar[str | None] = None

    def apply(self, setup):
        """Return a new `TrainingSetup` with this recipe's choices in it."""
        raise NotImplementedError(f"{type(self).__name__} must implement apply(setup)")

    @classmethod
    def arg_names(cls) -> list[str]:
        """The constructor's keyword arguments (= the config keys)."""
        params = inspect.signature(cls.__init__).parameters
        return [p for p in params if p != "self"]

    def get_config(self) -> dict[str, Any]:
        """Exactly the constructor's keyword arguments, as plain values."""
        return {key: copy.deepcopy(getattr(self, key)) for key in self.arg_names()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Recipe":
        """Recreate a recipe from `get_config()` output; unknown keys are refused."""
        unknown = sorted(set(config) - set(cls.arg_names()))
        if unknown:
            valid = ", ".join(cls.arg_names()) or "(none)"
            raise ValueError(f"'{cls.name}': unknown setting {unknown[0]!r}; valid settings: {valid}")
        return cls(**config)

    def replace(self, **changes) -> "Recipe":
        """A copy with some arguments changed (validated like the constructor)."""
        return self.from_config({**self.get_config(), **changes})

    def search_space(self, hp) -> "Recipe":
        """A copy configured from keras-tuner `hp`; recipes with nothing to tune return an equal copy."""
        return self.replace()

    # Tuning helpers: hyperparameter names are "<recipe name>/<argument>"; the
    # recipe's current value is the default and always inside the range.
    def tune_float(self, hp, field: str, low: float, high: float, *, log: bool = False) -> float:
        value = getattr(self, field)
        return hp.Float(f"{self.name}/{field}", min(low, value), max(high, value),
                        sampling="log" if log else "linear", default=value)

    def tune_int(self, hp, field: str, low: int, high: int) -> int:
        value = getattr(self, field)
        return hp.Int(f"{self.name}/{field}", min(low, value), max(high, value), default=value)

    def tune_choice(self, hp, field: str, values: list) -> Any:
        value = getattr(self, field)
        choices = list(values) if value in values else [value, *values]
        return hp.Choice(f"{self.name}/{field}", choices, default=value)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self).__name__, json.dumps(self.get_config(), sort_keys=True)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def check_number(recipe: type | Recipe, field: str, value, low: float = -math.inf,
                 high: float = math.inf, *, low_open: bool = False, high_open: bool = False,
                 integer: bool = False):
    """Raise ValueError unless `value` is a number (an int if `integer`) inside the interval."""
    wanted = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted) or math.isnan(value):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"'{recipe.name}': {field} must be {kind}, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open or low == -math.inf else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"'{recipe.name}': {field} must be in {left}{low:g}, {high:g}{right}, got {value!r}")
    return value


def check_choice(recipe: type | Recipe, field: str, value, choices) -> Any:
    """Raise ValueError unless `value` is one of `choices`."""
    if not isinstance(value, (str, int, float, type(None))) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"'{recipe.name}': {field} must be one of {allowed}, got {value!r}")
    return value


def check_bool(recipe: type | Recipe, field: str, value) -> bool:
    """Raise ValueError unless `value` is True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"'{recipe.name}': {field} must be true or false, got {value!r}")
    return value


def check_str(recipe: type | Recipe, field: str, value, what: str) -> str:
    """Raise ValueError unless `value` is a non-empty string; `what` says what it names."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"'{recipe.name}': {field} must be {what}, got {value!r}")
    return value
