"""Power dispatch against hand computation (a chain with losses), against networkx max-flow and
an exact LP (meshed networks), and generation profiles against their capacity factors."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.energy.model import simulate_continuous
from sim.scenario.loading import load_scenario
from sim.network import HOURS_PER_YEAR, Network
from sim.energy.power import (Element, Path, dispatch_lp, fill_paths, generation_profile, greedy_is_exact,
                       scale_to_mean)
from sim.replications import Streams
from sim.scenario.schema import Node

TWH = HOURS_PER_YEAR / 1000  # mean GW -> TWh a year


def run(path, *overrides):
    sc = load_scenario(path, list(overrides))
    return sc, simulate_continuous(sc, Network(sc), Streams(sc.simulation.seed, 0), 0)


def test_chain_delivers_the_minimum_of_its_links_less_losses(scenarios_dir):
    _, rep = run(scenarios_dir / "energy_chain.yaml")
    e1, e2, e3 = 1 - 0.02 * 0.5, (1 - 0.03) * 0.99 ** 2, 1 - 0.05 * 0.2
    gen = 5 * 0.8
    full = min(10, gen * e1 * e2 * e3, 3.9 * e1 * e2 * e3, 3.6 * e2 * e3, 5 * e3)  # l2 binds
    half = min(full, 1.8 * e2 * e3)  # one pole out from 100 h to 300 h
    rec = rep.flows["export"]
    hourly = np.asarray(rec.hourly, float)
    assert hourly[:100] == pytest.approx(full, rel=1e-6)
    assert hourly[100:300] == pytest.approx(half, rel=1e-6)
    mean = (800 * full + 200 * half) / 1000
    assert rec.delivered == pytest.approx(mean, rel=1e-6)
    assert rec.extra["energy_twh"] == pytest.approx(mean * TWH, rel=1e-6)
    sent = (800 * full + 200 * half) / 1000 / (e1 * e2 * e3)
    assert rec.extra["lost_to_losses_twh"] == pytest.approx((sent - mean) * TWH, rel=1e-6)
    assert rec.extra["lost_to_outages_twh"] == pytest.approx(0.2 * (full - half) * TWH, rel=1e-6)
    assert rec.extra["curtailed_twh"] == pytest.approx((gen - sent) * TWH, rel=1e-6)
    assert rec.extra["firm_95_gw"] == pytest.approx(half, rel=1e-6)  # 20 % of hours at half
    assert rec.extra["hours_below_target"] == 1000
    assert rep.links["l2"]["availability"] == pytest.approx(1 - 0.5 * 200 / 1000)
    assert rep.links["l2"]["utilisation"] == pytest.approx((800 * 3.6 + 200 * 1.8) / 1000 / 3.6, rel=1e-6)


def test_a_flow_below_the_chain_capacity_is_delivered_in_full(scenarios_dir):
    _, rep = run(scenarios_dir / "energy_chain.yaml", "flows.export.rate=1.5 GW")
    rec = rep.flows["export"]
    assert rec.delivered == pytest.approx(1.5) and rec.extra["hours_below_target"] == 0
    assert rec.extra["share_hours_at_rate"] == 1.0 and rec.extra["lost_to_outages_twh"] == 0


def _random_hours(rng, keys, n, scale=10.0):
    return {k: rng.uniform(0, scale, n) for k in keys}


def test_lp_matches_networkx_max_flow_on_a_bridge():
    """s -> a, s -> b, a -> b, a -> t, b -> t: paths cross, so the path rule is not exact."""
    el = {k: Element(f"link:{k}", 1.0) for k in ("sa", "sb", "ab", "at", "bt")}
    paths = {"f": [Path("f", "s", (el["sa"], el["at"])), Path("f", "s", (el["sb"], el["bt"])),
                   Path("f", "s", (el["sa"], el["ab"], el["bt"]))]}
    assert not greedy_is_exact(paths)
    rng = np.random.default_rng(1)
    n = 40
    caps = _random_hours(rng, [e.key for e in el.values()], n)
    got = dispatch_lp(paths, {"f": 100.0}, caps, {"s": np.full(n, np.inf)}, n)
    for h in range(n):
        g = nx.DiGraph()
        for k in el:
            g.add_edge(k[0], k[1], capacity=caps[f"link:{k}"][h])
        assert got.delivered["f"][h] == pytest.approx(nx.maximum_flow_value(g, "s", "t"), abs=1e-6)


def test_path_rule_equals_the_lp_on_parallel_cables_with_losses():
    """A shared line, two parallel cables with different losses, a shared line again; two
    flows from two generators, the second using what the first leaves."""
    up, down = Element("link:up", 1.0, 0.99), Element("link:down", 1.0, 0.98)
    c1, c2 = Element("link:c1", 1.0, 0.95), Element("link:c2", 1.0, 0.90)
    other = Element("link:other", 1.0, 0.97)
    paths = {"f": [Path("f", "g", (up, c1, down)), Path("f", "g", (up, c2, down))],
             "h": [Path("h", "k", (other, down))]}
    assert greedy_is_exact(paths)
    rng = np.random.default_rng(2)
    n = 60
    caps = _random_hours(rng, ["link:up", "link:down", "link:c1", "link:c2", "link:other"], n)
    supply = {"g": rng.uniform(0, 12, n), "k": rng.uniform(0, 5, n)}
    rates = {"f": 6.0, "h": 3.0}
    a = fill_paths(paths, rates, caps, supply, n)
    b = dispatch_lp(paths, rates, caps, supply, n)
    for f in rates:
        assert a.delivered[f] == pytest.approx(b.delivered[f], abs=1e-6)
        assert a.sent[f] == pytest.approx(b.sent[f], abs=1e-6)  # the cheaper cable first
    for key in caps:
        assert np.all(a.usage[key] <= caps[key] + 1e-9)


def test_flows_share_a_cable_in_scenario_order(scenarios_dir):
    sc, rep = run(scenarios_dir / "energy_chain.yaml", "flows.export.rate=2 GW",
                  "flows.second={carrier: power, origin: s1, destination: d, rate: 2 GW}",
                  "links.l2.reliability=null", "links.l2.loss_per_1000km=0 %", "links.l2.converter_loss=0 %",
                  "links.l3.loss_per_1000km=0 %")
    assert rep.flows["export"].delivered == pytest.approx(2.0)
    assert rep.flows["second"].delivered == pytest.approx(3.6 - 2.0)  # what export leaves of l2


def node(profile: str, cf: str, lat: float = 40.4, lon: float = 49.8) -> Node:
    return Node.model_validate({"kind": "generation", "country": "AZ", "lon": lon, "lat": lat,
                                "generation": {"capacity": "1 GW", "profile": profile, "capacity_factor": cf}})


@pytest.mark.parametrize("profile, cf", [("wind", "38 %"), ("solar", "22 %"), ("flat", "60 %")])
def test_profiles_have_the_capacity_factor_as_mean(profile, cf):
    n = 8760
    x = generation_profile("g", node(profile, cf), n, np.random.default_rng(4))
    assert x.mean() == pytest.approx(float(cf.split()[0]) / 100, abs=1e-6)
    assert x.min() >= 0 and x.max() <= 1
    again = generation_profile("g", node(profile, cf), n, np.random.default_rng(4))
    assert np.array_equal(x, again)


def test_solar_is_dark_at_night_and_wind_blows_more_in_winter():
    n = 8760
    sun = generation_profile("g", node("solar", "22 %", lon=45.0), n, np.random.default_rng(5))
    hour = (np.arange(n) + 45.0 / 15) % 24  # local solar time, hour 0 is midnight UTC
    assert sun[(hour < 4) | (hour > 21)].max() == 0
    assert sun[(hour > 11) & (hour < 13)].mean() > 2.5 * sun.mean()
    wind = generation_profile("g", node("wind", "38 %"), n, np.random.default_rng(5))
    days = np.arange(n) // 24
    winter, summer = wind[(days < 59) | (days >= 334)], wind[(days >= 152) & (days < 243)]
    assert winter.mean() > summer.mean()
    x = np.asarray(wind)
    assert np.corrcoef(x[:-1], x[1:])[0, 1] > 0.8  # hour-to-hour persistence


def test_an_impossible_capacity_factor_is_a_user_error():
    from sim.errors import CorridorError

    with pytest.raises(CorridorError, match="capacity_factor"):
        scale_to_mean(np.array([0.0, 0.0, 1.0, 1.0]), 0.6)


def test_same_seed_same_numbers_for_power_and_data(scenarios_dir):
    sc = load_scenario(scenarios_dir / "energy_grid.yaml")
    net = Network(sc)
    a, b = (simulate_continuous(sc, net, Streams(11, 0), 0) for _ in range(2))
    c = simulate_continuous(sc, net, Streams(11, 1), 1)
    for fid in ("wind", "solar", "data"):
        assert np.array_equal(a.flows[fid].hourly, b.flows[fid].hourly)
        assert a.flows[fid].extra == b.flows[fid].extra
    assert a.outages == b.outages and a.links == b.links
    assert not np.array_equal(a.flows["wind"].hourly, c.flows["wind"].hourly)
    assert any(r["cause"] == "failure" for r in a.outages)  # the scenario does fail


def test_a_profile_file_is_read_and_repeated(tmp_path):
    path = tmp_path / "wind.csv"
    path.write_text("hour,cf\n0,0.5\n1,0.25\n2,0\n")
    n = Node.model_validate({"kind": "generation", "country": "AZ", "lon": 49, "lat": 40,
                             "generation": {"capacity": "1 GW", "capacity_factor": "25 %", "file": str(path)}})
    assert generation_profile("g", n, 7, np.random.default_rng(0)).tolist() == [0.5, 0.25, 0, 0.5, 0.25, 0, 0.5]
