"""BatchSize: the global batch size `plan.transform` batches with."""
from __future__ import annotations

from recipes.base import Recipe, check_number
from recipes.registry import register

CHOICES = [16, 32, 64, 128, 256]


@register
class BatchSize(Recipe):
    """Set the global batch size (a distribution strategy splits it across its replicas).

    When to use: oscillating loss -> larger batches give steadier gradients
    (AUTOTRAINER: batch x 2); large data -> as large as memory allows (S2,
    Tuning Playbook). Changing it means re-tuning the learning rate.

    Args:
        size: samples per batch, all replicas together (integer >= 1).

    Example:
        >>> from recipes import BatchSize, Plan
        >>> Plan([BatchSize(128)]).batch_size
        128
    """

    name = "batch_size"

    def __init__(self, size: int = 32):
        self.size = check_number(self, "size", size, 1, integer=True)

    def apply(self, setup):
        return setup.replace(batch_size=self.size)

    def search_space(self, hp):
        return self.replace(size=self.tune_choice(hp, "size", CHOICES))
