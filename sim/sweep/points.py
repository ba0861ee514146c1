"""A sweep point: the task a worker runs, the record it returns, and the durable log of records.

A point is the scenario with overrides, run by the same library functions as `corridor run`
(`sim.run.evaluate_point`: the same optimisation and simulation) with the sweep seed: as
written, or with the optimiser's plan built first when the sweep asks for it (`--replan`). Its
record keeps the summary a sweep needs (each target's measured value, with its unit, what it
measures and its figure: mean, 95% CI, P(met), verdict, optimiser bound and binding links; the
plan's key figures and, when built, what it built), never the per-replication arrays; a point
that fails keeps its error instead.

A worker does no fixed work twice (`ScenarioCache`, one per process): it reads each scenario
file once (its merged YAML, read again only when one of its files changes on disk) and takes
every point from it by applying the point's overrides to a copy of that tree
(`sim.scenario.loading.with_overrides`), then validates: the same scenario, by the same checks,
as `corridor run --set` of the same overrides. The last few points' validated scenarios are
kept with the optimiser's result, so a threshold search's later rounds at a point simulate at
once. Nothing is built that the sweep does not write: no resolved YAML, no file hashes, none
of the report's tables and no pictures (`sim.report.document.point_report`).

Finished records are appended to `points.jsonl` one complete, flushed and fsynced line at a
time, so a sweep killed at any moment loses at most the points in flight. On resume a
truncated last line (a kill mid-write) is cut off; the first record of a point wins if it is
ever there twice.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import CorridorError
from sim.sweep.designs import Point

if TYPE_CHECKING:
    from sim.optimiser.result import OptimiseResult
    from sim.scenario.loading import Raw
    from sim.scenario.schema import Scenario
    from sim.targets import Verdict

LOG = "points.jsonl"

# (scenario file, overrides, seed, replications or None) -> the report dict of `evaluate(...).data`
# (at least the keys `sim.report.document.point_report` gives)
EvaluatePoint = Callable[[Path, list[str], int, int | None], dict[str, Any]]

# What the real point function imports: loaded once per worker before its first point.
WARM_UP_MODULES = ("sim.run", "sim.optimiser.optimise", "sim.simulate", "sim.cargo.model", "sim.energy.model",
                   "sim.report.document")

Signature = tuple[tuple[Any, ...], ...]  # each file of a scenario: (path, size, modification time, inode)


@dataclass
class Prepared:
    """One point's validated scenario and, once run, the optimiser's result for it."""

    scenario: Scenario
    optimised: OptimiseResult | None = None


class ScenarioCache:
    """What a worker keeps between points: each scenario file's merged YAML (`Raw`), read once and
    again only when a file it came from changes on disk (path, size, modification time, inode),
    and the last `keep` points' validated scenarios with the optimiser's result."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self.raws: dict[str, tuple[Raw, Signature]] = {}
        self.points: OrderedDict[tuple[str, Signature, tuple[str, ...]], Prepared] = OrderedDict()
        self.reads = 0  # scenario files read (tests count them)

    def raw(self, scenario: Path) -> tuple[Signature, Raw]:
        """The scenario file's merged YAML without overrides, and the signature of its files on disk."""
        from sim.scenario.loading import read_raw

        path = str(scenario)
        held = self.raws.get(path)
        if held is not None and held[1] == signature(held[0].files):
            return held[1], held[0]
        raw = read_raw(scenario)
        self.reads += 1
        sig = signature(raw.files)
        self.raws[path] = (raw, sig)
        for key in [k for k in self.points if k[0] == path and k[1] != sig]:
            del self.points[key]  # points of a version no longer on disk
        return sig, raw

    def point(self, scenario: Path, overrides: list[str] | tuple[str, ...]) -> Prepared:
        """The validated scenario with `overrides` (bad input raises as `load_scenario` would)."""
        from sim.scenario.loading import validate, with_overrides

        sig, raw = self.raw(scenario)
        key = (str(scenario), sig, tuple(overrides))
        found = self.points.get(key)
        if found is not None:
            self.points.move_to_end(key)
            return found
        prepared = Prepared(validate(with_overrides(raw, overrides)))
        self.points[key] = prepared
        while len(self.points) > self.keep:
            self.points.popitem(last=False)
        return prepared


