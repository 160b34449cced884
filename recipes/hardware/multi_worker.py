"""MultiWorker: `tf.distribute.MultiWorkerMirroredStrategy` over the hosts named in TF_CONFIG."""
from __future__ import annotations

import functools
import json
import os

import tensorflow as tf

from recipes.base import Recipe, check_choice
from recipes.registry import register

COMMUNICATIONS = {
    "auto": tf.distribute.experimental.CommunicationImplementation.AUTO,
    "ring": tf.distribute.experimental.CommunicationImplementation.RING,
    "nccl": tf.distribute.experimental.CommunicationImplementation.NCCL,
}
TASK_TYPES = ("worker", "chief")


def read_tf_config(environ=None) -> dict:
    """The parsed TF_CONFIG; ValueError naming the problem when missing or malformed."""
    raw = (os.environ if environ is None else environ).get("TF_CONFIG")
    example = '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}'
    if not raw:
        raise ValueError(f"'multi_worker' needs the TF_CONFIG environment variable, e.g. {example}")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error.msg}): {raw!r}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(cluster.get("worker"), list) or not cluster["worker"]:
        raise ValueError(f"TF_CONFIG 'cluster' must list the workers, e.g. {example}; got {raw!r}")
    if not isinstance(task, dict) or task.get("type") not in TASK_TYPES:
        raise ValueError(f"TF_CONFIG 'task' must have type 'worker' or 'chief'; got {task!r}")
    members = cluster.get(task["type"], [])
    index = task.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(members):
        raise ValueError(f"TF_CONFIG 'task' index must be in [0, {len(members)}), got {index!r}")
    return config


class _MultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """MultiWorkerMirroredStrategy whose `reduce` takes what Keras 3's `fit` gives it.

    Keras 3 does not officially support this strategy (keras-team/keras#20585,
    tensorflow/tensorflow#72388). `fit` calls `reduce` on an (x, y) tuple, and
    with axis=0 on per-replica scalars (loss, metrics); the collective
    implementation accepts neither. Reducing element by element, over replicas
    only for scalars, is what those calls mean.
    """

    def reduce(self, reduce_op, value, axis):
        def reduce_one(v):
            rank = self.experimental_local_results(v)[0].shape.rank
            return super(_MultiWorkerStrategy, self).reduce(reduce_op, v, None if rank == 0 else axis)

        return tf.nest.map_structure(reduce_one, value)


@register
class MultiWorker(Recipe):
    """Data parallel training over several machines, each running the same program.

    When to use: data or models too big for one host (S0 mentions k8s).
    Every worker sets TF_CONFIG (cluster + its own task) and runs the same
    script. Create the strategy first thing (`plan.strategy` or `plan.build`):
    it must exist before TensorFlow runs any op. `plan.build` copies the user
    model's weights, so every worker must build the same model (same seed,
    e.g. `keras.utils.set_random_seed(0)`, or the same saved weights).

    Args:
        communication: collective implementation: "auto", "ring" or "nccl" (GPUs).

    Example:
        >>> from recipes import MultiWorker, Plan
        >>> plan = Plan([MultiWorker()])
        >>> plan.to_dict()["recipes"]
        [{'name': 'multi_worker', 'config': {'communication': 'auto'}}]
        >>> strategy = plan.strategy     # at program start, with TF_CONFIG set  # doctest: +SKIP
    """

    name = "multi_worker"
    slot = "strategy"

    def __init__(self, communication: str = "auto"):
        self.communication = check_choice(self, "communication", communication, tuple(COMMUNICATIONS))

    def apply(self, setup):
        return setup.replace(strategy=self.strategy)

    def strategy(self):
        read_tf_config()
        return _process_strategy(self.communication)


@functools.cache
def _process_strategy(communication: str):
    # One per process: the collective runtime is configured once, at start-up,
    # and every plan built later (the same run's stages) must share it.
    options = tf.distribute.experimental.CommunicationOptions(implementation=COMMUNICATIONS[communication])
    return _MultiWorkerStrategy(communication_options=options)
