import numpy as np
from sklearn.metrics import f1_score

from advisor.report.evaluate import evaluate


class _Fixed:
    """A stand-in with Keras' predict signature returning fixed scores."""

    def __init__(self, out):
        self.out = np.asarray(out, dtype=np.float32)

    def predict(self, x, batch_size=None, verbose=0):
        return self.out


def test_multiclass_metrics_match_sklearn():
    y = np.array([0, 1, 2, 2, 1, 0])
    scores = np.eye(3)[[0, 2, 2, 2, 1, 1]]
    m = evaluate(_Fixed(scores), np.zeros((6, 1)), y, "multiclass", ["a", "b", "c"])
    assert m["accuracy"] == 4 / 6
    assert np.isclose(m["macro_f1"], f1_score(y, [0, 2, 2, 2, 1, 1], average="macro"))
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
    assert m["per_class"]["c"]["recall"] == 1.0 and m["per_class"]["a"]["precision"] == 1.0


def test_binary_sigmoid_and_regression():
    y = np.array([0, 1, 1, 0])
    m = evaluate(_Fixed([[0.1], [0.9], [0.4], [0.2]]), np.zeros((4, 1)), y, "binary", ["neg", "pos"])
    assert m["accuracy"] == 0.75 and m["confusion_matrix"] == [[2, 0], [1, 1]]
    r = evaluate(_Fixed([[1.0], [2.0]]), np.zeros((2, 1)), np.array([1.5, 2.0], np.float32), "regression")
    assert np.isclose(r["mae"], 0.25) and np.isclose(r["rmse"], np.sqrt(0.125))
