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
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError
from rich.table import Table
from scipy import stats

from sim.errors import CorridorError
from sim.report import page
from sim.report.document import SCHEMA_VERSION, Delivered, ReportDocument, Simulated
from sim.report.render import fmt

ALPHA = 0.05


@dataclass
class Loaded:
    """A report read from disk, with the resolved scenario beside it (when there is one)."""

    path: Path
    doc: ReportDocument
    resolved: dict[str, Any] | None

    @property
    def name(self) -> str:
        return self.doc.scenario.name


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
class InputChange:
    """One input of `report` that differs from the first report's: `before` -> `after`
    ("added" / "removed" for a whole item)."""

    report: str
    path: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"report": self.report, "path": self.path, "from": self.before, "to": self.after}

    def __str__(self) -> str:
        if self.after == "added":
            return f"{self.report}: {self.path} added"
        if self.before == "removed":
            return f"{self.report}: {self.path} removed"
        return f"{self.report}: {self.path}: {self.before} → {self.after}"


@dataclass
class Comparison:
    names: list[str]
    paths: list[str]
    input_changes: list[InputChange]
    rows: list[Row]

    def to_dict(self) -> dict[str, Any]:
        return {"reports": [{"name": n, "path": p} for n, p in zip(self.names, self.paths)],
                "input_changes": [ch.to_dict() for ch in self.input_changes],
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
    try:
        doc = ReportDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CorridorError(f"{file}: report has a missing or bad {where!r} ({first['msg']}; "
                            f"{exc.error_count()} problems in all: truncated or hand-edited?)") from None
    resolved_file = file.parent / "scenario.resolved.yaml"
    resolved = None
    if resolved_file.is_file():
        try:
            resolved = yaml.safe_load(resolved_file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CorridorError(f"{resolved_file}: not readable YAML ({exc})") from None
    return Loaded(file, doc, resolved)


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


def input_changes(reports: list[Loaded]) -> list[InputChange]:
    """Inputs of each report that differ from the first report's (its resolved scenario), then
    differences in seed and number of replications."""
    first = reports[0]
    changes = []
    for other in reports[1:]:
        found: list[tuple[str, Any, Any]] = []
        _diff(first.resolved or {}, other.resolved or {}, "", found)
        changes += [InputChange(other.name, p, a, b) for p, a, b in found if p != "year"]
    for other in reports[1:]:
        for key, before, after in (("seed", first.doc.run.seed, other.doc.run.seed),
                                   ("replications", first.doc.run.replications, other.doc.run.replications)):
            if after != before:
                changes.append(InputChange(other.name, f"run.{key}", before, after))
    return changes


def p_value(a: list[float], b: list[float], paired: bool) -> float | None:
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
    """Reports side by side: every target and flow of any of them, and the plan's cost."""
    reports = [load_report(p) for p in paths]
    rows: list[Row] = []
    for tid in _ids([[t.id for t in r.doc.targets] for r in reports]):
        targets = [next((t for t in r.doc.targets if t.id == tid), None) for r in reports]
        unit = next(t.unit for t in targets if t)
        rows.append(_tested_row("target", tid, unit, reports, [t.simulated if t else None for t in targets]))
        rows.append(_plain_row("target", f"{tid} P(met)", "share",
                               [t.simulated.p_met if t else None for t in targets]))
        rows.append(_plain_row("optimiser", f"{tid} max", unit,
                               [t.optimised.max_deliverable if t else None for t in targets]))
    for fid in _ids([[f.id for f in r.doc.flows] for r in reports]):
        flows = [next((f for f in r.doc.flows if f.id == fid), None) for r in reports]
        unit = next(f.unit for f in flows if f)
        rows.append(_tested_row("flow", f"{fid} delivered", unit, reports,
                                [f.delivered if f else None for f in flows]))
        transit = [f.transit_days if f else None for f in flows]
        if any(t is not None for t in transit):
            rows.append(_plain_row("flow", f"{fid} transit days", "d",
                                   [t.get("mean") if t is not None else None for t in transit]))
    rows.append(_plain_row("plan", "plan cost", "MUSD/yr", [r.doc.plan.cost for r in reports]))
    return Comparison([r.name for r in reports], [str(r.path) for r in reports], input_changes(reports), rows)


def _ids(per_report: list[list[str]]) -> list[str]:
    """Every id of any report, in order of first appearance."""
    return list(dict.fromkeys(i for ids in per_report for i in ids))


def _tested_row(kind: str, ident: str, unit: str, reports: list[Loaded],
                estimates: list[Simulated | Delivered | None]) -> Row:
    """A figure with per-replication values in each report: deltas and a noise test each."""
    row = Row(kind, ident, unit, [e.mean if e else None for e in estimates])
    ref, base = estimates[0], reports[0].doc.run
    for r, e in zip(reports, estimates):
        if ref is None or e is None:
            row.deltas.append(None)
            row.relative.append(None)
            row.p_values.append(None)
            row.significant.append(None)
            continue
        delta = e.mean - ref.mean
        row.deltas.append(delta)
        row.relative.append(delta / ref.mean if ref.mean else None)
        paired = r.doc.run.seed == base.seed and r.doc.run.replications == base.replications
        p = p_value(ref.replications, e.replications, paired)
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


def render(c: Comparison, fmt_: str = "table") -> Any:
    """The comparison as a rich table (terminal), Markdown, JSON or HTML text."""
    if fmt_ == "json":
        return json.dumps(c.to_dict(), indent=2, default=float)
    head = ["figure", "unit"] + c.names
    body = [[r.id, r.unit] + [_cell(r, i) for i in range(len(c.names))] for r in c.rows]
    changes = [str(ch) for ch in c.input_changes]
    note = "* = larger than the runs' noise (p < 0.05; paired when seeds match)"
    if fmt_ == "md":
        lines = ["# Comparison: " + " vs ".join(c.names), "", "## What changed in the inputs", ""]
        lines += [f"- {x}" for x in changes] or ["- nothing: the resolved scenarios are identical"]
        lines += ["", "## Figures", "", *page.markdown_table(head, body)]
        return "\n".join(lines + ["", note]) + "\n"
    if fmt_ == "html":
        items = "".join(f"<li>{escape(x)}</li>" for x in changes) or "<li>nothing</li>"
        return page.page("Comparison: " + " vs ".join(c.names), [
            f"<h1>{escape(' vs '.join(c.names))}</h1>", f"<h2>What changed in the inputs</h2><ul>{items}</ul>",
            "<h2>Figures</h2>", page.table(head, [[escape(x) for x in row] for row in body]),
            f"<p class=meta>{escape(note)}</p>"])
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
