"""`per_replication` built in one pass over the replications gives the tables the two-pass build
gave (kept here as the reference): same rows, statistics and order, a null where a replication
lacks a value, rows without any number left out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sim.report.document import PASSAGE_DAYS, PER_REPLICATION, _number, kept_per_replication, per_replication
from sim.scenario.loading import load_scenario
from sim.simulate import simulate
from tests.support import SCENARIOS


def reference(reps: list[Any]) -> dict:
    kept = [{**{t: {i: {k: v for k, v in row.items() if kept_per_replication(t, k)}
                    for i, row in getattr(r, t).items()} for t in PER_REPLICATION},
             "flows": {fid: f.transit_days for fid, f in r.flows.items()}, "passages": r.passages} for r in reps]
    tables: dict = {}
    for table in PER_REPLICATION:
        rows = {}
        for ident in dict.fromkeys(i for r in kept for i in r[table]):
            own = [r[table].get(ident, {}) for r in kept]
            stats = dict.fromkeys(k for o in own for k in o if _number(o[k]) is not None)
            if stats:
                rows[ident] = {k: [_number(o.get(k)) for o in own] for k in stats}
        tables[table] = rows
    flows = {}
    for fid in dict.fromkeys(f for r in kept for f in r["flows"]):
        days = [r["flows"].get(fid, {}) for r in kept]
        if any(days):
            flows[fid] = {f"transit_days.{k}": [_number(d.get(k)) for d in days] for k in PASSAGE_DAYS}
    pairs = sorted({pair for r in kept for pair in r["passages"]})
    passages = {f"{a}→{b}": {k: [_number(r["passages"].get((a, b), {}).get(k)) for r in kept] for k in PASSAGE_DAYS}
                for a, b in pairs}
    return {**tables, "flows": flows, "passages": passages}


def flow(days: dict) -> SimpleNamespace:
    return SimpleNamespace(transit_days=days)


def test_one_pass_is_the_two_pass_tables_on_a_run():
    scenario = load_scenario(SCENARIOS / "minimal.yaml", ["simulation.horizon=40 d", "simulation.warmup=5 d"])
    result = simulate(scenario, replications=4, seed=3)
    assert per_replication(result).model_dump() == reference(list(result.replications))


def test_rows_and_statistics_met_late_or_missing_get_nulls():
    reps = [
        SimpleNamespace(nodes={"a": {"utilisation": 0.5, "calls": float("nan")}}, links={}, fleets={},
                        flows={"f": flow({})}, passages={}),
        SimpleNamespace(nodes={"b": {"calls": 3}, "a": {"calls": 2, "other": 1.0}}, links={"l": {"utilisation": 0.1}},
                        fleets={}, flows={"f": flow({"mean": 2.0}), "g": flow({})},
                        passages={("x", "y"): {"p50": 1.0}}),
        SimpleNamespace(nodes={"c": {"calls": "n/a"}}, links={}, fleets={"s": {"voyages": 4}},
                        flows={}, passages={("a", "b"): {"mean": 2.0}}),
    ]
    got = per_replication(SimpleNamespace(replications=reps)).model_dump()  # type: ignore[arg-type]
    assert got == reference(reps)
    assert got["nodes"]["a"] == {"utilisation": [0.5, None, None], "calls": [None, 2.0, None]}
    assert "c" not in got["nodes"] and "g" not in got["flows"]
