"""`corridor gaps` and `corridor run --gaps` given bad input: exit 2, the place named, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL, SCENARIOS

NO_TARGETS = SCENARIOS / "cargo_weather.yaml"  # weather only: no flows, no targets
OUTAGE = SCENARIOS / "gaps_outage.yaml"

GAPS_CASES = [
    (["-r", "0"], "--replications"), (["-r", "-2"], "--replications"), (["-r", "1000000"], "--replications"),
    (["-r", "three"], "--replications"), (["--seed", "-1"], "--seed"), (["--workers", "0"], "--workers"),
    (["--solver", "gurobi"], "--solver"), (["--set", "links.cable.capacity=-1 GW"], "links.cable.capacity"),
    (["--set", "nowhere.at.all=1"], "nowhere"),
]


@pytest.mark.parametrize(("args", "place"), GAPS_CASES, ids=[" ".join(a) for a, _ in GAPS_CASES])
def test_gaps_refuses_a_bad_option(refused, args: list[str], place: str) -> None:
    refused("gaps", OUTAGE, "--out", "g", *args, place=place)


def test_gaps_refuses_a_scenario_without_targets(refused) -> None:
    refused("gaps", NO_TARGETS, "--out", "g", place="targets")
    refused("gaps", NO_TARGETS, place="targets")  # the default folder under results/ is not made either


def test_gaps_keeps_a_folder_it_did_not_write(refused, workdir: Path) -> None:
    refused("gaps", OUTAGE, "-r", "1", "--out", workdir / "notes", place="notes")


def test_gaps_refuses_a_missing_scenario(refused) -> None:
    refused("gaps", "no-such-scenario.yaml", "--out", "g", place="no-such-scenario")


@pytest.mark.parametrize(("args", "place"), [
    (["--gap-replications", "0"], "--gap-replications"), (["--gap-replications", "x"], "--gap-replications"),
])
def test_run_refuses_bad_gap_replications(refused, args: list[str], place: str) -> None:
    refused("run", MINIMAL, "--out", "r", "--gaps", *args, place=place)


def test_run_gaps_refuses_a_scenario_without_targets(refused) -> None:
    refused("run", NO_TARGETS, "--out", "r", "--gaps", place="targets")
