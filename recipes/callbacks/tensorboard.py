"""TensorBoard: `keras.callbacks.TensorBoard` logs of curves, learning rate and weight histograms."""
from __future__ import annotations

import keras

from recipes.base import Recipe, check_number, check_str
from recipes.registry import register


@register
class TensorBoard(Recipe):
    """Write TensorBoard logs: loss/metric curves, the learning rate, weight histograms.

    When to use: whenever a run should be inspected later (S4: visualize
    curves, gradient and activation distributions). View with
    `tensorboard --logdir LOG_DIR`.

    Args:
        log_dir: directory for the event files.
        histogram_freq: epochs between weight histograms (0 disables).

    Example:
        >>> import keras, numpy as np, os, tempfile
        >>> from recipes import Plan, TensorBoard
        >>> my_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        >>> my_model.compile("adam", "sparse_categorical_crossentropy")
        >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32"); y = np.arange(32) % 3
        >>> with tempfile.TemporaryDirectory() as log_dir:   # e.g. log_dir="runs/mnist/logs"
        ...     plan = Plan([TensorBoard(log_dir=log_dir)])
        ...     history = plan.build(my_model).fit(x, y, epochs=1, verbose=0, **plan.fit_kwargs())
        ...     print(os.listdir(log_dir))
        ['train']
    """

    name = "tensorboard"

    def __init__(self, log_dir: str = "logs", histogram_freq: int = 1):
        self.log_dir = check_str(self, "log_dir", log_dir, "a directory path")
        self.histogram_freq = check_number(self, "histogram_freq", histogram_freq, 0, integer=True)

    def apply(self, setup):
        return setup.replace(callbacks=setup.callbacks + (self.callback,))

    def callback(self):
        return keras.callbacks.TensorBoard(log_dir=self.log_dir, histogram_freq=self.histogram_freq)
