"""A plan built into a scenario: capacities grow by the planned amounts, vessels and berths
round up to whole ones, and the original scenario is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.network import Network
from sim.optimiser import apply_plan, optimise
from support import optimiser_scenario as load

TESTS = Path(__file__).resolve().parents[1]
SCENARIOS = TESTS / "scenarios"


def test_apply_plan_builds_the_expansions(plan_result):
    s = load("plan")
    built = apply_plan(s, plan_result)
    net = Network(built)
    assert net.links["a"].capacity == pytest.approx(6 + 2)
    assert net.links["c"].capacity == pytest.approx(2)
    assert net.links["b"].capacity == pytest.approx(0)
    assert s.links["a"].capacity.value == pytest.approx(6)  # the original is untouched


def test_apply_plan_rounds_vessels_and_berths_up():
    s = load("nodes")
    r = optimise(s, n_minus_1=False)
    built = apply_plan(s, r)
    assert Network(built).node_capacity("bx") == pytest.approx(2.0)
    assert built.nodes["pa"].port.berths["ferry"].count.value == 2  # 1 berth x 2/1.7532, up
    fleet = load("fleet")
    assert apply_plan(fleet, optimise(fleet, n_minus_1=False)).fleets["ships"].vessels.value == 3


