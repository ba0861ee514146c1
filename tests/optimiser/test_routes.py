"""The route-aware bound: flows move as the simulator moves them, fleets sail both ways in
balanced round trips, berths are shared by the calls of both directions; at low load the
bound is what the simulation delivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.network import HOURS_PER_YEAR, Network
from sim.optimiser import optimise
from sim.optimiser.model import Corridor
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]


def shuttle(load_h: float, unload_h: float, *, west: float, east: float, vessels: int = 20,
            unit: str = "t", routing: str = "simulated") -> Scenario:
    """Two ports, one berth each, a fleet of ferries both ways: 1000 t a voyage of bulk, or 20
    wagons (50 trucks on the same deck)."""
    flow = {"carrier": "cargo", "consignment": unit}
    deck = ({"capacity": "1000 t"} if unit == "t" else
            {"capacity": "20 wagon", "deck": {"truck": "50 truck"}})
    return Scenario.model_validate({
        "name": "shuttle", "description": "a ferry shuttle", "year": 2030,
        "optimiser": {"routing": routing},
        "payload": {"truck": "20 t", "wagon": "50 t"},
        "nodes": {p: {"kind": "port", "country": "KZ", "lon": 50 + i, "lat": 42,
                      "port": {"berths": {"ferry": {"count": 1, "service": "1 h"}}}}
                  for i, p in enumerate(("a", "b"))},
        "links": {"ab": {"from": "a", "to": "b", "mode": "ferry", "carrier": "cargo", "fleet": "f",
                         "transit": "10 h"},
                  "ba": {"from": "b", "to": "a", "mode": "ferry", "carrier": "cargo", "fleet": "f",
                         "transit": "10 h"}},
        "fleets": {"f": {"kind": "ferry", "vessels": vessels, **deck, "load": f"{load_h} h",
                         "unload": f"{unload_h} h"}},
        "flows": {"w": {**flow, "origin": "a", "destination": "b", "rate": f"{west} Mt/yr"},
                  "e": {**flow, "origin": "b", "destination": "a", "rate": f"{east} Mt/yr"}},
        "targets": {"both": {"carrier": "cargo", "value": "1 Mt/yr", "flows": ["w", "e"]}},
    })


def test_a_berth_is_shared_by_the_calls_of_both_directions():
    # each port's one berth loads one way (4 h) and unloads the other (2 h): 8766 / 6 round-trip
    # calls a year of 1000 t each way, whatever the fleet (20 vessels are plenty)
    r = optimise(shuttle(4, 2, west=100, east=100), n_minus_1=False)
    assert r.targets["both"].max_alone == pytest.approx(2 * HOURS_PER_YEAR / 6 * 1000 / 1e6)
    assert r.targets["both"].binding_nodes in (["a"], ["b"], ["a", "b"])  # both full: a dual on either


def test_a_backhaul_rides_the_round_trip_the_fleet_sails_anyway():
    # 2 vessels; loaded 4 + 10 + 2 = 16 h a voyage either way. West alone: 16 h out + 10 h back
    # empty. Adding east cargo turns the empty leg into a loaded one (6 h more a round trip).
    one_way = optimise(shuttle(4, 2, west=100, east=0, vessels=2), n_minus_1=False)
    both = optimise(shuttle(4, 2, west=100, east=100, vessels=2), n_minus_1=False)
    assert one_way.targets["both"].max_alone == pytest.approx(2 * HOURS_PER_YEAR / 26 * 1000 / 1e6)
    assert both.targets["both"].max_alone == pytest.approx(2 * 2 * HOURS_PER_YEAR / 32 * 1000 / 1e6)
    assert both.targets["both"].binding_fleets == ["f"]


def test_a_deck_fills_in_the_flow_s_own_unit():
    # trucks: 50 of 20 t = 1000 t a voyage; wagons: 20 of 50 t = 1000 t: the same; but trucks of
    # 10 t fill the deck with 500 t
    m = Corridor(Network(shuttle(4, 2, west=1, east=1, unit="truck")))
    assert m.voyages_per_mt("w", "ab") == pytest.approx(1e6 / (50 * 20))
    lighter = shuttle(4, 2, west=1, east=1, unit="truck").model_dump(by_alias=True)
    lighter["payload"]["truck"] = "10 t"
    m = Corridor(Network(Scenario.model_validate(lighter)))
    assert m.voyages_per_mt("w", "ab") == pytest.approx(1e6 / (50 * 10))


def routed(shares: tuple[float, float], routing: str = "simulated") -> Scenario:
    """Two routes s-p-t and s-q-t; the p route is narrow (0.6 Mt/yr)."""
    cap = {"sp": 0.6, "pt": 10, "sq": 10, "qt": 10}
    return Scenario.model_validate({
        "name": "routed", "description": "two routes in shares", "year": 2030,
        "optimiser": {"routing": routing},
        "nodes": {n: {"kind": "junction", "country": "KZ", "lon": 50 + i, "lat": 42}
                  for i, n in enumerate("spqt")},
        "links": {lid: {"from": lid[0], "to": lid[1], "mode": "rail", "carrier": "cargo",
                        "capacity": f"{c} Mt/yr"} for lid, c in cap.items()},
        "flows": {"f": {"carrier": "cargo", "origin": "s", "destination": "t", "rate": "4 Mt/yr",
                        "consignment": "t",
                        "routes": {"via_p": {"path": ["s", "p", "t"], "share": shares[0]},
                                   "via_q": {"path": ["s", "q", "t"], "share": shares[1]}}}},
        "targets": {"t4": {"carrier": "cargo", "value": "4 Mt/yr", "flows": ["f"]}},
    })


def test_each_route_carries_at_most_its_share_of_the_rate():
    r = optimise(routed((0.3, 0.7)), n_minus_1=False).targets["t4"]
    assert r.max_alone == pytest.approx(0.6 + 0.7 * 4)  # the narrow route holds back its 1.2
    assert r.max_network == pytest.approx(0.6 + 10)  # any split, no cap at the rate
    assert r.binding == ["sp"]
    # the mix grows until the narrow route is full: 0.6 / (0.3 x 4) = 0.5 of the rates
    assert r.growth == pytest.approx(0.5)


def test_free_routing_is_the_network_max_flow():
    r = optimise(routed((0.3, 0.7), routing="free"), n_minus_1=False).targets["t4"]
    assert r.max_alone == pytest.approx(r.max_network) and r.max_network == pytest.approx(10.6)


def low_load() -> tuple[Scenario, float]:
    """baseline-2023 with every cargo flow at 35% of its rate (before 1 January too)."""
    base = load_scenario(ROOT / "scenarios" / "baseline-2023.yaml")
    sets = []
    for fid, f in base.flows.items():
        if f.carrier == "cargo":
            sets.append(f"flows.{fid}.rate={0.35 * f.rate.value:.6g} Mt/yr")
            sets.append(f"flows.{fid}.previous_rate={0.35 * f.rate.value:.6g} Mt/yr")
    return load_scenario(ROOT / "scenarios" / "baseline-2023.yaml", sets), 0.35


def test_at_low_load_the_bound_is_what_the_simulation_delivers():
    scenario, _ = low_load()
    t = optimise(scenario, n_minus_1=False).targets["cargo_titr_2023"]
    # the flows could double at their mix with every other flow running: some way of carrying
    # them keeps every capacity under half used
    assert t.growth is not None and t.growth > 2
    bound = t.max_together
    result = simulate(scenario, replications=3, seed=11)
    simulated = result.target("cargo_titr_2023")["mean"]
    assert simulated == pytest.approx(bound, rel=0.05)
