"""Storage and dispatchable plants (`sim.energy.storage`): hand cases, the rolling horizon against
the whole-horizon LP, the energy balance, and the schema's refusals."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import numpy as np
import pytest
from pydantic import ValidationError

from sim.energy.dispatch import dispatch_lp
from sim.energy.model import simulate_continuous
from sim.errors import CorridorError
from sim.energy.paths import Element, Path
from sim.energy.storage import Carry, PlantSpec, StoreSpec, dispatch_storage, dispatch_windows
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import Streams
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Node

SCENARIOS = FilePath(__file__).resolve().parents[1] / "scenarios"
TWH = HOURS_PER_YEAR / 1000  # mean GW -> TWh a year


def chain(flow: str, origin: str, *elements: tuple[str, float, float]) -> Path:
    return Path(flow, origin, tuple(Element(k, c, e) for k, c, e in elements))


def square_wave(days: int, high: float = 2.0) -> np.ndarray:
    return np.tile(np.r_[np.full(12, high), np.zeros(12)], days)


def test_battery_shifts_a_square_wave_by_hand() -> None:
    """2 GW for 12 h, nothing for 12 h, a 1 GW flow, a 1 GW / 12 GWh battery at 81 % round trip
    (90 % each way), empty on 1 January: by day, 1 GW delivered and 1 GW charged (10.8 GWh
    stored); by night 10.8 x 0.9 = 9.72 GWh delivered. 21.72 GWh a day, every day."""
    days = 10
    n = 24 * days
    path = chain("f", "o", ("link:a", 5.0, 1.0))
    out = dispatch_storage({"f": [path]}, {"f": 1.0}, {"link:a": np.full(n, 5.0)}, {"o": square_wave(days)},
                           {"o.b": StoreSpec("o", 1.0, 12.0, 0.81, initial=0.0)}, {}, n)
    per_day = out.delivered["f"].reshape(days, 24).sum(axis=1)
    np.testing.assert_allclose(per_day, 12 + 12 * 0.9 * 0.9, rtol=0, atol=1e-7)
    day = out.delivered["f"].reshape(days, 24)
    np.testing.assert_allclose(day[:, :12], 1.0, atol=1e-9)  # the sun hours at the rate
    np.testing.assert_allclose(out.state["o.b"].reshape(days, 24)[:, 11], 10.8, atol=1e-7)  # full at dusk
    np.testing.assert_allclose(out.curtailed["o"].sum(), 0.0, atol=1e-7)  # 1 GW sent + 1 GW charged


def small_case(n: int) -> tuple[dict[str, list[Path]], dict[str, float], dict[str, np.ndarray],
                                 dict[str, np.ndarray], dict[str, StoreSpec], dict[str, PlantSpec]]:
    """Two flows from a solar site with a battery and from a wind site with a gas plant, sharing a
    lossy cable: a daily cycle (the battery empties every night) the look-ahead sees whole."""
    rng = np.random.default_rng(5)
    hours = np.arange(n)
    sun = np.clip(np.sin((hours % 24 - 6) / 12 * np.pi), 0, None) * rng.uniform(0.5, 1.0, n // 24).repeat(24)
    wind = rng.uniform(0.0, 1.0, n)
    paths = {"solar": [chain("solar", "s", ("link:s", 3.0, 0.99), ("link:cable", 2.5, 0.97))],
             "wind": [chain("wind", "w", ("link:w", 3.0, 0.98), ("link:cable", 2.5, 0.97))]}
    rates = {"solar": 1.2, "wind": 1.0}
    caps = {"link:s": np.full(n, 3.0), "link:w": np.full(n, 3.0),
            "link:cable": np.where((hours > 100) & (hours < 130), 1.0, 2.5)}  # an outage halfway
    supply = {"s": 3.0 * sun, "w": 1.5 * wind}
    stores = {"s.battery": StoreSpec("s", 0.8, 3.0, 0.85, soc_min=0.1, soc_max=0.9, initial=0.1)}
    plants = {"w.gas": PlantSpec("w", 0.6, 0.9, ramp=0.25, fuel_cost=60.0, min_output=0.1)}
    return paths, rates, caps, supply, stores, plants


def test_rolling_horizon_equals_the_whole_horizon_lp() -> None:
    n = 24 * 9
    paths, rates, caps, supply, stores, plants = small_case(n)
    whole = dispatch_storage(paths, rates, caps, supply, stores, plants, n, window=n, lookahead=0)
    rolling = dispatch_storage(paths, rates, caps, supply, stores, plants, n, window=24, lookahead=24)
    # each hour's delivery, and each flow's over the horizon (which flow of two sharing the cable
    # takes an hour is decided only by weights of order 1e-8 / H: not unique to the solver)
    np.testing.assert_allclose(sum(rolling.delivered.values()), sum(whole.delivered.values()), rtol=0, atol=1e-6)
    for f in paths:
        assert rolling.delivered[f].sum() == pytest.approx(whole.delivered[f].sum(), abs=1e-6)
    assert whole.discharge["s.battery"].sum() > 1.0  # the battery does work in this case
    assert whole.output["w.gas"].sum() > 1.0


def test_without_stores_the_lp_delivers_what_the_exact_dispatch_delivers() -> None:
    """No store and no plant: every hour stands alone, so the windowed LP (its single-flow rows
    turned into bounds on that flow, shared ones kept as rows) must deliver what `dispatch_lp`
    (the lexicographic LP, solved hour by hour) delivers. The case has every kind of row both
    ways: an origin feeding two flows and one feeding one; a cable two flows share and lines one
    path alone uses; a flow with two routes (its rate a row) and flows with one (a bound); an
    origin without generation; outages to zero; rates, supply and capacities each binding."""
    n = 24 * 5
    rng = np.random.default_rng(11)
    hours = np.arange(n)
    paths = {"first": [chain("first", "a", ("link:a1", 2.0, 0.98), ("link:cable", 2.5, 0.95)),
                       chain("first", "a", ("link:a2", 1.0, 0.97), ("link:spur", 1.0, 0.99))],
             "second": [chain("second", "a", ("link:a3", 1.5, 0.98), ("link:cable", 2.5, 0.95))],
             "third": [chain("third", "b", ("link:b1", 1.2, 0.96))],
             "fourth": [chain("fourth", "c", ("link:c1", 1.0, 1.0))]}
    rates = {"first": 1.8, "second": 1.2, "third": 0.9, "fourth": 0.5}
    caps = {"link:a1": np.full(n, 2.0), "link:a2": np.where(hours % 17 < 3, 0.0, 1.0),
            "link:a3": np.full(n, 1.5), "link:spur": np.full(n, 1.0),
            "link:cable": np.where((hours > 30) & (hours < 60), 1.0, 2.5),
            "link:b1": np.where(hours % 11 == 0, 0.0, 1.2), "link:c1": np.full(n, 1.0)}
    supply = {"a": rng.uniform(0.0, 4.5, n), "b": rng.uniform(0.0, 1.5, n)}  # c: no generation
    ranks = {f: len(paths) - 1 - i for i, f in enumerate(paths)}
    ours = dispatch_windows(paths, rates, caps, supply, {}, {}, n, 0, n, 48, 12, 1000.0, Carry(), ranks)
    exact = dispatch_lp(paths, rates, caps, {**supply, "c": np.zeros(n)}, n)
    routed = dispatch_storage(paths, rates, caps, supply, {}, {}, n)  # no store: the exact rule, group by group
    for f in paths:
        np.testing.assert_allclose(routed.delivered[f], exact.delivered[f], rtol=1e-8, atol=1e-8)
    for f in paths:
        np.testing.assert_allclose(ours.delivered[f], exact.delivered[f], rtol=1e-8, atol=1e-8)  # its levels: 1e-9
    assert (ours.delivered["first"] > rates["first"] - 1e-6).any()  # each limit binds somewhere
    assert (caps["link:cable"] - ours.usage["link:cable"] < 1e-6).any()
    assert (ours.delivered["third"] < 1e-9).any() and (ours.delivered["third"] > 0.9 - 1e-6).any()
    assert (np.abs(ours.sent["third"] - supply["b"]) < 1e-9).any()
    np.testing.assert_allclose(ours.delivered["fourth"], 0.0, atol=1e-12)


def test_energy_balance_and_limits() -> None:
    """generation + plant = delivered + line losses + store losses + curtailed + change in store."""
    n = 24 * 9
    paths, rates, caps, supply, stores, plants = small_case(n)
    out = dispatch_storage(paths, rates, caps, supply, stores, plants, n, window=48, lookahead=24)
    gen = sum(s.sum() for s in supply.values()) + sum(g.sum() for g in out.output.values())
    delivered = sum(out.delivered[f].sum() for f in paths)
    line_losses = sum(out.sent[f].sum() - out.delivered[f].sum() for f in paths)
    store_losses, change = 0.0, 0.0
    for k, s in stores.items():
        eta = math.sqrt(s.round_trip_efficiency)
        store_losses += (out.charge[k] * (1 - eta) + out.discharge[k] * (1 / eta - 1)).sum()
        change += out.state[k][-1] - s.initial * s.energy
    curtailed = sum(c.sum() for c in out.curtailed.values())
    assert gen == pytest.approx(delivered + line_losses + store_losses + curtailed + change, rel=0, abs=1e-9)
    assert min(c.min() for c in out.curtailed.values()) > -1e-9
    for k, s in stores.items():  # state of charge within its limits; charge and discharge within power
        assert out.state[k].min() >= s.soc_min * s.energy - 1e-9
        assert out.state[k].max() <= s.soc_max * s.energy + 1e-9
        assert out.charge[k].max() <= s.power + 1e-9 and out.discharge[k].max() <= s.power + 1e-9
    for f in paths:
        assert out.delivered[f].max() <= rates[f] + 1e-9
    cable = out.usage["link:cable"]
    assert (cable <= caps["link:cable"] + 1e-9).all()


def test_plant_covers_a_shortfall_within_its_ramp() -> None:
    """1 GW of wind falls to 0.2 GW for hours 10-20; a 1 GW plant ramping 20 % an hour covers the
    0.8 GW gap by starting early (0.2, 0.4, 0.6 GW in hours 7-9: spilled, as the wind still
    fills the rate) and ramping down after: 11 x 0.8 + 2 x (0.2 + 0.4 + 0.6) = 11.2 GWh, every
    hour at the 1 GW rate."""
    n = 36
    supply = np.ones(n)
    supply[10:21] = 0.2
    path = chain("f", "o", ("link:a", 2.0, 1.0))
    out = dispatch_storage({"f": [path]}, {"f": 1.0}, {"link:a": np.full(n, 2.0)}, {"o": supply}, {},
                           {"o.gas": PlantSpec("o", 1.0, 1.0, ramp=0.2, fuel_cost=80.0)}, n)
    g = out.output["o.gas"]
    np.testing.assert_allclose(out.delivered["f"], 1.0, atol=1e-9)
    assert np.abs(np.diff(g)).max() <= 0.2 + 1e-9
    np.testing.assert_allclose(g[10:21], 0.8, atol=1e-9)
    assert g.sum() == pytest.approx(11.2, abs=1e-7)


def test_plant_availability_derates_its_capacity() -> None:
    """A 0.5 GW plant 60 % available gives at most 0.3 GW against a 0.8 GW gap, every hour (its
    first hour has no ramp limit: nothing came before it)."""
    n = 10
    supply = np.full(n, 0.2)
    path = chain("f", "o", ("link:a", 2.0, 1.0))
    out = dispatch_storage({"f": [path]}, {"f": 1.0}, {"link:a": np.full(n, 2.0)}, {"o": supply}, {},
                           {"o.gas": PlantSpec("o", 0.5, 0.6, ramp=0.2, fuel_cost=10.0)}, n)
    np.testing.assert_allclose(out.output["o.gas"], 0.3, atol=1e-9)  # 0.5 GW x 60 % available
    np.testing.assert_allclose(out.delivered["f"], 0.5, atol=1e-9)


def generation_node(**blocks: object) -> dict[str, object]:
    return {"kind": "generation", "country": "AZ", "lon": 49.0, "lat": 40.0,
            "generation": {"capacity": "2 GW", "capacity_factor": "30 %"}, **blocks}


BATTERY = {"kind": "battery", "power": "1 GW", "energy": "4 GWh", "round_trip_efficiency": "85 %"}


@pytest.mark.parametrize(("store", "message"), [
    ({**BATTERY, "soc_min": "60 %", "soc_max": "40 %"}, "soc_min .60 %. is above soc_max .40 %."),
    ({**BATTERY, "initial": "5 %", "soc_min": "10 %"}, "initial .5 %. must lie between soc_min"),
    ({**BATTERY, "energy": "0 GWh"}, r"stores.b.energy\n.*must be > 0"),
    ({**BATTERY, "energy": "4 GW"}, r"stores.b.energy\n.*expected a quantity in GWh"),
    ({**BATTERY, "round_trip_efficiency": "120 %"}, "round_trip_efficiency\n.*share between 0 and 1"),
    ({**BATTERY, "kind": "flywheel"}, r"stores.b.kind"),
    ({**BATTERY, "charge": "1 GW"}, r"stores.b.charge\n.*Extra inputs are not permitted"),
])
def test_bad_stores_are_refused_with_their_key_path(store: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Node.model_validate(generation_node(stores={"b": store}))


def test_stores_and_plants_need_a_generation_site() -> None:
    grid = {"kind": "generation", "country": "AZ", "lon": 49.0, "lat": 40.0}
    with pytest.raises(ValidationError, match="stores: only a node with a generation block"):
        Node.model_validate({**grid, "stores": {"b": BATTERY}})
    with pytest.raises(ValidationError, match="plants: only a node with a generation block"):
        Node.model_validate({**grid, "plants": {"g": {"fuel": "gas", "capacity": "1 GW"}}})
    node = Node.model_validate(generation_node(stores={"b": BATTERY}, plants={"g": {
        "fuel": "gas", "capacity": "1 GW", "fuel_cost": "40 EUR/MWh", "ramp": "30 %"}}))
    assert node.stores["b"].energy.value == 4.0  # GWh
    assert node.plants["g"].fuel_cost.value == pytest.approx(43.2)  # USD/MWh at EUR/USD 1.08


def test_a_plant_in_the_power_model_fills_the_chain_by_hand() -> None:
    """energy_chain.yaml with 2 GW x 80 % of generation and a 1 GW gas plant at 50 USD/MWh: the
    plant runs flat out (2.6 GW sent, below every link) except while a pole of l2 is out (hours
    100-300: 1.8 GW into l2, so 1.8 / 0.99 GW sent and the plant gives only that less 1.6 GW)."""
    sc = load_scenario(SCENARIOS / "energy_chain.yaml", [
        "nodes.g.generation.capacity=2 GW", "nodes.g.plants.gas={fuel: gas, capacity: 1 GW, fuel_cost: 50 USD/MWh}"])
    rep = simulate_continuous(sc, Network(sc), Streams(sc.simulation.seed, 0), 0, ("power",))
    plant = (800 * 1.0 + 200 * (1.8 / 0.99 - 1.6)) / 1000  # mean GW
    g = rep.nodes["g"]
    assert g["plant_twh"] == pytest.approx(plant * TWH, rel=1e-9)
    assert g["plant_fuel_cost_musd"] == pytest.approx(plant * TWH * 1e3 * 50 * 1e3 / 1e6, rel=1e-9)
    assert g["generation_twh"] == pytest.approx(1.6 * TWH, rel=1e-9)
    assert g["curtailed_twh"] == pytest.approx(0.0, abs=1e-9)
    rec = rep.flows["export"]
    e1, e2, e3 = 1 - 0.02 * 0.5, (1 - 0.03) * 0.99 ** 2, 1 - 0.05 * 0.2
    assert rec.delivered == pytest.approx((800 * 2.6 * e1 + 200 * 1.8) / 1000 * e2 * e3, rel=1e-9)
    assert rec.extra["lp_dispatch"] == 1.0


def test_a_plant_no_power_flow_leaves_from_is_refused() -> None:
    with pytest.raises(CorridorError, match="nodes.g.plants: no power flow leaves 'g': its plants would change"):
        load_scenario(SCENARIOS / "energy_chain.yaml", ["flows.export.origin=s1",
                                                        "nodes.g.plants.gas={fuel: gas, capacity: 1 GW}"])


def test_a_plant_trips_at_once_and_ramps_back() -> None:
    """A 1 GW plant ramping 0.2 GW an hour, both units out for hours 200-299: full output before,
    none during (a trip is not held to the ramp), then 0.2, 0.4, 0.6, 0.8 and 1 GW; 102 GWh lost
    to the outage, and the outage recorded as the plant's."""
    from support import SCENARIOS

    from sim.simulate import run_replication

    scenario = load_scenario(SCENARIOS / "plant_outage.yaml")
    rep = run_replication(scenario, 0, 1)
    hourly = rep.flows["export"].hourly
    assert hourly is not None
    want = np.ones(500)
    want[200:300] = 0.0
    want[300:304] = [0.2, 0.4, 0.6, 0.8]
    np.testing.assert_allclose(hourly, want, atol=1e-6)
    lost = rep.flows["export"].extra["lost_to_outages_twh"] * 1000.0 / HOURS_PER_YEAR * 500
    assert lost == pytest.approx(102.0, rel=1e-6)
    assert any(o["kind"] == "plant" and o["component"] == "site.gas" for o in rep.outages)


