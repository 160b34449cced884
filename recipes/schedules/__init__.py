"""Learning-rate schedules: one-cycle, warm-up + cosine, step and exponential decay, reduce-on-plateau (keras.optimizers.schedules, keras.callbacks)."""
