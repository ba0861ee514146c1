"""`corridor compare`: reports side by side, what changed in their inputs, and which figures
changed by more than the runs' noise.

Figures. Every figure of the reports: per target its simulated value, P(met) and the
optimiser's bound; per flow what it delivered and its transit days (mean, p50, p95); per port
tonnes in and out, vessel calls, berth utilisation and waits, and per node, link and fleet the
statistics `document.PER_REPLICATION` names (links: utilisation, availability); per passage its
days; the plan's cost. Report A (the first) is the reference: every other report's figure is
set against A's.

Rows line up by id, and when ids differ by what the row is: a flow by carrier, origin and
destination; a target by carrier, measure and the flows it sums (after the flows are lined up;
the flows come from the resolved scenario beside the report); a link by carrier, mode and ends.
A row that only some reports have is listed as "only in" them.

Tests (`sim.report.significance`). Each figure of report X is tested against A's on the two
runs' per-replication values: paired when X has A's seed and number of replications, so that
replication i of both ran on common random numbers (the t-test; Wilcoxon signed-rank from 15
pairs when the differences are plainly not normal); Welch's t-test when they differ; P(met) by
Newcombe's interval for the difference of two proportions. Holm's correction then adjusts every
p-value of the comparison together (all figures, every report against A): a figure "changed"
when its adjusted p < 0.05, else it differs "within noise". Identical values are "no change"
and not tested. The optimiser's bounds and the plan's cost have no noise: "changed" or "no
change". A report written before per-replication values were kept (`per_replication` in
report.json) shows those figures with "no per-replication values: not tested".
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from sim.errors import CorridorError
from sim.report import page
from sim.report.document import PASSAGE_DAYS, SCHEMA_VERSION, ReportDocument, kept_per_replication
from sim.report.render import fmt
from sim.report.significance import Test, holm, paired_test, proportion_test, welch_test

ALPHA = 0.05  # family-wise error rate of the whole comparison (Holm)

NO_CHANGE = "no change"
CHANGED = "changed"
NOISE = "within noise"
NOT_TESTED = "no per-replication values: not tested"
TOO_FEW = "too few replications: not tested"
ABSENT = "absent"
REFERENCE = "reference"


@dataclass
class Loaded:
    """A report read from disk, with the resolved scenario beside it (when there is one)."""

    path: Path
    doc: ReportDocument
    resolved: dict[str, Any] | None

    @property
    def name(self) -> str:
        return self.doc.scenario.name


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
    return Loaded(file, doc, resolved if isinstance(resolved, dict) else None)


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


def input_changes(reports: list[Loaded], labels: Sequence[str] | None = None) -> list[InputChange]:
    """Inputs of each report that differ from the first report's (its resolved scenario), then
    differences in seed and number of replications; each named by its report's label (default:
    the scenario's name)."""
    names = list(labels) if labels is not None else [r.name for r in reports]
    first = reports[0]
    changes = []
    for name, other in zip(names[1:], reports[1:]):
        found: list[tuple[str, Any, Any]] = []
        _diff(first.resolved or {}, other.resolved or {}, "", found)
        changes += [InputChange(name, p, a, b) for p, a, b in found if p != "year"]
    for name, other in zip(names[1:], reports[1:]):
        for key, before, after in (("seed", first.doc.run.seed, other.doc.run.seed),
                                   ("replications", first.doc.run.replications, other.doc.run.replications)):
            if after != before:
                changes.append(InputChange(name, f"run.{key}", before, after))
    return changes


@dataclass
class Sample:
    """One report's figure: its value (mean across replications), and its value in each
    replication when the report keeps them (None in a replication that did not measure it)."""

    value: float | None
    replications: list[float | None] | None = None


@dataclass
class Share:
    """A proportion: k of n replications (P(met))."""

    value: float
    k: int
    n: int


@dataclass
class Fixed:
    """A figure with no noise (the optimiser's): changed or not."""

    value: float | None


Figure = Sample | Share | Fixed


