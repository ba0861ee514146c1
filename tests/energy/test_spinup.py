"""The spin-up in the continuous carriers: repairs under way on 1 January, tank levels that carry
December into January, scheduled outages still dated from 1 January."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.energy.model import simulate_continuous
from sim.energy.reliability import Component, simulate_reliability
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import Streams, estimate
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Reliability, Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
LAM_YR, MTTR = 10.0, 87.66  # failures a year, mean repair hours: down a share 1/11 of the time


def _scenario(spinup: str) -> Scenario:
    return Scenario.model_validate({
        "name": "r", "description": "reliability", "year": 2030, "simulation": {"spinup": spinup},
        "nodes": {"a": {"kind": "junction", "country": "AZ", "lon": 0, "lat": 0}}})


def _rel() -> Reliability:
    return Reliability.model_validate({"failure_rate": f"{LAM_YR} /yr",
                                       "repair": {"dist": "exponential", "mean": f"{MTTR} h"}})


def test_a_repair_begun_in_december_is_still_under_way_on_1_january():
    """After a 60-day spin-up (17 repair times) a cable is down on 1 January with its stationary
    probability lambda / (lambda + mu) = 1/11; started on 1 January it is always up then. An
    outage running over hour 0 keeps its true start in December; none over before it is listed."""
    comp = [Component("c", "link", _rel())]
    down_at_0 = []
    for r in range(300):
        out = simulate_reliability(_scenario("60 d"), comp, Streams(5, r), 30 * 24.0)
        tl = out.timelines["c"]
        assert tl.times[0] == -60 * 24.0
        down_at_0.append(1.0 - tl.share_at(0.0))
        assert all(o["end_h"] > 0 for o in out.outages)
        if down_at_0[-1]:
            assert min(o["start_h"] for o in out.outages) < 0
    est = estimate(down_at_0)
    lam, mu = LAM_YR / HOURS_PER_YEAR, 1 / MTTR
    assert abs(est.mean - lam / (lam + mu)) <= est.half_width, est
    cold = simulate_reliability(_scenario("0 d"), comp, Streams(5, 0), 30 * 24.0)
    assert cold.timelines["c"].times[0] == 0.0 and cold.timelines["c"].share_at(0.0) == 1.0


def test_scheduled_outages_keep_their_date_and_maintenance_its_share():
    """A scheduled outage is dated from 1 January with or without a spin-up; maintenance
    windows run from the clock's start, so [0, horizon] still holds whole periods of them."""
    r = Reliability.model_validate({"maintenance": {"every": "1000 h", "duration": "100 h", "share": "100 %"},
                                    "outages": [{"start": "500 h", "duration": "200 h", "share": "50 %",
                                                 "cause": "pole trip"}]})
    horizon = 10_000.0
    spun = simulate_reliability(_scenario("45 d"), [Component("m", "link", r)], Streams(1, 0), horizon)
    trip = [o for o in spun.outages if o["cause"] == "pole trip"]
    assert trip == [{"component": "m", "kind": "link", "start_h": 500.0, "end_h": 700.0,
                     "cause": "pole trip", "capacity_lost_share": 0.5}]
    alone = Reliability.model_validate({"maintenance": {"every": "1000 h", "duration": "100 h", "share": "100 %"}})
    tl = simulate_reliability(_scenario("45 d"), [Component("m", "link", alone)], Streams(1, 0), horizon).timelines["m"]
    assert tl.mean(0.0, horizon) == pytest.approx(0.9, abs=1e-12)


def _pipeline(*overrides: str):
    sc = load_scenario(SCENARIOS / "energy_pipeline.yaml", list(overrides))
    return simulate_continuous(sc, Network(sc), Streams(1, 0), 0)


def test_the_tank_carries_the_previous_year_s_surplus_into_january():
    """energy_pipeline: 1000 t/h produced, 2000 t/h of pipeline room, shut 100-200 h. A 20 h
    spin-up at the previous year's 3000 t/h leaves 20,000 t in the tank on 1 January, drained
    at 1000 t/h by 20 h: the year delivers 960,000 + 20,000 t, and day 0 holds a mean of
    20,000 x 20 / 2 / 24 t. At this year's rate the spin-up leaves the tank empty: 960,000 t.
    The shut-in stays dated from 1 January either way."""
    def tonnes(rep) -> float:
        return rep.flows["crude"].delivered * 1e6 * 1000 / HOURS_PER_YEAR

    spun = _pipeline("simulation.spinup=20 h", "flows.crude.previous_rate=3000 t/h")
    assert tonnes(spun) == pytest.approx(980_000, rel=1e-9)
    assert spun.series["storage:a"][0] == pytest.approx(20_000 * 20 / 2 / 24, rel=1e-9)
    assert spun.nodes["a"]["storage_max_t"] == pytest.approx(60_000)
    assert spun.outages[0]["start_h"] == 100.0
    same = _pipeline("simulation.spinup=20 h")
    assert tonnes(same) == pytest.approx(960_000, rel=1e-9)
    assert same.series["storage:a"][0] == 0
