"""Processes that stop cleanly: signals become one exception, and worker processes never
outlive the process that started them.

- `Interrupted` is raised in the main process on SIGTERM or SIGHUP (SIGINT raises Python's
  KeyboardInterrupt as usual), so the same `finally`/`except BaseException` blocks that remove
  a staging folder run whichever way a command is stopped.
- Workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent decides) and ask
  the kernel to send them SIGTERM when their parent dies (Linux `PR_SET_PDEATHSIG`; elsewhere a
  thread watches the parent's pid).
- `process_pool` terminates its workers when the block is left by an exception or a signal,
  instead of waiting for work in flight. A worker whose set-up fails stays alive and fails
  each task with that error (a pool would otherwise replace the dead worker, forever).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import multiprocessing
import multiprocessing.pool
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

_PR_SET_PDEATHSIG = 1
_SETUP_ERROR: list[BaseException] = []  # in a worker: the error its set-up raised, if any

T = TypeVar("T")
R = TypeVar("R")


class Interrupted(BaseException):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def stop_on_signals() -> None:
    """In the main process: SIGTERM and SIGHUP raise `Interrupted` (SIGINT stays KeyboardInterrupt)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupted)


def die_with_parent() -> None:
    """Make this process receive SIGTERM when its parent dies."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before the request took effect
                os.kill(os.getpid(), signal.SIGTERM)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def worker_signals() -> None:
    """In a worker: Ctrl-C left to the parent; SIGTERM and SIGHUP end it (a forked worker would
    otherwise inherit the parent's `stop_on_signals`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def worker_start(initializer: Callable[..., None] | None = None, *args: Any) -> None:
    """What every worker process runs first: leave Ctrl-C to the parent, die with it; set up,
    then keep the garbage collector off what it inherited and set up (it lives as long as the
    worker: walking it at every full collection cost a picture worker a tenth of its CPU)."""
    worker_signals()
    die_with_parent()
    if initializer is not None:
        try:
            initializer(*args)
        except Exception as exc:  # reported by every task this worker is given
            _SETUP_ERROR.append(exc)
    gc.freeze()


def _checked(fn: Callable[[T], R], item: T) -> R:
    if _SETUP_ERROR:
        raise RuntimeError("the worker's set-up failed") from _SETUP_ERROR[0]
    return fn(item)


class Workers:
    """Worker processes of one `process_pool` block."""

    def __init__(self, pool: multiprocessing.pool.Pool):
        self.pool = pool

    def imap_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`fn(item)` for every item, in the workers, results as they finish."""
        return self.pool.imap_unordered(functools.partial(_checked, fn), items)

    def run(self, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
        """`fn(item)` for every item, results as they finish, with at most `window` items handed
        out at once (the items are taken from their iterator only as room frees up)."""
        finished: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        task = functools.partial(_checked, fn)
        it = iter(items)
        in_flight = 0

        def hand_out(n: int) -> int:
            for item in islice(it, n):
                self.pool.apply_async(task, (item,), callback=lambda r: finished.put((True, r)),
                                      error_callback=lambda e: finished.put((False, e)))
                n -= 1
            return n

        in_flight = window - hand_out(window)
        while in_flight:
            ok, value = finished.get()
            in_flight -= 1
            if not ok:
                raise value
            in_flight += 1 - hand_out(1)
            yield value


@contextmanager
def process_pool(workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> Iterator[Workers]:
    """A pool of `workers` processes; on an error or a signal its workers are terminated at once."""
    pool = multiprocessing.Pool(workers, initializer=worker_start, initargs=(initializer, *initargs))
    try:
        yield Workers(pool)
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()
