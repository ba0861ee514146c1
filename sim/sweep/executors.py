"""Where a sweep's points run: in this process, in local worker processes, or on a Dask cluster.

Executors are interchangeable behind one interface (as EMA Workbench's evaluators): `run(fn,
tasks)` yields `fn(task)` for every task as each finishes, order not kept, with at most
`window` tasks in flight so memory does not grow with the number of tasks. Results do not
depend on the executor: a point's randomness comes from the sweep seed, never from the worker.

Workers never outlive the sweep: local workers start with `sim.processes.worker_start` (they
leave Ctrl-C to the parent and get SIGTERM when it dies) and are terminated at once when the
sweep is left by an error or a signal; a Dask client and the cluster started for it are closed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

from sim.errors import CorridorError
from sim.processes import worker_start

MAX_WORKERS = 256  # as the command line's --workers

T = TypeVar("T")
R = TypeVar("R")


class Executor(ABC):
    """Runs a function over tasks and yields results as they finish."""

    workers: int = 1
    prepare: Callable[[], None] | None = None  # run once where the points will run, before the first

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None, *exc: object) -> None:
        return None

    @abstractmethod
    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield `fn(task)` for every task, as each finishes."""

    @property
    def window(self) -> int:
        return 2 * self.workers + 2


class SequentialExecutor(Executor):
    """In this process, one point after another (debugging, and the 1-worker baseline)."""

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)


def _ready() -> int:
    return os.getpid()


class PoolExecutor(Executor):
    """Local worker processes (`concurrent.futures.ProcessPoolExecutor`)."""

    def __init__(self, workers: int, prepare: Callable[[], None] | None = None):
        self.workers, self.prepare = workers, prepare
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PoolExecutor:
        if self.prepare is not None:
            self.prepare()  # in this process: forked workers start with it done
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(method),
                                        initializer=worker_start)
        try:
            # Start the workers now, before a progress bar starts its thread (forking with threads is unsafe).
            wait([self.pool.submit(_ready) for _ in range(self.workers)])
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None, *exc: object) -> None:
        if self.pool is None:
            return
        if exc_type is not None:
            self.stop()  # an error or a signal: do not wait for the points in flight
        else:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """Terminate the workers at once and release the pool."""
        pool = self.pool
        if pool is None:
            return
        for process in list(pool._processes.values()):  # no public way before Python 3.14's terminate_workers
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pool = self.pool
        assert pool is not None, "use PoolExecutor as a context manager"  # programming error
        it = iter(tasks)
        pending = {pool.submit(fn, t) for t in islice(it, self.window)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for nxt in islice(it, 1):
                    pending.add(pool.submit(fn, nxt))
                yield future.result()


class DaskExecutor(Executor):
    """A Dask distributed cluster: at `address`, or a local one started for the sweep."""

    def __init__(self, address: str | None, workers: int, prepare: Callable[[], None] | None = None):
        self.address, self.workers, self.prepare = address, workers, prepare
        self.client: Any = None  # distributed.Client (untyped library)
        self.cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            self.connect()
        except BaseException:
            self.__exit__(None)
            raise
        return self

    def connect(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise CorridorError("--scheduler: needs the Dask `distributed` package (pip install distributed)") from None

        if self.address is None:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise CorridorError(f"--scheduler: cannot reach a Dask scheduler at {self.address!r} ({exc})") from None
            self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        if self.prepare is not None:
            self.client.run(self.prepare)

    def __exit__(self, exc_type: type[BaseException] | None = None, *exc: object) -> None:
        """Close the client, then the cluster started for the sweep (also after an error or a signal)."""
        try:
            if self.client is not None:
                self.client.close()
        finally:
            self.client = None
            if self.cluster is not None:
                self.cluster.close()
            self.cluster = None

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        from distributed import as_completed

        it = iter(tasks)
        futures = as_completed([self.client.submit(fn, t, pure=False) for t in islice(it, self.window)])
        for future in futures:
            result = future.result()
            future.release()
            for nxt in islice(it, 1):
                futures.add(self.client.submit(fn, nxt, pure=False))
            yield result


def make_executor(workers: int | None, scheduler: str | None,
                  prepare: Callable[[], None] | None = None) -> Executor:
    """Processes by default (all cores), a Dask cluster with `scheduler` ('local' starts one)."""
    check_workers(workers)
    if scheduler is not None and (not scheduler.strip() or len(scheduler.split()) != 1):
        raise CorridorError(f"--scheduler: expected 'local' or a scheduler ADDRESS such as tcp://host:8786, "
                            f"got {scheduler!r}")
    n = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    if scheduler is not None:
        return DaskExecutor(None if scheduler == "local" else scheduler, n, prepare)
    return SequentialExecutor() if n == 1 else PoolExecutor(n, prepare)


def check_workers(workers: int | None) -> None:
    """`--workers`: None (all cores) or a whole number from 1 to MAX_WORKERS."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or not 1 <= workers <= MAX_WORKERS):
        raise CorridorError(f"--workers: expected a whole number from 1 to {MAX_WORKERS}, got {workers!r}")


@contextmanager
def progress_bar(show: bool, total: int | None, done: int) -> Iterator[Callable[[int], None]]:
    """A progress bar (points done, failures, time left) on a terminal; nothing when piped.
    Yields `tick(failed)`, called once per finished point."""
    if not show:
        yield lambda failed: None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                   TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                   transient=True)
    task = bar.add_task("sweep", total=total, completed=done, failed=0)
    with bar:
        yield lambda failed: bar.update(task, advance=1, failed=failed)
