"""advisor: diagnose how a Keras model trains, search the repairs the diagnosis suggests, train.

`from advisor import diagnose, train` works, but TensorFlow is imported only
when one of them is first used, so `advisor --help` stays fast.
"""
__version__ = "0.1.0"
__all__ = ["diagnose", "train", "Watch"]


def __getattr__(name):
    # PEP 562 lazy exports: importing the package must not import TensorFlow.
    if name == "diagnose":
        from advisor.diagnosis import diagnose

        return diagnose
    if name == "train":
        from advisor.pipeline import train

        return train
    if name == "Watch":
        from advisor.watch import Watch

        return Watch
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
