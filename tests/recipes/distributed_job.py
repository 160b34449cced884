"""Child process for test_distributed.py: build and fit both test models under a strategy.

    python distributed_job.py mirrored OUT.json       # 2 logical CPUs, MirroredStrategy
    python distributed_job.py multi_worker OUT.json   # TF_CONFIG from the environment
    python distributed_job.py rule_book OUT.json      # 2 logical CPUs, the rule book's plan for 2 devices

Writes replicas, batch size, losses and a weight checksum per model to OUT.json
(rule_book: replicas, global batch, each replica's share of the first batch, steps).
"""
import json
import sys

import tensorflow as tf


def main(kind, out):
    if kind == "rule_book":
        return rule_book(out)
    if kind == "mirrored":
        # must happen before TensorFlow initializes its devices
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras

    # plan.build copies the user's weights: every worker must start from the same model
    keras.utils.set_random_seed(0)
    from recipes import BatchSize, Dropout, Mirrored, MultiWorker, Plan
    from tests.recipes.testkit import functional_model, images, sequential_model

    strategy_recipe = Mirrored(devices=["/cpu:0", "/cpu:1"]) if kind == "mirrored" else MultiWorker()
    plan = Plan([strategy_recipe, BatchSize(16), Dropout(0.2)])  # global: 8 per replica
    strategy = plan.strategy  # first: MultiWorkerMirroredStrategy must exist before any op runs
    x, y = images(n=48)
    result = {"replicas": strategy.num_replicas_in_sync, "batch_size": plan.batch_size, "models": {}}
    train, _ = plan.transform((x, y))
    first = next(iter(strategy.experimental_distribute_dataset(train)))
    result["first_local_batch"] = [float(strategy.experimental_local_results(first)[0][0].numpy().sum())]
    for name, make in [("sequential", sequential_model), ("functional", functional_model)]:
        model = plan.build(make(), (x, y), epochs=2)
        train, val = plan.transform((x, y), (x, y))
        history = model.fit(train, validation_data=val, verbose=0, **plan.fit_kwargs(epochs=2))
        result["models"][name] = {
            "loss": history.history["loss"],
            "variable": type(model.trainable_weights[0].value).__name__,
            "checksum": float(sum(float(abs(w).sum()) for w in model.get_weights())),
            "steps": int(model.optimizer.iterations.numpy()),
        }
    with open(out, "w") as f:
        json.dump(result, f)


def rule_book(out):
    """The rule book's plan for a host with 2 devices, on 2 logical CPUs."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from tests.rules.facts_builders import healthy

    from advisor.rules.engine import decide
    from recipes import Mirrored, Plan
    from tests.recipes.testkit import images, sequential_model

    chosen = decide(healthy(gpus=2, device_count=2)).to_plan()
    # The rule's Mirrored() takes every GPU; this host has none, so name the two logical CPUs.
    plan = Plan([Mirrored(devices=["/cpu:0", "/cpu:1"]) if r.name == "mirrored" else r for r in chosen.recipes])
    strategy = plan.strategy
    x, y = images(n=128)
    train, val = plan.transform((x, y), (x, y))
    first = next(iter(strategy.experimental_distribute_dataset(train)))
    model = plan.build(sequential_model(), (x, y), epochs=1)
    model.fit(train, validation_data=val, verbose=0, **plan.fit_kwargs((x, y), epochs=1))
    result = {"recipes": [r.name for r in chosen.recipes], "replicas": strategy.num_replicas_in_sync,
              "batch_size": plan.batch_size,
              "per_replica": [int(t.shape[0]) for t in strategy.experimental_local_results(first[0])],
              "steps": int(model.optimizer.iterations.numpy())}
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
