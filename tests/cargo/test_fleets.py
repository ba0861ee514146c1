"""Several fleets on one crossing: which cargo each takes, mixed loads on one deck, and where
vessels wait, by cause (tests/scenarios/cargo_deterministic.yaml and cargo_ferry.yaml)."""

from __future__ import annotations

import pytest

from sim.scenario.checks import references
from sim.scenario.loading import read_raw
from sim.scenario.schema import Scenario
from support import SCENARIOS

TRUCKS = (
    "payload.wagon=50 t",
    "payload.truck=25 t",
    "fleets.ships.capacity=40 wagon",  # 2000 t of wagons, or ...
    "fleets.ships.deck={truck: 20 truck}",  # ... 500 t of trucks on the same deck
    "flows.f.consignment=truck",
)


def test_a_deck_rated_in_wagons_carries_its_truck_rating_of_trucks(run):
    """Only trucks waiting, plenty of them (100 t/h against one 500 t deck every 24 h): every
    voyage under when_full takes exactly the deck's 20 trucks, 500 t, and fills the deck."""
    rep = run("cargo_deterministic.yaml", overrides=TRUCKS)
    link, fleet = rep.links["pq"], rep.fleets["ships"]
    assert link["voyages"] > 30
    assert link["tonnes"] == 500 * link["voyages"]
    assert fleet["load_factor"] == 1.0


def test_a_mixed_load_fills_the_deck_pro_rata(run):
    """Trains (1000 t, as wagons) and trucks (25 t) on one quay: each voyage's deck is full, so
    wagon tonnes / 2000 + truck tonnes / 500 = 1 a voyage: the tonnes carried lie between the
    all-truck 500 t and the all-wagon 2000 t a voyage, and the load factor is 1."""
    flows = ("flows.h={carrier: cargo, origin: a, destination: b, rate: 20 t/h, consignment: truck,"
             " arrival: deterministic}",)
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", overrides=TRUCKS[:-1] + flows, trace=events.append)
    loads = [e["t_cargo"] for e in events if e["event"] == "loading"]
    assert any(500 < t < 2000 for t in loads)  # some voyages mixed
    assert all(500 - 1e-9 <= t <= 2000 + 1e-9 for t in loads)
    assert rep.fleets["ships"]["load_factor"] == pytest.approx(1.0, abs=1e-6)


def test_each_consignment_takes_a_crossing_whose_fleet_carries_it(run):
    """Two links p -> q: rail ferries rated in wagons and a Ro-Ro rated in trucks. Trains take
    the rail ferry (the first link in file order that carries wagons), trucks the Ro-Ro."""
    two = (
        "payload.wagon=50 t", "payload.truck=25 t",
        "fleets.ships.capacity=40 wagon",
        "fleets.roro={kind: roro, vessels: 1, capacity: 20 truck, load: 1 h, unload: 1 h}",
        "links.pq_roro={from: p, to: q, mode: ferry, carrier: cargo, fleet: roro, transit: 12 h}",
        "flows.h={carrier: cargo, origin: a, destination: b, rate: 20 t/h, consignment: truck}",
    )
    rep = run("cargo_deterministic.yaml", overrides=two)
    trains = rep.flows["f"].extra["delivered_t"]
    assert rep.links["pq"]["tonnes"] >= trains - 2000  # all trains but what was afloat at the end
    assert rep.links["pq"]["tonnes"] % 1000 == 0  # whole trains only: no truck on the rail ferry
    assert rep.links["pq_roro"]["tonnes"] % 25 == 0 and rep.links["pq_roro"]["tonnes"] > 0
    assert rep.links["pq_roro"]["tonnes"] <= rep.flows["h"].arrived


@pytest.mark.parametrize("index", [0, 1])
def test_port_waits_by_cause_add_up_to_the_fleets_waits(run, index):
    """Every vessel-hour a fleet waits (berth, weather, departure rule, yard) is booked at the
    port where the vessel waited: summed over ports and causes they equal the fleet's waiting
    share of its vessel-hours in the measured period."""
    rep = run("cargo_ferry.yaml", index=index)
    s = Scenario.model_validate(read_raw(SCENARIOS / "cargo_ferry.yaml").data)
    span = s.simulation.horizon.value - s.simulation.warmup.value
    waited = sum(v for row in rep.nodes.values() for k, v in row.items() if k.startswith("vessel_wait_h:"))
    assert set(rep.fleets) == set(s.fleets)
    expected = sum(f["waiting_share"] * f["vessels"] * span for f in rep.fleets.values())
    assert waited == pytest.approx(expected, rel=1e-9)
    assert waited > 0
    causes = {k.split(":")[1] for row in rep.nodes.values() for k in row if k.startswith("vessel_wait_h:")}
    assert causes <= {"berth", "weather", "departure_rule", "yard_full"}
    for row in rep.nodes.values():
        for k, v in row.items():
            if k.startswith("wait_h_per_call:") and row.get("calls"):
                assert v == pytest.approx(row[k.replace("wait_h_per_call:", "vessel_wait_h:")] / row["calls"])


def problems(overrides: list[str]) -> dict:
    raw = read_raw(SCENARIOS / "cargo_deterministic.yaml", overrides)
    return dict(references(Scenario.model_validate(raw.data)))


