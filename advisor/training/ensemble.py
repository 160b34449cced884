"""Soft voting: several trained models averaged into one Keras model.

The members are nested inside one Functional model whose output is the mean of
theirs (keras.layers.Average), so `keras.models.load_model` opens the ensemble
as a single model and `predict` votes. Members should output probabilities
(softmax / sigmoid heads) for the mean to be a soft vote; for regression the
mean of their predictions is the ensemble's prediction.
"""
from __future__ import annotations

import keras


def soft_vote(members: list, *, loss, metrics=None, name: str = "ensemble") -> keras.Model:
    """One compiled model averaging `members`' outputs (all take the same input).

    Example:
        >>> voted = soft_vote([model_a, model_b], loss="sparse_categorical_crossentropy",
        ...                   metrics=["accuracy"])  # doctest: +SKIP
        >>> voted.predict(x)  # the mean of both models' probabilities  # doctest: +SKIP
    """
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
    inputs = keras.Input(members[0].inputs[0].shape[1:], name="inputs")
    # Each member is wrapped under a name of its own: nested models must not share one.
    outputs = [keras.Model(m.inputs[0], m.outputs[0], name=f"member_{i}")(inputs) for i, m in enumerate(members)]
    voted = keras.Model(inputs, keras.layers.Average(name="soft_vote")(outputs), name=name)
    voted.compile(optimizer="adam", loss=loss, metrics=metrics)  # for evaluate(); it is never fitted
    return voted