@dataclass
class Row:
    """One figure across the reports: values, and for each report against A (the first) the
    difference, the test, its p-value (raw and Holm-adjusted) and the verdict."""

    section: str  # target, flow, port, node, link, fleet, passage, plan
    id: str  # the row's id; "a = b" when the reports call it differently
    figure: str  # what is measured, in words
    unit: str
    values: list[float | None]
    deltas: list[float | None] = field(default_factory=list)
    relative: list[float | None] = field(default_factory=list)
    tests: list[str | None] = field(default_factory=list)
    p_values: list[float | None] = field(default_factory=list)
    p_holm: list[float | None] = field(default_factory=list)
    intervals: list[dict[str, list[float]] | None] = field(default_factory=list)  # P(met): {"ci95": Newcombe's}
    verdicts: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.section} {self.id}: {self.figure}" if self.id else f"{self.section} {self.figure}"

    @property
    def significant(self) -> list[bool | None]:
        """Per report: whether the figure changed beyond noise after Holm (None: not tested)."""
        return [None if p is None else p < ALPHA for p in self.p_holm]


@dataclass
class Unmatched:
    """A row some reports do not have: where it is."""

    section: str
    id: str
    present: list[str]  # the labels of the reports that have it

    def __str__(self) -> str:
        return f"{self.section} {self.id}: only in {', '.join(self.present)}"


@dataclass
class ReportRef:
    label: str  # A, B, C...
    name: str
    path: str
    seed: int
    replications: int
    pairing: str  # how its figures were tested against A's

    @property
    def heading(self) -> str:
        return f"{self.label}: {self.name}"


@dataclass
class Comparison:
    reports: list[ReportRef]
    input_changes: list[InputChange]
    rows: list[Row]
    only_in: list[Unmatched]
    summary: str = ""

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.reports]

    @property
    def tested(self) -> int:
        return sum(p is not None for r in self.rows for p in r.p_values)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "alpha": ALPHA,
                "reports": [asdict(r) for r in self.reports],
                "input_changes": [ch.to_dict() for ch in self.input_changes],
                "rows": [asdict(r) | {"label": r.label} for r in self.rows],
                "only_in": [asdict(u) for u in self.only_in]}


STAT_WORDS = {"utilisation": "utilisation", "availability": "availability", "wait_h_mean": "mean wait",
              "closed_days": "days closed", "tonnes_in": "tonnes in", "tonnes_out": "tonnes out",
              "calls": "vessel calls", "berth_utilisation": "berth utilisation",
              "berth_utilisation:": "berth utilisation", "berth_wait_h_mean:": "berth wait",
              "wait_h_per_call:berth": "berth wait per call", "voyages": "voyages", "quay_wait_h_mean": "quay wait"}
STAT_UNITS = {"utilisation": "share", "availability": "share", "wait_h_mean": "h", "closed_days": "d",
              "tonnes_in": "t", "tonnes_out": "t", "calls": "calls", "berth_utilisation": "share",
              "berth_utilisation:": "share", "berth_wait_h_mean:": "h", "wait_h_per_call:berth": "h",
              "voyages": "voyages", "quay_wait_h_mean": "h"}


def _stat_name(stat: str) -> str:
    """The PER_REPLICATION entry a statistic falls under ("berth_utilisation:ferry" -> "berth_utilisation:")."""
    head, colon, _ = stat.partition(":")
    return stat if stat in STAT_WORDS else f"{head}:" if colon else stat


def _stat_words(stat: str) -> str:
    name = _stat_name(stat)
    kind = stat.partition(":")[2] if name.endswith(":") else ""
    return STAT_WORDS.get(name, stat) + (f" ({kind})" if kind else "")


T = TypeVar("T")
Key = Callable[[int, Any], Hashable | None]


def align(items: Sequence[Sequence[T]], keys: Sequence[Key]) -> list[list[T | None]]:
    """Rows of each report lined up: one group per thing, one slot per report. Each report's rows
    join the groups made so far by the first key (report index, row) -> hashable that matches
    exactly one open group and one row; a row left over starts a group of its own."""
    groups: list[list[T | None]] = []
    for i, mine in enumerate(items):
        left = list(mine)
        for key in keys:
            open_ = [g for g in groups if g[i] is None]
            by_group: dict[Hashable, list[list[T | None]]] = {}
            for g in open_:
                j = next(j for j, x in enumerate(g) if x is not None)
                k = key(j, g[j])
                if k is not None:
                    by_group.setdefault(k, []).append(g)
            by_row: dict[Hashable, list[T]] = {}
            for row in left:
                k = key(i, row)
                if k is not None:
                    by_row.setdefault(k, []).append(row)
            for k, rows in by_row.items():
                if len(rows) == 1 and len(by_group.get(k, [])) == 1:
                    by_group[k][0][i] = rows[0]
                    left.remove(rows[0])
        for row in left:
            group: list[T | None] = [None] * len(items)
            group[i] = row
            groups.append(group)
    return groups


