"""Mirrored: `tf.distribute.MirroredStrategy` - data parallel over the devices of one machine."""
from __future__ import annotations

import tensorflow as tf

from recipes.base import Recipe
from recipes.registry import register


@register
class Mirrored(Recipe):
    """Replicate the model on several devices of this machine; each takes a share of the batch.

    When to use: several GPUs on one host (S1). Each device holds a full copy
    of the model (memory is replicated, not saved). The BatchSize is the global
    batch, split over the replicas: give BatchSize(32 * replicas) to keep 32 per
    device (the rule book does).

    Args:
        devices: device names such as ["/gpu:0", "/gpu:1"]; None uses all GPUs
            (or the CPU when there is none).

    Example:
        >>> import keras
        >>> from recipes import BatchSize, Mirrored, Plan
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> plan = Plan([Mirrored(devices=["/cpu:0"]), BatchSize(64)])   # Mirrored(): every GPU
        >>> model = plan.build(my_model)   # variables mirrored on every device
        >>> type(model.distribute_strategy).__name__, plan.strategy.num_replicas_in_sync
        ('MirroredStrategy', 1)
    """

    name = "mirrored"
    slot = "strategy"

    def __init__(self, devices: list[str] | None = None):
        if devices is not None and (not isinstance(devices, list) or not devices
                                    or not all(isinstance(d, str) and d for d in devices)):
            raise ValueError(f"'{self.name}': devices must be None or a non-empty list of device "
                             f"names like ['/gpu:0', '/gpu:1'], got {devices!r}")
        self.devices = list(devices) if devices is not None else None

    def apply(self, setup):
        return setup.replace(strategy=self.strategy)

    def strategy(self):
        return tf.distribute.MirroredStrategy(devices=self.devices)
