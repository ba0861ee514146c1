"""Where a sweep's points run: in this process, in local worker processes, or on a Dask cluster.

Executors are interchangeable behind one interface (as EMA Workbench's evaluators): `run(fn,
tasks)` yields `fn(task)` for every task as each finishes, order not kept, with at most
`window` tasks in flight so memory does not grow with the number of tasks. Results do not
depend on the executor: a point's randomness comes from the sweep seed, never from the worker.

Workers never outlive the sweep: local workers come from `sim.processes.process_pool` (they
leave Ctrl-C to the parent and get SIGTERM when it dies) and are terminated at once when the
sweep is left by an error or a signal; a Dask client and the cluster started for it are closed.

Workers start with the work done that every point shares (`prepare`: the imports and the
scenario read, `sim.sweep.points.prepare_worker`): it runs once in this process and the local
workers are forked from it, the pool's and those of a Dask cluster started for the sweep
(`--scheduler local`) alike. Dask's own default, spawning, costs each worker a fresh
interpreter that imports everything again and shuts down through a full interpreter exit:
seconds per worker, which was most of the gap between `--scheduler local` and the pool. Forked
Dask workers then set the signal handlers a spawned one would have had, leaving Ctrl-C to the
parent as pool workers do (`sim.processes.worker_signals`; Dask's own pipe ends them if the
parent dies). Workers not forked (a cluster at an address; spawned off Linux) run `prepare` when
the sweep connects.
"""

from __future__ import annotations

import logging
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from itertools import islice
from typing import Any, TypeVar

from sim.errors import CorridorError
from sim.processes import Workers, process_pool, worker_signals

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


class PoolExecutor(Executor):
    """Local worker processes (`sim.processes.process_pool`)."""

    def __init__(self, workers: int, prepare: Callable[[], None] | None = None):
        self.workers, self.prepare = workers, prepare
        self.pool: Workers | None = None
        self.stack = ExitStack()

    def __enter__(self) -> PoolExecutor:
        if self.prepare is not None:
            self.prepare()  # in this process: forked workers start with it done
        # the workers start now, before a progress bar starts its thread (forking with threads is unsafe)
        self.pool = self.stack.enter_context(process_pool(self.workers))
        return self

    def __exit__(self, exc_type: type[BaseException] | None = None, *exc: object) -> None:
        # on an error or a signal the pool terminates its workers at once; else it waits for them
        error = exc[0] if exc and isinstance(exc[0], BaseException) else None
        self.stack.__exit__(exc_type, error, error.__traceback__ if error is not None else None)

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pool = self.pool
        assert pool is not None, "use PoolExecutor as a context manager"  # programming error
        return pool.run(fn, tasks, self.window)


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

        forked = False
        if self.address is None:
            import dask

            forked = sys.platform.startswith("linux")  # elsewhere forking a process with threads is unsafe
            if forked and self.prepare is not None:
                self.prepare()  # in this process: forked workers start with it done
            with dask.config.set({"distributed.worker.multiprocessing-method": "fork"} if forked else {}):
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            if forked:
                self.client.run(worker_signals)
        else:
            try:
                self.client = Client(self.address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise CorridorError(f"--scheduler: cannot reach a Dask scheduler at {self.address!r} ({exc})") from None
            self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        if self.prepare is not None and not forked:
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
