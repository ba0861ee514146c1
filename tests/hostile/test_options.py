"""Every numeric or enumerated option is range-checked where it is parsed (issue 14, case 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FAST, MINIMAL

RUN_CASES = [
    (["-r", "0"], "--replications"), (["-r", "-1"], "--replications"), (["-r", "1000000000"], "--replications"),
    (["-r", "ten"], "--replications"), (["-r", "2.5"], "--replications"),
    (["--seed", "-1"], "--seed"), (["--seed", "99999999999999999999999"], "--seed"), (["--seed", "x"], "--seed"),
    (["--workers", "0"], "--workers"), (["--workers", "-3"], "--workers"),
    (["--format", "xml"], "--format"), (["--solver", "gurobi"], "--solver"),
    (["--precision", "0"], "--precision"), (["--precision", "150%"], "--precision"),
    (["--precision", "-5%"], "--precision"), (["--precision", "soon"], "--precision"),
    (["--precision", "nan"], "--precision"), (["--precision", "inf"], "--precision"),
    (["--set"], "--set"), (["--set", "no-equals-sign"], "no-equals-sign"),
    (["--set", "links.nowhere.capacity=1 Mt/yr"], "nowhere"),
    (["--set", "links.ab.capacity=-3 Mt/yr"], "links.ab.capacity"),
    (["--set", "links.ab.capacity=3 GW"], "links.ab.capacity"),
    (["--set", "links.ab.capacity=nan Mt/yr"], "links.ab.capacity"),
    (["--set", "links.ab.capacity=inf Mt/yr"], "links.ab.capacity"),
    (["--set", "simulation.replications=0"], "simulation.replications"),
    (["--set", "simulation.replications=100000"], "simulation.replications"),
    (["--set", "simulation.max_replications=100000000"], "simulation.max_replications"),
    (["--set", "simulation.seed=-4"], "simulation.seed"),
    (["--no-such-option"], "--no-such-option"),
]


@pytest.mark.parametrize(("args", "place"), RUN_CASES, ids=[" ".join(a) for a, _ in RUN_CASES])
def test_run_refuses_a_bad_option(refused, args: list[str], place: str) -> None:
    refused("run", MINIMAL, "--out", "r", *args, place=place)


SWEEP_CASES = [
    (["--workers", "0"], "--workers"), (["--samples", "0"], "--samples"), (["--design", "random"], "--design"),
    (["--level", "1.5"], "--level"), (["--level", "0"], "--level"), (["--level", "abc"], "--level"),
    (["-r", "0"], "--replications"), (["--seed", "-1"], "--seed"),
    (["--vary", "fleets.ferries.vessels"], "fleets.ferries.vessels"),
    (["--vary", "fleets.ferries.vessels=5..1"], "fleets.ferries.vessels"),
    (["--vary", "fleets.nowhere.vessels=1,2"], "nowhere"),
    (["--vary", "fleets.ferries.vessels=1..1000000 step 1"], "fleets.ferries.vessels"),
]


@pytest.mark.parametrize(("args", "place"), SWEEP_CASES, ids=[" ".join(a) for a, _ in SWEEP_CASES])
def test_sweep_refuses_a_bad_option(refused, args: list[str], place: str) -> None:
    vary = [] if any(a == "--vary" for a in args) else ["--vary", "fleets.ferries.vessels=2,3"]
    refused("sweep", MINIMAL, *vary, "--out", "s", *args, place=place)


def test_a_refused_sweep_leaves_the_earlier_sweep_intact(corridor, refused, workdir: Path) -> None:
    """Issue 14, severe case 5: `--workers 0 --out EXISTING` emptied points.jsonl."""
    first = corridor("sweep", MINIMAL, *FAST, "--vary", "fleets.ferries.vessels=2,3", "--out", "s",
                     "--workers", "1", "-q")
    assert first.exit_code == 0, first.output
    log = (workdir / "s" / "points.jsonl").read_bytes()
    assert log.count(b"\n") == 2
    refused("sweep", MINIMAL, *FAST, "--vary", "fleets.ferries.vessels=2,3", "--out", "s", "--workers", "0")
    refused("sweep", MINIMAL, *FAST, "--vary", "fleets.ferries.vessels=2,3", "--out", "s", "--resume",
            "--set", "links.ab.capacity=-1 Mt/yr")
    assert (workdir / "s" / "points.jsonl").read_bytes() == log


@pytest.mark.parametrize("args", [["optimise", "--format", "yaml"], ["optimise", "--solver", "glpk"],
                                  ["show", "--set", "x"], ["validate", "--set", "=3"]])
def test_other_commands_refuse_bad_options(refused, args: list[str]) -> None:
    refused(args[0], MINIMAL, *args[1:])


@pytest.mark.parametrize("fmt", ["xml", "csv", ""])
def test_compare_refuses_an_unknown_format(refused, fmt: str) -> None:
    refused("compare", MINIMAL, MINIMAL, "--format", fmt, place="--format")
