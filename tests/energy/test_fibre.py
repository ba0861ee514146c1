"""Data: a cable cut with a reserve route (hand computation), and cables in series and in
parallel against the availability formulas A^2 and 1 - (1 - A)^2."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from sim import targets as judge
from sim.energy.fibre import primary_path
from sim.energy.model import simulate_continuous
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import Streams, estimate
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_a_cut_is_rerouted_onto_the_reserve():
    sc = load_scenario(SCENARIOS / "energy_fibre.yaml")
    rep = simulate_continuous(sc, Network(sc), Streams(5, 0), 0)
    h, cut = 8760, 720
    rec = rep.flows["caspian"]
    assert rec.delivered == pytest.approx((400 * (h - cut) + 100 * cut) / h)
    assert rec.extra["primary_only_tbps"] == pytest.approx(400 * (h - cut) / h)
    assert rec.extra["rerouting_saved_tbps"] == pytest.approx(100 * cut / h)
    assert rec.extra["hours_below_target"] == cut
    assert rec.hourly[1000:1720].max() == 100 and rec.hourly[:1000].min() == 400
    assert rep.links["main"]["availability"] == pytest.approx(1 - cut / h)
    assert rep.links["reserve"]["utilisation"] == pytest.approx(cut / h)
    daily = rep.series["delivered:caspian"]
    assert len(daily) == 365 and daily[41] == pytest.approx((16 * 400 + 8 * 100) / 24)  # cut at 1000 h
    target = sc.targets["data_transcaspian_fibre"]
    assert judge.measure(target, rep) == 100  # 8.2 % of hours below 400 Tbps: not firm at 95 %
    assert not judge.met(target, judge.measure(target, rep))


def test_the_primary_path_is_the_one_with_fewest_hops():
    sc = load_scenario(SCENARIOS / "energy_fibre.yaml")
    assert [e.key for e in primary_path(sc, Network(sc), "caspian").elements] == ["link:main"]
    routed = load_scenario(SCENARIOS / "energy_fibre.yaml", [
        "flows.caspian.routes={reserve: {path: [aktau_ls, kuryk_ls, buzovna_ls, sumgayit_ls]}}"])
    keys = [e.key for e in primary_path(routed, Network(routed), "caspian").elements]
    assert keys == ["link:to_kuryk", "link:reserve", "link:to_sumgayit"]  # its first route


def _pair(parallel: bool) -> Scenario:
    """Two cables, each failing 4 times a year with 10-day exponential repairs."""
    rel = {"failure_rate": "4 /yr", "repair": {"dist": "exponential", "mean": "240 h"}}
    nodes = {n: {"kind": "landing_station", "country": "AZ", "lon": 50, "lat": 40} for n in "xmy"}
    cable = {"mode": "fibre", "carrier": "data", "capacity": "400 Tbps", "reliability": rel}
    links = ({"c1": {"from": "x", "to": "y"} | cable, "c2": {"from": "x", "to": "y"} | cable} if parallel else
             {"c1": {"from": "x", "to": "m"} | cable, "c2": {"from": "m", "to": "y"} | cable})
    return Scenario.model_validate({
        "name": "pair", "description": "two cables", "year": 2030,
        "simulation": {"horizon": f"{40 * 365} d"}, "nodes": nodes, "links": links,
        "flows": {"d": {"carrier": "data", "origin": "x", "destination": "y", "rate": "400 Tbps"}}})


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [False, True], ids=["series", "parallel"])
def test_cables_in_series_and_parallel_match_the_formulas(parallel):
    sc = _pair(parallel)
    a = 1 / (1 + 4 * 240 / HOURS_PER_YEAR)
    expected = 1 - (1 - a) ** 2 if parallel else a * a
    net = Network(sc)
    shares = [simulate_continuous(sc, net, Streams(3, i), i).flows["d"].extra["share_hours_at_rate"]
              for i in range(6)]
    est = estimate(shares)
    # An outage's first and last hours count as below the rate for the whole hour: at most
    # one hour per start or end, about 2 x 2 x 4 a year of 8766 hours.
    bias = 16 / HOURS_PER_YEAR
    widen = 6.87 / 2.57  # 99.9 % instead of 95 % Student-t, 5 degrees of freedom
    assert expected - widen * est.half_width - bias <= est.mean <= expected + widen * est.half_width
    assert est.half_width < (0.02 if not parallel else 0.005)  # tight enough to fail


def test_a_meshed_network_is_routed_by_max_flow():
    """A bridge (s-a, s-b, a-b, a-t, b-t) with a-t cut for 100 h: per hour the delivered rate is
    networkx's max-flow of the capacities in service."""
    caps = {"sa": 300, "sb": 200, "ab": 150, "at": 250, "bt": 300}
    nodes = {n: {"kind": "landing_station", "country": "AZ", "lon": 50, "lat": 40} for n in "sabt"}
    links = {k: {"from": k[0], "to": k[1], "mode": "fibre", "carrier": "data", "capacity": f"{c} Tbps"}
             for k, c in caps.items()}
    links["at"]["reliability"] = {"outages": [{"start": "10 h", "duration": "100 h", "share": "60 %"}]}
    sc = Scenario.model_validate({
        "name": "bridge", "description": "a bridge", "year": 2030, "simulation": {"horizon": "200 h"},
        "nodes": nodes, "links": links,
        "flows": {"d": {"carrier": "data", "origin": "s", "destination": "t", "rate": "1000 Tbps"}}})
    rep = simulate_continuous(sc, Network(sc), Streams(1, 0), 0)

    def max_flow(at: float) -> float:
        g = nx.DiGraph()
        for k, c in (caps | {"at": at}).items():
            g.add_edge(k[0], k[1], capacity=c)
        return nx.maximum_flow_value(g, "s", "t")

    hourly = rep.flows["d"].hourly
    assert hourly[:10] == pytest.approx(max_flow(250))
    assert hourly[10:110] == pytest.approx(max_flow(100))
    assert max_flow(100) < max_flow(250)  # the cut binds
