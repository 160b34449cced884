"""`SearchTuner`: the one keras-tuner Tuner every search runs on, and its trials as plain rows.

keras-tuner's documented way to run trials its own way: override `run_trial`
to build and fit through the hypermodel. This one also gives Hyperband's
trials their epochs (`tuner/epochs`, `tuner/initial_epoch`; the hypermodel
continues an earlier trial's weights), turns a full disk into the run's one
error line, and keeps no checkpoint files per epoch: the hypermodel keeps the
models worth keeping in memory.
"""
from __future__ import annotations

from pathlib import Path

import keras_tuner as kt

from advisor.runtime.run_safety import fatal_if_disk_error


class SearchTuner(kt.Tuner):
    """A keras-tuner Tuner over a `SearchHyperModel` and one of `advisor.search.oracle`'s oracles."""

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        if "tuner/epochs" in hp.values:
            kwargs.update(epochs=hp.values["tuner/epochs"], initial_epoch=hp.values["tuner/initial_epoch"])
        self.hypermodel.trial_id = trial.trial_id
        try:
            return self.hypermodel.fit(hp, self.hypermodel.build(hp), *args, **kwargs)
        except Exception as err:
            fatal_if_disk_error(err, trial.trial_id)
            raise


def make_tuner(oracle, hypermodel, directory: Path, *, resume: bool) -> SearchTuner:
    """The tuner in `directory` ("search" project); a resumed run reloads its trials from there.
    Raises ValueError when a kill or a full disk cut its state files short."""
    return SearchTuner(oracle=oracle, hypermodel=hypermodel, directory=str(directory), project_name="search",
                       overwrite=not resume)


def trials(tuner: kt.Tuner) -> list[dict]:
    """Every trial as a plain dict (id, status, score, hyperparameters, completed epochs, whether its
    loss went NaN/inf, seconds),
    best first; a trial whose loss went NaN/inf before an epoch completed is DIVERGED (CUT SHORT:
    the clock ended it first), with no score."""
    records = {r["trial_id"]: r for r in getattr(tuner.oracle, "records", [])}
    rows = []
    for t in tuner.oracle.trials.values():
        record = records.get(t.trial_id, {})
        no_epoch = record.get("epochs") == 0  # NaN/inf (or the clock) before its first epoch completed
        status = ("DIVERGED" if record.get("diverged") else "CUT SHORT") if no_epoch else str(t.status)
        rows.append({"trial_id": t.trial_id, "status": status, "score": None if no_epoch else t.score,
                     "hyperparameters": dict(t.hyperparameters.values),
                     "completed_epochs": record.get("epochs"), "diverged": record.get("diverged"),
                     "seconds": record.get("seconds"),
                     **({"own_length_score": record["own_length"]} if record.get("own_length") is not None else {})})
    maximize = tuner.oracle.objective.direction == "max"
    done = sorted((r for r in rows if r["score"] is not None), key=lambda r: r["score"], reverse=maximize)
    return done + [r for r in rows if r["score"] is None]