def _labels(n: int) -> list[str]:
    return [string.ascii_uppercase[i] if i < 26 else f"R{i + 1}" for i in range(n)]


def compare(paths: Sequence[Path]) -> Comparison:
    """Reports side by side against the first: every figure, tested for noise, Holm-corrected."""
    reports = [load_report(Path(p)) for p in paths]
    labels = _labels(len(reports))
    base = reports[0].doc.run
    refs = []
    for label, r in zip(labels, reports):
        run = r.doc.run
        if r is reports[0]:
            pairing = "reference"
        elif (run.seed, run.replications) == (base.seed, base.replications):
            pairing = f"paired on common random numbers (seed {run.seed}, {run.replications} replications)"
        else:
            pairing = (f"Welch's t-test: seeds or replications differ from A's ({run.seed}/{run.replications} "
                       f"against {base.seed}/{base.replications}), so replications do not pair")
        refs.append(ReportRef(label, r.name, str(r.path), run.seed, run.replications, pairing))
    rows: list[Row] = []
    only_in: list[Unmatched] = []
    for section, ident, figures in _figures(reports):
        present = [i for i, f in enumerate(figures) if f is not None]
        if len(present) < len(reports):
            only_in.append(Unmatched(section, ident, [labels[i] for i in present]))
        if len(present) < 2:
            continue
        units: dict[str, str] = {}
        for i in present:
            for name, unit, _ in figures[i] or []:
                units.setdefault(name, unit)
        for name, unit in units.items():
            rows.append(_row(section, ident, name, unit, [
                None if f is None else next((v for n, _, v in f if n == name), None) for f in figures], refs))
    _adjust(rows)
    c = Comparison(refs, input_changes(reports, [f"{r.label} ({r.name})" for r in refs]), rows, only_in)
    c.summary = summary(c)
    return c


Figures = list[tuple[str, str, Figure]]  # (figure in words, unit, the figure) of one row in one report


def _group_id(group: Sequence[T | None], ident: Callable[[T], str]) -> str:
    return " = ".join(dict.fromkeys(ident(x) for x in group if x is not None))


def _figures(reports: list[Loaded]) -> Iterator[tuple[str, str, list[Figures | None]]]:
    """Each lined-up row of the reports: (section, id, per report its figures or None)."""
    docs = [r.doc for r in reports]
    per = [d.per_replication for d in docs]

    flows = align([d.flows for d in docs], [lambda i, f: f.id, lambda i, f: (f.carrier, f.origin, f.destination)])
    flow_group = {(i, f.id): g for g, group in enumerate(flows) for i, f in enumerate(group) if f is not None}

    def target_flows(i: int, t: Any) -> Hashable | None:
        resolved = reports[i].resolved or {}
        spec = (resolved.get("targets") or {}).get(t.id)
        ids = spec.get("flows") if isinstance(spec, dict) else None
        if not isinstance(ids, list) or any((i, f) not in flow_group for f in ids):
            return None
        return (t.carrier, t.measure, frozenset(flow_group[(i, f)] for f in ids))

    yield from _lined("target", align([d.targets for d in docs], [target_flows, lambda i, t: t.id]),
                      lambda t: t.id, lambda i, t: _target_figures(t))
    yield from _lined("flow", flows, lambda f: f.id, lambda i, f: _flow_figures(f, per[i]))
    nodes = align([d.nodes for d in docs], [lambda i, n: n.id])
    ports = [any(k == "calls" or k.startswith("berth_") for n in g if n is not None for k in n.model_extra or {})
             for g in nodes]
    for section, wanted in (("port", True), ("node", False)):
        yield from _lined(section, [g for g, port in zip(nodes, ports) if port is wanted],
                          lambda n: n.id, lambda i, n: _table_figures("nodes", n, per[i]))
    yield from _lined("link", align([d.links for d in docs], [lambda i, l: l.id,
                                                              lambda i, l: (l.carrier, l.mode, l.from_, l.to)]),
                      lambda l: l.id, lambda i, l: _table_figures("links", l, per[i]))
    yield from _lined("fleet", align([d.fleets for d in docs], [lambda i, f: f.id]),
                      lambda f: f.id, lambda i, f: _table_figures("fleets", f, per[i]))
    yield from _lined("passage", align([d.passages for d in docs], [lambda i, p: (p.from_, p.to)]),
                      lambda p: f"{p.from_}→{p.to}", lambda i, p: _passage_figures(p, per[i]))
    yield "plan", "", [[("cost", "MUSD/yr", Fixed(None if d.plan.cost is None else float(d.plan.cost)))]
                           for d in docs]


