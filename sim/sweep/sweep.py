"""`corridor sweep`: a design over scenario parameters, run point by point, durably, in parallel.

Each point is the scenario with overrides, run by the same library function as `corridor run`
with the sweep seed (common random numbers: points differ only by their overrides, never by
which worker ran them or when). Finished points are appended to `points.jsonl` one complete,
fsynced line at a time, so a sweep killed at any moment loses at most the points in flight;
`--resume` skips the points already there (matched by content, not position). The tables
`sweep.parquet` and `sweep.csv` are rebuilt from that log at the end, streamed, in design order.

`find_threshold` bisects one parameter to where a target's probability met crosses a level,
adding replications at each step until the Wilson interval of that probability is clear of it.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import json
import math
import os
import tempfile
import time
from abc import ABC, abstractmethod
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Iterator

import yaml

from sim.sweep.designs import Design, Parameter, Point, make_design, parse_spec, parse_vary
from sim.errors import CorridorError, Problem
from sim.io import write_text

SCHEMA_VERSION = "1.0"
LOG = "points.jsonl"
MANIFEST = "sweep.json"
BATCH = 256  # rows per Parquet batch: what the table builder holds at once

# (scenario file, overrides, seed, replications or None) -> the report dict of `evaluate(...).data`
EvaluatePoint = Callable[[Path, list[str], int, "int | None"], dict[str, Any]]


def evaluate_report(scenario: Path, overrides: list[str], seed: int, replications: int | None,
                    workers: int = 1) -> dict[str, Any]:
    """The real point function: everything `corridor run` does except writing files (`workers`
    run a point's replications in parallel: the threshold search runs one point at a time)."""
    from sim.run import evaluate

    return evaluate(scenario, overrides=overrides, seed=seed, replications=replications, workers=workers).data


def warm_up() -> None:
    """Import what the real point function needs, once per worker before its first point
    (forked workers inherit it from the parent; Dask workers run it when they join)."""
    import importlib

    for name in ("sim.run", "sim.optimiser.optimise", "sim.simulate", "sim.cargo.model", "sim.energy.model", "sim.report.document"):
        importlib.import_module(name)


# --- what a point's result keeps -------------------------------------------------------------


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """The summary rows kept for a point: each target's mean, CI, P(met), verdict, optimiser
    maximum and binding links, and the plan's key figures (no per-replication arrays)."""
    targets = {}
    for t in data["targets"]:
        sim_t, opt = t["simulated"], t.get("optimised") or {}
        lo, hi = sim_t["ci95"]
        targets[t["id"]] = {"mean": _num(sim_t["mean"]), "ci95_lo": _num(lo), "ci95_hi": _num(hi),
                            "p_met": _num(sim_t["p_met"]), "met": bool(t["met"]),
                            "max_deliverable": _num(opt.get("max_deliverable")),
                            "binding": ";".join(opt.get("binding") or [])}
    plan = data.get("plan") or {}
    figures = {"plan.feasible": plan.get("feasible"), "plan.cost": _num(plan.get("cost"))}
    return {"targets": targets, "figures": figures, "seed": data["run"]["seed"],
            "replications": data["run"]["replications"]}


def _num(x: Any) -> float | None:
    return None if x is None else float(x)


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to run one point (small and picklable)."""

    scenario: str
    base: tuple[str, ...]
    point: Point
    index: int
    seed: int
    replications: int | None


def run_point(task: PointTask, evaluate_point: EvaluatePoint = evaluate_report) -> dict[str, Any]:
    """Run one point; a failure (bad combination, solver error) becomes a record with its error."""
    start = time.perf_counter()
    record: dict[str, Any] = {"id": task.point.id, "index": task.index,
                              "overrides": dict(task.point.overrides), "seed": task.seed}
    try:
        data = evaluate_point(Path(task.scenario), [*task.base, *task.point.as_set()], task.seed,
                              task.replications)
        record.update(summarise(data), status="ok", error=None)
    except Exception as exc:
        message = str(exc) if isinstance(exc, CorridorError) else f"{type(exc).__name__}: {exc}"
        record.update(status="failed", error=message.strip() or type(exc).__name__,
                      replications=task.replications)
    record["wall_s"] = round(time.perf_counter() - start, 3)
    return record


# --- executors -------------------------------------------------------------------------------


class Executor(ABC):
    """Runs a function over tasks and yields results as they finish (order not kept).

    At most `window` tasks are in flight, so memory does not grow with the number of tasks.
    """

    workers: int = 1
    prepare: Callable[[], None] | None = None  # run once where the points will run, before the first

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @abstractmethod
    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield `fn(task)` for every task, as each finishes."""

    @property
    def window(self) -> int:
        return 2 * self.workers + 2


class SequentialExecutor(Executor):
    """In this process, one point after another (debugging, and the 1-worker baseline)."""

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)


