"""A port's ship traffic (tonnes in and out, vessel calls, wagons, TEU, trucks): by hand on the
deterministic ferry, and as conservation laws between ports, links and the vessels' trace."""

from __future__ import annotations

import pytest

TWO_WAY = (
    "links.qp={from: q, to: p, mode: ferry, carrier: cargo, fleet: ships, transit: 10 h}",
    "flows.g={carrier: cargo, origin: q, destination: p, rate: 100 t/h, arrival: deterministic,"
    " mix: {wagon: 0.6, TEU: 0.4}}",
    "payload.wagon=50 t",
    "payload.TEU=10 t",
)


def test_one_way_shuttle_by_hand(run):
    """Trains reach p's quay at 17.4 + 10j h; the one 2000 t ferry fills at 27.4 h, loads 2 h,
    crosses 10 h, unloads 2 h (landed 41.4 h), returns 10 h to a full quay: takes at
    27.4 + 24k h and landings at 41.4 + 24k h, 41 of each before the 1005 h horizon."""
    rep = run("cargo_deterministic.yaml")
    p, q = rep.nodes["p"], rep.nodes["q"]
    assert (p["calls"], p["tonnes_out"], p["tonnes_in"], p["tonnes"]) == (41, 82_000, 0, 82_000)
    assert (q["calls"], q["tonnes_out"], q["tonnes_in"], q["tonnes"]) == (41, 0, 82_000, 82_000)
    for key in ("wagons", "teu", "trucks"):  # the flow has no unit mix: not measured
        assert key not in p and key not in q


def test_two_way_shuttle_by_hand(run):
    """A return flow g of 1000 t trains reaching q at 10j h (j >= 1) wakes the idle ferry at
    10 h; it sails empty to q (10 h) and, both quays then always holding two trains or more
    (100 t/h each way against 2000 t per 28 h), it loads at once at every call: takes at q at
    20 + 28k h (36 before the horizon), landings at p and takes at p at 34 + 28k h (35 each),
    landings at q at 48 + 28k h (35). A berthing to unload and then load is one call, as
    ports count them: p has 35 (land and take at 34 + 28k), q 36 (the take at 20 h after the
    empty leg, then land and take at 48 + 28k). The empty leg to q is no call."""
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", overrides=TWO_WAY, trace=events.append)
    loads = [e["t"] for e in events if e["event"] == "loading"]
    assert [t for t in loads if (t - 20) % 28 == pytest.approx(0)][:2] == [20, 48]  # q's takes
    p, q = rep.nodes["p"], rep.nodes["q"]
    assert (p["calls"], p["tonnes_out"], p["tonnes_in"]) == (35, 35 * 2000, 35 * 2000)
    assert (q["calls"], q["tonnes_out"], q["tonnes_in"]) == (36, 36 * 2000, 35 * 2000)
    assert p["tonnes"] == p["tonnes_in"] + p["tonnes_out"]
    # only flow g has a mix: 60 % of its tonnes in 50 t wagons, 40 % in 10 t TEU
    assert p["wagons"] == pytest.approx(35 * 2000 * 0.6 / 50)
    assert p["teu"] == pytest.approx(35 * 2000 * 0.4 / 10)
    assert q["wagons"] == pytest.approx(36 * 2000 * 0.6 / 50)
    assert q["teu"] == pytest.approx(36 * 2000 * 0.4 / 10)
    assert "trucks" not in p
    # the fleet's and the links' own counters: one voyage a take
    voyages = rep.links["pq"]["voyages"] + rep.links["qp"]["voyages"]
    assert voyages == rep.fleets["ships"]["voyages"] == 35 + 36


@pytest.mark.parametrize("index", [0, 1])
def test_ferry_ports_conserve_tonnes_and_calls(run, index):
    """cargo_ferry.yaml: Aktau and Kuryk load onto the shared fleet, Baku unloads it (ferries
    return empty). What left the loading ports in the window [warmup, horizon] either landed at
    Baku in it or is still on board at the end, less what was on board at its start:
        out(aktau) + out(kuryk) = in(baku) + on_board(horizon) - on_board(warmup)
    exactly, in kilograms, with on board from the vessels' trace (loaded, not yet landed). The
    calls are the links' voyages at the loading end, and at Baku those voyages less the ones
    still at sea at the end plus those at sea at the start."""
    events: list[dict] = []
    rep = run("cargo_ferry.yaml", index=index, trace=events.append)
    warmup, horizon = 30 * 24.0, 730 * 24.0
    loads = [e for e in events if e["event"] == "loading"]
    lands = [e for e in events if e["event"] == "unloaded"]

    def at_sea(t: float) -> tuple[int, int]:
        """(voyages, kilograms) loaded before `t` and not landed before it."""
        n = sum(1 for e in loads if e["t"] < t) - sum(1 for e in lands if e["t"] < t)
        kg = sum(round(e["t_cargo"] * 1000) for e in loads if e["t"] < t)
        kg -= sum(round(e["t_cargo"] * 1000) for e in lands if e["t"] < t)
        return n, kg

    (n0, kg0), (n1, kg1) = at_sea(warmup), at_sea(horizon)
    aktau, kuryk, baku = (rep.nodes[n] for n in ("aktau", "kuryk", "baku"))
    out_kg = round((aktau["tonnes_out"] + kuryk["tonnes_out"]) * 1000)
    assert out_kg == round(baku["tonnes_in"] * 1000) + kg1 - kg0
    assert aktau["tonnes_in"] == kuryk["tonnes_in"] == baku["tonnes_out"] == 0
    assert aktau["tonnes_out"] == pytest.approx(rep.links["aktau_baku"]["tonnes"])
    assert kuryk["tonnes_out"] == pytest.approx(rep.links["kuryk_baku"]["tonnes"])
    assert aktau["calls"] == rep.links["aktau_baku"]["voyages"]
    assert kuryk["calls"] == rep.links["kuryk_baku"]["voyages"]
    assert baku["calls"] == rep.fleets["caspian"]["voyages"] - n1 + n0
    assert out_kg > 0 and n0 + n1 > 0  # the window's edges are crossed: the check has teeth


