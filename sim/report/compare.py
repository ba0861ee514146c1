"""`corridor compare`: reports side by side, what changed in the inputs, and which differences
are larger than the runs' noise.

Significance uses each target's per-replication values: a paired t-test when two runs share
the seed and the number of replications (common random numbers make the pairs comparable),
Welch's t-test otherwise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from rich.table import Table
from scipy import stats

from sim.errors import CorridorError
from sim.report.document import SCHEMA_VERSION, fmt

ALPHA = 0.05


@dataclass
class Loaded:
    path: Path
    data: dict[str, Any]
    resolved: dict[str, Any] | None


@dataclass
class Row:
    """One figure across the reports: values, deltas against the first, significance."""

    kind: str
    id: str
    unit: str
    values: list[float | None]
    deltas: list[float | None] = field(default_factory=list)
    relative: list[float | None] = field(default_factory=list)
    p_values: list[float | None] = field(default_factory=list)
    significant: list[bool | None] = field(default_factory=list)


@dataclass
class Comparison:
    names: list[str]
    paths: list[str]
    input_changes: list[dict[str, Any]]
    rows: list[Row]

    def to_dict(self) -> dict[str, Any]:
        return {"reports": [{"name": n, "path": p} for n, p in zip(self.names, self.paths)],
                "input_changes": self.input_changes,
                "rows": [r.__dict__ for r in self.rows]}


def load_report(path: Path) -> Loaded:
    """A report.json (or the folder holding one), refused with a clear message when unreadable."""
    path = Path(path)
    file = path / "report.json" if path.is_dir() else path
    if not file.is_file():
        raise CorridorError(f"{file}: no report here (expected report.json or a report folder)")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorridorError(f"{file}: not a readable report (corrupted or truncated JSON: {exc})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise CorridorError(f"{file}: not a corridor report (no schema_version)")
    major = str(data["schema_version"]).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise CorridorError(f"{file}: report schema {data['schema_version']} cannot be read by this version "
                            f"(reads {SCHEMA_VERSION.split('.')[0]}.x); rerun the scenario to compare")
    for key in ("scenario", "run", "targets"):
        if key not in data:
            raise CorridorError(f"{file}: report is missing {key!r} (truncated or hand-edited?)")
    resolved_file = file.parent / "scenario.resolved.yaml"
    resolved = None
    if resolved_file.is_file():
        try:
            resolved = yaml.safe_load(resolved_file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CorridorError(f"{resolved_file}: not readable YAML ({exc})") from None
    return Loaded(file, data, resolved)


_PROSE = {"note", "description", "source", "name", "sha256"}


def _value(x: Any) -> Any:
    """A figure's value ({value, source, note} -> value); anything else as it is."""
    return x["value"] if isinstance(x, dict) and "value" in x else x


