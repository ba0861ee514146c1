"""Bottlenecks from both sides: the simulation's ranking by utilisation x wait, the optimiser's
binding rows, and the headline that says whether they agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.report.bottlenecks import bottlenecks, simulated
from sim.scenario.loading import load_scenario

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(TESTS / "scenarios" / "optimiser_nodes.yaml")  # ports pa, pb; fleet ferries pa -> pb


NODES = [{"id": "pa", "wait_h_mean": 100.0, "berth_utilisation:ferry": 0.99, "berth_wait_h_mean:ferry": 20.0},
         {"id": "pb", "wait_h_mean": 1.0, "berth_utilisation:ferry": 0.5, "berth_wait_h_mean:ferry": 0.5},
         {"id": "bx", "wait_h_mean": 3.0, "utilisation": 0.9}]
LINKS = [{"id": "cn_bx", "utilisation": 0.2, "wait_h_mean": 0.1}]


def fleet(working: float, waiting: float) -> list[dict[str, float | str]]:
    return [{"id": "ferries", "utilisation": working, "working_share": working, "waiting_share": waiting}]


def test_resources_rank_by_utilisation_times_wait(scenario):
    ranked = simulated(scenario, NODES, fleet(0.3, 0.7), LINKS)
    scores = {b.id: b.score for b in ranked}
    assert scores["berth:pa:ferry"] == pytest.approx(0.99 * 20)
    assert scores["node:bx"] == pytest.approx(0.9 * 3)
    # cargo waits 100 h at pa, but the vessels queue 70% of their non-idle time: 30% of it is theirs
    assert scores["fleet:ferries"] == pytest.approx(0.3 * 100 * 0.3 / (0.3 + 0.7))
    assert [b.score for b in ranked] == sorted((b.score for b in ranked), reverse=True)
    assert ranked[0].id == "berth:pa:ferry"


def test_the_headline_says_when_both_sides_name_the_same_resource(scenario):
    bounds = {"t2": {"unit": "Mt/yr", "marginal": {"berth:pa:ferry": (1.75, "berth"), "node:bx": (0.5, "Mt/yr")}}}
    b = bottlenecks(scenario, NODES, fleet(0.3, 0.7), LINKS, bounds,
                    {"berth:pa:ferry": {"value": 10.0, "unit": "MUSD/yr per berth"}}, plan_applied=False)
    assert b.agree is True
    assert b.headline.startswith("Bottleneck: pa ferry berths (99% busy, 20 h mean wait)")
    assert "one more adds 1.75 Mt/yr a berth, shadow price 10 MUSD/yr per berth" in b.headline


def test_the_headline_says_when_they_differ(scenario):
    bounds = {"t2": {"unit": "Mt/yr", "marginal": {"node:bx": (0.5, "Mt/yr")}}}
    b = bottlenecks(scenario, NODES, fleet(0.3, 0.7), LINKS, bounds, {}, plan_applied=False)
    assert b.agree is False
    assert "the optimiser's is bx throughput for t2" in b.headline and "They differ" in b.headline


def test_with_the_plan_built_the_rows_binding_on_that_network_are_used(scenario):
    bounds = {"t2": {"unit": "Mt/yr", "marginal": {"node:bx": (0.5, "Mt/yr")},
                     "marginal_with_plan": {"berth:pa:ferry": (1.0, "berth")}}}
    assert bottlenecks(scenario, NODES, fleet(0.3, 0.7), LINKS, bounds, {}, plan_applied=True).agree is True
    assert bottlenecks(scenario, NODES, fleet(0.3, 0.7), LINKS, bounds, {}, plan_applied=False).agree is False