def test_a_route_over_a_crossing_no_fleet_of_which_carries_its_unit_is_refused():
    found = problems(["payload.wagon=50 t", "payload.truck=25 t", "fleets.ships.capacity=40 wagon",
                      "flows.f.consignment=truck", "flows.f.routes={only: {path: [a, p, q, b]}}"])
    assert "takes truck consignments" in found[("flows", "f", "routes", "only", "path", 2)]


def test_a_fleet_home_must_be_one_of_its_ports():
    found = problems(["fleets.ships.home=b"])
    assert found[("fleets", "ships", "home")] == "'b' is not a port this fleet's links call at (expected one of p, q)"


def test_a_deck_in_a_unit_without_payload_is_refused():
    found = problems(["payload.wagon=50 t", "fleets.ships.capacity=40 wagon", "fleets.ships.deck={truck: 20 truck}"])
    assert found[("fleets", "ships", "deck", "truck")] == "capacity in trucks needs payload.truck"


def test_a_deck_figure_must_count_its_own_unit():
    with pytest.raises(ValueError, match="truck: expected a number of trucks"):
        Scenario.model_validate(read_raw(SCENARIOS / "cargo_deterministic.yaml",
                                         ["payload.wagon=50 t", "fleets.ships.capacity=40 wagon",
                                          "fleets.ships.deck={truck: 20 wagon}"]).data)


def test_a_target_cannot_count_empties():
    found = problems(["flows.f.empties=true",
                      "targets.t={carrier: cargo, value: 1 Mt/yr, flows: [f]}"])
    assert "moves empties" in found[("targets", "t", "flows", 0)]


def test_trucks_take_whichever_fleet_is_expected_sooner(run):
    """Rail ferries that also take trucks and a Ro-Ro on the same crossing: with more trucks than
    either fleet alone carries (100 t/h against 500 t a day on each), both carry trucks, and
    every truck that left p was landed at q or is still afloat or on a quay."""
    two = TRUCKS + (
        "fleets.roro={kind: roro, vessels: 1, capacity: 20 truck, load: 2 h, unload: 2 h}",
        "links.pq_roro={from: p, to: q, mode: ferry, carrier: cargo, fleet: roro, transit: 10 h}",
    )
    rep = run("cargo_deterministic.yaml", overrides=two)
    rail, roro = rep.links["pq"]["tonnes"], rep.links["pq_roro"]["tonnes"]
    assert rail > 0 and roro > 0
    assert abs(rail - roro) <= 0.25 * (rail + roro)  # the same pace, so about half each
    assert rep.flows["f"].extra["delivered_t"] <= rail + roro


def test_a_batch_is_one_consignment_of_several_units(run):
    """Trucks arriving four at a time: a quarter of the consignments, the same deck loads (20
    trucks, 500 t a voyage), and the tonnes arrive at the flow's rate."""
    one = run("cargo_deterministic.yaml", overrides=TRUCKS)
    four = run("cargo_deterministic.yaml", overrides=TRUCKS + ("flows.f.batch=4",))
    assert four.flows["f"].extra["consignments_arrived"] == pytest.approx(
        one.flows["f"].extra["consignments_arrived"] / 4, abs=1)
    assert four.flows["f"].arrived == pytest.approx(one.flows["f"].arrived, abs=100)
    assert four.links["pq"]["tonnes"] == 500 * four.links["pq"]["voyages"]


def test_a_vessel_waiting_for_cargo_gives_way_to_a_ship_waiting_for_its_berth(run):
    """p's one berth: the ferry waits there for a full 2000 t (two trains, one every 20 h), about
    16 h a cycle. Alone it always sails full; with other ships calling at that berth it sails
    with what it has when one of them waits, so some voyages carry one train; nothing is lost."""
    slow = ("flows.f.rate=50 t/h",)
    alone = run("cargo_deterministic.yaml", overrides=slow)
    busy = run("cargo_deterministic.yaml", overrides=slow + (
        "nodes.p.port.traffic={bulk: {berth: ferry, rate: 0.2 Mt/yr, call: 1000 t, direction: out}}",))
    assert alone.fleets["ships"]["load_factor"] == 1.0
    assert busy.fleets["ships"]["load_factor"] < 1.0
    assert busy.links["pq"]["tonnes"] % 1000 == 0  # whole trains only
    f = busy.flows["f"].extra
    assert f["arrived_total_kg"] == f["delivered_total_kg"] + f["in_system_kg"] + f["turned_away_total_kg"]


def test_a_fleet_s_quay_wait_is_its_ports_wait_when_it_alone_loads_there():
    # cargo leaves port p only by the one ferry: the fleet's kilogram-weighted quay wait and the
    # port's own queue statistic (measured apart, per consignment) are the same trains' waits
    from sim.scenario.loading import load_scenario
    from sim.simulate import simulate

    result = simulate(load_scenario(SCENARIOS / "cargo_deterministic.yaml"), replications=1, seed=1)
    quay = result.table_means("fleets")["ships"]["quay_wait_h_mean"]
    assert quay > 10  # two trains a 24 h cycle against 2.4 arriving: the quay fills
    assert quay == pytest.approx(result.table_means("nodes")["p"]["wait_h_mean"], rel=1e-9)
