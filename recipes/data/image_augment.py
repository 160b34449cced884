"""ImageAugment: random flips, rotations, zooms, shifts and contrast on training images."""
from __future__ import annotations

import keras
import tensorflow as tf

from recipes.base import Recipe, check_choice, check_number
from recipes.registry import register

FLIPS = ("none", "horizontal", "vertical", "horizontal_and_vertical")


@register
class ImageAugment(Recipe):
    """Augment training image batches with Keras preprocessing layers, in tf.data.

    When to use: small image datasets and overfitting. Runs on the training
    stream only (`plan.transform`), never on validation. Flips are off by
    default because they change the meaning of digits and text.

    Args:
        flip: "none", "horizontal", "vertical" or "horizontal_and_vertical".
        rotation: max rotation as a fraction of a full turn (RandomRotation factor).
        zoom: max zoom in/out as a fraction of the size (RandomZoom factor).
        translation: max shift as a fraction of height/width (RandomTranslation).
        contrast: max contrast change (RandomContrast factor); 0 disables.

    Example:
        >>> import numpy as np
        >>> from recipes import ImageAugment, Plan
        >>> x = np.random.default_rng(0).uniform(size=(32, 8, 8, 3)).astype("float32"); y = np.arange(32) % 2
        >>> plan = Plan([ImageAugment(flip="horizontal", rotation=0.1)])
        >>> train, val = plan.transform((x[:24], y[:24]), (x[24:], y[24:]))
        >>> tuple(next(iter(train))[0].shape)
        (24, 8, 8, 3)
        >>> bool(np.array_equal(next(iter(val))[0], x[24:]))   # validation images are never augmented
        True
    """

    name = "image_augment"

    def __init__(self, flip: str = "none", rotation: float = 0.05, zoom: float = 0.1,
                 translation: float = 0.1, contrast: float = 0.0):
        self.flip = check_choice(self, "flip", flip, FLIPS)
        self.rotation = check_number(self, "rotation", rotation, 0, 0.5)
        self.zoom = check_number(self, "zoom", zoom, 0, 1, high_open=True)
        self.translation = check_number(self, "translation", translation, 0, 1, high_open=True)
        self.contrast = check_number(self, "contrast", contrast, 0, 1)

    def apply(self, setup):
        return setup.replace(batch_transforms=setup.batch_transforms + (self._augment,))

    def search_space(self, hp):
        return self.replace(rotation=self.tune_float(hp, "rotation", 0.0, 0.2),
                            zoom=self.tune_float(hp, "zoom", 0.0, 0.3),
                            translation=self.tune_float(hp, "translation", 0.0, 0.2))

    def layers(self) -> list:
        """The Keras augmentation layers this recipe stands for."""
        layers = []
        if self.flip != "none":
            layers.append(keras.layers.RandomFlip(self.flip))
        if self.rotation:
            layers.append(keras.layers.RandomRotation(self.rotation))
        if self.zoom:
            layers.append(keras.layers.RandomZoom(self.zoom))
        if self.translation:
            layers.append(keras.layers.RandomTranslation(self.translation, self.translation))
        if self.contrast:
            layers.append(keras.layers.RandomContrast(self.contrast))
        return layers

    def _augment(self, batches: tf.data.Dataset) -> tf.data.Dataset:
        shape = batches.element_spec[0].shape
        if shape.rank != 4:
            raise ValueError(f"'image_augment' needs images shaped (height, width, channels); "
                             f"got samples of shape {tuple(shape[1:])}")
        layers = self.layers()

        def augment(x, y):
            for layer in layers:
                x = layer(x, training=True)
            return x, y

        return batches.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
