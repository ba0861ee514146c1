"""Executors: every task's result once, the same with any number of workers, never more than the
window in flight; the right executor for the flags."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from sim.errors import CorridorError
from sim.sweep.designs import Point
from sim.sweep.executors import DaskExecutor, PoolExecutor, SequentialExecutor, make_executor
from sim.sweep.points import PointTask, run_point


def _report(scenario: Path, overrides: list[str], seed: int, replications: int | None) -> dict:
    x = float(overrides[0].split("=")[1])
    return {"targets": [{"id": "t", "simulated": {"mean": x * x, "ci95": [x, x + 1], "p_met": x / 10},
                         "optimised": {}, "met": x > 5}], "run": {"seed": seed, "replications": 4}}


def _tasks() -> list[PointTask]:
    return [PointTask("x.yaml", (), Point((("a", str(i)),)), i, 9, 4) for i in range(10)]


def _points(executor) -> list[tuple]:
    run = functools.partial(run_point, evaluate_point=_report)
    with executor as ex:
        records = list(ex.run(run, _tasks()))
    return sorted((r.index, r.id, r.status, r.targets["t"]) for r in records)


def test_a_local_pool_with_two_workers_gives_the_same_points_as_one():
    one = _points(SequentialExecutor())
    two = _points(PoolExecutor(2))
    assert len(one) == 10 and one == two
    assert one[3][3].mean == 9.0 and one[3][3].met is False and one[6][3].met is True


def test_the_pool_holds_at_most_its_window_in_flight():
    submitted = []

    def tasks():
        for i in range(20):
            submitted.append(i)
            yield i

    with PoolExecutor(2) as ex:
        results = ex.run(abs, tasks())
        first = next(results)
        assert len(submitted) <= ex.window + 1 == 7  # the window, and the one that replaced the first
        assert sorted([first, *results]) == list(range(20))


def test_make_executor_follows_the_flags():
    assert isinstance(make_executor(1, None), SequentialExecutor)
    pool = make_executor(3, None)
    assert isinstance(pool, PoolExecutor) and pool.workers == 3 and pool.window == 8
    local = make_executor(2, "local")
    assert isinstance(local, DaskExecutor) and local.address is None
    remote = make_executor(2, "tcp://10.0.0.1:8786")
    assert isinstance(remote, DaskExecutor) and remote.address == "tcp://10.0.0.1:8786"
    with pytest.raises(CorridorError, match="--workers"):
        make_executor(0, None)
