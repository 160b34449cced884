"""Hardware recipes: mixed precision, MirroredStrategy and multi-worker training (keras.mixed_precision, tf.distribute)."""
