"""The label-encoding rule: classes vs regression, and the errors for bad labels."""
import numpy as np
import pytest

from advisor.data.labels import REGRESSION_MIN_DISTINCT, check_class_ids, encode_labels
from advisor.errors import AdvisorError


def test_text_labels_are_sorted_classes():
    y, task, names = encode_labels(np.array(["b", "a", "c", "a"]))
    assert y.tolist() == [1, 0, 2, 0] and task == "multiclass" and names == ["a", "b", "c"]


def test_whole_floats_and_one_hot_are_classes():
    assert encode_labels(np.array([3.0, 7.0, 3.0]))[1:] == ("binary", ["3", "7"])
    y, task, _ = encode_labels(np.eye(3)[[2, 0, 1, 2]])
    assert y.tolist() == [2, 0, 1, 2] and task == "multiclass"


def test_many_distinct_fractional_floats_are_regression():
    y = np.linspace(0, 1, REGRESSION_MIN_DISTINCT + 1) + 0.01
    assert encode_labels(y)[1] == "regression"
    with pytest.raises(AdvisorError, match="not whole numbers"):
        encode_labels(y[:REGRESSION_MIN_DISTINCT])


@pytest.mark.parametrize("y,message", [
    (np.array([0.0, 1.0, np.nan]), "NaN"),
    (np.array(["a", None, "b"], dtype=object), "missing"),
    (np.array([4, 4, 4]), "single class"),
    (np.zeros((3, 2, 2)), "1-D"),
])
def test_bad_labels_raise_one_clear_line(y, message):
    with pytest.raises(AdvisorError, match=message) as e:
        encode_labels(y)
    assert "\n" not in str(e.value)


def test_check_class_ids_range():
    with pytest.raises(AdvisorError, match="0..2"):
        check_class_ids(np.array([0, 1, 3]), 3)
    assert check_class_ids(np.array([0.0, 2.0]), 3).dtype == np.int64