def signature(files: list[str]) -> Signature:
    """Each file's identity on disk: a change to any of them means reading the scenario again."""
    out: list[tuple[Any, ...]] = []
    for f in files:
        try:
            st = os.stat(f)
            out.append((f, st.st_size, st.st_mtime_ns, st.st_ino))
        except OSError:
            out.append((f, None, None, None))
    return tuple(out)


CACHE = ScenarioCache()  # this process's: forked workers start with what the parent read


def evaluate_report(scenario: Path, overrides: list[str], seed: int, replications: int | None,
                    workers: int = 1, with_plan: bool = False, first: int = 0) -> dict[str, Any]:
    """The real point function: `corridor run`'s optimisation and simulation of the scenario with
    `overrides`, taken from this process's `CACHE`, and of the report the part a point keeps
    (`workers` run a point's replications in parallel: the threshold search runs one point at a
    time; `with_plan` builds the optimiser's plan before simulating, as `corridor run
    --with-plan`; `first` is the first replication index, for a search adding replications)."""
    from sim.optimiser.optimise import optimise
    from sim.run import check_with_plan, evaluate_point

    prepared = CACHE.point(Path(scenario), overrides)
    if with_plan:
        check_with_plan(prepared.scenario)
    if prepared.optimised is None:
        prepared.optimised = optimise(prepared.scenario)
    return evaluate_point(prepared.scenario, seed=seed, replications=replications, workers=workers,
                          with_plan=with_plan, first_replication=first, optimised=prepared.optimised)


def prepare_worker(scenario: str) -> None:
    """What a sweep runs where its points will run, before the first: the imports (`warm_up`) and
    the scenario file read into that process's cache (forked workers inherit both)."""
    warm_up()
    CACHE.raw(Path(scenario))


def warm_up() -> None:
    """Import what the real point function needs, once per worker before its first point
    (forked workers inherit it from the parent; Dask workers run it when they join)."""
    for name in WARM_UP_MODULES:
        importlib.import_module(name)


@dataclass
class TargetSummary:
    """One target at one point, as the tables show it: the measured value (mean and 95% CI, in
    `unit`, of what `measure` says: delivered throughput or firm capacity), P(met), the verdict
    (`sim.targets`: met, at risk, not met; `met` is verdict == met), and the optimiser's bound on
    the network simulated. (Records logged before unit, measure and figure were kept read with
    them None; before verdicts, the verdict is read from `met`.)"""

    mean: float | None
    ci95_lo: float | None
    ci95_hi: float | None
    p_met: float | None
    met: bool
    max_deliverable: float | None
    binding: str  # the optimiser's binding links, joined by ';'
    unit: str | None = None
    measure: str | None = None  # throughput | firm
    figure: float | None = None  # the target's figure at this point, in `unit`
    verdict: Verdict | None = None  # None only while reading a record logged before verdicts

    def __post_init__(self) -> None:
        if self.verdict is None:
            self.verdict = "met" if self.met else "not met"


