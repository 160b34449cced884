"""keras-tuner oracles that decide when the search ends, with seeded first trials.

Subclasses of keras-tuner's own oracles through their documented hooks
(`populate_space`, `end_trial`), not patches. The seeded trials come first, in
order; then, with `neighbours`, every setup one change away from the best trial
so far (a greedy repair walk, as AUTOTRAINER repairs: one repair at a time, kept
when it helped); then the parent oracle's own choice. Before each trial
the oracle asks its `SearchRules` whether to go on; once they say stop it
answers STOPPED, which ends `tuner.search` the keras-tuner way. The oracle
learns each trial's pace (seconds per completed epoch) and score from what the
trial reports, so the stop follows the trials actually seen.
"""
from __future__ import annotations

import dataclasses
import time

import keras_tuner as kt

from advisor.runtime.budget import Budget, Deadline
from advisor.runtime.objective import Chance

# The search has stopped improving when this many trials in a row brought no gain of
# at least MIN_GAIN over the best before them (project choice: Bayesian optimization
# has drawn its random starting points by then; on an exponential-unit MLP of the
# generated setups 4 stopped the search before its best trial, the 6th, and left the
# final model at 0.59 instead of 0.92).
STAGNATION_TRIALS = 6
MIN_GAIN = 0.005
# The first trials run whatever the pace says: the two seeded ones (the rule book's plan
# and the user's setup unchanged), or an unseeded search's first two.
MIN_TRIALS = 2
# Reported by a trial besides its objective (see advisor.search.hypermodel).
EPOCHS_KEY, PACE_KEY, DIVERGED_KEY = "completed_epochs", "seconds_per_epoch", "diverged"
# The unchanged setup's score at its own length (it is ranked at the trial length).
OWN_LENGTH_KEY = "own_length_score"


@dataclasses.dataclass
class SearchRules:
    """When the search stops (asked before every trial).

    - the hard deadline: no trial starts after it;
    - while no trial trains (beats `chance` clearly; the unchanged setup also at its
      own length), nothing else stops it, and
      the first MIN_TRIALS trials always run;
    - once one does: stop when only the final fit's reserve (its epochs at the
      best trial's pace) is left, or when the search has stopped improving
      (STAGNATION_TRIALS trials without a gain of MIN_GAIN).

    `budget` None: only the hard deadline and the trial limit apply (tuning a given plan).
    """

    deadline: Deadline | None
    chance: Chance
    budget: Budget | None = None
    final_epochs: int = 0
    final_floor: float = 0.0  # the least the final fit keeps (Budget.final_floor at the search's start)

    def stop_reason(self, oracle) -> str | None:
        if self.deadline is not None and self.deadline.passed():
            return "budget"
        best = oracle.best_record()
        if self.budget is None or len(oracle.records) < MIN_TRIALS or best is None \
                or not any(self.chance.trains(r["score"]) or self.chance.trains(r.get("own_length"))
                           for r in oracle.records):
            return None
        if self.budget.left() <= self.budget.final_reserve(self.final_epochs, *pace_and_startup(best),
                                                           floor=self.final_floor):
            return "final fit's time"
        if oracle.trials_since_gain() >= STAGNATION_TRIALS:
            return "stagnated"
        return None


def pace_and_startup(record: dict) -> tuple[float, float]:
    """(seconds per epoch, seconds of building and tracing) of a finished trial: what the
    final fit of its plan will pay per epoch, and once."""
    pace = record.get("pace") or 0.0
    startup = (record.get("seconds") or 0.0) - (record.get("epochs") or 0.0) * pace
    return pace, max(0.0, startup)