def test_independent_groups_are_dispatched_alone_with_the_same_answer() -> None:
    """Flows sharing no origin and no element form groups (`flow_groups`) dispatched one by one:
    the same hourly delivery, stores and plants as one LP over all of them."""
    from sim.energy.storage import flow_groups

    n = 24 * 6
    paths, rates, caps, supply, stores, plants = small_case(n)
    far = {"far": [chain("far", "z", ("link:z1", 0.8, 0.97))]}
    both = {**paths, **far}
    caps_all = {**caps, "link:z1": np.full(n, 0.8)}
    supply_all = {**supply, "z": np.tile(np.r_[np.full(12, 1.5), np.zeros(12)], n // 24)}
    stores_all = {**stores, "z.battery": StoreSpec("z", 0.5, 3.0, 0.81, 0.0, 1.0, 0.5)}
    assert [g for g in flow_groups(both) if "far" in g] == [["far"]]
    split = dispatch_storage(both, {**rates, "far": 0.6}, caps_all, supply_all, stores_all, plants, n,
                             window=48, lookahead=24)
    ranks = {f: len(both) - 1 - i for i, f in enumerate(both)}
    whole = dispatch_windows(both, {**rates, "far": 0.6}, caps_all, supply_all, stores_all, plants, n, 0, n, 48, 24,
                             1000.0, Carry({k: s.initial * s.energy for k, s in stores_all.items()},
                                           dict.fromkeys(plants)), ranks)
    for f in both:
        np.testing.assert_allclose(split.delivered[f], whole.delivered[f], atol=1e-7)
    for k in plants:
        np.testing.assert_allclose(split.output[k], whole.output[k], atol=1e-7)
    assert split.discharge["z.battery"].sum() > 1.0  # the far battery works


@pytest.mark.parametrize("seed", range(12))
def test_the_one_store_rule_is_the_lps_optimum(seed: int) -> None:
    """One flow on one path behind one store (`dispatch_one_store`, found hour by hour) against the
    whole-horizon LP on random cases: outages, a binding rate, state-of-charge limits, losses on
    the way: the same delivery every hour, the same energy charged and discharged."""
    from sim.energy.storage import dispatch_one_store

    rng = np.random.default_rng(seed)
    n = 24 * 8
    hours = np.arange(n)
    p = chain("f", "g", ("link:a", rng.uniform(0.8, 2.0), rng.uniform(0.95, 1.0)),
              ("link:b", rng.uniform(0.8, 2.0), rng.uniform(0.9, 1.0)))
    paths = {"f": [p]}
    rates = {"f": float(rng.uniform(0.5, 1.5))}
    caps = {"link:a": np.where(rng.random(n) < 0.05, 0.0, p.elements[0].capacity),
            "link:b": np.where((hours > 50) & (hours < 70), 0.5 * p.elements[1].capacity, p.elements[1].capacity)}
    sun = np.clip(np.sin(2 * np.pi * (hours % 24 - 6) / 24), 0, None)
    supply = {"g": rng.uniform(1.0, 4.0) * sun * rng.uniform(0.3, 1.0, n)}
    store = StoreSpec("g", float(rng.uniform(0.3, 1.5)), float(rng.uniform(1.0, 8.0)), float(rng.uniform(0.7, 0.95)),
                      float(rng.uniform(0.0, 0.2)), float(rng.uniform(0.8, 1.0)), 0.5)
    stores = {"g.store": store}
    carry = Carry({"g.store": 0.5 * store.energy}, {})
    rule = dispatch_one_store(paths, rates, caps, supply, stores, n, carry)
    lp = dispatch_windows(paths, rates, caps, supply, stores, {}, n, 0, n, n, 0, 1000.0, carry, {"f": 0})
    np.testing.assert_allclose(rule.delivered["f"], lp.delivered["f"], atol=1e-7)
    assert rule.charge["g.store"].sum() == pytest.approx(lp.charge["g.store"].sum(), rel=1e-6, abs=1e-7)
    assert rule.discharge["g.store"].sum() == pytest.approx(lp.discharge["g.store"].sum(), rel=1e-6, abs=1e-7)
    assert rule.discharge["g.store"].sum() > 0.1  # the store works
    lo, hi = store.soc_min * store.energy, store.soc_max * store.energy
    assert rule.state["g.store"].min() >= lo - 1e-9 and rule.state["g.store"].max() <= hi + 1e-9


@pytest.mark.parametrize("with_plant", [False, True])
def test_a_horizon_dispatched_in_blocks_delivers_what_it_does_whole(with_plant: bool) -> None:
    """The power model dispatches a year at a time, the stores' state carried across: a block the
    horizon goes on beyond keeps the charge it could hold (the rolling LP and the one-store rule
    alike), so blocks of 36 h and 60 h deliver what the 96 h horizon does in one."""
    n, half = 96, 36  # the first block ends at dusk, its battery full
    path = chain("f", "o", ("link:a", 5.0, 1.0))
    paths, rates = {"f": [path]}, {"f": 1.0}
    caps, supply = {"link:a": np.full(n, 5.0)}, {"o": square_wave(n // 24)}
    stores = {"o.b": StoreSpec("o", 1.0, 12.0, 0.81, initial=0.0)}
    plants = {"o.gas": PlantSpec("o", 0.2, 1.0, ramp=1.0, fuel_cost=60.0)} if with_plant else {}
    whole = dispatch_storage(paths, rates, caps, supply, stores, plants, n, window=24, lookahead=24)
    first = dispatch_storage(paths, rates, {"link:a": caps["link:a"][:half]}, {"o": supply["o"][:half]}, stores,
                             plants, half, 0, horizon=n, window=24, lookahead=24)
    second = dispatch_storage(paths, rates, {"link:a": caps["link:a"][half:]}, {"o": supply["o"][half:]}, stores,
                              plants, n - half, half, horizon=n, window=24, lookahead=24, carry=first.carry)
    blocked = first.delivered["f"].sum() + second.delivered["f"].sum()
    assert blocked == pytest.approx(whole.delivered["f"].sum(), abs=1e-6)
    assert first.carry.state["o.b"] > 1.0  # the first block hands on a charged store
