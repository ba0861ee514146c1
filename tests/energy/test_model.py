"""One replication of the continuous carriers: the same seed gives the same numbers, another
replication other numbers; only the chosen carriers run; links no flow uses still report."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.energy import CARRIERS
from sim.energy.model import simulate_continuous
from sim.network import Network
from sim.replications import Streams
from sim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_the_continuous_carriers_are_every_carrier_but_cargo():
    assert frozenset({"oil", "power", "data", "hydrogen", "ammonia"}) == CARRIERS


def test_same_seed_same_numbers_for_power_and_data():
    sc = load_scenario(SCENARIOS / "energy_grid.yaml")
    net = Network(sc)
    a, b = (simulate_continuous(sc, net, Streams(11, 0), 0) for _ in range(2))
    c = simulate_continuous(sc, net, Streams(11, 1), 1)
    for fid in ("wind", "solar", "data"):
        assert np.array_equal(a.flows[fid].hourly, b.flows[fid].hourly)
        assert a.flows[fid].extra == b.flows[fid].extra
    assert a.outages == b.outages and a.links == b.links
    assert not np.array_equal(a.flows["wind"].hourly, c.flows["wind"].hourly)
    assert any(r["cause"] == "failure" for r in a.outages)  # the scenario does fail


def test_only_the_chosen_carriers_are_simulated():
    sc = load_scenario(SCENARIOS / "energy_grid.yaml")
    rep = simulate_continuous(sc, Network(sc), Streams(11, 0), 0, ("data",))
    assert set(rep.flows) == {"data"}
    assert set(rep.links) == {"fibre", "fibre_reserve"}
    assert all(r["component"] in ("fibre", "fibre_reserve") for r in rep.outages)


def test_a_link_no_flow_uses_reports_its_availability():
    sc = load_scenario(SCENARIOS / "energy_pipeline.yaml", [
        "links.back={from: c, to: a, mode: pipeline, carrier: oil, capacity: 5 Mt/yr, "
        "reliability: {outages: [{start: 0 h, duration: 250 h}]}}"])
    rep = simulate_continuous(sc, Network(sc), Streams(1, 0), 0)
    assert rep.links["back"] == {"availability": 0.75, "utilisation": 0.0}
