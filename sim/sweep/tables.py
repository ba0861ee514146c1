"""The sweep's table: `sweep.parquet` and `sweep.csv`, a long table with one row per (point,
target), points in design order and targets in the scenario's order.

A row reads: which point (its index, id and the swept parameters' values, numbers in their
unit), how it ran (status, error, seed, replications), then one target's measured value (mean
and 95% CI `ci_lo`..`ci_hi`, in `unit`, of what `measure` says: delivered throughput or firm
capacity), its `figure`, P(met), the verdict, the optimiser's bound on the network simulated
and its binding links; then the point's plan figures (feasible, cost, and `plan.built` when the
sweep built the plan). A failed point has a row per target with its error and no figures.

Rebuilt from the points log at the end of every run (so a resumed sweep's table equals an
uninterrupted one's), streamed: one pass finds each point's line and the column types, a
second writes the rows in batches of `BATCH`, so memory does not grow with the sweep. Columns
come in a fixed order (never the order points happened to finish in); both files are written
beside their final names and renamed over them only when complete.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sim.io import atomic_path
from sim.sweep.designs import Parameter
from sim.sweep.points import LOG, PointRecord, read_log, record_at

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from sim.sweep.plan import SweepPlan

BATCH = 256  # rows per Parquet batch: what the table builder holds at once
TARGET_COLUMNS = ("target", "measure", "unit", "figure", "mean", "ci_lo", "ci_hi", "p_met", "verdict",
                  "optimiser_bound", "binding")
FIGURE_KEYS = ("plan.feasible", "plan.cost", "plan.built")


def point_columns(record: PointRecord, params: list[Parameter]) -> dict[str, Any]:
    """The columns every row of a point shares: which point, the varied values (numbers in their
    unit), how it ran."""
    row: dict[str, Any] = {"point": record.index, "id": record.id}
    for p in params:
        text = record.overrides.get(p.path)
        value = p.number(text) if (text is not None and p.numeric) else text
        row[p.path] = int(round(value)) if p.integer and isinstance(value, float) else value
    row.update(status=record.status, error=record.error, seed=record.seed, replications=record.replications)
    return row


def flatten(record: PointRecord, params: list[Parameter], targets: list[str]) -> Iterator[dict[str, Any]]:
    """A point's rows: one per target, `targets` (the plan's) first in their order, then any other
    target the record has; a failed point's rows carry no figures (a scenario with no target: one
    row with none)."""
    head = point_columns(record, params)
    tids: list[str | None] = [*targets, *(t for t in record.targets if t not in targets)]
    for tid in tids or [None]:
        row = {**head, "target": tid}
        t = record.targets.get(tid) if tid is not None else None
        if t is not None:
            row.update(measure=t.measure, unit=t.unit, figure=t.figure, mean=t.mean, ci_lo=t.ci95_lo,
                       ci_hi=t.ci95_hi, p_met=t.p_met, verdict=t.verdict,
                       optimiser_bound=t.max_deliverable, binding=t.binding)
        row.update(record.figures)
        yield row


def table_columns(plan: SweepPlan) -> list[str]:
    """The table's columns in a fixed order."""
    head = ["point", "id", *(p.path for p in plan.design.params), "status", "error", "seed", "replications"]
    return head + list(TARGET_COLUMNS) + list(FIGURE_KEYS)


def kind(v: Any) -> str:
    """The column kind a value asks for: bool, int, float or str."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    return "float" if isinstance(v, float) else "str"


def arrow_type(kinds: set[str]) -> pa.DataType:
    """The narrowest Arrow type that holds values of these kinds (ints with floats: float)."""
    import pyarrow as pa

    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"int"}:
        return pa.int64()
    if kinds and kinds <= {"int", "float"}:
        return pa.float64()
    return pa.string()


def cast(v: Any, type_: pa.DataType) -> Any:
    """A value as its column's Arrow type holds it."""
    import pyarrow as pa

    if v is None:
        return None
    if type_ == pa.string():
        return str(v)
    if type_ == pa.float64():
        return float(v)
    if type_ == pa.int64():
        return int(v)
    return v


def write_tables(folder: Path, plan: SweepPlan) -> tuple[int, int]:
    """Rebuild sweep.parquet and sweep.csv from the log, in design order, streaming. Returns
    (points written, failed points)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    log_path = folder / LOG
    wanted = {p.id for p in plan.points}
    offsets: dict[str, int] = {}
    names = table_columns(plan)
    targets = list(plan.targets)
    kinds: dict[str, set[str]] = {k: set() for k in names}
    kinds["point"] = {"int"}
    for offset, record in read_log(log_path):
        if record.id in offsets or record.id not in wanted:
            continue
        offsets[record.id] = offset
        for row in flatten(record, plan.design.params, targets):
            for k, v in row.items():
                if v is not None and k != "point":
                    kinds.setdefault(k, set()).add(kind(v))
    names += sorted(k for k in kinds if k not in names)  # any figure a custom point function adds
    schema = pa.schema([(k, arrow_type(kinds[k])) for k in names])
    written = failed = 0
    with atomic_path(folder / "sweep.parquet") as pq_tmp, atomic_path(folder / "sweep.csv") as csv_tmp, \
            open(log_path, "rb") as log, open(csv_tmp, "w", newline="") as csv_fh, \
            pq.ParquetWriter(pq_tmp, schema) as writer:
        table = csv.writer(csv_fh, lineterminator="\n")
        table.writerow(names)
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                cols = {k: [cast(r.get(k), schema.field(k).type) for r in batch] for k in names}
                writer.write_batch(pa.record_batch(cols, schema=schema))
                batch.clear()

        for i, point in enumerate(plan.points):
            if point.id not in offsets:
                continue
            record = record_at(log, offsets[point.id])
            failed += record.status != "ok"
            written += 1
            for row in flatten(record, plan.design.params, targets):
                row["point"] = i
                table.writerow(["" if row.get(k) is None else row.get(k) for k in names])
                batch.append(row)
                if len(batch) >= BATCH:
                    flush()
        flush()
    return written, failed
