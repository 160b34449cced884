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
