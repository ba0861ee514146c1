"""Progress on a terminal: one rich bar for replications, sweep points and threshold probes.
Nothing is shown when output is piped (`show` false)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Tick = Callable[..., None]


@contextmanager
def progress_bar(show: bool, label: str, total: int | None, *, failed: bool = False,
                 completed: int = 0, note: bool = False) -> Iterator[Tick | None]:
    """Yield `tick(done, total=None, failed=0, note="")` that moves the bar, or None when nothing is shown.

    With `failed`, the bar also counts failures; with `note`, it shows a line of text after the
    count (a threshold search's probes and bracket); a `total` of None is an open-ended count.
    """
    if not show:
        yield None
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
