"""The bundled scenarios: they load, cite their figures, carry the article's targets, differ from
their parents only where their descriptions say, and their cargo flows fit the network
(checked with networkx max-flow and hand-computed loads, not with the optimiser)."""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import yaml

from sim.scenario import units
from sim.scenario.loading import load_scenario
from sim.network import Network, build_network
from sim.scenario.schema import DECK_UNIT, LoadUnit, Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
SEED_TARGETS: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "seeds" / "targets.yaml").read_text())
QUANTITY = re.compile(r"^\s*[-+]?\d[\d.]*(e[-+]?\d+)?\s*[A-Za-z%/]")
FREE_TEXT = {"note", "description", "name", "cause", "source"}


@functools.cache
def load(name: str) -> Scenario:
    """A bundled scenario by name (cached: tests only read it)."""
    return load_scenario(SCENARIOS / f"{name}.yaml")


def seed_value(target_id: str) -> float:
    """An article target's figure from seeds/targets.yaml, in its carrier's canonical unit."""
    row = SEED_TARGETS[target_id]
    return units.convert(units.parse(row["value"]), units.CARRIER_UNIT[row["carrier"]])


# --- every file ---------------------------------------------------------------------------------


def test_the_bundled_set_is_complete() -> None:
    names = {p.stem for p in BUNDLED}
    assert {"baseline-2023", "plan-2024", "targets-2030", "storm-season", "cable-cut",
            "pipeline-outage"} <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_loads_and_builds(path: Path) -> None:
    scenario = load_scenario(path)
    net = build_network(scenario)
    assert scenario.name == path.stem
    assert scenario.description.strip() and "\n" not in scenario.description.strip()
    assert net.graph.number_of_nodes() == len(scenario.nodes)
    assert 25 <= len(scenario.nodes) <= 40
    assert set(net.links) == set(scenario.links)