@dataclass
class PointRecord:
    """One line of the log: a finished point, with its summary (`status` ok) or its error (failed)."""

    id: str
    index: int
    overrides: dict[str, str]
    seed: int
    status: str  # ok | failed
    error: str | None
    replications: int | None
    targets: dict[str, TargetSummary] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)  # plan.feasible, plan.cost, plan.built
    wall_s: float = 0.0
    asked: int | None = None  # the replications a threshold search asked for

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PointRecord:
        targets = {tid: TargetSummary(**t) for tid, t in (d.get("targets") or {}).items()}
        return cls(d["id"], d["index"], d["overrides"], d["seed"], d["status"], d.get("error"),
                   d.get("replications"), targets, d.get("figures") or {}, d.get("wall_s", 0.0), d.get("asked"))


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point (small and picklable)."""

    scenario: str
    base: tuple[str, ...]
    point: Point
    index: int
    seed: int
    replications: int | None


def summarise(data: dict[str, Any]) -> tuple[dict[str, TargetSummary], dict[str, Any]]:
    """The targets and plan figures a point keeps from its report."""
    targets = {}
    for t in data["targets"]:
        sim_t, opt = t["simulated"], t.get("optimised") or {}
        lo, hi = sim_t["ci95"]
        targets[t["id"]] = TargetSummary(_num(sim_t["mean"]), _num(lo), _num(hi), _num(sim_t["p_met"]),
                                         bool(t["met"]), _num(opt.get("max_deliverable")),
                                         ";".join(opt.get("binding") or []), t.get("unit"), t.get("measure"),
                                         _num(t.get("target")), t.get("verdict"))
    plan = data.get("plan") or {}
    figures = {"plan.feasible": plan.get("feasible"), "plan.cost": _num(plan.get("cost"))}
    if data.get("plan_applied"):
        figures["plan.built"] = built_text(data.get("built") or [])
    return targets, figures


def built_text(expansions: list[dict[str, Any]]) -> str:
    """The expansions a point built, as the table shows them: `a_more 2 Mt/yr; c_line 2 Mt/yr`,
    or `nothing` for an empty plan."""
    return "; ".join(f"{e['id']} {e['amount']:.4g} {e.get('unit', '')}".strip() for e in expansions) or "nothing"


def _num(x: Any) -> float | None:
    return None if x is None else float(x)


def run_point(task: PointTask, evaluate_point: EvaluatePoint = evaluate_report) -> PointRecord:
    """Run one point; a failure (bad combination, solver error) becomes a record with its error."""
    start = time.perf_counter()
    record = PointRecord(task.point.id, task.index, dict(task.point.overrides), task.seed, "ok", None,
                         task.replications)
    try:
        data = evaluate_point(Path(task.scenario), [*task.base, *task.point.as_set()], task.seed,
                              task.replications)
        record.targets, record.figures = summarise(data)
        record.seed, record.replications = data["run"]["seed"], data["run"]["replications"]
    except Exception as exc:
        message = str(exc) if isinstance(exc, CorridorError) else f"{type(exc).__name__}: {exc}"
        record.status, record.error = "failed", message.strip() or type(exc).__name__
    record.wall_s = round(time.perf_counter() - start, 3)
    return record


class PointLog:
    """`points.jsonl`, open for appending: one complete JSON line per finished point, fsynced."""

    def __init__(self, path: Path, resume: bool):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            cut_partial_line(self.path)
        else:
            self.path.write_bytes(b"")
        self.fh = open(self.path, "ab")  # noqa: SIM115 (held open across appends; closed by close())

    def __enter__(self) -> PointLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, record: PointRecord) -> None:
        self.fh.write((record.to_json() + "\n").encode())
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def cut_partial_line(path: Path) -> None:
    """Truncate `path` after its last newline (what a kill mid-write leaves behind is cut off)."""
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            nl = fh.read(step).rfind(b"\n")
            if nl >= 0:
                pos = pos - step + nl + 1
                break
            pos -= step
        if pos != size:
            fh.truncate(pos)
            fh.flush()
            os.fsync(fh.fileno())


def read_log(path: Path) -> Iterator[tuple[int, PointRecord]]:
    """(byte offset, record) of every complete, readable line, streamed."""
    if not Path(path).exists():
        return
    with open(path, "rb") as fh:
        offset = 0
        for line in fh:
            record = _parse(line) if line.endswith(b"\n") else None
            if record is not None:
                yield offset, record
            offset += len(line)


def record_at(fh: Any, offset: int) -> PointRecord:
    """The record on the line at `offset` of an open log (an offset `read_log` gave)."""
    fh.seek(offset)
    record = _parse(fh.readline())
    assert record is not None, "record_at: an offset read_log did not give"  # programming error
    return record


def _parse(line: bytes) -> PointRecord | None:
    try:
        d = json.loads(line)
        return PointRecord.from_dict(d) if isinstance(d, dict) and "id" in d else None
    except (ValueError, KeyError, TypeError):
        return None


def finished_ids(path: Path) -> dict[str, int]:
    """Point id -> byte offset of its first record in the log."""
    found: dict[str, int] = {}
    for offset, record in read_log(path):
        found.setdefault(record.id, offset)
    return found
