"""FineTune: the head trains on a frozen base, then the base's top layers at LR / lr_drop,
with BatchNormalization frozen (inference mode) throughout."""
import keras
import numpy as np
import pytest

from recipes import Adam, FineTune, Plan


def _pretrained():
    inputs = keras.Input((8,))
    x = keras.layers.Dense(16, activation="relu", name="low")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Dense(16, activation="relu", name="top")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _weights(model):
    return {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers if layer.weights}


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


def test_head_first_on_a_frozen_base_then_the_top_at_a_lower_rate():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 8)).astype("float32"), rng.integers(0, 3, 256)
    plan = Plan([Adam(1e-2), FineTune(head_epochs=2, unfreeze_top=1, lr_drop=10.0)])
    model = plan.build(_pretrained(), (x, y), epochs=4)
    start = _weights(model)
    seen = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = (_weights(self.model), float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    fit = plan.fit_kwargs((x, y), epochs=4)
    fit["callbacks"].append(Record())
    model.fit(x, y, batch_size=32, verbose=0, **fit)
    head_phase, lr_one = seen[1]
    assert all(_same(head_phase[n], start[n]) for n in ("low", "bn", "top"))  # bit-identical, BN stats too
    assert not _same(head_phase["head"], start["head"]) and lr_one == pytest.approx(1e-2)
    end, lr_two = seen[3]
    assert not _same(end["top"], head_phase["top"]) and lr_two == pytest.approx(1e-3)
    assert _same(end["low"], start["low"]) and _same(end["bn"], start["bn"])  # below the top N; normalization


def test_freeze_until_names_the_last_frozen_layer():
    model = Plan([FineTune(freeze_until="low")]).build(_pretrained())
    assert [layer.name for layer in model.layers if layer.weights and not layer.trainable] == ["low"]
    with pytest.raises(ValueError, match="freeze_until names no layer of the model: 'nosuch'.*low, bn, top, head"):
        Plan([FineTune(freeze_until="nosuch")]).build(_pretrained())
