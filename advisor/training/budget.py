"""`Budget`: the one owner of `advisor train`'s wall-clock budget.

Every stage asks it for its deadline instead of doing share arithmetic of its
own, so the whole run (data loading included) ends within the budget the user
typed. Shares are of the time *left* when a stage starts: a slow probe
shortens the search, never the final fit's floor.
"""
from __future__ import annotations

import dataclasses
import time

# Fractions of the time left when each stage starts (project choices, measured
# on digits/mnist-5k: the search needs most of the time, the final fit of the
# best plan about a third of it to reach the trial's accuracy again).
PROBE_SHARE = 0.15  # of the whole budget: the probe's cap
LR_FIND_SHARE = 0.05  # of what is left after diagnosis
LR_FIND_MIN_BUDGET_S = 90.0  # below this the LR range test would cost a search trial
# Of what is left after the LR range test, for tuning a given plan (the
# diagnosis-seeded search sets its own end from the pace of its trials).
SEARCH_SHARE = 0.62
# With --cv K: the K fold fits share this part of what is left after the search;
# the final fit on train + val gets the rest.
CV_SHARE = 0.5
# Kept back at the end for evaluation, saving the model and the report.
CLOSING_S = 3.0
# Below this the probe alone cannot see a curve (MIN_PROBE_STEPS on small data
# take ~5 s here) and one final epoch needs a few more: refuse up front.
MIN_BUDGET_S = 15.0


@dataclasses.dataclass
class Budget:
    """Seconds for the whole run, from `start` (monotonic).

    Example:
        >>> b = Budget(60.0)
        >>> b.deadline_after_share(0.5) <= b.end
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
    def fit_end(self) -> float:
        """When the last training epoch must have ended."""
        return self.end - min(CLOSING_S, 0.1 * self.total_s)

    def left(self) -> float:
        return max(0.0, self.fit_end - self.clock())

    def used(self) -> float:
        return self.clock() - self.start

    def probe_seconds(self) -> float:
        return PROBE_SHARE * self.total_s

    def deadline_after_share(self, share: float) -> float:
        """The monotonic time when `share` of the time left now is spent."""
        now = self.clock()
        return now + share * max(0.0, self.fit_end - now)

    def expired(self) -> bool:
        return self.clock() >= self.fit_end
