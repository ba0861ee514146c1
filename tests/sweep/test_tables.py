"""The table: rebuilt from the log in design order whatever order points finished in, long (one
row per point and target; the first record of a point wins), columns in a fixed order with the
narrowest type that holds them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.sweep.designs import parse_vary
from sim.sweep.plan import plan_sweep
from sim.sweep.points import LOG, PointRecord, TargetSummary
from sim.sweep.tables import FIGURE_KEYS, TARGET_COLUMNS, arrow_type, cast, flatten, table_columns, write_tables

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


def _plan():
    return plan_sweep(MINIMAL, [parse_vary("fleets.ferries.vessels=1..4"), parse_vary("links.gd.capacity=1 GW")])


def _ok(plan, i: int, mean: float) -> PointRecord:
    p = plan.points[i]
    return PointRecord(p.id, i, dict(p.overrides), plan.seed, "ok", None, 5,
                       {"t": TargetSummary(mean, mean - 1, mean + 1, 0.4, False, 9.0, "ab", "Mt/yr", "throughput",
                                           10.0)},
                       {"plan.feasible": True, "plan.cost": 3.0})


def test_flatten_gives_a_row_per_target_with_numbers_in_the_parameters_unit():
    plan = _plan()
    rows = list(flatten(_ok(plan, 2, 7.5), plan.design.params, list(plan.targets)))
    assert [r["target"] for r in rows] == ["t", "pt"]  # the plan's targets, in order
    row = rows[0]
    assert row["fleets.ferries.vessels"] == 3 and isinstance(row["fleets.ferries.vessels"], int)
    assert row["links.gd.capacity"] == 1.0
    assert (row["mean"], row["ci_lo"], row["ci_hi"], row["unit"], row["measure"], row["figure"]) == \
        (7.5, 6.5, 8.5, "Mt/yr", "throughput", 10.0)
    assert (row["verdict"], row["optimiser_bound"], row["binding"], row["plan.cost"]) == ("not met", 9.0, "ab", 3.0)
    assert rows[1].get("mean") is None and rows[1]["plan.cost"] == 3.0  # a target this point did not report


def test_columns_come_in_a_fixed_order():
    cols = table_columns(_plan())
    assert cols[:8] == ["point", "id", "fleets.ferries.vessels", "links.gd.capacity", "status", "error", "seed",
                        "replications"]
    assert cols[8:] == list(TARGET_COLUMNS) + list(FIGURE_KEYS)
    assert {"target", "unit", "mean", "ci_lo", "ci_hi", "p_met", "verdict", "optimiser_bound"} <= set(cols)


def test_column_types_are_the_narrowest_that_hold_the_values():
    assert arrow_type({"bool"}) == pa.bool_() and arrow_type({"int"}) == pa.int64()
    assert arrow_type({"int", "float"}) == pa.float64()
    assert arrow_type({"int", "str"}) == pa.string() and arrow_type(set()) == pa.string()
    assert cast(3, pa.float64()) == 3.0 and cast(2.0, pa.string()) == "2.0" and cast(None, pa.int64()) is None


def test_tables_are_in_design_order_with_one_row_per_point_and_target(tmp_path):
    plan = _plan()
    failed = PointRecord(plan.points[1].id, 1, dict(plan.points[1].overrides), plan.seed, "failed", "boom", 5)
    records = [_ok(plan, 3, 4.0), failed, _ok(plan, 0, 1.0), _ok(plan, 3, 99.0)]  # finish order; 3 twice
    (tmp_path / LOG).write_text("".join(r.to_json() + "\n" for r in records))
    assert write_tables(tmp_path, plan) == (3, 1)  # points; point 2 never finished
    csv = pd.read_csv(tmp_path / "sweep.csv")
    assert list(csv["point"]) == [0, 0, 1, 1, 3, 3] and list(csv["target"]) == ["t", "pt"] * 3
    assert list(csv["fleets.ferries.vessels"]) == [1, 1, 2, 2, 4, 4]
    assert list(csv["status"]) == ["ok", "ok", "failed", "failed", "ok", "ok"] and csv["error"].iloc[2] == "boom"
    assert csv["mean"].iloc[4] == 4.0  # the first record of point 3 wins
    assert csv["mean"].iloc[2:4].isna().all()  # a failed point: its rows carry no figures
    table = pq.read_table(tmp_path / "sweep.parquet")
    assert table.column_names == list(csv.columns)
    assert table.schema.field("mean").type == pa.float64() and table.schema.field("point").type == pa.int64()
    assert table.schema.field("verdict").type == pa.string() and table.schema.field("unit").type == pa.string()
    assert not list(tmp_path.glob(".*.tmp"))
