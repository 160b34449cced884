"""Callback recipes: early stopping and TensorBoard logging (keras.callbacks)."""
