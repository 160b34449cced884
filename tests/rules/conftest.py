"""Rule tests build Facts by hand, not models: keep the shared seeding, skip its full gc."""
import pytest


@pytest.fixture(autouse=True)
def _seed():
    """Overrides tests/conftest.py's fixture of the same name: same seed and
    fresh Keras state, but without `gc.collect()` after every test, which costs
    ~0.5 s a test once TensorFlow is loaded and frees nothing here."""
    import keras

    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session(free_memory=False)