def _unsourced(data: Any, path: tuple[Any, ...], sourced: bool) -> list[tuple[Any, ...]]:
    """Key paths of quantities written without a `source` beside them."""
    if isinstance(data, dict):
        here = sourced or "source" in data
        return [p for k, v in data.items() if k not in FREE_TEXT
                for p in _unsourced(v, path + (k,), here)]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _unsourced(v, path + (i,), sourced)]
    if isinstance(data, str) and QUANTITY.match(data) and not sourced:
        return [path]
    return []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_quantity_in_the_file_carries_a_source(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("simulation", None)  # run settings, not figures
    assert _unsourced(data, (), False) == []


# --- the article's targets ----------------------------------------------------------------------


def test_every_article_figure_is_a_target_of_targets_2030() -> None:
    scenario = load("targets-2030")
    with_value = [tid for tid, row in SEED_TARGETS.items() if row.get("value") is not None]
    assert len(with_value) >= 7
    for tid in with_value:
        assert tid in scenario.targets, tid
        target = scenario.targets[tid]
        assert target.carrier == SEED_TARGETS[tid]["carrier"], tid
        assert target.value.value == pytest.approx(seed_value(tid)), tid
    assert "cargo_china_transit" in scenario.targets


def test_power_targets_of_2030_are_transmission_and_data_firm_at_95_percent() -> None:
    scenario = load("targets-2030")
    for tid, measure in (("power_caspian_black_sea_europe", "transmission"),
                         ("power_nakhchivan_turkiye_europe", "transmission"), ("data_transcaspian_fibre", "firm")):
        assert scenario.targets[tid].measure == measure
        assert scenario.targets[tid].share_of_time.value == pytest.approx(0.95)


def test_the_fibre_is_the_article_cable() -> None:
    scenario = load("targets-2030")
    fibre = scenario.links["transcaspian_fibre"]
    row = SEED_TARGETS["data_transcaspian_fibre"]
    assert fibre.length.value == pytest.approx(units.to_canonical(row["length"], "length"))
    assert fibre.capacity.value == pytest.approx(seed_value("data_transcaspian_fibre"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_each_target_is_demanded_in_full_by_its_flows(path: Path) -> None:
    scenario = load_scenario(path)
    for tid, target in scenario.targets.items():
        demanded = sum(scenario.flows[f].rate.value for f in target.flows)
        assert demanded >= target.value.value * (1 - 1e-9), tid


def test_baseline_cargo_is_the_2023_figure() -> None:
    scenario = load("baseline-2023")
    cargo = sum(scenario.flows[f].rate.value for f in scenario.targets["cargo_titr_2023"].flows)
    assert cargo == pytest.approx(seed_value("cargo_titr_2023"))
    assert scenario.flows["oil_ceyhan"].rate.value == pytest.approx(seed_value("oil_aktau_baku_ceyhan"))
    assert any(f.region == "China" for f in scenario.flows.values())


def test_plan_2024_scales_every_cargo_flow_by_43_percent() -> None:
    """The corridor's (TITR) flows grow by the plan's 43 %; trucks, eastbound cargo and empties are
    held at 2023's; Baku-Tbilisi-Kars runs at 1 Mt/yr to 20 May and 5 Mt/yr after (s3_056)."""
    base, plan = load("baseline-2023"), load("plan-2024")
    titr = plan.targets["cargo_titr_2024"].flows
    for fid, flow in base.flows.items():
        if flow.carrier == "cargo":
            growth = 1.43 if fid in titr else 1.0
            assert plan.flows[fid].rate.value == pytest.approx(growth * flow.rate.value, rel=1e-6), fid
    cargo = sum(plan.flows[f].rate.value for f in titr)
    assert cargo == pytest.approx(seed_value("cargo_titr_2024"), rel=0.01)
    assert plan.links["btk"].capacity.value == pytest.approx(1 * 140 / 366 + 5 * 226 / 366, abs=0.005)


def test_wagon_payload_is_the_ferry_fleet_ratio() -> None:
    """s2_043: ~95,000 wagons or 4.5 Mt a year, so a wagon carries 4.5e6 / 95,000 t."""
    scenario = load("baseline-2023")
    assert scenario.payload["wagon"].value == pytest.approx(4.5e6 / 95_000, rel=1e-3)


# --- stress cases differ from their parents only where they say -------------------------------


def _diff(a: Any, b: Any, path: tuple[Any, ...] = ()) -> set[tuple[Any, ...]]:
    """Key paths (as deep as they go) where two dumped scenarios differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {p for k in set(a) | set(b) for p in _diff(a.get(k), b.get(k), path + (k,))}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return {p for i, (x, y) in enumerate(zip(a, b)) for p in _diff(x, y, path + (i,))}
    return set() if a == b else {path}


def _changed(child: str, parent: str) -> set[tuple[Any, ...]]:
    a = load(parent).model_dump(by_alias=True)
    b = load(child).model_dump(by_alias=True)
    return {p for p in _diff(a, b) if p[0] not in ("name", "description", "year")}


def _parent(child: str) -> str:
    data = yaml.safe_load((SCENARIOS / f"{child}.yaml").read_text(encoding="utf-8"))
    return Path(data["extends"]).stem


def test_storm_season_doubles_every_closure_rate_and_lengthens_storms() -> None:
    parent = load(_parent("storm-season"))
    storm = load("storm-season")
    assert set(storm.weather) == set(parent.weather)
    for wid, w in parent.weather.items():
        assert storm.weather[wid].monthly_rates() == pytest.approx([2 * r for r in w.monthly_rates()])
        assert storm.weather[wid].duration.mean > w.duration.mean
    assert all(p[0] == "weather" for p in _changed("storm-season", _parent("storm-season")))


def test_baseline_storms_peak_in_november_to_february_and_close_kuryk_about_half_of_nov_dec() -> None:
    weather = load("baseline-2023").weather["kuryk_storms"]
    rates = weather.monthly_rates()
    winter = [rates[i] for i in (0, 1, 10, 11)]
    assert min(winter) > max(rates[2:10])
    # s2_050: Kuryk closed ~50 % of Nov-Dec. Closures starting at rate r (per hour) and lasting
    # D hours on average cover 1 - exp(-r D) of the time when they may overlap, r D / (1 + r D)
    # when they may not: the figure must lie between the two.
    rd = rates[10] / units.to_canonical("1 yr", "duration") * weather.duration.mean
    assert rd / (1 + rd) <= 0.5 <= 1 - math.exp(-rd)


def test_cable_cut_cuts_the_black_sea_cable_and_the_fibre_for_their_repair_times() -> None:
    parent = load(_parent("cable-cut"))
    cut = load("cable-cut")
    horizon = cut.simulation.horizon.value
    for lid in ("black_sea_cable", "transcaspian_fibre"):
        assert parent.links[lid].reliability.outages == []
        (outage,) = cut.links[lid].reliability.outages
        assert outage.share.value == pytest.approx(1.0)
        assert outage.start.value + outage.duration.value <= horizon
        assert outage.duration.value == pytest.approx(cut.links[lid].reliability.repair.mean)
        assert parent.links[lid].capacity.value > 0  # a cut of a built link, not an empty one
    changed = _changed("cable-cut", _parent("cable-cut"))
    assert changed and all(p[:4] in {("links", "black_sea_cable", "reliability", "outages"),
                                     ("links", "transcaspian_fibre", "reliability", "outages")}
                           for p in changed)


def test_pipeline_outage_shuts_btc_in_for_two_weeks() -> None:
    parent = load(_parent("pipeline-outage"))
    case = load("pipeline-outage")
    assert parent.links["btc"].reliability is None
    (outage,) = case.links["btc"].reliability.outages
    assert outage.share.value == pytest.approx(1.0)
    assert outage.duration.value == pytest.approx(14 * 24)
    changed = _changed("pipeline-outage", _parent("pipeline-outage"))
    assert changed and all(p[:3] == ("links", "btc", "reliability") for p in changed)


def test_china_growth_triples_the_china_flow_only() -> None:
    parent = load(_parent("china-growth"))
    case = load("china-growth")
    assert case.flows["china_transit"].rate.value == pytest.approx(
        3 * parent.flows["china_transit"].rate.value)
    changed = _changed("china-growth", _parent("china-growth"))
    assert changed and all(p[:3] in {("flows", "china_transit", "rate"), ("flows", "china_transit", "previous_rate")}
                           or p[:2] == ("targets", "cargo_china_transit") for p in changed)


# --- the cargo flows fit the network ------------------------------------------------------------


def cargo_digraph(net: Network, target: str, demand_limited: bool) -> nx.DiGraph:
    """The cargo network as a flow network: each node split into in -> out carrying the node's
    capacity, each link out -> in carrying its capacity (fleet links: their LinkView capacity),
    a super source feeding the target's flows' origins and a super sink draining their
    destinations (limited to the flow rates when `demand_limited`)."""
    s = net.scenario
    g = nx.DiGraph()
    for nid in s.nodes:
        cap = net.node_capacity(nid)
        g.add_edge((nid, "in"), (nid, "out"), **({} if cap is None else {"capacity": cap}))
    for view in net.carrier_links("cargo"):
        u, v = (view.source, "out"), (view.target, "in")
        if g.has_edge(u, v):
            g[u][v]["capacity"] += view.capacity
        else:
            g.add_edge(u, v, capacity=view.capacity)
    flows = s.targets[target].flows
    for fid in flows:
        flow = s.flows[fid]
        for u, v in (("S", (flow.origin, "in")), ((flow.destination, "out"), "T")):
            if not demand_limited:
                g.add_edge(u, v)  # no capacity attribute: unlimited
            elif g.has_edge(u, v):
                g[u][v]["capacity"] += flow.rate.value
            else:
                g.add_edge(u, v, capacity=flow.rate.value)
    return g


@pytest.mark.parametrize("name,target", [("baseline-2023", "cargo_titr_2023"),
                                         ("plan-2024", "cargo_titr_2024")])
def test_max_flow_carries_the_year_s_cargo(name: str, target: str) -> None:
    net = build_network(load(name))
    needed = seed_value(target)
    demand_met = nx.maximum_flow_value(cargo_digraph(net, target, demand_limited=True), "S", "T")
    assert demand_met >= needed * (1 - 0.01)
    headroom = nx.maximum_flow_value(cargo_digraph(net, target, demand_limited=False), "S", "T")
    assert headroom > needed


def route_loads(s: Scenario) -> tuple[dict[str, float], dict[str, float]]:
    """Mt/yr each cargo link and node carries when every flow follows its routes' shares."""
    links: dict[str, float] = {}
    nodes: dict[str, float] = {}

    def link(a: str, b: str, unit: LoadUnit) -> str:  # as the cargo model chooses: file order, unit carried
        return next(lid for lid, l in s.links.items() if l.carrier == "cargo" and (l.from_, l.to) == (a, b)
                    and (l.fleet is None or s.fleets[l.fleet].carries(unit)))

    for flow in s.flows.values():
        if flow.carrier != "cargo":
            continue
        unit = DECK_UNIT[flow.consignment]
        routes = [(r.path, r.share.value if r.share else 1.0) for r in (flow.routes or {}).values()]
        for path, share in routes or [([flow.origin, flow.destination], 1.0)]:  # no routes: one direct link here
            rate = flow.rate.value * share
            for nid in path:
                nodes[nid] = nodes.get(nid, 0.0) + rate
            for a, b in zip(path, path[1:]):
                lid = link(a, b, unit)
                links[lid] = links.get(lid, 0.0) + rate
    return links, nodes


@pytest.mark.parametrize("name", ["baseline-2023", "plan-2024"])
def test_routed_cargo_fits_every_link_node_and_the_shared_ferry_fleet(name: str) -> None:
    s = load(name)
    net = build_network(s)
    links, nodes = route_loads(s)
    for lid, load_mt in links.items():
        if net.links[lid].fleet is None:
            assert load_mt < net.links[lid].capacity, lid
    for nid, load_mt in nodes.items():
        cap = net.node_capacity(nid)
        if cap is not None and s.nodes[nid].kind != "border_crossing":
            assert load_mt < cap, nid
    if name == "baseline-2023":  # the year that was carried; whether 2024's fits is the plan's question
        assert fleet_use(s, net, links) < 1


def fleet_use(s: Scenario, net: Network, links: dict[str, float]) -> float:
    """The share of the cargo fleets' vessel-hours the routed loads need. The fleets are pooled:
    where rail ferries and Ro-Ro both take trucks, the simulation sends each truck to whichever
    is expected sooner, while `route_loads` puts it on the first link in file order."""
    fleets = {l.fleet for l in s.links.values() if l.carrier == "cargo" and l.fleet is not None}
    hours = sum(load_mt * net.vessel_hours_per_mt(lid) for lid, load_mt in links.items()
                if s.links[lid].fleet is not None)
    return hours / sum(net.fleet_hours(f) for f in fleets)


def test_ferries_are_the_tightest_caspian_element_in_2023() -> None:
    """World Bank (s8_127): the ship shortage binds. The ferry fleets' share of vessel-hours in use
    exceeds the share of capacity in use at every Caspian port."""
    s = load("baseline-2023")
    net = build_network(s)
    links, nodes = route_loads(s)
    ferry_use = fleet_use(s, net, links)
    caspian_ports = {n for w in s.weather.values() for n in w.nodes if n in nodes}
    assert caspian_ports
    for nid in caspian_ports:
        assert nodes[nid] / net.node_capacity(nid) < ferry_use, nid
    assert 0.3 < ferry_use < 1  # busy, and carried
