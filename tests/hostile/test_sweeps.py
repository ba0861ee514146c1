"""Sweeps under bad input and interruption (issue 14): a resume is of the identical sweep or refused;
a refused sweep touches nothing; a new sweep never mixes with an old one nor writes into a folder
that is not corridor's; designs are bounded; a stopped or killed sweep leaves a valid log and no
worker behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FAST, MINIMAL, snapshot
from typer.testing import CliRunner

from sim.errors import CorridorError
from sim.sweep import run_sweep, sweep
from sim.sweep.designs import MAX_POINTS, parse_vary
from sim.sweep.plan import plan_sweep
from sim.sweep.points import LOG, read_log

VARY = ["--vary", "fleets.ferries.vessels=2,3"]
SWEEP = ["sweep", "top.yaml", *FAST, *VARY, "--out", "s", "--workers", "1", "-q"]


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep `s` of `top.yaml`, which extends `base.yaml` (copied into each test's workdir)."""
    from sim.cli import app

    here = tmp_path_factory.mktemp("earlier")
    (here / "base.yaml").write_text(MINIMAL.read_text())
    (here / "top.yaml").write_text("extends: base.yaml\ndescription: the top file\n")
    cwd = Path.cwd()
    os.chdir(here)
    try:
        result = CliRunner().invoke(app, SWEEP)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert (here / "s" / LOG).read_bytes().count(b"\n") == 2
    return here


@pytest.fixture
def old(earlier: Path, workdir: Path) -> Path:
    """The workdir with the earlier sweep and its scenario files in it."""
    for item in earlier.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, workdir / item.name)
    return workdir


# --- resumable means identical ---------------------------------------------------------------

def _edit(path: Path, old_text: str, new_text: str) -> None:
    text = path.read_text()
    assert old_text in text
    path.write_text(text.replace(old_text, new_text))


