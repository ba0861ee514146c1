"""The optimiser against mathematics: networkx max-flow, hand-solved plans and N-1 cases, golden
LP files per constraint family, and plans that fall short instead of failing."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from sim.errors import CorridorError
from sim.scenario.loading import load_scenario
from sim.network import HOURS_PER_YEAR
from sim.optimiser import optimise, write_plan
from sim.optimiser.model import crf
from sim.scenario.checks import references
from sim.scenario.schema import Scenario
from support import optimiser_scenario as load

TESTS = Path(__file__).resolve().parents[1]
SCENARIOS = TESTS / "scenarios"


# --- max deliverable against networkx -----------------------------------------------------------


def random_corridor(seed: int) -> tuple[Scenario, dict]:
    """A random single-carrier network with parallel links and node limits, and its raw numbers."""
    rng = np.random.default_rng(seed)
    n = 7
    names = [f"n{i}" for i in range(n)]
    node_cap = {v: round(float(rng.uniform(3, 15)), 2) for v in names[1:-1] if rng.random() < 0.4}
    links = {}
    for i in range(n):
        for j in range(n):
            forward = i < j and rng.random() < 0.45
            backward = i > j and rng.random() < 0.15
            for k in range(1 + (rng.random() < 0.25)) if forward or backward else ():
                links[f"l{i}_{j}_{k}"] = (names[i], names[j], round(float(rng.uniform(1, 10)), 2))
    data = {
        "name": f"random-{seed}", "description": "random max-flow check", "year": 2030,
        "optimiser": {"routing": "free"},
        "nodes": {v: {"kind": "junction", "country": "KZ", "lon": 60 + i, "lat": 45,
                      **({"capacity": f"{node_cap[v]} Mt/yr"} if v in node_cap else {})}
                  for i, v in enumerate(names)},
        "links": {lid: {"from": a, "to": b, "mode": "rail", "carrier": "cargo", "capacity": f"{c} Mt/yr"}
                  for lid, (a, b, c) in links.items()},
        "flows": {"f": {"carrier": "cargo", "origin": "n0", "destination": f"n{n - 1}",
                        "rate": "1 Mt/yr", "consignment": "t"}},
        "targets": {"t": {"carrier": "cargo", "value": "1 Mt/yr", "flows": ["f"]}},
    }
    scenario = Scenario.model_validate(data)
    assert references(scenario) == []
    return scenario, {"links": links, "node_cap": node_cap, "source": "n0", "sink": f"n{n - 1}"}


def networkx_max_flow(raw: dict) -> float:
    """Max flow with node limits by splitting nodes; parallel links summed (a different route
    from the optimiser's own graph, which keeps them apart)."""
    g = nx.DiGraph()
    for a, b, c in raw["links"].values():
        prev = g.get_edge_data((a, "out"), (b, "in"), {"capacity": 0.0})["capacity"]
        g.add_edge((a, "out"), (b, "in"), capacity=prev + c)
    for v in {x for a, b, _ in raw["links"].values() for x in (a, b)} | {raw["source"], raw["sink"]}:
        limit = {"capacity": raw["node_cap"][v]} if v in raw["node_cap"] else {}
        g.add_edge((v, "in"), (v, "out"), **limit)
    return nx.maximum_flow_value(g, (raw["source"], "in"), (raw["sink"], "out"))


@pytest.mark.parametrize("seed", range(8))
def test_max_deliverable_equals_networkx_max_flow(seed):
    scenario, raw = random_corridor(seed)
    expected = networkx_max_flow(raw)
    result = optimise(scenario, n_minus_1=False)
    t = result.targets["t"]
    assert t.max_alone == pytest.approx(expected, abs=1e-6)
    assert t.min_cut is not None
    # the named binding links and nodes are a cut: their capacities add up to the max flow
    cut = sum(raw["links"][lid][2] for lid in t.binding) + sum(raw["node_cap"][v] for v in t.binding_nodes
                                                               if f"node:{v}" in (t.min_cut or []))
    if expected > 0:
        assert cut == pytest.approx(expected, abs=1e-6)


def test_node_limits_in_trains_per_day_and_berths_bind_by_hand():
    r = optimise(load("nodes"), n_minus_1=False)
    t = r.targets["t2"]
    crossing = 4 * 1000 * 365.25 / 1e6  # 4 trains/d of 1000 t
    assert t.max_alone == pytest.approx(crossing)
    assert t.binding_nodes == ["bx"] and t.binding == []


def test_power_delivery_is_capacity_times_availability_times_efficiency():
    r = optimise(load("fleet"), n_minus_1=False)
    efficiency = (1 - 0.03) * 0.99 ** 2
    availability = 1 / (1 + 1 * 974 / HOURS_PER_YEAR)
    assert r.targets["power"].max_alone == pytest.approx(2 * availability * efficiency)
    assert r.targets["power"].max_nameplate == pytest.approx(2 * efficiency)
    assert r.targets["power"].binding == ["cable"]
    row = next(l for l in r.links if l.id == "cable")
    assert (row.nameplate, row.firm) == (pytest.approx(2.0), pytest.approx(2 * availability))


def test_targets_sharing_a_fleet_get_max_min_fair_shares():
    r = optimise(load("fleet"), n_minus_1=False)
    fleet_mt = 2 * HOURS_PER_YEAR / (60 / (3000 / 1e6))  # vessel-hours / vessel-hours per Mt
    cargo, oil = r.targets["cargo"], r.targets["oil"]
    assert cargo.max_alone == pytest.approx(fleet_mt) and oil.max_alone == pytest.approx(fleet_mt)
    share = fleet_mt / (0.6 + 0.4)
    assert cargo.together_share == pytest.approx(share) and oil.together_share == pytest.approx(share)
    assert cargo.max_together == pytest.approx(0.6 * share)
    assert oil.max_together == pytest.approx(0.4 * share)
    assert cargo.binding_fleets == ["ships"]


def test_together_gives_each_target_the_rest_once_all_are_met():
    # two targets (2 and 1 Mt/yr), one flow each, through the chain's 3 Mt/yr link: both fit, and
    # each may take what the 3 Mt/yr leave once the other has its figure
    s = load("chain", "optimiser.n_minus_1=0 %")
    data = s.model_dump(by_alias=True)
    data["flows"]["g"] = {"carrier": "cargo", "origin": "a", "destination": "d", "rate": "1 Mt/yr",
                          "consignment": "t"}
    data["targets"]["t1"] = {"carrier": "cargo", "value": "1 Mt/yr", "flows": ["g"]}
    r = optimise(Scenario.model_validate(data))
    assert r.targets["t2"].max_together == pytest.approx(3 - 1)
    assert r.targets["t1"].max_together == pytest.approx(3 - 2)
    assert r.targets["t1"].together_share == pytest.approx(1.0)


# --- the plan ------------------------------------------------------------------------------------


def test_known_optimal_plan_is_c_plus_two_on_a(plan_result):
    plan = plan_result.plan
    assert plan_result.status == "optimal" and plan.feasible
    built = {e.id: e.amount for e in plan.expansions}
    assert built == {"a_more": pytest.approx(2.0), "c_line": pytest.approx(2.0)}
    assert plan.cost == pytest.approx(2 * 300 / 3 / 10 + 120 / 10)
    assert plan.shortfalls == {}


def test_shadow_prices_are_the_marginal_expansion_cost(plan_result):
    # the marginal Mt/yr comes from a_more at 300 MUSD / 3 Mt / 10 yr = 10 MUSD/yr a Mt
    for lid in ("a", "b", "c"):
        assert plan_result.shadow_prices[lid] == pytest.approx(10.0, abs=1e-3)
        assert plan_result.shadow_units[lid] == "MUSD/yr per Mt/yr"


def test_unreachable_target_gives_a_plan_with_a_named_shortfall():
    r = optimise(load("plan", "targets.t10.value=20 Mt/yr"))
    assert r.status == "optimal" and not r.plan.feasible
    assert r.plan.shortfalls == {"t10": pytest.approx(20 - (6 + 3 + 5 + 2))}
    assert {e.id for e in r.plan.expansions} == {"a_more", "b_line", "c_line"}
    assert r.plan.cost == pytest.approx(30 + 35 + 12)
    assert any("unmet penalty" in n for n in r.notes)


def test_node_expansions_by_hand():
    r = optimise(load("nodes"), n_minus_1=False)
    crossing = 4 * 1000 * 365.25 / 1e6
    berth = HOURS_PER_YEAR / 10 * 2000 / 1e6  # one berth, 10 h to load 2000 t
    built = {e.id: e.amount for e in r.plan.expansions}
    assert built == {"bx_more": pytest.approx(2 - crossing), "pa_more": pytest.approx(2 / berth - 1)}
    assert r.plan.cost == pytest.approx(10 * (2 - crossing) + 10 * (2 / berth - 1))
    assert r.shadow_prices == {"node:bx": pytest.approx(10, abs=1e-3),
                               "berth:pa:ferry": pytest.approx(10, abs=1e-3)}


def test_fleet_project_costs_its_annuity():
    r = optimise(load("fleet"), n_minus_1=False)
    ship = next(e for e in r.plan.expansions if e.id == "one_more_ship")
    assert ship.amount == 1 and ship.cost == pytest.approx(50 * crf(0.08, 25))
    assert r.plan.shortfalls == {"power": pytest.approx(2 - r.targets["power"].max_alone)}


# --- N-1 ----------------------------------------------------------------------------------------


def test_n_minus_1_on_a_chain_every_loss_leaves_nothing():
    r = optimise(load("chain"))
    c = r.n_minus_1["t2"]
    assert c.deliverable == pytest.approx(0.0) and c.share_kept == pytest.approx(0.0)
    assert c.link in {"ab", "bc", "cd"} and not c.secure
    assert r.plan.n_minus_1_shortfalls["t2"]["amount"] == pytest.approx(0.5 * 2)
    assert not r.plan.feasible and r.plan.shortfalls == {}
    assert r.targets["t2"].max_alone == pytest.approx(3.0) and r.targets["t2"].binding == ["bc"]


def test_n_minus_1_on_two_parallel_paths_by_hand():
    r = optimise(load("parallel"))
    c = r.n_minus_1["t4"]
    assert c.link in {"sp", "pt"} and c.deliverable == pytest.approx(2.0)
    assert c.share_kept == pytest.approx(2.0 / 4.0)


def test_security_constrained_plan_buys_exactly_the_missing_backup():
    # 60 % of 4 = 2.4 must survive losing s-p: s-q needs 0.4 more, at 100/5/10 = 2 MUSD/yr a Mt
    r = optimise(load("parallel", "optimiser.n_minus_1=60 %"))
    assert r.plan.feasible
    assert {e.id: e.amount for e in r.plan.expansions} == {"sq_more": pytest.approx(0.4)}
    assert r.plan.cost == pytest.approx(0.4 * 2.0)
    c = r.n_minus_1["t4"]
    assert c.secure and c.deliverable == pytest.approx(2.4) and c.share_kept == pytest.approx(0.6)


def test_n_minus_1_can_be_skipped():
    r = optimise(load("chain"), n_minus_1=False)
    assert r.n_minus_1 == {} and r.plan.feasible



# --- solvers, outputs, plan applied -------------------------------------------------------------


def test_highs_and_cbc_agree():
    for name in ("plan", "nodes", "fleet"):
        a, b = optimise(load(name), solver="highs"), optimise(load(name), solver="cbc")
        assert (a.solver, b.solver) == ("highs", "cbc")
        assert a.plan.cost == pytest.approx(b.plan.cost, abs=1e-6)
        for tid in a.targets:
            assert a.targets[tid].max_alone == pytest.approx(b.targets[tid].max_alone, abs=1e-6)
            assert a.targets[tid].max_together == pytest.approx(b.targets[tid].max_together, abs=1e-6)
        assert a.shadow_prices.keys() == b.shadow_prices.keys()


def test_unknown_solver_is_a_corridor_error():
    with pytest.raises(CorridorError, match="solver"):
        optimise(load("plan"), solver="gurobi")


def test_with_plan_bound_is_what_the_built_network_carries(plan_result):
    t = plan_result.targets["t10"]
    assert t.max_alone == pytest.approx(6.0)
    assert t.max_with_plan == pytest.approx(6 + 2 + 2)


def test_to_dict_is_json_and_fits_the_report(plan_result):
    d = json.loads(json.dumps(plan_result.to_dict()))
    opt = d["targets"]["t10"]
    assert opt["max_deliverable"] == pytest.approx(6.0) and set(opt["binding"]) == {"a", "b", "c"}
    assert d["plan"]["feasible"] is True and d["plan"]["cost"] == pytest.approx(32.0)
    assert {e["id"] for e in d["plan"]["expansions"]} == {"a_more", "c_line"}
    assert {"id", "amount", "unit", "cost"} <= set(d["plan"]["expansions"][0])
    assert "n_minus_1" in d["plan"] and d["links"][0]["id"] == "a"


def test_write_plan_writes_json_and_markdown(plan_result, tmp_path):
    write_plan(plan_result, tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["plan.json", "plan.md"]
    assert json.loads((tmp_path / "out" / "plan.json").read_text())["plan"]["cost"] == pytest.approx(32)
    md = (tmp_path / "out" / "plan.md").read_text()
    assert "| c_line |" in md and "meets every target" in md


def test_availability_override_from_a_simulation():
    r = optimise(load("fleet"), n_minus_1=False, availability={"cable": 0.5})
    assert r.targets["power"].max_alone == pytest.approx(2 * 0.5 * (1 - 0.03) * 0.99 ** 2)
    with pytest.raises(CorridorError):
        optimise(load("fleet"), availability={"nope": 0.5})


BUNDLED = TESTS.parent / "scenarios" / "targets-2030.yaml"


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled scenario not present")
def test_targets_2030_solves_and_its_bounds_are_ordered():
    r = optimise(load_scenario(BUNDLED))
    assert r.status == "optimal" and set(r.n_minus_1) == set(r.targets)
    for t in r.targets.values():
        assert t.max_together <= t.max_alone + 1e-6  # competing never helps
        assert t.max_nameplate >= t.max_alone - 1e-6  # derating never helps
        assert t.id in r.plan.shortfalls or t.required - 1e-6 <= t.max_with_plan or not r.plan.feasible
    json.dumps(r.to_dict())


def test_a_flow_with_routes_keeps_to_them():
    data = load("parallel").model_dump(by_alias=True)
    data["flows"]["f"]["routes"] = {"north": {"path": ["s", "p", "t"]}}
    r = optimise(Scenario.model_validate(data), n_minus_1=False)
    assert r.targets["t4"].max_alone == pytest.approx(3.0)  # s-p alone; s-q-t is off its route
    assert r.targets["t4"].binding == ["sp"]


def test_a_flow_no_target_names_still_takes_capacity():
    # the chain's 3 Mt/yr link carries the 2 Mt/yr target and an untargeted 2 Mt/yr flow: a fair
    # share of 3/4 each, and 1 Mt/yr short between them in the plan
    data = load("chain", "optimiser.n_minus_1=0 %").model_dump(by_alias=True)
    data["flows"]["bg"] = {"carrier": "cargo", "origin": "a", "destination": "d", "rate": "2 Mt/yr",
                           "consignment": "t"}
    r = optimise(Scenario.model_validate(data))
    assert r.targets["t2"].max_alone == pytest.approx(3.0)
    assert r.targets["t2"].together_share == pytest.approx(0.75)
    assert r.targets["t2"].max_together == pytest.approx(3.0 - 0.75 * 2)
    assert set(r.plan.shortfalls) <= {"t2", "flow:bg"}
    assert sum(r.plan.shortfalls.values()) == pytest.approx(1.0)


def test_scheduled_outages_derate_the_measured_window():
    # horizon 365 d, warm-up 30 d: a 73 d full outage from day 100 takes 73/335 of the window;
    # half of a second link's capacity out from day 20 to day 50 counts only from day 30
    data = load("chain").model_dump(by_alias=True)
    data["simulation"] = {"horizon": "365 d", "warmup": "30 d"}
    data["links"]["bc"]["reliability"] = {"outages": [{"start": "100 d", "duration": "73 d"}]}
    data["links"]["ab"]["reliability"] = {"outages": [{"start": "20 d", "duration": "30 d", "share": "50 %"},
                                                      {"start": "400 d", "duration": "10 d"}]}
    r = optimise(Scenario.model_validate(data), n_minus_1=False)
    rows = {l.id: l for l in r.links}
    assert rows["bc"].availability == pytest.approx(1 - 73 / 335)
    assert rows["ab"].availability == pytest.approx(1 - 0.5 * 20 / 335)
    assert r.targets["t2"].max_alone == pytest.approx(3 * (1 - 73 / 335))