def _ready() -> int:
    return os.getpid()


class PoolExecutor(Executor):
    """Local worker processes (`concurrent.futures.ProcessPoolExecutor`)."""

    def __init__(self, workers: int, prepare: Callable[[], None] | None = None):
        self.workers, self.prepare = workers, prepare
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> PoolExecutor:
        import multiprocessing

        if self.prepare is not None:
            self.prepare()  # in this process: forked workers start with it done
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(method))
        # Start the workers now, before a progress bar starts its thread (forking with threads is unsafe).
        wait([self.pool.submit(_ready) for _ in range(self.workers)])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        assert self.pool is not None, "use PoolExecutor as a context manager"  # programming error
        it = iter(tasks)
        pending = {self.pool.submit(fn, t) for t in islice(it, self.window)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(self.pool.submit(fn, nxt))
                yield future.result()


class DaskExecutor(Executor):
    """A Dask distributed cluster: at `address`, or a local one started for the sweep."""

    def __init__(self, address: str | None, workers: int, prepare: Callable[[], None] | None = None):
        self.address, self.workers, self.prepare = address, workers, prepare
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        import logging

        from distributed import Client, LocalCluster

        if self.address is None:
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise CorridorError(f"--scheduler: cannot reach a Dask scheduler at {self.address!r} ({exc})") from None
            self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        if self.prepare is not None:
            self.client.run(self.prepare)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        it = iter(tasks)
        futures = as_completed([self.client.submit(fn, t, pure=False) for t in islice(it, self.window)])
        for future in futures:
            result = future.result()
            future.release()
            nxt = next(it, None)
            if nxt is not None:
                futures.add(self.client.submit(fn, nxt, pure=False))
            yield result


def make_executor(workers: int | None, scheduler: str | None,
                  prepare: Callable[[], None] | None = None) -> Executor:
    """Processes by default (all cores), a Dask cluster with `scheduler` ('local' starts one)."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise CorridorError(f"--workers: expected at least 1, got {n}")
    if scheduler is not None:
        return DaskExecutor(None if scheduler == "local" else scheduler, n, prepare)
    return SequentialExecutor() if n == 1 else PoolExecutor(n, prepare)


# --- the durable log -------------------------------------------------------------------------


class PointLog:
    """`points.jsonl`: one complete JSON line per finished point, flushed and fsynced.

    On opening for resume, a truncated last line (a kill mid-write) is cut off, so the next
    line starts clean; the first record of a point wins if it is ever there twice.
    """

    def __init__(self, path: Path, resume: bool):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume and self.path.exists():
            _cut_partial_line(self.path)
        else:
            self.path.write_bytes(b"")
        self.fh = open(self.path, "ab")

    def append(self, record: dict[str, Any]) -> None:
        self.fh.write((json.dumps(record, separators=(",", ":")) + "\n").encode())
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def _cut_partial_line(path: Path) -> None:
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                pos = pos - step + nl + 1
                break
            pos -= step
        if pos != size:
            fh.truncate(pos)
            fh.flush()
            os.fsync(fh.fileno())


def read_log(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(byte offset, record) of every complete, readable line, streamed."""
    if not Path(path).exists():
        return
    with open(path, "rb") as fh:
        offset = 0
        for line in fh:
            if line.endswith(b"\n"):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if isinstance(record, dict) and "id" in record:
                    yield offset, record
            offset += len(line)


def finished_ids(path: Path) -> dict[str, int]:
    """Point id -> byte offset of its first record in the log."""
    found: dict[str, int] = {}
    for offset, record in read_log(path):
        found.setdefault(record["id"], offset)
    return found


# --- planning a sweep ------------------------------------------------------------------------


@dataclass
class SweepPlan:
    """Everything that fixes a sweep's results: scenario, base overrides, seed, design."""

    scenario: Path
    name: str
    sha256: str
    base: list[str]
    seed: int
    replications: int | None
    design: Design
    points: list[Point]
    targets: dict[str, str] = field(default_factory=dict)  # id -> its figure, as the tables describe it

    def manifest(self) -> dict[str, Any]:
        d = self.design
        return {
            "schema_version": SCHEMA_VERSION, "scenario": {"name": self.name, "file": str(self.scenario),
                                                            "sha256": self.sha256},
            "overrides": self.base, "seed": self.seed, "replications": self.replications,
            "targets": self.targets,
            "design": d.name, "samples": d.samples, "notes": d.notes,
            "params": [{"path": p.path, "spec": p.spec, "kind": p.kind, "unit": p.unit, "integer": p.integer}
                       for p in d.params],
            "points": [{"id": p.id, "overrides": dict(p.overrides)} for p in self.points],
            "rows": [p.id for p in d.rows] if d.unit is not None else None,
            "unit": d.unit.tolist() if d.unit is not None else None,
        }


_IDENTITY = ("scenario", "overrides", "seed", "replications", "design", "samples", "params", "points")


def plan_sweep(scenario: Path, params: list[Parameter], *, overrides: Iterable[str] = (), seed: int | None = None,
               replications: int | None = None, design: str = "grid", samples: int | None = None) -> SweepPlan:
    """Validate the base scenario and the varied paths, and build the design (bad input raises)."""
    from sim.scenario.loading import read_raw, validate

    scenario = Path(scenario)
    base = list(overrides)
    model = validate(read_raw(scenario, base))
    if replications is not None and replications < 1:
        raise CorridorError(f"--replications: expected at least 1, got {replications}")
    sweep_seed = model.simulation.seed if seed is None else seed
    d = make_design(design, params, samples, sweep_seed)
    points = d.unique()
    _check_paths(scenario, base, points[0])
    return SweepPlan(scenario, model.name, hashlib.sha256(scenario.read_bytes()).hexdigest(), base,
                     sweep_seed, replications, d, points, describe_targets(model))


def _check_paths(scenario: Path, base: list[str], point: Point) -> None:
    """A varied path that names a key the scenario does not have is a typo: bad input, raised now,
    not one failure per point. (A value that fails validation at some points is recorded there.)"""
    from sim.errors import ScenarioError
    from sim.scenario.loading import parse_override, read_raw, validate

    data = read_raw(scenario, base).data
    for text in point.as_set():
        path, _ = parse_override(text)
        node: Any = data
        for depth, part in enumerate(path):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        else:
            continue  # the path exists: whatever its values do is up to each point
        if depth > 0 and depth < len(path) - 1 and isinstance(node, dict):  # a named thing that is not there
            hint = difflib.get_close_matches(str(path[depth]), [str(k) for k in node], n=1)
            raise CorridorError(f"--vary {text.split('=', 1)[0]}: no {path[depth]!r} in "
                                f"{'.'.join(map(str, path[:depth]))}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
        try:
            validate(read_raw(scenario, base + [text]))
        except ScenarioError as exc:
            mine = [p for p in exc.problems if tuple(p.path[: depth + 1]) == tuple(path[: depth + 1])]
            if mine:
                raise CorridorError([Problem(f"--vary {text.split('=', 1)[0]}", p.path, None, p.message)
                                     for p in mine]) from None


def describe_targets(model: Any) -> dict[str, str]:
    """Each target's figure as a reader would say it: `4 GW firm in 95% of hours`."""
    out = {}
    for tid, t in model.targets.items():
        how = f" firm in {t.share_of_time.value:.0%} of hours" if t.measure == "firm" else ""
        out[tid] = f"{t.value.value:g} {t.value.unit}{how}"
    return out


def _check_same(folder: Path, manifest: dict[str, Any], name: str = MANIFEST,
                keys: tuple[str, ...] = _IDENTITY) -> None:
    """On resume, the folder must hold the same sweep (else its points would not belong)."""
    path = folder / name
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except ValueError:
        return
    differ = [k for k in keys if old.get(k) != manifest.get(k)]
    if differ:
        raise CorridorError(f"--resume: {folder} holds a different sweep ({', '.join(differ)} differ); "
                            "rerun without --resume to start it over, or choose another --out")


# --- running a sweep -------------------------------------------------------------------------


@dataclass
class SweepResult:
    folder: Path
    points: int
    done: int
    failed: int
    resumed: int
    wall_s: float
    findings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The terminal summary."""
        head = (f"{self.points} points ({self.resumed} from a previous run), {self.failed} failed, "
                f"{self.wall_s:.1f} s; written to {self.folder}")
        return [head, *self.findings]


def sweep(scenario: Path | str | None = None, *, vary: Iterable[str] = (), overrides: Iterable[str] = (),
          seed: int | None = None, replications: int | None = None, out: Path | None = None,
          workers: int | None = None, scheduler: str | None = None, resume: bool = False,
          progress: bool = False, design: str | None = None, samples: int | None = None,
          level: float | None = None, find: str | None = None, target: str | None = None,
          file: Path | None = None, evaluate_point: EvaluatePoint = evaluate_report) -> SweepResult | Threshold:
    """Run a sweep (or, with `find`, a threshold search) and write its folder.

    Flags override a sweep file's keys; `--vary` flags add to (or replace, by path) its `vary`.
    """
    cfg = sweep_config(file, scenario=scenario, vary=list(vary), overrides=list(overrides), seed=seed,
                       replications=replications, out=out, design=design, samples=samples, level=level,
                       find=find, target=target)
    if cfg["find"] is not None:
        return find_threshold(cfg["scenario"], path=cfg["find"], target=cfg["target"], level=cfg["level"],
                              params=cfg["params"], overrides=cfg["set"], seed=cfg["seed"],
                              replications=cfg["replications"], out=cfg["out"], resume=resume,
                              progress=progress, workers=workers, evaluate_point=evaluate_point)
    plan = plan_sweep(cfg["scenario"], cfg["params"], overrides=cfg["set"], seed=cfg["seed"],
                      replications=cfg["replications"], design=cfg["design"], samples=cfg["samples"])
    folder = Path(cfg["out"]) if cfg["out"] is not None else Path("results") / plan.name / "sweep"
    return run_sweep(plan, folder, workers=workers, scheduler=scheduler, resume=resume, progress=progress,
                     level=cfg["level"], target=cfg["target"], evaluate_point=evaluate_point)


def run_sweep(plan: SweepPlan, folder: Path, *, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, progress: bool = False, level: float = 0.9, target: str | None = None,
              evaluate_point: EvaluatePoint = evaluate_report) -> SweepResult:
    """Run the plan's unfinished points, appending each to the log as it finishes; then the tables
    (every target) and the findings and pictures (of `target` alone when one is named)."""
    from sim.sweep.render import write_outputs

    start = time.perf_counter()
    folder = Path(folder)
    if target is not None and target not in plan.targets:
        hint = difflib.get_close_matches(target, list(plan.targets), n=1)
        raise CorridorError(f"--target: no target {target!r} in {plan.name}" +
                            (f"; did you mean {hint[0]!r}?" if hint else f" (it has {', '.join(plan.targets)})"))
    manifest = plan.manifest()
    if resume:
        _check_same(folder, manifest)
    write_text(folder / MANIFEST, json.dumps(manifest, indent=1))
    log = PointLog(folder / LOG, resume)
    wanted = {p.id for p in plan.points}
    done: set[str] = set()
    failed = 0
    for _, record in read_log(folder / LOG):
        if record["id"] in wanted and record["id"] not in done:
            done.add(record["id"])
            failed += record.get("status") != "ok"
    resumed = len(done)
    todo = (PointTask(str(plan.scenario), tuple(plan.base), p, i, plan.seed, plan.replications)
            for i, p in enumerate(plan.points) if p.id not in done)
    fn = functools.partial(run_point, evaluate_point=evaluate_point)
    try:
        prepare = warm_up if evaluate_point is evaluate_report else None
        with make_executor(workers, scheduler, prepare) as executor, _bar(progress, len(plan.points), resumed) as tick:
            for record in executor.run(fn, todo):
                log.append(record)
                failed += record["status"] != "ok"
                tick(failed)
    except BrokenProcessPool:
        saved = len(finished_ids(folder / LOG))
        raise RuntimeError(f"a worker process died (out of memory?); {saved} finished points are saved in "
                           f"{folder / LOG}: rerun with --resume to continue") from None
    finally:
        log.close()
    findings = write_outputs(folder, plan, level, target)
    return SweepResult(folder, len(plan.points), len(plan.points) - resumed, failed, resumed,
                       time.perf_counter() - start, findings)


@contextmanager
def _bar(show: bool, total: int | None, done: int) -> Iterator[Callable[[int], None]]:
    """A progress bar (points done, failures, time left) on a terminal; nothing when piped."""
    if not show:
        yield lambda failed: None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed"),
                   TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                   transient=True)
    task = bar.add_task("sweep", total=total, completed=done, failed=0)
    with bar:
        yield lambda failed: bar.update(task, advance=1, failed=failed)


# --- the table -------------------------------------------------------------------------------


def flatten(record: dict[str, Any], params: list[Parameter]) -> dict[str, Any]:
    """One table row: the varied values (numbers in their unit), status, and per-target figures."""
    row: dict[str, Any] = {"point": record.get("point"), "id": record["id"]}
    for p in params:
        text = record["overrides"].get(p.path)
        value = p.number(text) if (text is not None and p.numeric) else text
        row[p.path] = int(round(value)) if p.integer and isinstance(value, float) else value
    row.update(status=record["status"], error=record.get("error"), seed=record.get("seed"),
               replications=record.get("replications"))
    for tid, t in (record.get("targets") or {}).items():
        for k, v in t.items():
            row[f"{tid}.{k}"] = v
    row.update(record.get("figures") or {})
    return row


TARGET_KEYS = ("mean", "ci95_lo", "ci95_hi", "p_met", "met", "max_deliverable", "binding")
FIGURE_KEYS = ("plan.feasible", "plan.cost")


def table_columns(plan: SweepPlan) -> list[str]:
    """The table's columns in a fixed order (never the order points happened to finish in)."""
    head = ["point", "id", *(p.path for p in plan.design.params), "status", "error", "seed", "replications"]
    return head + [f"{tid}.{k}" for tid in plan.targets for k in TARGET_KEYS] + list(FIGURE_KEYS)


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    return "float" if isinstance(v, float) else "str"


def _arrow_type(kinds: set[str]) -> Any:
    import pyarrow as pa

    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"int"}:
        return pa.int64()
    if kinds and kinds <= {"int", "float"}:
        return pa.float64()
    return pa.string()


def write_tables(folder: Path, plan: SweepPlan) -> tuple[int, int]:
    """Rebuild sweep.parquet and sweep.csv from the log, in design order, streaming. Returns
    (rows written, failed rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    log_path = folder / LOG
    wanted = {p.id for p in plan.points}
    offsets: dict[str, int] = {}
    names = table_columns(plan)
    kinds: dict[str, set[str]] = {k: set() for k in names}
    kinds["point"] = {"int"}
    for offset, record in read_log(log_path):
        if record["id"] in offsets or record["id"] not in wanted:
            continue
        offsets[record["id"]] = offset
        for k, v in flatten(record, plan.design.params).items():
            if v is not None:
                kinds.setdefault(k, set()).add(_kind(v))
    names += sorted(k for k in kinds if k not in names)  # anything a custom point function adds
    schema = pa.schema([(k, _arrow_type(kinds[k])) for k in names])
    written = failed = 0
    with _atomic(folder / "sweep.parquet") as pq_tmp, _atomic(folder / "sweep.csv") as csv_tmp, \
            open(log_path, "rb") as log, open(csv_tmp, "w", newline="") as csv_fh:
        writer = pq.ParquetWriter(pq_tmp, schema)
        table = csv.writer(csv_fh, lineterminator="\n")
        table.writerow(names)
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                cols = {k: [_cast(r.get(k), schema.field(k).type) for r in batch] for k in names}
                writer.write_batch(pa.record_batch(cols, schema=schema))
                batch.clear()

        for i, point in enumerate(plan.points):
            if point.id not in offsets:
                continue
            log.seek(offsets[point.id])
            row = flatten(json.loads(log.readline()), plan.design.params)
            row["point"] = i
            failed += row["status"] != "ok"
            table.writerow(["" if row.get(k) is None else row.get(k) for k in names])
            batch.append(row)
            written += 1
            if len(batch) >= BATCH:
                flush()
        flush()
        writer.close()
    return written, failed


def _cast(v: Any, kind: Any) -> Any:
    import pyarrow as pa

    if v is None:
        return None
    if kind == pa.string():
        return str(v)
    if kind == pa.float64():
        return float(v)
    if kind == pa.int64():
        return int(v)
    return v


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, moved over it (after fsync) when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


# --- sweep files and options -----------------------------------------------------------------

_FILE_KEYS = ("scenario", "vary", "set", "seed", "replications", "design", "samples", "level", "find",
              "target", "out")


def sweep_config(file: Path | None, *, scenario: Path | str | None, vary: list[str], overrides: list[str],
                 seed: int | None, replications: int | None, out: Path | None, design: str | None,
                 samples: int | None, level: float | str | None, find: str | None,
                 target: str | None) -> dict[str, Any]:
    """Merge a sweep file (YAML) with command-line flags; flags win. A sweep file reads:

        scenario: ../scenarios/plan-2024.yaml    # relative to the file, or a bundled name
        vary:
          fleets.caspian_ferries.vessels: 13..30
          links.btk.capacity: [5 Mt/yr, 6 Mt/yr]
        set: {simulation.horizon: 200 d}
        design: grid                             # lhs, sobol, morris (with samples: N)
        replications: 20
        level: 90%
        out: results/ferries
    """
    doc = _read_sweep_file(file) if file is not None else {}
    base = Path(file).parent if file is not None else Path(".")
    params: dict[str, Parameter] = {}
    for path, spec in (doc.get("vary") or {}).items():
        params[str(path)] = parse_spec(str(path), spec)
    for text in vary:
        p = parse_vary(text)
        params[p.path] = p
    scen = scenario if scenario is not None else doc.get("scenario")
    if scen is None:
        raise CorridorError("sweep: name a scenario (on the command line or as `scenario:` in the sweep file)")
    if scenario is None:
        from sim import bundled

        found = bundled.scenario(str(scen))
        scen = base / str(scen) if (base / str(scen)).is_file() or found is None else found
    cfg = {
        "scenario": Path(scen), "params": list(params.values()),
        "set": [*(_set_texts(doc.get("set"))), *overrides],
        "seed": seed if seed is not None else doc.get("seed"),
        "replications": replications if replications is not None else doc.get("replications"),
        "design": design or doc.get("design") or "grid",
        "samples": samples if samples is not None else doc.get("samples"),
        "level": parse_level(level if level is not None else doc.get("level", 0.9)),
        "find": find if find is not None else doc.get("find"),
        "target": target if target is not None else doc.get("target"),
        "out": out if out is not None else (base / doc["out"] if doc.get("out") else None),
    }
    for key in ("seed", "replications", "samples"):
        if cfg[key] is not None and (not isinstance(cfg[key], int) or isinstance(cfg[key], bool)):
            raise CorridorError(f"{key}: expected a whole number, got {cfg[key]!r}")
    if cfg["find"] is not None and cfg["target"] is None:
        raise CorridorError("--find needs --target ID (the target whose probability met is searched)")
    return cfg


def _set_texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{k}={_as_yaml_text(v)}" for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise CorridorError("set: expected a mapping PATH: VALUE, or a list of PATH=VALUE texts")


def _as_yaml_text(v: Any) -> str:
    return v if isinstance(v, str) else yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


def _read_sweep_file(file: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorridorError(f"--file: cannot read {file}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CorridorError(f"--file {file}: malformed YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise CorridorError(f"--file {file}: expected a mapping with keys such as scenario, vary, design")
    for key in doc:
        if key not in _FILE_KEYS:
            hint = difflib.get_close_matches(str(key), _FILE_KEYS, n=1)
            raise CorridorError(f"--file {file}: unknown key {key!r}" + (f"; did you mean {hint[0]!r}?" if hint
                                                                         else f" (expected one of: {', '.join(_FILE_KEYS)})"))
    if doc.get("vary") is not None and not isinstance(doc["vary"], dict):
        raise CorridorError(f"--file {file}: vary: expected a mapping PATH: SPEC")
    return doc


def parse_level(value: float | str) -> float:
    """`0.9`, `90%` or `90` -> 0.9: the probability a target must be met with."""
    try:
        text = str(value).strip()
        x = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        if x > 1 and not text.endswith("%"):
            x /= 100
    except ValueError:
        raise CorridorError(f"--level: expected a probability such as 0.9 or 90%, got {value!r}") from None
    if not 0 < x < 1:
        raise CorridorError(f"--level: expected a probability between 0 and 1 (or 0-100 %), got {value!r}")
    return x


# --- threshold search ------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval of a probability from k successes in n trials."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Probe:
    """One evaluation in a threshold search: the value, P(met) and how sure we are of its side."""

    value: float
    text: str
    p_met: float
    replications: int
    lo: float
    hi: float
    meets: bool
    clear: bool
    error: str | None = None


@dataclass
class Threshold:
    folder: Path
    path: str
    target: str
    level: float
    unit: str
    answer: float | None
    bracket: tuple[Probe, Probe] | None
    probes: list[Probe]
    note: str

    def lines(self) -> list[str]:
        """The terminal summary."""
        return [self.note] + [f"  {p.text:>14}: P(met) {p.p_met:.0%} of {p.replications} replications "
                              f"(95% {p.lo:.0%}-{p.hi:.0%}){'' if p.clear else ', not clear at the cap'}"
                              for p in sorted(self.probes, key=lambda q: q.value)] + [f"written to {self.folder}"]


def find_threshold(scenario: Path | str, *, path: str, target: str, level: float = 0.9,
                   params: list[Parameter], overrides: Iterable[str] = (), seed: int | None = None,
                   replications: int | None = None, out: Path | None = None, resume: bool = False,
                   progress: bool = False, workers: int | None = None,
                   evaluate_point: EvaluatePoint = evaluate_report) -> Threshold:
    """Bisect `path` between its spec's bounds to where `target`'s probability met crosses `level`.

    P(met) is taken to move one way with the parameter (more ferries, more met). Each probe adds
    replications (doubling, up to the scenario's `max_replications`) until the Wilson 95%
    interval of P(met) is clear of the level. The answer is the bracket's end that meets it.
    """
    from sim.scenario.loading import read_raw, validate

    param = next((p for p in params if p.path == path), None)
    if param is None:
        raise CorridorError(f"--find {path}: give its search range with --vary {path}=LOW..HIGH")
    if len(params) > 1:
        others = ", ".join(p.path for p in params if p.path != path)
        raise CorridorError(f"--find varies one parameter; fix the others ({others}) with --set")
    if param.bounds is None or not param.numeric:
        raise CorridorError(f"--find {path}: needs a numeric range (LOW..HIGH), got {param.spec!r}")
    scenario = Path(scenario)
    base = list(overrides)
    model = validate(read_raw(scenario, base))
    if target not in model.targets:
        hint = difflib.get_close_matches(target, list(model.targets), n=1)
        raise CorridorError(f"--target: no target {target!r} in {model.name}" +
                            (f"; did you mean {hint[0]!r}?" if hint else f" (it has {', '.join(model.targets)})"))
    read_raw(scenario, base + [f"{path}={param.text(param.bounds[0])}"])
    sweep_seed = model.simulation.seed if seed is None else seed
    start_n = replications or model.simulation.replications
    cap = max(model.simulation.max_replications, start_n)
    folder = Path(out) if out is not None else Path("results") / model.name / "find"
    if evaluate_point is evaluate_report:  # one point at a time: its replications share the workers
        evaluate_point = functools.partial(evaluate_report, workers=workers or os.cpu_count() or 1)
    search = _Search(scenario, base, param, target, level, sweep_seed, start_n, cap, folder, resume, evaluate_point)
    return search.run(progress)


class _Search:
    """The state of one bisection: its probes, and the log that makes it resumable."""

    def __init__(self, scenario: Path, base: list[str], param: Parameter, target: str, level: float, seed: int,
                 start_n: int, cap: int, folder: Path, resume: bool, evaluate_point: EvaluatePoint):
        self.scenario, self.base, self.param, self.target, self.level = scenario, base, param, target, level
        self.seed, self.start_n, self.cap, self.folder = seed, start_n, cap, folder
        self.evaluate_point = evaluate_point
        identity = {"scenario": {"file": str(scenario), "sha256": hashlib.sha256(scenario.read_bytes()).hexdigest()},
                    "overrides": base, "seed": seed, "path": param.path}
        if resume:
            _check_same(folder, identity, "search.json", tuple(identity))
        write_text(folder / "search.json", json.dumps(identity, indent=1))
        self.cache = {(r["id"], r.get("asked")): r for _, r in read_log(folder / LOG)} if resume else {}
        self.log = PointLog(folder / LOG, resume)
        self.probes: list[Probe] = []

    def run(self, progress: bool) -> Threshold:
        from sim.sweep.render import write_threshold

        lo_v, hi_v = self.param.bounds
        try:
            with _bar(progress, None, 0) as tick:
                self.tick = tick
                a, b = self.probe(lo_v), self.probe(hi_v)
                if a.meets == b.meets:
                    result = self._no_crossing(a, b)
                else:
                    while not self._close(a.value, b.value):
                        mid = self.probe(self._mid(a.value, b.value))
                        a, b = (mid, b) if mid.meets == a.meets else (a, mid)
                    result = self._answer(a, b)
        finally:
            self.log.close()
        write_threshold(self.folder, result)
        return result

    def probe(self, value: float) -> Probe:
        text = self.param.text(value)
        n = self.start_n
        while True:
            record = self._evaluate(text, n)
            if record["status"] != "ok":
                raise CorridorError(f"--find: the point {self.param.path}={text} failed: {record['error']}")
            t = record["targets"][self.target]
            got = int(record["replications"])
            k = int(round(t["p_met"] * got))
            lo, hi = wilson(k, got)
            clear = hi < self.level or lo >= self.level
            if clear or got >= self.cap or got < n:  # (fewer than asked: the point fixes its own number)
                probe = Probe(value, text, t["p_met"], got, lo, hi, t["p_met"] >= self.level, clear)
                self.probes.append(probe)
                return probe
            n = min(2 * got, self.cap)

    def _evaluate(self, text: str, n: int) -> dict[str, Any]:
        point = Point(((self.param.path, text),))
        hit = self.cache.get((point.id, n))
        if hit is not None:
            return hit
        task = PointTask(str(self.scenario), tuple(self.base), point, len(self.probes), self.seed, n)
        record = run_point(task, self.evaluate_point)
        record["asked"] = n
        self.log.append(record)
        self.tick(0)
        return record

    def _close(self, a: float, b: float) -> bool:
        p = self.param
        if p.integer:
            return abs(b - a) <= 1
        tol = p.step if p.step is not None else (p.bounds[1] - p.bounds[0]) / 100
        return abs(b - a) <= tol * (1 + 1e-9)

    def _mid(self, a: float, b: float) -> float:
        p = self.param
        mid = (a + b) / 2
        if p.integer:
            return float(math.floor(mid))
        if p.step is not None:
            k = math.floor((mid - p.low) / p.step)
            snapped = p.low + k * p.step
            return snapped if min(a, b) < snapped < max(a, b) else mid
        return mid

    def _threshold(self, answer: float | None, bracket: tuple[Probe, Probe] | None, note: str) -> Threshold:
        return Threshold(self.folder, self.param.path, self.target, self.level, self.param.unit, answer, bracket,
                         self.probes, note)

    def _answer(self, a: Probe, b: Probe) -> Threshold:
        meets, misses = (a, b) if a.meets else (b, a)
        side = "at least" if meets.value > misses.value else "at most"
        unclear = "" if meets.clear and misses.clear else " (one side is not clear at the replication cap)"
        note = (f"{self.target} is met with P >= {self.level:.0%} for {self.param.path} {side} {meets.text}: "
                f"P(met) {meets.p_met:.0%} at {meets.text}, {misses.p_met:.0%} at {misses.text}{unclear}")
        return self._threshold(meets.value, (misses, meets), note)

    def _no_crossing(self, a: Probe, b: Probe) -> Threshold:
        unclear = "" if a.clear and b.clear else ", one end not clear at the replication cap"
        note = (f"{self.target}: P(met) {'>=' if a.meets else '<'} {self.level:.0%} at both ends of "
                f"{a.text}..{b.text} (P(met) {a.p_met:.0%} and {b.p_met:.0%}{unclear}): the level is not "
                "crossed in this range")
        return self._threshold(None, None, note)