def _lined(section: str, groups: list[list[T | None]], ident: Callable[[T], str],
           figures: Callable[[int, T], Figures]) -> Iterator[tuple[str, str, list[Figures | None]]]:
    """Lined-up rows as (section, id, per report its figures or None)."""
    for group in groups:
        yield section, _group_id(group, ident), [None if x is None else figures(i, x) for i, x in enumerate(group)]


def _target_figures(t: Any) -> Figures:
    sim = t.simulated
    n = len(sim.replications)
    out: Figures = [("simulated", t.unit, Sample(sim.mean, list(sim.replications))),
                    ("P(met)", "share", _p_met(sim.p_met, n)),
                    ("optimiser bound", t.unit, Fixed(t.optimised.max_deliverable))]
    for name, f in (t.framings or {}).items():  # a power target in each framing: mean and P(met)
        out += [(f"{name} (framing)", f.unit, Fixed(f.mean)),
                (f"{name} P(met)", "share", _p_met(f.p_met, n))]
    return out


def _p_met(p_met: float, n: int) -> Share | Fixed:
    """P(met) as the share of `n` replications met (a fixed figure when the report kept none)."""
    return Share(p_met, round(p_met * n), n) if n else Fixed(p_met)


def _flow_figures(f: Any, per: Any) -> Figures:
    own = per.flows.get(f.id, {}) if per is not None else {}
    out: Figures = []
    if f.delivered is not None:
        out.append(("delivered", f.unit, Sample(f.delivered.mean, list(f.delivered.replications))))
    for k in PASSAGE_DAYS:
        if f.transit_days and k in f.transit_days:
            out.append((f"transit days {k}", "d", Sample(f.transit_days[k], own.get(f"transit_days.{k}"))))
    return out


def _table_figures(table: str, row: Any, per: Any) -> Figures:
    own = getattr(per, table).get(row.id, {}) if per is not None else {}
    stats_ = {k: getattr(row, k) for k in ("utilisation", "availability") if k in type(row).model_fields}
    stats_ |= dict(row.model_extra or {})
    return [(_stat_words(k), STAT_UNITS.get(_stat_name(k), ""), Sample(None if v is None else float(v), own.get(k)))
            for k, v in stats_.items() if kept_per_replication(table, k)]


def _passage_figures(p: Any, per: Any) -> Figures:
    own = per.passages.get(f"{p.from_}→{p.to}", {}) if per is not None else {}
    return [(f"days {k}", "d", Sample(getattr(p.days, k), own.get(k))) for k in PASSAGE_DAYS]


def _row(section: str, ident: str, figure: str, unit: str, figs: list[Figure | None],
         refs: list[ReportRef]) -> Row:
    """One figure across the reports, each tested against A's (Holm comes later, over all rows)."""
    row = Row(section, ident, figure, unit, [None if f is None else f.value for f in figs])
    ref = figs[0]
    for i, f in enumerate(figs):
        delta = None if f is None or ref is None or f.value is None or ref.value is None else f.value - ref.value
        row.deltas.append(delta)
        row.relative.append(delta / ref.value if delta is not None and ref is not None and ref.value else None)
        verdict, test = (REFERENCE, None) if i == 0 else _judge(ref, f, refs[i].pairing.startswith("paired"))
        row.verdicts.append(verdict)
        row.tests.append(None if test is None else test.name)
        row.p_values.append(None if test is None else test.p)
        row.intervals.append(None if test is None or test.interval is None else {"ci95": list(test.interval)})
    return row


