"""`FitDeadline`: a fit ends by the clock (a deadline, or `max_seconds` after it began) and
keeps its best epoch; it leaves room for the closing evaluations."""
import time

import keras
import numpy as np

from advisor.callbacks.deadline import FitDeadline


def _mlp():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_deadline_stops_at_the_deadline_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, 256)
    model = _mlp()
    stop = FitDeadline(time.monotonic() + 1e9, monitor="val_accuracy")
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[stop])
    assert not stop.cut  # a far deadline changes nothing
    # A deadline already passed: the fit ends after one batch and the best epoch's weights come back.
    stop.deadline = time.monotonic() - 1
    history = model.fit(x, y, validation_data=(x, y), epochs=50, verbose=0, callbacks=[stop])
    assert stop.cut and len(history.history["loss"]) == 1
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), stop.best_weights))


def test_without_validation_the_lowest_training_loss_epoch_is_kept():
    """The final fit on train + val (after --cv) has no validation to stop on: a late
    divergence must not leave wrecked weights."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, 256)
    model = _mlp()

    class Wreck(keras.callbacks.Callback):  # the last epoch diverges
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                self.model.set_weights([w * 1e3 for w in self.model.get_weights()])

    keep = FitDeadline(time.monotonic() + 1e9, monitor="loss", keep_best=True)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[Wreck(), keep])
    losses = history.history["loss"]
    assert losses[3] > 10 * min(losses[:3]) and not keep.cut
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), keep.best_weights))
    assert model.evaluate(x, y, verbose=0)[0] < 2 * min(losses[:3])


def test_fit_deadline_leaves_room_for_the_closing_evaluations():
    """The deadline moves earlier by `closing_passes` times the slowest validation
    pass it saw: a model that evaluates slowly still ends inside the budget."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 4)).astype("float32"), rng.integers(0, 3, 256)

    class SlowValidation(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            time.sleep(0.05)

    pass_s = 2 * 0.05  # 256 samples in validation batches of 128: two sleeps per pass
    model = _mlp()
    far = time.monotonic() + 60
    same = FitDeadline(far, monitor="val_accuracy")
    model.fit(x, y, validation_data=(x, y), validation_batch_size=128, epochs=2, verbose=0,
              callbacks=[SlowValidation(), same])
    assert not same.cut and same.pass_s >= pass_s
    reserve = FitDeadline(time.monotonic() + 2.0, monitor="val_accuracy", closing_passes=60 / pass_s)
    history = model.fit(x, y, validation_data=(x, y), validation_batch_size=128, epochs=50, verbose=0,
                        callbacks=[SlowValidation(), reserve])
    # 60 s of reserve: once one validation pass is measured, the 2 s deadline is long past.
    assert reserve.cut and reserve.pass_s >= pass_s and len(history.history["loss"]) <= 2


def test_fit_deadline_caps_one_fit_by_max_seconds_and_records_epoch_times():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 3, 64)
    model = _mlp()
    stop = FitDeadline(None, monitor="val_accuracy", max_seconds=60.0, keep_best=True)
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[stop])
    assert not stop.cut and len(stop.epoch_seconds) == 3 and stop.best_epoch is not None
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), stop.best_weights))  # keep_best
    cap = FitDeadline(None, monitor="val_accuracy", max_seconds=0.0)
    history = model.fit(x, y, validation_data=(x, y), epochs=50, verbose=0, callbacks=[cap])
    assert cap.cut and len(history.history["loss"]) == 1
