"""Ferries against hand-computed timetables: each departure rule, and trains split between
vessels without losing a kilogram."""

from __future__ import annotations

import pytest

from sim.cargo.model import CargoModel, collect
from sim.fleet import WAITS
from sim.network import Network
from sim.replications import Replication, Streams
from sim.scenario.loading import load_scenario


def test_max_wait_rule_sails_part_full(run):
    """5-train ferry, max wait 15 h after berthing; trains reach the quay at 17.4 + 10j h.
    It berths at 17.4 h (train 1) and sails at 32.4 h with 2 trains; back (14 h out, 10 h
    back) at 56.4 h it sails at 71.4 h with what came since, and so on every 39 h: takes at
    32.4 + 39k h. The seventh take (266.4 h) leaves every train that reached the quay by then
    (25), delivered 17.1 h later, before the 305 h horizon."""
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", trace=events.append, overrides=(
        "simulation.horizon=305 h", "fleets.ships.capacity=5000 t",
        "fleets.ships.departure={rule: when_full_or_max_wait, max_wait: 15 h}"))
    loadings = [e for e in events if e["event"] == "loading"]
    assert [e["t"] for e in loadings] == pytest.approx([32.4 + 39 * k for k in range(7)])
    quay = [17.4 + 10 * j for j in range(30)]
    takes = [32.4 + 39 * k for k in range(7)]
    counts = [sum(1 for t in quay if a < t <= b) for a, b in zip([0.0] + takes, takes)]
    assert [e["t_cargo"] for e in loadings] == [1000.0 * n for n in counts]  # 2, 4, 4, 4, 4, 4, 3
    assert rep.fleets["ships"]["voyages"] == 7
    assert rep.flows["f"].extra["consignments_arrived"] == 30
    assert rep.flows["f"].extra["consignments_delivered"] == sum(counts) == 25


def test_schedule_rule_sails_at_slots(run):
    """Sailings every 24 h: slots at 24, 48, ... 288 h (12 loaded departures by 305 h), each
    with the trains that reached the quay since the last; slot s delivers at s + 17.024 h, so
    slots up to 264 h deliver every train that reached the quay by then: 25 trains."""
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", trace=events.append, overrides=(
        "simulation.horizon=305 h", "fleets.ships.capacity=5000 t",
        "fleets.ships.departure={rule: schedule, interval: 24 h}"))
    assert rep.fleets["ships"]["voyages"] == 12
    assert rep.flows["f"].extra["consignments_delivered"] == 25
    loadings = [e["t"] for e in events if e["event"] == "loading"]
    assert loadings == pytest.approx([24.0 * k for k in range(1, 13)])


def test_trains_are_split_between_ferries_and_still_conserved(run):
    """1500 t trains on 2500 t ferries: some trains cross on two vessels (more lots reach
    Poti than trains left China), yet every kilogram is accounted for."""
    rep = run("cargo_ferry.yaml", 1, overrides=("simulation.horizon=200 d",))
    trains = sum(r.extra["consignments_arrived"] for r in rep.flows.values())
    assert rep.nodes["poti"]["arrivals"] > 1.2 * trains * (170 / 200) * 0.9
    x = rep.flows["china"].extra
    assert x["arrived_total_kg"] == x["delivered_total_kg"] + x["in_system_kg"] + x["turned_away_total_kg"]


def test_ferry_waits_split_by_cause_add_up_to_the_waiting_share(scenarios_dir):
    """Every waiting hour of the fleet is booked to one cause, storms among them."""
    s = load_scenario(scenarios_dir / "cargo_ferry.yaml", ["simulation.horizon=200 d"])
    m = CargoModel(s, Network(s), Streams(s.simulation.seed, 0))
    m.start()
    m.env.run(until=m.horizon)
    collect(m, Replication(0))
    (fleet,) = m.fleets.values()
    waits = {w: fleet.detail.get(w, 0.0) for w in WAITS}
    assert sum(waits.values()) == pytest.approx(fleet.hours["waiting"], rel=1e-9)
    assert waits["waiting_cargo"] > 0 and waits["waiting_weather"] > 0
    assert sum(fleet.hours.values()) == pytest.approx(len(fleet.vessels) * (m.horizon - m.warmup))
