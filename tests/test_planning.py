"""`corridor plan`: LP plans checked by simulation, on cases whose answer is counted by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from support import SCENARIOS
from click.testing import Result
from typer.testing import CliRunner

from sim.network import Network
from sim.optimiser.model import Corridor
from sim.optimiser.optimise import OptimiseResult, apply_plan
from sim.planning import PlanSearch, parse_level, plan_loop
from sim.scenario.loading import load_scenario

SCHEDULE = SCENARIOS / "plan_schedule.yaml"
RAIL = SCENARIOS / "plan_rail.yaml"
HOURS_PER_YEAR = 8766.0

# The timetabled line (tests/scenarios/plan_schedule.yaml): 1000 t a voyage, a 22 h round trip,
# a slot every 48 h, 0.7 Mt/yr to carry.
VOYAGE_MT, CYCLE_H, INTERVAL_H, TARGET = 1000 / 1e6, 1 + 10 + 1 + 10, 48.0, 0.7


def vessels(scenario_path: Path, result: OptimiseResult) -> int:
    return int(apply_plan(load_scenario(scenario_path), result).fleets["ships"].vessels.value)


def test_a_timetabled_fleet_gets_the_vessels_its_timetable_needs() -> None:
    lp_count = math.ceil(TARGET / (VOYAGE_MT * HOURS_PER_YEAR / CYCLE_H))  # what cycle times suggest: 2
    hand_count = math.ceil(TARGET / (VOYAGE_MT * HOURS_PER_YEAR / INTERVAL_H))  # one voyage a slot: 4
    assert (lp_count, hand_count) == (2, 4)  # the case separates the two answers
    s = load_scenario(SCHEDULE)
    result = plan_loop(s, p=0.9, replications=2)
    assert result.success, result.message
    assert vessels(SCHEDULE, result.final) == hand_count
    first = result.iterations[0]
    assert 1 + first.built["more_ships"] == lp_count  # the LP's own plan, which the simulation refutes
    assert first.targets["f"].p_met == 0.0
    fleet = {x.row: x.factor for x in first.learned}["fleet:ships"]
    assert fleet == pytest.approx(CYCLE_H / INTERVAL_H, rel=1e-3)  # a vessel works 22 h of every 48
    assert result.iterations[-1].targets["f"].p_met == 1.0
    costs = [it.cost for it in result.iterations]
    assert costs == sorted(costs)  # factors only fall: plans only grow


def test_a_scenario_met_at_once_stops_with_the_empty_plan() -> None:
    result = plan_loop(load_scenario(RAIL), p=0.9, replications=2)
    assert result.success
    assert len(result.iterations) == 1
    assert result.final.plan.expansions == [] and result.final.plan.cost == 0.0
    assert result.iterations[0].targets["f"].p_met == 1.0


def test_a_cut_commits_one_more_whole_vessel_than_the_failed_plan() -> None:
    s = load_scenario(SCHEDULE)
    search = PlanSearch(s, Corridor(Network(s)), None)
    failed = search.solve()
    planned = failed.plan.amounts()["more_ships"]
    assert 0 < planned < 1
    assert search.cut(failed, ["f"]) is not None
    assert search.committed == {"more_ships": math.ceil(planned) + 1.0}
    after = search.solve()
    assert after.plan.amounts()["more_ships"] >= 2.0 - 1e-9
    assert after.plan.cost == pytest.approx(sum(e.cost for e in after.plan.expansions))


def test_probability_levels_read_as_shares() -> None:
    assert parse_level("90%") == pytest.approx(0.9)
    assert parse_level("0.75") == pytest.approx(0.75)


def run_cli(*args: object) -> Result:
    from sim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_out_of_reach_says_what_is_short_and_writes_the_best_plan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("plan", SCHEDULE, "--p", "0.9", "-r", "2", "--set", "expansions.more_ships.size=2", "--out", out)
    assert r.exit_code == 3, r.output
    assert "out of reach" in r.output and "f" in r.output
    loop = json.loads((out / "plan.json").read_text())
    assert loop["outcome"] == "out of reach"
    final = json.loads((out / "final" / "plan.json").read_text())
    # the best plan is the most the offer allows: 1 + 2 vessels, short of the 4 the timetable needs
    assert [e["amount"] for e in final["plan"]["expansions"]] == [2.0]
    assert (out / "plan.md").read_text().count("\n| ") >= 3  # header and two iterations


def test_the_iteration_limit_exits_3_with_the_best_plan_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("plan", SCHEDULE, "--iterations", "1", "-r", "2", "--out", out)
    assert r.exit_code == 3, r.output
    assert "not converged in 1 iteration" in r.output
    loop = json.loads((out / "plan.json").read_text())
    assert len(loop["iterations"]) == 1 and loop["outcome"] == "iteration limit"
    assert json.loads((out / "final" / "plan.json").read_text())["plan"]["expansions"][0]["id"] == "more_ships"


def test_success_writes_a_plan_corridor_can_build_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("plan", SCHEDULE, "-r", "2", "--out", out)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["final", "manifest.json", "plan.json", "plan.md"]
    final = json.loads((out / "final" / "plan.json").read_text())
    amount = final["plan"]["expansions"][0]["amount"]
    assert 1 + math.ceil(amount - 1e-6) == 4
    again = run_cli("plan", SCHEDULE, "-r", "2", "--out", out)  # its own folder is replaced whole
    assert again.exit_code == 0, again.output
    assert json.loads((out / "final" / "plan.json").read_text())["plan"] == final["plan"]
