"""`ScheduleCallback`: runs a plan's LR schedule when `plan.build` could not know the steps."""
from __future__ import annotations

import keras


class ScheduleCallback(keras.callbacks.Callback):
    """Sets the optimizer's learning rate every batch from a schedule made at train begin.

    When to use: `Plan.fit_kwargs` adds it for plans with an LR schedule. If
    `plan.build` got `train=` and `epochs=`, the schedule already lives in the
    optimizer and this callback does nothing; otherwise it builds the schedule
    from `fit`'s own epochs and steps per epoch.

    Args:
        make_schedule: `(base_lr, steps_per_epoch, epochs) -> LearningRateSchedule`.

    Example:
        >>> callback = ScheduleCallback(lambda lr, steps, epochs: keras.optimizers.schedules.CosineDecay(lr, steps * epochs))
    """

    def __init__(self, make_schedule):
        super().__init__()
        self.make_schedule = make_schedule
        self.schedule = None
        self.base_lr = None  # read once: a second fit must not start from the decayed value
        self.step = 0

    def on_train_begin(self, logs=None):
        learning_rate = self.model.optimizer.learning_rate
        if not isinstance(learning_rate, keras.Variable):
            return  # the optimizer carries the schedule itself
        steps, epochs = self.params.get("steps"), self.params.get("epochs")
        if not steps:
            raise ValueError("the LR schedule needs the number of steps per epoch, but the training "
                             "data has unknown length: pass train= and epochs= to plan.build")
        if self.base_lr is None:
            self.base_lr = float(keras.ops.convert_to_numpy(learning_rate))
        self.schedule = self.make_schedule(self.base_lr, steps, epochs)
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self.schedule is not None:
            self.model.optimizer.learning_rate = float(self.schedule(self.step))
            self.step += 1
