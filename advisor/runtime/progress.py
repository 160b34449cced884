"""Progress on the terminal: which stage, epochs done of how many, budget left.

Writes to stderr so `--json` output on stdout stays machine-readable.
"""
from __future__ import annotations

import time

import click


class Progress:
    """Stage and epoch lines for long work; silent when `quiet`.

    Args:
        quiet: print nothing.
        deadline: monotonic time the budget ends, shown as time left.
    """

    def __init__(self, quiet: bool = False, deadline: float | None = None):
        self.quiet, self.deadline, self.start = quiet, deadline, time.monotonic()

    def left(self) -> str:
        if self.deadline is None:
            return ""
        return f" | budget left {max(0, self.deadline - time.monotonic()):.0f}s"

    def stage(self, name: str, detail: str = "") -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.start
            click.echo(f"[{elapsed:6.1f}s] {name}{': ' + detail if detail else ''}{self.left()}", err=True)
