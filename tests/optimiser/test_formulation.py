"""The LP families, written in LP format for small hand-made corridors: each must match its
golden file line for line (set UPDATE_GOLDEN=1 to rewrite them after an intended change)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.optimiser import optimise
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

TESTS = Path(__file__).resolve().parents[1]
SCENARIOS = TESTS / "scenarios"
GOLDEN = TESTS / "golden"


def load(name: str, *overrides: str) -> Scenario:
    return load_scenario(SCENARIOS / f"optimiser_{name}.yaml", list(overrides))


FAMILIES = {
    "link_capacity": ("chain", False),  # link rows, conservation, demand with unmet slack
    "n_minus_1": ("chain", True),  # a copy of the flows per lost link, kept at 50 %
    "fleet_power": ("fleet", True),  # one vessel-hour row for two lines, power losses, firm
    "nodes_berths": ("nodes", True),  # trains/d crossing, berths, node expansions
    "expansions": ("plan", True),  # continuous and project (binary) expansions
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_golden_lp_files(family, tmp_path):
    name, n1 = FAMILIES[family]
    path = tmp_path / f"{family}.lp"
    r = optimise(load(name), n_minus_1=n1, save_lp=path)
    assert r.status == "not solved" and r.plan.expansions == []
    golden = GOLDEN / f"optimiser_{family}.lp"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(path.read_text())
    assert path.read_text() == golden.read_text()


def test_save_lp_does_not_solve(tmp_path):
    r = optimise(load("plan"), save_lp=tmp_path / "plan.lp")
    assert r.status == "not solved" and r.targets["t10"].max_alone is None
    assert "Binaries" in (tmp_path / "plan.lp").read_text()


def test_ids_that_clash_as_lp_names_still_solve(tmp_path):
    data = load("parallel").model_dump(by_alias=True)
    data["links"]["s-p"] = dict(data["links"]["sp"], capacity="1 Mt/yr")  # "s-p" and "s_p" as LP names
    data["links"]["s_p"] = dict(data["links"]["sp"], capacity="1 Mt/yr")
    r = optimise(Scenario.model_validate(data), n_minus_1=False, save_lp=tmp_path / "x.lp")
    assert r.status == "not solved" and (tmp_path / "x.lp").exists()
    r = optimise(Scenario.model_validate(data), n_minus_1=False)
    assert r.targets["t4"].max_alone == pytest.approx(5.0 + 2.0)


