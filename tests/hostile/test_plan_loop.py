"""`corridor plan` used carelessly: bad levels, iteration limits, scenarios with nothing to plan.

A refused command exits 2, names what is wrong and leaves the disk as it was (the `refused`
fixture). A scenario without candidate expansions is refused whatever its targets do: the loop
chooses among expansions, and `corridor run` simulates a scenario as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL, SCENARIOS

SCHEDULE = SCENARIOS / "plan_schedule.yaml"

LEVELS = ["0", "1", "1.5", "abc", "-0.2", "100%", "0%", "nan", "inf", "150%", ""]


@pytest.mark.parametrize("level", LEVELS)
def test_a_level_outside_0_1_is_refused(refused, level: str) -> None:
    refused("plan", SCHEDULE, "--p", level, "-r", "1", "--out", "out", place="--p")


@pytest.mark.parametrize("n", ["0", "-1", "many", "1000"])
def test_a_bad_iteration_limit_is_refused(refused, n: str) -> None:
    refused("plan", SCHEDULE, "--iterations", n, "--out", "out", place="--iterations")


def test_a_scenario_without_candidate_expansions_is_refused(refused) -> None:
    refused("plan", MINIMAL, "--out", "out", place="expansions")


def test_expansions_removed_by_an_override_are_refused_too(refused) -> None:
    refused("plan", SCHEDULE, "--set", "expansions={}", "--out", "out", place="expansions")


def test_an_output_folder_of_somebody_elses_is_refused_before_any_work(refused, workdir: Path) -> None:
    refused("plan", SCHEDULE, "-r", "1", "--out", "notes", place="notes")


def test_bad_replications_and_seed_are_refused(refused) -> None:
    refused("plan", SCHEDULE, "-r", "0", "--out", "out", place="--replications")
    refused("plan", SCHEDULE, "--seed", "-3", "--out", "out", place="--seed")