class _Scheduled:
    """Mixin: `seeded` value dicts are tried first; STOPPED when `rules` say so.

    `records` holds, per finished trial in order: its score (None when no epoch
    completed with a finite loss), completed epochs, pace, whether its loss went
    NaN/inf, and its wall seconds.
    """

    def __init__(self, *args, seeded=(), rules: SearchRules | None = None, neighbours=None, plan_of=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.seeded, self.rules, self.seeded_done = [dict(v) for v in seeded], rules, 0
        self.neighbours = neighbours  # values -> the setups one change away (SearchSpace.neighbours)
        # values -> the plan they describe (SearchSpace.plan_key): two value sets of one plan are one setup.
        self.plan_of, self._plans = plan_of, {}
        self.records, self.stopped_because, self._began = [], None, {}

    def populate_space(self, trial_id):
        reason = self.rules.stop_reason(self) if self.rules is not None else None
        if reason is not None:
            self.stopped_because = reason
            return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}
        self._began[trial_id] = time.monotonic()
        while self.seeded_done < len(self.seeded):
            values = self.seeded[self.seeded_done]
            self.seeded_done += 1
            if not self._tried(values):
                return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": values}
        step = self._next_step()
        if step is not None:
            return {"status": kt.engine.trial.TrialStatus.RUNNING, "values": step}
        return super().populate_space(trial_id)

    def _tried(self, values: dict) -> bool:
        """Whether a trial ran these values, or (with `plan_of`) the plan they describe."""
        if self.plan_of is None:
            return any(t.hyperparameters.values == values for t in self.trials.values())
        plan = self.plan_of(values)
        return any(self._plan(t) == plan for t in self.trials.values())

    def _plan(self, trial) -> str:
        if trial.trial_id not in self._plans:
            self._plans[trial.trial_id] = self.plan_of(trial.hyperparameters.values)
        return self._plans[trial.trial_id]

    def _next_step(self) -> dict | None:
        """The next untried setup one change away from the best trial so far (None when
        there is no best trial yet, or every neighbour of it was tried)."""
        best = self.best_record()
        if self.neighbours is None or best is None:
            return None
        values = dict(self.trials[best["trial_id"]].hyperparameters.values)
        return next((v for v in self.neighbours(values) if not self._tried(v)), None)

    def end_trial(self, trial):
        super().end_trial(trial)
        metrics = trial.metrics
        pace, epochs, diverged, own_length = (metrics.get_last_value(k) if metrics.exists(k) else None
                                              for k in (PACE_KEY, EPOCHS_KEY, DIVERGED_KEY, OWN_LENGTH_KEY))
        began = self._began.pop(trial.trial_id, None)
        self.records.append({"trial_id": trial.trial_id, "score": trial.score if epochs != 0 else None,
                             "epochs": epochs, "pace": pace, "diverged": bool(diverged), "own_length": own_length,
                             "seconds": time.monotonic() - began if began is not None else None})

    def best_record(self) -> dict | None:
        sign = 1.0 if self.objective.direction == "max" else -1.0
        done = [r for r in self.records if r["score"] is not None]
        return max(done, key=lambda r: sign * r["score"]) if done else None

    def trials_since_gain(self) -> int:
        """Trials since the last one that beat the best before it by MIN_GAIN (a first score counts)."""
        sign, best, since = (1.0 if self.objective.direction == "max" else -1.0), None, 0
        for r in self.records:
            score = r["score"]
            if score is not None and (best is None or sign * (score - best) >= MIN_GAIN):
                best, since = score, 0
            else:
                since += 1
                if score is not None and sign * (score - best) > 0:
                    best = score
        return since

    # The count of seeded trials handed out survives a resume with the rest of the state.
    def get_state(self):
        return {**super().get_state(), "seeded_done": self.seeded_done, "records": self.records}

    def set_state(self, state):
        super().set_state(state)
        self.seeded_done, self.records = state.get("seeded_done", 0), state.get("records", [])


class SeededBayesian(_Scheduled, kt.oracles.BayesianOptimizationOracle):
    """Bayesian optimization after the seeded trials."""


class SeededRandom(_Scheduled, kt.oracles.RandomSearchOracle):
    """Random search after the seeded trials (none: the benchmark's random arms)."""


class SeededHyperband(_Scheduled, kt.oracles.HyperbandOracle):
    """Hyperband under the same rules. Seeds are not used: successive halving picks
    its own brackets."""

    def __init__(self, *args, seeded=(), **kwargs):
        super().__init__(*args, seeded=(), **kwargs)


# "none" runs only the seeded trials: a random oracle that never gets past them.
_ORACLES = {"bayesian": SeededBayesian, "random": SeededRandom, "none": SeededRandom}


def make_oracle(kind: str, *, objective, seed: int, rules: SearchRules | None, max_trials: int | None,
                max_epochs: int, seeded=(), max_failures: int = 3, neighbours=None, plan_of=None):
    """The oracle for a tuner name: `max_trials` trials (Hyperband: its brackets of up
    to `max_epochs`, cut at `max_trials` if given), `seeded` first, then the steps from
    the best trial (`neighbours`), STOPPED when `rules` say."""
    common = dict(objective=objective, seed=seed, seeded=seeded, rules=rules,
                  max_consecutive_failed_trials=max_failures, neighbours=neighbours, plan_of=plan_of)
    if kind == "hyperband":  # its size is set by max_epochs and factor, not by trials
        oracle = SeededHyperband(max_epochs=max_epochs, factor=3, **common)
        if max_trials:
            oracle.max_trials = max_trials
        return oracle
    if kind not in _ORACLES:
        raise ValueError(f"tuner must be one of hyperband, {', '.join(_ORACLES)}, got {kind!r}")
    return _ORACLES[kind](max_trials=max_trials, **common)
