"""Soft voting: several trained models averaged into one Keras model.

The members are nested inside one Functional model whose output is the mean of
theirs (keras.layers.Average), so `keras.models.load_model` opens the ensemble
as a single model and `predict` votes. Members should output probabilities
(softmax / sigmoid heads) for the mean to be a soft vote; for regression the
mean of their predictions is the ensemble's prediction.
"""
from __future__ import annotations

import keras

from advisor.report.evaluate import evaluate
from advisor.training.selection import Candidate


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


def ensemble_candidate(model, top_models, size: int, dataset) -> tuple[Candidate | None, dict]:
    """The final model soft-voted with the best trial models (`size` members) as a
    candidate for the model the run keeps (`advisor.training.selection` judges it on
    validation), and the record for metrics.json: every member's test metrics
    (reported, never used to choose)."""
    others = [(f"trial {t}", m) for _, t, m in top_models if m is not model][: size - 1]
    sources, members = ["final fit"] + [s for s, _ in others], [model] + [m for _, m in others]
    if len(members) < 2:
        return None, {"kept": False, "members": [], "note": "no trial model to vote with (the search ran no "
                                                            "other trial, or was resumed)"}
    classification = dataset.info.task != "regression"
    voted = soft_vote(members, loss=model.loss, metrics=["accuracy"] if classification else None)
    x, y = dataset.inputs("test"), dataset.labels("test")
    keys = ("accuracy", "macro_f1") if classification else ("mae", "rmse")

    def test_scores(m):
        scores = evaluate(m, x, y, dataset.info.task, dataset.info.class_names)
        return {k: scores[k] for k in keys}

    record = {"kept": False, "members": [{"source": s, "test": test_scores(m)} for s, m in zip(sources, members)],
              "ensemble_test": test_scores(voted)}
    return Candidate(f"ensemble of {len(members)}", voted), record