def _judge(a: Figure | None, b: Figure | None, paired: bool) -> tuple[str, Test | None]:
    """b's figure against a's: a verdict, and the test when one was made."""
    if a is None or b is None or a.value is None or b.value is None:
        return (NO_CHANGE if a is not None and b is not None and a.value is b.value else ABSENT), None
    if isinstance(a, Share) and isinstance(b, Share):
        return (NO_CHANGE, None) if a.value == b.value else (NOISE, proportion_test(a.k, a.n, b.k, b.n))
    if isinstance(a, Sample) and isinstance(b, Sample) and a.replications is not None and b.replications is not None:
        ra, rb = a.replications, b.replications
        if _identical(ra, rb):
            return NO_CHANGE, None
        if paired and len(ra) == len(rb):
            pairs = [(x, y) for x, y in zip(ra, rb) if x is not None and y is not None]
            test = paired_test([x for x, _ in pairs], [y for _, y in pairs])
        else:
            test = welch_test([x for x in ra if x is not None], [y for y in rb if y is not None])
        return (TOO_FEW, None) if test is None else (NOISE, test)
    if _close(a.value, b.value):
        return NO_CHANGE, None
    return (CHANGED if isinstance(a, Fixed) and isinstance(b, Fixed) else NOT_TESTED), None


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)


def _identical(a: Sequence[float | None], b: Sequence[float | None]) -> bool:
    """The same value (or none) in every replication."""
    return len(a) == len(b) and all(x is y or (x is not None and y is not None and _close(x, y))
                                    for x, y in zip(a, b))


def _adjust(rows: list[Row]) -> None:
    """Holm over every p-value of the comparison; a tested figure changed when its adjusted p < ALPHA."""
    cells = [(r, i, p) for r in rows for i, p in enumerate(r.p_values) if p is not None]
    for r in rows:
        r.p_holm = [None] * len(r.values)
    for (r, i, _), adjusted in zip(cells, holm([p for _, _, p in cells])):
        r.p_holm[i] = adjusted
        if r.verdicts[i] == NOISE and adjusted < ALPHA:
            r.verdicts[i] = CHANGED


def _describe(row: Row, i: int) -> str:
    """A change in words: "target t: simulated fell 64% (1.85 → 0.67 Mt/yr)"."""
    a, b = row.values[0], row.values[i]
    if a is None or b is None:
        return row.label
    verb = "rose" if b > a else "fell"
    if row.unit == "share":
        return f"{row.label} {verb} from {a:.0%} to {b:.0%}"
    rel = row.relative[i]
    size = f" {abs(rel):.0%}" if rel is not None else ""
    return f"{row.label} {verb}{size} ({fmt(a, 4)} → {fmt(b, 4)} {row.unit})"


def summary(c: Comparison) -> str:
    """One paragraph: per report against A, how many figures changed beyond noise after Holm,
    how many did not change, and the biggest changes in words (the targets' first)."""
    if len(c.reports) < 2:
        return ""
    a = c.reports[0]
    parts = []
    for i, ref in enumerate(c.reports[1:], start=1):
        verdicts = [r.verdicts[i] for r in c.rows]
        changed = [r for r in c.rows if r.verdicts[i] == CHANGED]
        tested = [r for r in changed if r.p_values[i] is not None]
        inputs = [ch for ch in c.input_changes if ch.report.startswith(f"{ref.label} ")]
        text = (f"{ref.label} ({ref.name}) against {a.label} ({a.name}), {len(inputs)} input"
                f"{'s' if len(inputs) != 1 else ''} changed, {ref.pairing}: of {len(c.rows)} figures, "
                f"{len(tested)} changed significantly after Holm's correction over {c.tested} tests "
                f"(α = {ALPHA:g})")
        rest = [(len(changed) - len(tested), "of the optimiser's changed"),
                (verdicts.count(NO_CHANGE), "show no change"), (verdicts.count(NOISE), "differ within noise"),
                (verdicts.count(NOT_TESTED), "were not tested (no per-replication values)"),
                (verdicts.count(TOO_FEW), "were not tested (too few replications)"),
                (verdicts.count(ABSENT), "are missing from one of the two")]
        text += "".join(f", {n} {words}" for n, words in rest if n)
        # targets' own figures first (what the scenario is judged on), then the rest, each by size
        biggest = sorted(changed, key=lambda r: (r.section == "target" and r.p_values[i] is not None,
                                                 _size(r.relative[i])), reverse=True)
        if biggest:
            text += ". Biggest changes: " + "; ".join(_describe(r, i) for r in biggest[:4])
        parts.append(text + ".")
    return " ".join(parts)


