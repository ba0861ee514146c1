"""Worker processes: a failed set-up is an error, not a respawn loop; workers die with their parent."""

from __future__ import annotations

import os

import pytest

from sim.processes import process_pool


def _fail_setup() -> None:
    raise ValueError("no network")


def _square(x: int) -> int:
    return x * x


def _pid(_: int) -> int:
    return os.getpid()


def test_a_pool_maps_in_its_workers() -> None:
    with process_pool(2) as workers:
        assert sorted(workers.imap_unordered(_square, range(5))) == [0, 1, 4, 9, 16]
        assert os.getpid() not in set(workers.imap_unordered(_pid, range(4)))


def test_a_failed_set_up_fails_the_tasks_instead_of_respawning_workers() -> None:
    with pytest.raises(RuntimeError, match="set-up failed"), process_pool(2, _fail_setup) as workers:
        list(workers.imap_unordered(_square, range(3)))
    assert len(os.listdir(f"/proc/{os.getpid()}/task")) < 50  # no thread or process storm left behind
