"""N-1 planning by constraint generation gives the answer of full enumeration (a copy of the
flows per contingency): plan cost, amounts, shortfalls, N-1 shortfalls and shadow prices, on
every bundled scenario (N-1 at 50 %), on the small test corridors, on random networks and on
a scenario copied side by side (independent blocks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import copies, optimiser_scenario

from sim.optimiser import optimise
from sim.optimiser import formulation as F
from sim.optimiser import security
from sim.optimiser.model import Corridor
from sim.network import Network
from sim.optimiser.result import OptimiseResult
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def assert_same_plan(new: OptimiseResult, old: OptimiseResult) -> None:
    assert new.status == old.status
    assert new.plan.cost == pytest.approx(old.plan.cost, rel=1e-7, abs=1e-6)
    amounts, expected = new.plan.amounts(), old.plan.amounts()
    assert amounts.keys() == expected.keys()
    for eid, amount in expected.items():
        assert amounts[eid] == pytest.approx(amount, rel=1e-6, abs=1e-6), eid
    assert new.plan.shortfalls == pytest.approx(old.plan.shortfalls, rel=1e-6, abs=1e-6)
    got, want = new.plan.n_minus_1_shortfalls, old.plan.n_minus_1_shortfalls
    assert got.keys() == want.keys()
    for tid, worst in want.items():
        assert got[tid]["amount"] == pytest.approx(worst["amount"], rel=1e-6, abs=1e-6), tid
    assert new.shadow_prices.keys() == old.shadow_prices.keys()
    for rid, value in old.shadow_prices.items():
        assert new.shadow_prices[rid] == pytest.approx(value, rel=1e-5, abs=1e-4), rid
    assert {t: c.share_kept for t, c in new.n_minus_1.items()} == \
        pytest.approx({t: c.share_kept for t, c in old.n_minus_1.items()}, abs=1e-9)


def both(scenario: Scenario) -> tuple[OptimiseResult, OptimiseResult]:
    return optimise(scenario, n1_method="generate"), optimise(scenario, n1_method="enumerate")


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenarios_plan_as_full_enumeration(path):
    new, old = both(load_scenario(path, ["optimiser.n_minus_1=50 %"]))
    assert new.n_minus_1_share == 0.5 and old.plan.status == "optimal"
    assert_same_plan(new, old)


@pytest.mark.parametrize("name", ["chain", "parallel", "fleet", "nodes", "plan"])
@pytest.mark.parametrize("share", ["50 %", "90 %"])
def test_test_corridors_plan_as_full_enumeration(name, share):
    assert_same_plan(*both(optimiser_scenario(name, f"optimiser.n_minus_1={share}")))


def random_network(seed: int) -> Scenario:
    """Random cargo network with several targets, continuous and project expansions, N-1 at 60 %."""
    rng = np.random.default_rng(seed)
    n = 8
    names = [f"n{i}" for i in range(n)]
    links = {}
    for i in range(n - 1):
        links[f"b{i}"] = (names[i], names[i + 1], round(float(rng.uniform(1, 4)), 2))
    while len(links) < 3 * n:
        a, b = rng.choice(n, 2, replace=False)
        links[f"l{len(links)}"] = (names[a], names[b], round(float(rng.uniform(0.5, 5)), 2))
    flows, targets = {}, {}
    for k in range(3):
        a, b = sorted(rng.choice(n, 2, replace=False))
        flows[f"f{k}"] = {"carrier": "cargo", "origin": names[a], "destination": names[b],
                          "rate": f"{rng.uniform(1, 4):.2f} Mt/yr", "consignment": "t"}
        targets[f"t{k}"] = {"carrier": "cargo", "value": flows[f"f{k}"]["rate"], "flows": [f"f{k}"]}
    expansions = {}
    for j, lid in enumerate(sorted(links)[::3]):
        project = j % 4 == 3
        expansions[f"x_{lid}"] = {"link": lid, "kind": "project" if project else "continuous",
                                  "size": f"{rng.uniform(1, 4):.2f} Mt/yr",
                                  "capex": f"{rng.uniform(50, 500):.0f} MUSD", "lifetime": "30 yr"}
    return Scenario.model_validate({
        "name": f"random-n1-{seed}", "description": "N-1 generation check", "year": 2030,
        "optimiser": {"n_minus_1": "60 %", "routing": "free"},
        "nodes": {v: {"kind": "junction", "country": "KZ", "lon": 60 + i, "lat": 45} for i, v in enumerate(names)},
        "links": {lid: {"from": a, "to": b, "mode": "rail", "carrier": "cargo", "capacity": f"{c} Mt/yr"}
                  for lid, (a, b, c) in links.items()},
        "flows": flows, "targets": targets, "expansions": expansions})


@pytest.mark.parametrize("seed", range(8))
def test_random_networks_plan_as_full_enumeration(seed):
    assert_same_plan(*both(random_network(seed)))


def test_copies_are_independent_blocks_and_plan_as_full_enumeration():
    one = optimiser_scenario("fleet", "optimiser.n_minus_1=50 %")
    three = copies(one, 3)
    m = Corridor(Network(three))
    sec = security.security(m, F.contingency_links(m))
    assert len(set(sec.block.values())) == 3 * len(set(security.security(
        Corridor(Network(one)), F.contingency_links(Corridor(Network(one)))).block.values()))
    new, old = both(three)
    assert_same_plan(new, old)
    single = optimise(one)
    assert new.plan.cost == pytest.approx(3 * single.plan.cost, rel=1e-9)


def test_generation_adds_only_violated_contingencies():
    s = load_scenario(ROOT / "scenarios" / "targets-2030.yaml")
    new, old = both(s)
    assert new.lp_size["columns"] < old.lp_size["columns"] / 2
    assert_same_plan(new, old)
