"""The advisor's Keras callbacks, one family per module."""
