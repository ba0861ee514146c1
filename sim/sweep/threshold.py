"""Threshold search: where does a target's probability met cross a level, as one parameter moves?

`find_threshold` bisects the parameter between its spec's bounds, taking P(met) to move one way
with it (more ferries, more met). Each probe adds replications (doubling, up to the scenario's
`max_replications`) until the Wilson 95% interval of its P(met) is clear of the level; the
answer is the end of the final bracket that meets the level. Every evaluation is appended to
the folder's `points.jsonl`, so a resumed search takes its probes from there.
"""

from __future__ import annotations

import difflib
import functools
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import CorridorError
from sim.io import results_folder
from sim.sweep.config import check_ranges
from sim.sweep.designs import Parameter, Point, RangeParameter
from sim.progress import Tick, progress_bar
from sim.sweep.folder import continues, start
from sim.sweep.plan import file_sha256, scenario_sources
from sim.sweep.points import LOG, EvaluatePoint, PointLog, PointRecord, PointTask, evaluate_report, read_log, run_point

SEARCH = "search.json"
Z95 = 1.959964


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
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
    error: str | None = None  # always None (a failed probe stops the search); kept in find.json


@dataclass
class Threshold:
    """What a threshold search found (`answer` None: the level is not crossed in the range)."""

    folder: Path
    path: str
    target: str
    level: float
    unit: str
    answer: float | None
    bracket: tuple[Probe, Probe] | None  # (misses, meets)
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
    """Bisect `path` between its spec's bounds to where `target`'s probability met crosses `level`."""
    from sim.scenario.loading import read_raw, validate

    param = next((p for p in params if p.path == path), None)
    if param is None:
        raise CorridorError(f"--find {path}: give its search range with --vary {path}=LOW..HIGH")
    if len(params) > 1:
        others = ", ".join(p.path for p in params if p.path != path)
        raise CorridorError(f"--find varies one parameter; fix the others ({others}) with --set")
    bounds = param.bounds
    if bounds is None or not param.numeric:
        raise CorridorError(f"--find {path}: needs a numeric range (LOW..HIGH), got {param.spec!r}")
    check_ranges(seed=seed, replications=replications)
    scenario = Path(scenario)
    base = list(overrides)
    raw = read_raw(scenario, base)
    model = validate(raw)
    if target not in model.targets:
        hint = difflib.get_close_matches(target, list(model.targets), n=1)
        raise CorridorError(f"--target: no target {target!r} in {model.name}" +
                            (f"; did you mean {hint[0]!r}?" if hint else f" (it has {', '.join(model.targets)})"))
    read_raw(scenario, base + [f"{path}={param.text(bounds[0])}"])
    start_n = replications or model.simulation.replications
    if evaluate_point is evaluate_report:  # one point at a time: its replications share the workers
        evaluate_point = functools.partial(evaluate_report, workers=workers or os.cpu_count() or 1)
    folder = Path(out) if out is not None else results_folder(model.name, "find")
    search = Search(folder, scenario, base, param, bounds, target, level,
                    seed=model.simulation.seed if seed is None else seed, start_n=start_n,
                    cap=max(model.simulation.max_replications, start_n), evaluate_point=evaluate_point,
                    sources=scenario_sources(raw.files, model))
    return search.run(resume, progress)