CHANGES = {
    "parent file": (lambda d: _edit(d / "base.yaml", "capacity: 1 GW", "capacity: 1.5 GW"), [], "base.yaml"),
    "parent comment": (lambda d: _edit(d / "base.yaml", "year: 2023", "year: 2023  # edited"), [], "base.yaml"),
    "top file": (lambda d: _edit(d / "top.yaml", "the top file", "edited"), [], "top.yaml"),
    "--set": (None, ["--set", "links.gd.capacity=2 GW"], "--set"),
    "--seed": (None, ["--seed", "9"], "seed"),
    "--replications": (None, ["-r", "2"], "replications"),
    "--vary": (None, ["--vary", "fleets.ferries.vessels=2,4"], "--vary"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_resume_after_any_change_is_refused_naming_it(old: Path, refused, change: str) -> None:
    """Issue 14, severe case 4: an edit to an `extends:` parent was missed and the table mixed."""
    edit, extra, place = CHANGES[change]
    if edit is not None:
        edit(old)
    result = refused(*SWEEP, *extra, "--resume", place=place)
    assert "different sweep" in result.output


def test_resume_without_a_change_runs_nothing_and_keeps_the_table(old: Path, corridor) -> None:
    before = (old / "s" / "sweep.csv").read_bytes(), (old / "s" / LOG).read_bytes()
    assert corridor(*SWEEP, "--resume").exit_code == 0
    assert ((old / "s" / "sweep.csv").read_bytes(), (old / "s" / LOG).read_bytes()) == before


# --- a refused command touches nothing --------------------------------------------------------

REFUSALS = [
    (["--workers", "0"], "--workers"), (["--workers", "-2"], "--workers"),
    (["--level", "1.5"], "--level"), (["--p", "1.5"], "--level"), (["--p", "150%"], "--level"),
    (["--level", "nan"], "--level"),
    (["--vary", "fleets.ferries.vessels=1..1000000 step 1"], "fleets.ferries.vessels"),
    (["--vary", "fleets.ferries.vessels=1..400", "--vary", "links.gd.capacity=1..400"], f"{MAX_POINTS:,}"),
    (["--design", "sobol", "--samples", "100000"], f"{MAX_POINTS:,}"),
    (["--vary", "fleets.ferries.vessels=1..2 step 1e-300"], f"{MAX_POINTS:,}"),
    (["--set", "links.ab.capacity=-1 Mt/yr"], "links.ab.capacity"),
    (["--design", "random"], "--design"), (["--samples", "0"], "--samples"),
    (["--target", "nope"], "--target"), (["--scheduler", ""], "--scheduler"),
    (["--seed", "-1"], "--seed"), (["-r", "0"], "--replications"),
    (["--vary", "fleets.nowhere.vessels=1,2"], "nowhere"),
]


@pytest.mark.parametrize("resume", [False, True], ids=["new", "resume"])
@pytest.mark.parametrize(("args", "place"), REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
def test_a_refused_sweep_leaves_the_earlier_one_byte_identical(old: Path, refused, args: list[str], place: str,
                                                               resume: bool) -> None:
    """Issue 14, severe case 5: `--workers 0 --out EXISTING` emptied points.jsonl."""
    refused(*SWEEP, *args, *(["--resume"] if resume else []), place=place)


LIBRARY_REFUSALS = [
    ({"workers": 0}, "--workers"), ({"workers": -1}, "--workers"), ({"workers": 10_000}, "--workers"),
    ({"level": 1.5}, "--level"), ({"level": "0"}, "--level"), ({"replications": 0}, "--replications"),
    ({"replications": 10**9}, "--replications"), ({"seed": -1}, "--seed"),
    ({"design": "lhs", "samples": 0}, "--samples"), ({"scheduler": " "}, "--scheduler"),
]


@pytest.mark.parametrize(("kwargs", "place"), LIBRARY_REFUSALS, ids=[str(k) for k, _ in LIBRARY_REFUSALS])
@pytest.mark.parametrize("resume", [False, True], ids=["new", "resume"])
def test_the_library_refuses_before_writing(old: Path, kwargs: dict, place: str, resume: bool) -> None:
    before = snapshot(old)
    args = {"replications": 1, "workers": 1, **kwargs}  # as the earlier sweep: only `kwargs` is wrong
    with pytest.raises(CorridorError, match=place):
        sweep(Path("top.yaml"), vary=[VARY[1]], overrides=FAST[1:4:2], out=Path("s"), resume=resume, **args)
    assert snapshot(old) == before


def test_run_sweep_refuses_a_bad_level_before_writing(old: Path) -> None:
    plan = plan_sweep(Path("top.yaml"), [parse_vary(VARY[1])], overrides=FAST[1:4:2], replications=1)
    before = snapshot(old)
    with pytest.raises(CorridorError, match="--level"):
        run_sweep(plan, Path("s"), workers=1, level=1.5)
    assert snapshot(old) == before


FILE_REFUSALS = [("level: 1.5", "--level"), ("replications: 0", "--replications"), ("seed: -1", "--seed"),
                 ("samples: 0", "--samples"), ("replications: 100001", "--replications"),
                 ("design: 5", "--design")]


@pytest.mark.parametrize(("line", "place"), FILE_REFUSALS, ids=[line for line, _ in FILE_REFUSALS])
def test_a_sweep_file_is_bounded_as_the_flags_are(old: Path, refused, line: str, place: str) -> None:
    (old / "sweep.yaml").write_text(f"scenario: top.yaml\nvary: {{fleets.ferries.vessels: [2, 3]}}\nout: s\n{line}\n")
    refused("sweep", "--file", "sweep.yaml", "-q", place=place)


# --- never mix, never write into a folder that is not ours ------------------------------------

FOREIGN = ["notes", "notes/thesis.docx", "link", ".", "..", "notes/..", "bad-manifest", "their-sweep"]


@pytest.mark.parametrize("resume", [False, True], ids=["new", "resume"])
@pytest.mark.parametrize("out", FOREIGN)
def test_a_folder_that_is_not_ours_is_refused(old: Path, refused, out: str, resume: bool) -> None:
    (old / "link").symlink_to(old / "notes")
    (old / "bad-manifest").mkdir()
    (old / "bad-manifest" / "sweep.json").write_text("{not json")
    (old / "bad-manifest" / "data.csv").write_text("a user's data")
    (old / "their-sweep").mkdir()
    (old / "their-sweep" / "sweep.json").write_text(json.dumps({"seed": 1, "points": []}))
    args = [a if a != "s" else out for a in SWEEP]
    refused(*args, *(["--resume"] if resume else []))


def test_a_threshold_search_refuses_a_folder_that_is_not_ours(old: Path, refused) -> None:
    refused("sweep", "top.yaml", *FAST, "--vary", "fleets.ferries.vessels=1..4",
            "--find", "fleets.ferries.vessels", "--target", "t", "--out", "notes", place="notes")


def test_a_new_sweep_in_an_old_folder_starts_it_fresh(old: Path, corridor) -> None:
    args = [a if a != VARY[1] else "fleets.ferries.vessels=4" for a in SWEEP]
    assert corridor(*args).exit_code == 0
    fresh = [a if a != "s" else "fresh" for a in args]
    assert corridor(*fresh).exit_code == 0
    assert sorted(p.name for p in (old / "s").iterdir()) == sorted(p.name for p in (old / "fresh").iterdir())
    assert (old / "s" / "sweep.csv").read_bytes() == (old / "fresh" / "sweep.csv").read_bytes()
    assert [r.overrides for _, r in read_log(old / "s" / LOG)] == [{"fleets.ferries.vessels": "4"}]
    assert not [p for p in old.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_a_report_folder_of_ours_may_be_replaced_but_an_empty_one_is_used(old: Path, corridor) -> None:
    (old / "empty").mkdir()
    assert corridor(*[a if a != "s" else "empty" for a in SWEEP]).exit_code == 0
    assert (old / "empty" / "sweep.csv").read_bytes() == (old / "s" / "sweep.csv").read_bytes()
    assert json.loads((old / "empty" / "manifest.json").read_text())["corridor"]


# --- interrupts and workers --------------------------------------------------------------------

SLOW = ["--set", "simulation.horizon=500 d", "--set", "simulation.warmup=5 d", "-r", "1",
        "--vary", "fleets.ferries.vessels=2..9"]


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes via /proc")


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


@pytest.fixture
def started(workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`corridor sweep` with two workers in a subprocess of its own session, once its first point is logged."""
    args = [sys.executable, "-m", "sim", "sweep", str(MINIMAL), *SLOW, "--workers", "2", "-q", "-o", "killed"]
    proc = subprocess.Popen(args, cwd=workdir, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _lines(workdir / "killed" / LOG) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = _children(proc.pid)
    try:
        yield proc
    finally:
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _log_is_valid(log: Path) -> int:
    lines = log.read_bytes().splitlines(keepends=True)
    assert all(line.endswith(b"\n") and "id" in json.loads(line) for line in lines)
    return len(lines)


@needs_proc
def test_a_terminated_sweep_resumes_to_the_uninterrupted_table(started: subprocess.Popen[bytes], workdir: Path,
                                                               corridor) -> None:
    assert started.poll() is None, "the sweep ended before it could be stopped"
    workers = _children(started.pid)
    assert workers
    started.send_signal(signal.SIGTERM)
    assert started.wait(timeout=30) == 128 + signal.SIGTERM
    assert _gone(workers), "a worker outlived the stopped sweep"
    assert 1 <= _log_is_valid(workdir / "killed" / LOG) < 8
    assert not [p.name for p in workdir.rglob(".*")], "a staging folder or temporary file was left"
    assert not (workdir / "killed" / "sweep.csv").exists()
    assert corridor("sweep", MINIMAL, *SLOW, "--workers", "1", "-q", "-o", "killed", "--resume").exit_code == 0
    assert corridor("sweep", MINIMAL, *SLOW, "--workers", "1", "-q", "-o", "whole").exit_code == 0
    assert (workdir / "killed" / "sweep.csv").read_bytes() == (workdir / "whole" / "sweep.csv").read_bytes()
    ids = [r.id for _, r in read_log(workdir / "killed" / LOG)]
    assert len(ids) == len(set(ids)) == 8


@needs_proc
def test_ctrl_c_stops_the_sweep_and_its_workers(started: subprocess.Popen[bytes], workdir: Path) -> None:
    assert started.poll() is None, "the sweep ended before it could be stopped"
    workers = _children(started.pid)
    os.killpg(started.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group
    assert started.wait(timeout=30) == 128 + signal.SIGINT
    assert _gone(workers), "a worker outlived the interrupted sweep"
    assert _log_is_valid(workdir / "killed" / LOG) >= 1
    assert not [p.name for p in workdir.rglob(".*")]


@needs_proc
def test_no_worker_outlives_a_killed_sweep(started: subprocess.Popen[bytes], workdir: Path) -> None:
    assert started.poll() is None, "the sweep ended before it could be killed"
    workers = _children(started.pid)
    assert len(workers) >= 2, workers
    os.kill(started.pid, signal.SIGKILL)  # the parent alone: its workers must notice
    started.wait(timeout=30)
    assert _gone(workers), f"workers {[p for p in workers if _alive(p)]} outlived their killed parent"
    assert _log_is_valid(workdir / "killed" / LOG) >= 1