def _diff(a: Any, b: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    """Differences of two resolved scenarios, figure by figure; a whole item added or removed is
    one difference, and notes, sources and descriptions are not inputs to compare."""
    a, b = _value(a), _value(b)
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key in _PROSE:
                continue
            sub = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append((sub, None, "added"))
            elif key not in b:
                out.append((sub, "removed", None))
            else:
                _diff(a[key], b[key], sub, out)
    elif a != b:
        out.append((path, a, b))


def input_changes(reports: list[Loaded]) -> list[dict[str, Any]]:
    """Inputs of each report that differ from the first report's (its resolved scenario)."""
    changes = []
    for other in reports[1:]:
        found: list[tuple[str, Any, Any]] = []
        _diff(reports[0].resolved or {}, other.resolved or {}, "", found)
        changes += [{"report": other.data["scenario"]["name"], "path": p, "from": a, "to": b}
                    for p, a, b in found if p not in ("year",)]
    for other in reports[1:]:
        for k in ("seed", "replications"):
            if other.data["run"][k] != reports[0].data["run"][k]:
                changes.append({"report": other.data["scenario"]["name"], "path": f"run.{k}",
                                "from": reports[0].data["run"][k], "to": other.data["run"][k]})
    return changes


def _test(a: list[float], b: list[float], paired: bool) -> float | None:
    """Two-sided p-value that runs a and b differ in mean."""
    a_, b_ = np.asarray(a, float), np.asarray(b, float)
    if len(a_) < 2 or len(b_) < 2:
        return None
    if paired and len(a_) == len(b_):
        d = b_ - a_
        if np.allclose(d, d[0]):
            return 1.0 if d[0] == 0 else 0.0
        return float(stats.ttest_rel(b_, a_).pvalue)
    if np.ptp(a_) == 0 and np.ptp(b_) == 0:
        return 1.0 if a_[0] == b_[0] else 0.0
    return float(stats.ttest_ind(b_, a_, equal_var=False).pvalue)


def compare(paths: list[Path]) -> Comparison:
    reports = [load_report(p) for p in paths]
    rows: list[Row] = []
    ids = []
    for r in reports:
        ids += [t["id"] for t in r.data["targets"] if t["id"] not in ids]
    for tid in ids:
        entries = [next((t for t in r.data["targets"] if t["id"] == tid), None) for r in reports]
        unit = next(e["unit"] for e in entries if e)
        rows.append(_tested_row("target", tid, unit, reports, [e["simulated"] if e else None for e in entries]))
        rows.append(_plain_row("target", f"{tid} P(met)", "share",
                               [e["simulated"]["p_met"] if e else None for e in entries]))
        rows.append(_plain_row("optimiser", f"{tid} max", unit,
                               [e["optimised"].get("max_deliverable") if e else None for e in entries]))
    flow_ids: list[str] = []
    for r in reports:
        flow_ids += [f["id"] for f in r.data.get("flows", []) if f["id"] not in flow_ids]
    for fid in flow_ids:
        entries = [next((f for f in r.data.get("flows", []) if f["id"] == fid), None) for r in reports]
        unit = next(e["unit"] for e in entries if e)
        rows.append(_tested_row("flow", f"{fid} delivered", unit, reports,
                                [e.get("delivered") if e else None for e in entries]))
        if any(e and "transit_days" in e for e in entries):
            rows.append(_plain_row("flow", f"{fid} transit days", "d",
                                   [e["transit_days"].get("mean") if e and "transit_days" in e else None
                                    for e in entries]))
    rows.append(_plain_row("plan", "plan cost", "MUSD/yr",
                           [(r.data.get("plan") or {}).get("cost") for r in reports]))
    return Comparison([r.data["scenario"]["name"] for r in reports], [str(r.path) for r in reports],
                      input_changes(reports), rows)


def _tested_row(kind: str, ident: str, unit: str, reports: list[Loaded],
                estimates: list[dict[str, Any] | None]) -> Row:
    """A figure with per-replication values in each report: deltas and a noise test each."""
    row = Row(kind, ident, unit, [e["mean"] if e else None for e in estimates])
    ref, base = estimates[0], reports[0].data["run"]
    for r, e in zip(reports, estimates):
        if ref is None or e is None:
            row.deltas.append(None), row.relative.append(None), row.p_values.append(None)
            row.significant.append(None)
            continue
        delta = e["mean"] - ref["mean"]
        row.deltas.append(delta)
        row.relative.append(delta / ref["mean"] if ref["mean"] else None)
        paired = r.data["run"]["seed"] == base["seed"] and r.data["run"]["replications"] == base["replications"]
        p = _test(ref.get("replications", []), e.get("replications", []), paired)
        row.p_values.append(p)
        row.significant.append(None if p is None else bool(p < ALPHA))
    return row


def _plain_row(kind: str, ident: str, unit: str, values: list[float | None]) -> Row:
    """A figure with no per-replication values: deltas only, no significance test."""
    ref = values[0]
    deltas = [None if v is None or ref is None else v - ref for v in values]
    rel = [None if d is None or not ref else d / ref for d in deltas]
    return Row(kind, ident, unit, values, deltas, rel, [None] * len(values), [None] * len(values))


def _cell(row: Row, i: int) -> str:
    v = row.values[i]
    if i == 0 or v is None or row.deltas[i] is None:
        return fmt(v)
    rel = row.relative[i]
    mark = {True: " *", False: " (noise)", None: ""}[row.significant[i]]
    rel_text = f", {rel:+.1%}" if rel is not None and math.isfinite(rel) else ""
    return f"{fmt(v)} ({row.deltas[i]:+.3g}{rel_text}){mark}"


def _change_text(ch: dict[str, Any]) -> str:
    if ch["to"] == "added":
        return f"{ch['report']}: {ch['path']} added"
    if ch["from"] == "removed":
        return f"{ch['report']}: {ch['path']} removed"
    return f"{ch['report']}: {ch['path']}: {ch['from']} → {ch['to']}"


def render(c: Comparison, fmt_: str = "table") -> Any:
    """The comparison as a rich table (terminal), Markdown, JSON or HTML text."""
    if fmt_ == "json":
        return json.dumps(c.to_dict(), indent=2, default=float)
    head = ["figure", "unit"] + c.names
    body = [[r.id, r.unit] + [_cell(r, i) for i in range(len(c.names))] for r in c.rows]
    changes = [_change_text(ch) for ch in c.input_changes]
    note = "* = larger than the runs' noise (p < 0.05; paired when seeds match)"
    if fmt_ == "md":
        lines = ["# Comparison: " + " vs ".join(c.names), "", "## What changed in the inputs", ""]
        lines += [f"- {x}" for x in changes] or ["- nothing: the resolved scenarios are identical"]
        lines += ["", "## Figures", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines + ["", note]) + "\n"
    if fmt_ == "html":
        import html

        rows_html = "".join("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in row) + "</tr>" for row in body)
        items = "".join(f"<li>{html.escape(x)}</li>" for x in changes) or "<li>nothing</li>"
        return (f"<!doctype html><meta charset='utf-8'><title>Comparison</title>"
                f"<h1>{html.escape(' vs '.join(c.names))}</h1><h2>What changed in the inputs</h2><ul>{items}</ul>"
                f"<table border=1 cellpadding=4><tr>{''.join(f'<th>{html.escape(h)}</th>' for h in head)}</tr>"
                f"{rows_html}</table><p>{html.escape(note)}</p>")
    if fmt_ != "table":
        raise CorridorError(f"--format: expected table, md, json or html, got {fmt_!r}")
    table = Table(*head, title="Comparison: " + " vs ".join(c.names), caption=note)
    for row in body:
        table.add_row(*row)
    group = Table.grid()
    group.add_row("[bold]What changed in the inputs[/]")
    for x in changes or ["nothing: the resolved scenarios are identical"]:
        group.add_row(f"  {x}")
    group.add_row(table)
    return group
