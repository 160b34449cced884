"""Optimizer recipes: Adam, AdamW, SGD, RMSprop, Adagrad, and the learning-rate factor and gradient clipping that act on any of them (keras.optimizers)."""