class Search:
    """One bisection: its parameter and level, the probes so far, and the log that makes it resumable."""

    def __init__(self, folder: Path, scenario: Path, base: list[str], param: Parameter, bounds: tuple[float, float],
                 target: str, level: float, *, seed: int, start_n: int, cap: int, evaluate_point: EvaluatePoint,
                 sources: list[dict[str, str]] | None = None):
        self.folder, self.scenario, self.base, self.param, self.bounds = folder, scenario, base, param, bounds
        self.target, self.level, self.seed, self.start_n, self.cap = target, level, seed, start_n, cap
        self.evaluate_point = evaluate_point
        self.sources = sources if sources is not None else []  # every file the scenario was read from
        self.step = param.step if isinstance(param, RangeParameter) else None  # a grid of steps to stay on
        self.probes: list[Probe] = []
        self.runs = 0  # points evaluated by this search (for the progress bar)
        self.cache: dict[tuple[str, int | None], PointRecord] = {}

    def run(self, resume: bool, progress: bool) -> Threshold:
        """Probe both ends, then bisect while they sit on opposite sides of the level (the caller
        writes find.json and find.md: `render.write_threshold`). A resume continues only the same
        search (the same files, overrides, seed and path); a new one starts a fresh folder."""
        folder = self.folder
        identity = {"scenario": {"file": str(self.scenario), "sha256": file_sha256(self.scenario)},
                    "sources": self.sources, "overrides": self.base, "seed": self.seed, "path": self.param.path}
        continuing = continues(folder, resume, identity, SEARCH, tuple(identity))
        if continuing:
            self.cache = {(r.id, r.asked): r for _, r in read_log(folder / LOG)}
        start(folder, continuing, "find", SEARCH, identity)
        with PointLog(folder / LOG, resume=True) as log, progress_bar(progress, "probes", None) as tick:
            return self.bisect(lambda value: self.probe(value, log, tick))

    def bisect(self, probe: Callable[[float], Probe]) -> Threshold:
        a, b = probe(self.bounds[0]), probe(self.bounds[1])
        if a.meets == b.meets:
            return self.no_crossing(a, b)
        while not self.close(a.value, b.value):
            mid = probe(self.mid(a.value, b.value))
            a, b = (mid, b) if mid.meets == a.meets else (a, mid)
        return self.answer(a, b)

    def probe(self, value: float, log: PointLog, tick: Tick | None) -> Probe:
        """P(met) at `value`, with replications doubled until its interval is clear of the level."""
        text = self.param.text(value)
        n = self.start_n
        while True:
            record = self.evaluate(text, n, log, tick)
            if record.status != "ok":
                raise CorridorError(f"--find: the point {self.param.path}={text} failed: {record.error}")
            p_met = record.targets[self.target].p_met
            if p_met is None or record.replications is None:
                raise CorridorError(f"--find: the point {self.param.path}={text} has no P(met) of {self.target}")
            got = record.replications
            lo, hi = wilson(int(round(p_met * got)), got)
            clear = hi < self.level or lo >= self.level
            if clear or got >= self.cap or got < n:  # (fewer than asked: the point fixes its own number)
                found = Probe(value, text, p_met, got, lo, hi, p_met >= self.level, clear)
                self.probes.append(found)
                return found
            n = min(2 * got, self.cap)

    def evaluate(self, text: str, n: int, log: PointLog, tick: Tick | None) -> PointRecord:
        point = Point(((self.param.path, text),))
        hit = self.cache.get((point.id, n))
        if hit is not None:
            return hit
        task = PointTask(str(self.scenario), tuple(self.base), point, len(self.probes), self.seed, n)
        record = run_point(task, self.evaluate_point)
        record.asked = n
        log.append(record)
        self.runs += 1
        if tick is not None:
            tick(self.runs)
        return record

    def close(self, a: float, b: float) -> bool:
        """Whether a bracket is as narrow as the search goes: one whole number, one step, or 1% of the range."""
        if self.param.integer:
            return abs(b - a) <= 1
        tol = self.step if self.step is not None else (self.bounds[1] - self.bounds[0]) / 100
        return abs(b - a) <= tol * (1 + 1e-9)

    def mid(self, a: float, b: float) -> float:
        """The middle of a bracket, on the parameter's grid of whole numbers or steps when it has one."""
        mid = (a + b) / 2
        if self.param.integer:
            return float(math.floor(mid))
        if self.step is not None:
            low = self.bounds[0]
            snapped = low + math.floor((mid - low) / self.step) * self.step
            return snapped if min(a, b) < snapped < max(a, b) else mid
        return mid

    def threshold(self, answer: float | None, bracket: tuple[Probe, Probe] | None, note: str) -> Threshold:
        return Threshold(self.folder, self.param.path, self.target, self.level, self.param.unit, answer, bracket,
                         self.probes, note)

    def answer(self, a: Probe, b: Probe) -> Threshold:
        meets, misses = (a, b) if a.meets else (b, a)
        side = "at least" if meets.value > misses.value else "at most"
        unclear = "" if meets.clear and misses.clear else " (one side is not clear at the replication cap)"
        note = (f"{self.target} is met with P >= {self.level:.0%} for {self.param.path} {side} {meets.text}: "
                f"P(met) {meets.p_met:.0%} at {meets.text}, {misses.p_met:.0%} at {misses.text}{unclear}")
        return self.threshold(meets.value, (misses, meets), note)

    def no_crossing(self, a: Probe, b: Probe) -> Threshold:
        unclear = "" if a.clear and b.clear else ", one end not clear at the replication cap"
        note = (f"{self.target}: P(met) {'>=' if a.meets else '<'} {self.level:.0%} at both ends of "
                f"{a.text}..{b.text} (P(met) {a.p_met:.0%} and {b.p_met:.0%}{unclear}): the level is not "
                "crossed in this range")
        return self.threshold(None, None, note)
