"""The Keras internals `advisor.callbacks.fit_data` reads are still there, with the same shape:
the running fit's frame and its data adapter for arrays, and a tf.data iterator that can be
saved and restored. A Keras upgrade that changes them fails here, not in a user's fit."""
import keras
import numpy as np
import tensorflow as tf

from advisor.callbacks.fit_data import fit_locals, read_training_sample


class _Grab(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            loop = fit_locals()
            self.sample = read_training_sample(loop, n=8) if loop is not None else None


def _model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def test_arrays_give_rows_spread_over_the_data_and_the_batch_size():
    x = np.arange(400, dtype="float32").reshape(100, 4)
    y = (np.arange(100) % 2).astype("int64")
    grab = _Grab()
    _model().fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[grab])
    sx, sy, batch = grab.sample
    assert sx.shape == (8, 4) and batch == 10
    assert sx[0, 0] == 0 and sx[-1, 0] == x[-1, 0]  # spread from the first row to the last
    np.testing.assert_array_equal(sy, y[(sx[:, 0] / 4).astype(int)])


def test_a_tf_data_fit_is_sampled_and_reads_every_batch_in_its_own_order():
    x = np.arange(160, dtype="float32").reshape(40, 4)
    y = (np.arange(40) % 2).astype("int64")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    seen = []

    class Order(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    grab = _Grab()
    history = _model().fit(data, epochs=1, verbose=0, callbacks=[grab, Order()])
    sx, _, batch = grab.sample
    np.testing.assert_array_equal(sx, x[:8])  # the fit's first batches ...
    assert batch == 4 and seen == list(range(10)) and len(history.history["loss"]) == 1  # ... not taken from it
