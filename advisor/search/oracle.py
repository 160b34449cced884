"""keras-tuner oracles with a wall-clock deadline and seeded first trials.

Subclasses of keras-tuner's own oracles (their documented `populate_space`
hook), not patches: the seeded trials come first, in order, then the parent
oracle's own choice; once the deadline has passed the oracle answers STOPPED,
which ends `tuner.search` the keras-tuner way.
"""
from __future__ import annotations

import time

import keras_tuner as kt


class _SeededDeadline:
    """Mixin: `seeded` value dicts are tried first; STOPPED after `deadline` (monotonic)."""

    def __init__(self, *args, seeded=(), deadline: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.seeded, self.deadline, self.seeded_done = [dict(v) for v in seeded], deadline, 0

    def populate_space(self, trial_id):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}
        while self.seeded_done < len(self.seeded):
            values = self.seeded[self.seeded_done]
            self.seeded_done += 1
            if not self._duplicate(values):
                return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}
        return super().populate_space(trial_id)

    # The count of seeded trials handed out survives a resume with the rest of the state.
    def get_state(self):
        return {**super().get_state(), "seeded_done": self.seeded_done}

    def set_state(self, state):
        super().set_state(state)
        self.seeded_done = state.get("seeded_done", 0)


class SeededBayesian(_SeededDeadline, kt.oracles.BayesianOptimizationOracle):
    """Bayesian optimization after the seeded trials."""


class SeededRandom(_SeededDeadline, kt.oracles.RandomSearchOracle):
    """Random search after the seeded trials (none: the benchmark's random arm)."""


class SeededHyperband(_SeededDeadline, kt.oracles.HyperbandOracle):
    """Hyperband with a deadline. Seeds are not used: successive halving picks
    its own brackets."""

    def __init__(self, *args, seeded=(), **kwargs):
        super().__init__(*args, seeded=(), **kwargs)


# "none" runs only the seeded trials: a random oracle that never gets past them.
_ORACLES = {"bayesian": SeededBayesian, "random": SeededRandom, "none": SeededRandom}


def make_oracle(kind: str, *, objective, seed: int, deadline: float | None, max_trials: int | None,
                max_epochs: int, seeded=(), max_failures: int = 3):
    """The oracle for a tuner name: `max_trials` trials (Hyperband: its brackets of up
    to `max_epochs`, cut at `max_trials` if given), `seeded` first, STOPPED at `deadline`."""
    common = dict(objective=objective, seed=seed, seeded=seeded, deadline=deadline,
                  max_consecutive_failed_trials=max_failures)
    if kind == "hyperband":  # its size is set by max_epochs and factor, not by trials
        oracle = SeededHyperband(max_epochs=max_epochs, factor=3, **common)
        if max_trials:
            oracle.max_trials = max_trials
        return oracle
    if kind not in _ORACLES:
        raise ValueError(f"tuner must be one of hyperband, {', '.join(_ORACLES)}, got {kind!r}")
    return _ORACLES[kind](max_trials=max_trials, **common)
