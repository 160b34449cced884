"""GradientClip: the optimizer's `clipnorm` or `clipvalue`."""
from __future__ import annotations

from recipes.base import Recipe, check_number
from recipes.registry import register

DEFAULT_CLIPNORM = 1.0


@register
class GradientClip(Recipe):
    """Clip each gradient by norm (`clipnorm`) or each element by value (`clipvalue`).

    When to use: exploding gradients or divergence (AUTOTRAINER: clipvalue
    about 10). Set one of the two; with neither, clipnorm=1.0 is used. Works
    on whatever optimizer the model or the plan has.

    Args:
        clipnorm: max norm of each variable's gradient (> 0), or None.
        clipvalue: max absolute value of each gradient element (> 0), or None.

    Example:
        >>> import keras
        >>> from recipes import GradientClip, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> model = Plan([GradientClip(clipvalue=10.0)]).build(my_model)   # keeps the compiled Adam
        >>> type(model.optimizer).__name__, model.optimizer.clipvalue
        ('Adam', 10.0)
    """

    name = "gradient_clip"

    def __init__(self, clipnorm: float | None = None, clipvalue: float | None = None):
        if clipnorm is not None and clipvalue is not None:
            raise ValueError(f"'{self.name}': set clipnorm or clipvalue, not both "
                             f"(got clipnorm={clipnorm!r}, clipvalue={clipvalue!r})")
        self.clipnorm = None if clipnorm is None else check_number(self, "clipnorm", clipnorm, 0, low_open=True)
        self.clipvalue = None if clipvalue is None else check_number(self, "clipvalue", clipvalue, 0, low_open=True)

    @property
    def options(self) -> dict:
        """The optimizer keyword this recipe sets."""
        if self.clipvalue is not None:
            return {"clipvalue": self.clipvalue}
        return {"clipnorm": self.clipnorm if self.clipnorm is not None else DEFAULT_CLIPNORM}

    def apply(self, setup):
        return setup.replace(optimizer_options={**setup.optimizer_options, **self.options})

    def search_space(self, hp):
        if self.clipvalue is not None:
            return self.replace(clipvalue=self.tune_float(hp, "clipvalue", 0.5, 20.0, log=True))
        norm = self.clipnorm if self.clipnorm is not None else DEFAULT_CLIPNORM
        tuned = hp.Float(f"{self.name}/clipnorm", min(0.1, norm), max(10.0, norm), sampling="log", default=norm)
        # clipnorm=None already means the default norm: keep it None then, so config stays as given
        return self.replace(clipnorm=None if self.clipnorm is None and tuned == norm else tuned)