def test_ferry_ports_count_units_of_each_flow(run):
    """Aktau loads the China flow (all TEU of 12 t) and the Kazakh flow (all 50 t wagons), Kuryk
    the China flow only: the units' tonnes add back to the port's tonnes. Poti loads onto Black
    Sea shipping (no fleet: tonnes, no calls) what its sea link carried."""
    rep = run("cargo_ferry.yaml")
    aktau, kuryk, baku, poti = (rep.nodes[n] for n in ("aktau", "kuryk", "baku", "poti"))
    assert aktau["teu"] * 12 + aktau["wagons"] * 50 == pytest.approx(aktau["tonnes_out"])
    assert aktau["wagons"] > 0 and aktau["teu"] > 0
    assert "wagons" not in kuryk and kuryk["teu"] * 12 == pytest.approx(kuryk["tonnes_out"])
    assert baku["teu"] * 12 + baku["wagons"] * 50 == pytest.approx(baku["tonnes_in"])
    assert poti["tonnes_out"] == pytest.approx(rep.links["poti_constanta"]["tonnes"])
    assert poti["tonnes_in"] == 0 and "calls" not in poti
    assert "tonnes" not in rep.nodes["khorgos"]



def test_units_are_conserved_per_direction_and_per_unit_type(run):
    """Wagons go p -> q and trucks q -> p on one shuttle (the trucks on the deck's truck rating):
    for each direction and unit, what the loading port counts out is what the far port counts in
    plus what is still on board at the end, from the vessel's trace of that link."""
    overrides = TWO_WAY[:1] + (
        "flows.f.mix={wagon: 1.0}",
        "flows.g={carrier: cargo, origin: q, destination: p, rate: 50 t/h, arrival: deterministic,"
        " consignment: truck, mix: {truck: 1.0}}",
        "payload.wagon=50 t", "payload.truck=25 t",
        "fleets.ships.capacity=40 wagon", "fleets.ships.deck={truck: 20 truck}",
    )
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", overrides=overrides, trace=events.append)
    p, q = rep.nodes["p"], rep.nodes["q"]

    def on_board_t(link: str) -> float:
        loaded = sum(e["t_cargo"] for e in events if e["event"] == "loading" and e["link"] == link)
        return loaded - sum(e["t_cargo"] for e in events if e["event"] == "unloaded" and e["link"] == link)

    assert p["wagons_out"] == pytest.approx(q["wagons_in"] + on_board_t("pq") / 50)
    assert q["trucks_out"] == pytest.approx(p["trucks_in"] + on_board_t("qp") / 25)
    assert p["wagons_out"] > 0 and q["trucks_out"] > 0
    assert "trucks_out" not in p and "wagons_out" not in q  # each unit goes one way only
    for node in (p, q):
        for unit in ("wagons", "trucks"):
            if unit in node:
                assert node[unit] == pytest.approx(node.get(f"{unit}_in", 0) + node.get(f"{unit}_out", 0))


def test_months_add_up_to_the_year_with_empties_in_units_not_tonnes(run):
    """With empty wagons going back on the shuttle, a port's twelve months of tonnes add up to its
    year's tonnes (the empties' tare in neither), and its months of wagons, each direction, to
    the year's wagons that way (the empties in both)."""
    overrides = TWO_WAY[:1] + (
        "flows.f.mix={wagon: 1.0}",
        "flows.g={carrier: cargo, origin: q, destination: p, rate: 40 t/h, arrival: deterministic,"
        " consignment: wagon, mix: {wagon: 1.0}, empties: true}",
        "payload.wagon=50 t", "fleets.ships.capacity=40 wagon",
        "simulation.horizon=2000 h",
    )
    rep = run("cargo_deterministic.yaml", overrides=overrides)
    p, q = rep.nodes["p"], rep.nodes["q"]
    assert p["wagons_in"] > 0 and q["wagons_out"] > 0  # empties moved
    assert p["tonnes_in"] == 0 and q["tonnes_out"] == 0  # ... and weigh nothing as cargo
    for nid, node in (("p", p), ("q", q)):
        for key in ("tonnes_in", "tonnes_out", "calls"):
            assert sum(rep.series[f"month:{nid}:{key}"]) == pytest.approx(node[key])
        for key in ("wagons_in", "wagons_out"):
            assert sum(rep.series.get(f"month:{nid}:{key}", [0.0])) == pytest.approx(node.get(key, 0.0))
