"""Loss recipes: focal loss for severe class imbalance, sparse integer labels (keras.losses)."""
