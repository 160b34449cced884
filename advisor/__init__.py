"""advisor: diagnose how a Keras model trains, plan recipes, verify, tune, train.

The package imports TensorFlow lazily so `advisor --help` stays fast.
"""
__version__ = "0.1.0"