def _size(relative: float | None) -> float:
    """How big a change is, for ordering: its relative size (from zero: infinite)."""
    return math.inf if relative is None else abs(relative)


def _change(row: Row, i: int) -> str:
    """Report i's figure against A's, in a cell: difference, verdict, test."""
    verdict, d = row.verdicts[i], row.deltas[i]
    if verdict in (NO_CHANGE, ABSENT, REFERENCE):
        return verdict if verdict != ABSENT else "—"
    rel = row.relative[i]
    head = "" if d is None else f"{d:+.3g}" + (f" ({rel:+.1%})" if rel is not None and math.isfinite(rel) else "")
    text = f"{head} {verdict}".strip()
    p, p_holm = row.p_values[i], row.p_holm[i]
    if p is not None and p_holm is not None:
        text += f" · {row.tests[i]}, p = {p:.2g}, Holm {p_holm:.2g}"
    interval = row.intervals[i]
    if interval is not None:
        lo, hi = interval["ci95"]
        text += f" · 95% CI {lo:+.2f} to {hi:+.2f}"
    return text


NOTE = ("Each report is set against A. On per-replication values: paired t-test on common random numbers "
        "(same seed and replications; Wilcoxon signed-rank from 15 pairs when Shapiro-Wilk rejects normal "
        "differences, p < 0.05), Welch's t-test otherwise; P(met): Newcombe's hybrid score interval. \"changed\": "
        "Holm-adjusted p < 0.05 over every test of the comparison. \"no change\": identical values, not tested. "
        "The optimiser's figures have no noise.")


def _table(c: Comparison) -> tuple[list[str], list[list[str]]]:
    head = ["figure", "unit"] + [r.heading for r in c.reports] + [f"{r.label} vs {c.reports[0].label}"
                                                                  for r in c.reports[1:]]
    body = [[r.label, r.unit] + [fmt(v, 4) for v in r.values] + [_change(r, i) for i in range(1, len(c.reports))]
            for r in c.rows]
    return head, body


def render(c: Comparison, fmt_: str = "table") -> Any:
    """The comparison as a rich table (terminal), Markdown, JSON or HTML text."""
    if fmt_ == "json":
        return json.dumps(c.to_dict(), indent=2, default=float)
    head, body = _table(c)
    title = "Comparison: " + " vs ".join(r.heading for r in c.reports)
    changes = [str(ch) for ch in c.input_changes] or ["nothing: the resolved scenarios are identical"]
    only = [str(u) for u in c.only_in]
    reports = [f"{r.heading} ({r.path}; seed {r.seed}, {r.replications} replications)" for r in c.reports]
    if fmt_ == "md":
        lines = [f"# {title}", "", c.summary, "", "## Reports", "", *[f"- {x}" for x in reports],
                 "", "## What changed in the inputs", "", *[f"- {x}" for x in changes],
                 "", "## Figures", "", *page.markdown_table(head, body)]
        if only:
            lines += ["", "## Rows only some reports have", "", *[f"- {x}" for x in only]]
        return "\n".join(lines + ["", NOTE]) + "\n"
    if fmt_ == "html":
        def items(xs: list[str]) -> str:
            return "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in xs) + "</ul>"

        parts = [f"<h1>{escape(title)}</h1>", f"<p>{escape(c.summary)}</p>", "<h2>Reports</h2>", items(reports),
                 "<h2>What changed in the inputs</h2>", items(changes),
                 "<h2>Figures</h2>", page.table(head, [[escape(x) for x in row] for row in body])]
        if only:
            parts += ["<h2>Rows only some reports have</h2>", items(only)]
        return page.page(title, parts + [f"<p class=meta>{escape(NOTE)}</p>"])
    if fmt_ != "table":
        raise CorridorError(f"--format: expected table, md, json or html, got {fmt_!r}")
    table = Table(*head, title=title, caption=NOTE)
    for row in body:
        table.add_row(*(Text(cell) for cell in row))  # plain text: a "[...]" in a value is not markup
    group = Table.grid()
    group.add_row(Text(c.summary))
    group.add_row("")
    group.add_row(Text("What changed in the inputs", style="bold"))
    for x in changes:
        group.add_row(Text(f"  {x}"))
    group.add_row(table)
    if only:
        group.add_row(Text("Rows only some reports have", style="bold"))
        for x in only:
            group.add_row(Text(f"  {x}"))
    return group
