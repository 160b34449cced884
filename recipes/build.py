"""`build_model`: turn a `TrainingSetup` and the user's model into a new compiled model."""
from __future__ import annotations

import contextlib
import math

from recipes.compile_parts import compile_defaults, make_loss, make_metrics, make_optimizer
from recipes.architecture.rebuild import rebuild
from recipes.training_setup import TrainingSetup
from recipes.data.train_data import TrainData


def build_model(setup: TrainingSetup, model, *, strategy=None, train=None, epochs=None,
                batch_size=32, loss=None, metrics=None):
    """Materialize `setup` in the one order that works.

    1. enter the distribution strategy's scope (variables must be created in it);
    2. rebuild the model with the model transforms, dtype policy, input layers and layer edits,
       then freeze what the plan freezes;
    3. compile with the plan's optimizer / schedule / loss / metrics over the
       model's own compile arguments (or `loss=` / `metrics=`).

    Args:
        setup: the plan's `TrainingSetup`.
        model: the user's built Sequential or Functional model (left untouched).
        strategy: a `tf.distribute.Strategy` or None.
        train: unbatched training data (tf.data or (x, y)); needed by Normalize and,
            with `epochs`, to bake LR schedules into the optimizer.
        epochs: number of epochs the model will be fitted for.
        batch_size: the global batch size (for steps per epoch).
        loss, metrics: used instead of the model's compiled ones.
    """
    data = TrainData(train) if train is not None else None
    steps_per_epoch = math.ceil(data.n / batch_size) if data is not None else None
    defaults = compile_defaults(model, loss, metrics)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        x_train = data.adapt_inputs if (data is not None and setup.input_layers) else None
        new = rebuild(model, setup, x_train, loss=defaults.loss)
        for freeze in setup.freezes:
            freeze(new)
        optimizer = make_optimizer(setup, defaults.optimizer, steps_per_epoch, epochs)
        final_loss = make_loss(setup, new, defaults.loss)
        new.compile(optimizer=optimizer, loss=final_loss,
                    metrics=make_metrics(setup, new, final_loss, defaults.metrics))
    return new
