"""The power model against hand computation: a chain with losses and a pole outage, a flow
below the chain's capacity, and two flows sharing a cable in scenario order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.energy.model import simulate_continuous
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import Streams
from sim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TWH = HOURS_PER_YEAR / 1000  # mean GW -> TWh a year


def run(name, *overrides):
    sc = load_scenario(SCENARIOS / name, list(overrides))
    return sc, simulate_continuous(sc, Network(sc), Streams(sc.simulation.seed, 0), 0, ("power",))


def test_chain_delivers_the_minimum_of_its_links_less_losses():
    _, rep = run("energy_chain.yaml")
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
    assert rec.extra["generation_twh"] == pytest.approx(gen * TWH, rel=1e-6)
    assert rec.extra["firm_95_gw"] == pytest.approx(half, rel=1e-6)  # 20 % of hours at half
    assert rec.extra["hours_below_target"] == 1000
    assert rec.extra["lp_dispatch"] == 0.0
    assert rep.links["l2"]["availability"] == pytest.approx(1 - 0.5 * 200 / 1000)
    l2_in = (800 * 3.6 + 200 * 1.8) / 1000
    assert rep.links["l2"]["utilisation"] == pytest.approx(l2_in / 3.6, rel=1e-6)
    assert rep.links["l2"]["losses_twh"] == pytest.approx(l2_in * (1 - e2) * TWH, rel=1e-6)
    assert rep.series["delivered:export"][:4] == pytest.approx([full, full, full, full], rel=1e-6)


def test_a_flow_below_the_chain_capacity_is_delivered_in_full():
    _, rep = run("energy_chain.yaml", "flows.export.rate=1.5 GW")
    rec = rep.flows["export"]
    assert rec.delivered == pytest.approx(1.5) and rec.extra["hours_below_target"] == 0
    assert rec.extra["share_hours_at_rate"] == 1.0 and rec.extra["lost_to_outages_twh"] == 0


def test_flows_share_a_cable_in_scenario_order():
    _, rep = run("energy_chain.yaml", "flows.export.rate=2 GW",
                 "flows.second={carrier: power, origin: s1, destination: d, rate: 2 GW}",
                 "links.l2.reliability=null", "links.l2.loss_per_1000km=0 %", "links.l2.converter_loss=0 %",
                 "links.l3.loss_per_1000km=0 %")
    assert rep.flows["export"].delivered == pytest.approx(2.0)
    assert rep.flows["second"].delivered == pytest.approx(3.6 - 2.0)  # what export leaves of l2
    assert rep.flows["second"].extra["generation_twh"] == 0.0  # s1 is a grid, not a generation site


def test_a_meshed_power_network_is_dispatched_by_the_lp():
    """A lossy bypass s1 -> d beside l2 + l3, and a second flow from s2 on l3: the export's
    branches are shared, so the LP dispatches. Without line losses the export takes 3.6 GW on
    l2 and l3, and 0.3 GW (less 1 %) on the bypass, the rest of l1; the local flow what it
    leaves of l3."""
    lossless = ["links.l1.loss_per_1000km=0 %", "links.l2.loss_per_1000km=0 %", "links.l2.converter_loss=0 %",
                "links.l3.loss_per_1000km=0 %", "links.l3.capacity=4 GW", "links.l2.reliability=null"]
    _, rep = run("energy_chain.yaml", *lossless,
                 "links.bypass={from: s1, to: d, mode: hvac_overhead, carrier: power, capacity: 1 GW, "
                 "length: 100 km, loss_per_1000km: 10 %}",
                 "flows.local={carrier: power, origin: s2, destination: d, rate: 1 GW}")
    export, local = rep.flows["export"], rep.flows["local"]
    assert export.extra["lp_dispatch"] == 1.0 and local.extra["lp_dispatch"] == 1.0
    assert export.delivered == pytest.approx(3.6 + 0.3 * 0.99, abs=1e-6)
    assert local.delivered == pytest.approx(4.0 - 3.6, abs=1e-6)
    assert rep.links["bypass"]["utilisation"] == pytest.approx(0.3, abs=1e-6)
