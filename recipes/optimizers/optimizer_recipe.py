"""`OptimizerRecipe`: the shared base of the optimizer recipes (one per plan)."""
from __future__ import annotations

from typing import ClassVar

from recipes.base import Recipe


class OptimizerRecipe(Recipe):
    """Chooses a Keras optimizer; its config keys are the optimizer's own keyword arguments.

    Subclasses set `keras_class` (e.g. "Adam") and `lr_range` (the learning
    rates keras-tuner searches, log-uniform).
    """

    slot = "optimizer"
    keras_class: ClassVar[str] = ""
    lr_range: ClassVar[tuple[float, float]] = (1e-4, 1e-2)

    def apply(self, setup):
        return setup.replace(optimizer=self.keras_class, optimizer_kwargs=self.get_config())

    def search_space(self, hp):
        return self.replace(learning_rate=self.tune_float(hp, "learning_rate", *self.lr_range, log=True))
