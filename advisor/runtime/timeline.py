"""`TimeTable`: where a run's wall time went, stage by stage, for metrics.json and the report.

Stages are timed back to back from the budget's start (process start for the
CLI), so the rows add up to the wall time; whatever no stage claimed is one
"other" row, which shows how much is unaccounted for.
"""
from __future__ import annotations

import contextlib
import time


class TimeTable:
    """Seconds per stage, in order; a stage may be split into named parts (the search's trials).

    Example:
        >>> table = TimeTable(start=time.monotonic())
        >>> with table.stage("load"):
        ...     pass
        >>> [row["stage"] for row in table.rows()]
        ['start-up', 'load', 'other']
    """

    def __init__(self, start: float, clock=time.monotonic):
        self.start, self.clock, self._rows = start, clock, []
        self._rows.append({"stage": "start-up", "seconds": clock() - start})  # before train() was called

    @contextlib.contextmanager
    def stage(self, name: str):
        began = self.clock()
        try:
            yield
        finally:
            self._rows.append({"stage": name, "seconds": self.clock() - began})

    def split(self, name: str, parts: list[tuple[str, float]]) -> None:
        """Replace the last row named `name` by `parts` and, when they add up to less,
        "<name>: other" for the rest (the search: its trials, then the tuner's own time)."""
        at = max(i for i, row in enumerate(self._rows) if row["stage"] == name)
        total = self._rows[at]["seconds"]
        rows = [{"stage": f"{name}: {part}", "seconds": s} for part, s in parts]
        rest = total - sum(s for _, s in parts)
        self._rows[at:at + 1] = rows + ([{"stage": f"{name}: other", "seconds": rest}] if rest > 0 else [])

    def rows(self, still_running: tuple[str, float] | None = None) -> list[dict]:
        """The stages so far (with `still_running`, (name, began), the one under way), and
        "other": the wall time since the start that no stage claimed."""
        now = self.clock()
        done = self._rows + ([{"stage": still_running[0], "seconds": now - still_running[1]}]
                             if still_running else [])
        rows = [dict(r, seconds=round(r["seconds"], 2)) for r in done]
        return rows + [{"stage": "other", "seconds": round(now - self.start - sum(r["seconds"] for r in done), 2)}]
