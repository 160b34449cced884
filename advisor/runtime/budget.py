"""`Budget`: the one owner of `advisor train`'s wall-clock budget, and the schedule.

Every stage asks the budget for a `Deadline` instead of doing share arithmetic
of its own, so the whole run (data loading included) ends within the budget
the user typed. Every number of the schedule is here. The search is an anytime
procedure: while no setup trains it gets every second up to the end of the
budget; once one trains, it stops when the final fit's share (measured at the
best trial's pace) is all that is left, or when it has stopped improving —
only then are extras (ablation, K-fold, ensembles) paid, from the time it no
longer needs (`advisor.search.oracle` applies the search's rules).
"""
from __future__ import annotations

import dataclasses
import time

# Project choices, measured on digits/mnist-5k unless said otherwise.
PROBE_SHARE = 0.15  # of the whole budget: the probe's cap ...
PROBE_MIN_S = 20.0  # ... but at least this (or a quarter of a small budget): a probe cut after one
#                     or two epochs misreads slow starts as underfitting
LR_FIND_SHARE = 0.05  # of what is left after diagnosis
LR_FIND_MIN_BUDGET_S = 90.0  # below this the LR range test (5-8 s to build and trace) would cost a trial
GIVEN_PLAN_SHARE = 0.62  # of what is left: tuning a given plan's own values (--plan, the chief)
TRIAL_SHARE = 0.2  # no trial may take more of the search window: even a slow model gets several trials
FINAL_MARGIN = 1.2  # the final fit's reserve: its epochs at the best trial's pace, times this
FINAL_MIN_SHARE = 0.2  # once a setup trains, the final fit keeps at least this share of the search's time
MIN_FINAL_S = 2.0  # and at least this: building and tracing a model, an epoch or two of a small one
EXTRAS_SHARE = 0.5  # of the time the search no longer needs: ablation, then K-fold, each at most this much
CLOSING_S = 3.0  # kept back at the end for evaluation, saving the model and the report
# Below this the probe alone cannot see a curve (MIN_PROBE_STEPS on small data take ~5 s
# here) and one final epoch needs a few more: refuse up front.
MIN_BUDGET_S = 15.0


@dataclasses.dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock a stage must be done by.

    Example:
        >>> d = Deadline(time.monotonic() + 10)
        >>> 9 < d.left() <= 10 and not d.passed()
        True
        >>> d.share(0.5).at < d.at
        True
    """

    at: float
    clock: callable = dataclasses.field(default=time.monotonic, compare=False, repr=False)

    def left(self) -> float:
        return max(0.0, self.at - self.clock())

    def passed(self) -> bool:
        return self.clock() >= self.at

    def share(self, fraction: float) -> "Deadline":
        """The moment `fraction` of the time left now is spent."""
        now = self.clock()
        return Deadline(now + fraction * max(0.0, self.at - now), self.clock)

    def earlier(self, seconds: float) -> "Deadline":
        return Deadline(self.at - max(0.0, seconds), self.clock)


@dataclasses.dataclass
class Budget:
    """Seconds for the whole run, from `start` (monotonic).

    Example:
        >>> b = Budget(60.0)
        >>> b.share(0.5).at <= b.fit.at < b.end
        True
    """

    total_s: float
    start: float = dataclasses.field(default_factory=time.monotonic)
    clock: callable = time.monotonic

    @property
    def end(self) -> float:
        """When the run must be done, evaluation and report included."""
        return self.start + self.total_s

    @property
    def fit(self) -> Deadline:
        """When the last training epoch must have ended (the closing keeps the rest)."""
        return Deadline(self.end - min(CLOSING_S, 0.1 * self.total_s), self.clock)

    def left(self) -> float:
        return self.fit.left()

    def used(self) -> float:
        return self.clock() - self.start

    def expired(self) -> bool:
        return self.fit.passed()

    def share(self, fraction: float) -> Deadline:
        """The moment `fraction` of the training time left now is spent."""
        return self.fit.share(fraction)

    def probe_seconds(self) -> float:
        return max(PROBE_SHARE * self.total_s, min(PROBE_MIN_S, 0.25 * self.total_s))

    def lr_test(self) -> Deadline | None:
        """The LR range test's deadline, or None when the budget has no room for one."""
        return self.share(LR_FIND_SHARE) if self.total_s >= LR_FIND_MIN_BUDGET_S else None

    def trial_seconds(self) -> float:
        """The longest one search trial may run, from now."""
        return max(2.0, TRIAL_SHARE * self.left())

    def final_floor(self) -> float:
        """The least the final fit keeps, fixed when the search starts: FINAL_MIN_SHARE of
        the time left then, and at least MIN_FINAL_S."""
        return max(FINAL_MIN_SHARE * self.left(), MIN_FINAL_S)

    @staticmethod
    def final_reserve(epochs: int, seconds_per_epoch: float, startup_s: float = 0.0, floor: float = 0.0) -> float:
        """Seconds to keep for the final fit of `epochs` at this pace after `startup_s` of
        building and tracing, and at least `floor` (`final_floor`)."""
        return max(FINAL_MARGIN * (startup_s + epochs * seconds_per_epoch), floor)

    def extras(self, final_reserve: float) -> Deadline:
        """Until when the extras may run: what is left beyond the final fit's reserve, at most its share."""
        spare = max(0.0, self.left() - final_reserve)
        return Deadline(self.clock() + EXTRAS_SHARE * spare, self.clock)


def seconds_per_epoch(epoch_seconds: list[float]) -> float | None:
    """A fit's pace from the epochs it completed: the median, the first (tracing) left out when others exist."""
    times = sorted(epoch_seconds[1:] or epoch_seconds)
    if not times:
        return None
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2

