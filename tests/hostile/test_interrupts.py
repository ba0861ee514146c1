"""Interrupts: SIGINT, SIGTERM and SIGHUP end a run cleanly, with no partial folder and no worker
left behind; a worker never outlives its parent (issue 14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import MINIMAL

LONG = ["--set", "simulation.horizon=200 d", "--set", "simulation.warmup=5 d", "-r", "400", "--workers", "2"]


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`, from /proc."""
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z" and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.add(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _start_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    """A long run with two workers, returned once its workers are busy."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(MINIMAL), *LONG, "--out", "r", "-q"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = _children(proc.pid)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    assert len(workers) >= 2, "the run never started its workers"
    assert list(tmp_path.glob(".r.staging-*")), "the run is staging its folder"
    return proc, workers


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_a_run_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    proc, workers = _start_run(tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err.decode()
    assert b"Traceback" not in err
    assert b"interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no report and no staging folder remain"
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(workers), "workers outlived the run"


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    proc, workers = _start_run(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(workers), "orphaned workers are still running"
