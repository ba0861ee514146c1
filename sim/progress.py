"""What a long command tells its user while it works: progress, and the `corridor` log.

`progress_bar` counts replications, sweep points and threshold probes. On a terminal it is one
rich bar; when stderr is not a terminal (piped to a file, a CI log, a job scheduler) it becomes
periodic log lines on the `corridor.progress` logger instead (`replications 40/100 (40%), 12 s`):
one when the count starts, one each time it passes another tenth of its total or every
`EVERY_S` seconds, and one at the end.

Modules log their stages and decisions on loggers under `corridor` (`corridor.run`,
`corridor.io`, ...) at INFO and DEBUG. Only the command line configures logging
(`configure_logging`, from `-v`/`-q`): warnings by default, INFO with `-v`, DEBUG with `-vv`,
errors only with `-q`; piped progress lines show unless `-q`. A library caller sees nothing
until it configures logging itself.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Tick = Callable[..., None]
LOGGER = "corridor"
EVERY_S = 30.0  # a piped progress line at least this often while the count moves
STEPS = 10  # ... and one each time it passes another 1/STEPS of its total
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE = "%H:%M:%S"

log = logging.getLogger(f"{LOGGER}.progress")


class StderrHandler(logging.Handler):
    """Log records to whatever `sys.stderr` is when each is written (a live progress display's
    proxy, a test's captured stream), one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging's own rule: a failed log line never stops the program
            self.handleError(record)


def configure_logging(verbosity: int) -> None:
    """Set up the `corridor` logger for the command line: `verbosity` -1 (quiet: errors only), 0
    (warnings, and progress lines when piped), 1 (INFO) or 2 and more (DEBUG)."""
    root = logging.getLogger(LOGGER)
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT, DATE))
    root.addHandler(handler)
    root.propagate = False
    root.setLevel(logging.ERROR if verbosity < 0 else logging.WARNING if verbosity == 0
                  else logging.INFO if verbosity == 1 else logging.DEBUG)
    log.setLevel(logging.ERROR if verbosity < 0 else logging.INFO)


class Lines:
    """Progress as periodic log lines: `tick` logs when the count starts, passes another
    1/STEPS of its total, `EVERY_S` seconds have gone by, or the count is done."""

    def __init__(self, label: str, total: int | None, completed: int, clock: Callable[[], float]) -> None:
        self.label, self.total, self.clock = label, total, clock
        self.start, self.last = clock(), -math.inf  # the first tick always logs
        self.step = -1  # the last tenth logged
        self.tick(completed, total)

    def tick(self, done: int, total: int | None = None, failed: int = 0, note: str = "", **_: Any) -> None:
        if total is not None:
            self.total = max(total, done)
        now = self.clock()
        step = done * STEPS // self.total if self.total else -1
        if step <= self.step and now - self.last < EVERY_S:
            return
        self.step, self.last = max(step, self.step), now
        count = f"{done}/{self.total} ({done / self.total:.0%})" if self.total else f"{done}"
        extra = (f", {failed} failed" if failed else "") + (f", {note}" if note else "")
        log.info("%s %s%s, %.0f s", self.label, count, extra, now - self.start)


@contextmanager
def progress_bar(show: bool, label: str, total: int | None, *, failed: bool = False,
                 completed: int = 0, note: bool = False) -> Iterator[Tick | None]:
    """Yield `tick(done, total=None, failed=0, note="")` that moves the bar, or None when nothing is shown.

    With `failed`, the bar also counts failures; with `note`, it shows a line of text after the
    count (a threshold search's probes and bracket); a `total` of None is an open-ended count.
    When stderr is not a terminal the ticks become log lines (`Lines`), only if someone listens.
    """
    if not show:
        yield None
        return
    if not sys.stderr.isatty():
        yield Lines(label, total, completed, time.monotonic).tick if log.isEnabledFor(logging.INFO) else None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    columns: list[ProgressColumn | str] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if failed:
        columns.append(TextColumn("{task.fields[failed]} failed"))
    if note:
        columns.append(TextColumn("{task.fields[note]}"))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(label, total=total, completed=completed, failed=0, note="")

        def tick(done: int, total: int | None = None, failed: int = 0, note: str = "", **_: Any) -> None:
            bar.update(task, completed=done, total=max(total, done) if total is not None else None,
                       failed=failed, note=note)

        yield tick
