"""Threshold search: where does a target's probability met cross a level, as one parameter moves?

`find_threshold` looks for two parameter values either side of the crossing, keeping every
replication it runs:

- A probe is one parameter value with the replications run there so far. Replication i draws
  from the streams keyed (seed, i, component) at every probe (common random numbers), so a
  probe that needs more runs only the next indices (`simulate(first=n)`), never the ones it
  has. Each round of replications at a probe is one line of `points.jsonl` (a sweep point's
  record with the round's first index and every target's per-replication measured value and
  met/not-met outcome): a resumed search rebuilds its probes from the log and goes on from
  there, and no index is ever run twice.
- Which side of the level a probe's P(met) lies on is read from the Beta posterior of its own
  outcomes (Jeffreys prior: Beta(k + 1/2, n - k + 1/2) after k met of n). An end is called
  sure at 97.5%, not 95%: the search looks at its ends again after every round and picks its
  ends among many probes, which one probe's posterior does not see; at 97.5% the ends come out
  on their stated sides about 95% of the time (measured on known logistic curves).
- A logistic curve of P(met) in the parameter, fitted by maximum likelihood to every
  replication's outcome at every probe (a tiny ridge keeps it finite when the outcomes
  separate), with a 95% band from the inverse information, chooses what to run next. While the
  bracket is wider than the tolerance: a new probe where the curve crosses the level, on the
  parameter's grid, kept in the middle half of the bracket (so a curve of the wrong shape, a
  plateau near the level, narrows it at least as a quarter-bisection would). Its first round
  has as many replications as the better-run end of the bracket (replication i is the same
  draw everywhere: like is compared with like), and an end unsure of its side and run fewer
  times than the other is first brought level with it. Then, more replications at the end
  less sure of its side (near ties: where the band is wider), as many as its distance from
  the level asks for, at least a quarter more, at most doubling it.
- It stops when both ends are sure and the bracket is no wider than the tolerance (one whole
  number, one step, or 1% of the range); when both ends of the range are sure of the same side
  (the level is not crossed in the range: the bracket is the range's end nearest the level);
  or, saying so, when the replication budget (6x the scenario's `max_replications`, over all
  probes) is spent, or the ends still unsure sit too near the level to be sure within
  `max_replications` each. Then the answer is the bracket as it stands (the neighbouring
  probes where the side changes, each on its more probable side), each end with its
  probability, and the narrowest bracket whose ends are both sure is named beside it. The
  fitted crossing inside the bracket is the point estimate.

The decisions depend on the probes' outcomes alone, so a search stopped at any moment and
resumed takes the same steps as one never stopped, and the same seed gives the same answer
whatever the worker count.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special, stats

from sim.errors import CorridorError
from sim.io import results_folder
from sim.progress import Tick, progress_bar
from sim.sweep.config import check_ranges
from sim.sweep.designs import Parameter, Point, RangeParameter
from sim.sweep.folder import continues, start
from sim.sweep.plan import file_sha256, scenario_sources
from sim.sweep.points import LOG, PointLog, PointRecord, evaluate_report, summarise
from sim.targets import wilson

SEARCH = "search.json"
SURE = 0.975  # the posterior probability an end must be on its side with (see the module docstring)
BUDGET = 6  # the search's replication budget: this many times the scenario's max_replications
RIDGE = 1e-5  # the logistic fit's penalty on its coefficients (parameter scaled to 0..1)
Z95 = 1.959964  # two-sided 95%: the fitted curve's band
Z_SURE = 1.959964  # one-sided 97.5%: how many replications a probe's side needs

# (scenario file, overrides, seed, replications, *, first) -> the report dict of `evaluate(...).data`
# for replications first..first+replications-1: EvaluatePoint's arguments and the first index.
EvaluateRound = Callable[..., dict[str, Any]]


@dataclass
class Probe:
    """One parameter value of a search, with every replication run there (list position = index)."""

    value: float
    text: str
    met: list[bool] = field(default_factory=list)  # whether replication i met the target
    measured: list[float] = field(default_factory=list)  # the target's measured value in replication i

    @property
    def replications(self) -> int:
        return len(self.met)

    @property
    def successes(self) -> int:
        return sum(self.met)

    @property
    def p_met(self) -> float:
        return self.successes / self.replications if self.met else math.nan

    def p_below(self, level: float) -> float:
        """The probability that this value's P(met) is below `level` (Jeffreys Beta posterior)."""
        k, n = self.successes, self.replications
        return float(stats.beta.cdf(level, k + 0.5, n - k + 0.5))

    def meets(self, level: float) -> bool:
        """On the met side of `level` by its posterior (more likely at or above than below)."""
        return self.p_below(level) < 0.5

    def sure(self, level: float) -> float:
        """The probability that P(met) lies on the side `meets` puts it."""
        below = self.p_below(level)
        return max(below, 1.0 - below)


@dataclass(frozen=True)
class Curve:
    """A fitted P(met) = 1 / (1 + exp(-(a + b z))), z = (value - low) / width, with the covariance
    of (a, b) from the inverse information: its 95% band is read on the logit scale."""

    low: float
    width: float
    a: float
    b: float
    cov: tuple[tuple[float, float], tuple[float, float]]

    def _eta(self, x: float) -> tuple[float, float]:
        z = (x - self.low) / self.width
        (caa, cab), (_, cbb) = self.cov
        return self.a + self.b * z, math.sqrt(max(caa + 2 * z * cab + z * z * cbb, 0.0))

    def p(self, x: float) -> float:
        return float(special.expit(self._eta(x)[0]))

    def band(self, x: float) -> tuple[float, float]:
        eta, sd = self._eta(x)
        return float(special.expit(eta - Z95 * sd)), float(special.expit(eta + Z95 * sd))

    def crossing(self, level: float) -> float | None:
        """Where the curve crosses `level` (None for a flat curve)."""
        if abs(self.b) < 1e-12:
            return None
        return self.low + (float(special.logit(level)) - self.a) / self.b * self.width


def fit_curve(probes: Iterable[Probe], low: float, high: float) -> Curve:
    """Logistic regression of every replication's outcome on the parameter, by penalised maximum
    likelihood (Newton steps, halved while they do not improve it; the ridge keeps it finite)."""
    ps = [p for p in probes if p.replications]
    width = (high - low) or 1.0
    z = np.array([(p.value - low) / width for p in ps])
    k = np.array([p.successes for p in ps], dtype=float)
    n = np.array([p.replications for p in ps], dtype=float)
    x = np.column_stack([np.ones_like(z), z])

    def objective(theta: np.ndarray) -> float:  # the penalised log-likelihood
        eta = x @ theta
        return float(-(k * np.logaddexp(0, -eta) + (n - k) * np.logaddexp(0, eta)).sum()
                     - RIDGE / 2 * theta @ theta)

    def information(theta: np.ndarray) -> np.ndarray:
        q = special.expit(x @ theta)
        return (x.T * (n * q * (1 - q))) @ x + RIDGE * np.eye(2)

    theta = np.zeros(2)
    value = objective(theta)
    for _ in range(200):
        grad = x.T @ (k - n * special.expit(x @ theta)) - RIDGE * theta
        step = np.linalg.solve(information(theta), grad)
        for _ in range(40):
            trial = theta + step
            if objective(trial) >= value - 1e-12:
                break
            step = step / 2
        theta, value = trial, objective(trial)
        if float(np.abs(step).max()) < 1e-9:
            break
    cov = np.linalg.inv(information(theta))
    return Curve(low, width, float(theta[0]), float(theta[1]),
                 ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))))


@dataclass
class Outcomes:
    """One target's replications in a round: each one's measured value and whether it met."""

    values: list[float]
    met: list[bool]


@dataclass
class Round(PointRecord):
    """A line of a threshold search's log: a sweep point's record of one round of replications at a
    probe, with the probe's value, the round's first replication index and every target's outcomes."""

    value: float = math.nan
    first: int = 0
    outcomes: dict[str, Outcomes] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Round:
        base = PointRecord.from_dict(d)
        outcomes = {tid: Outcomes([float(v) for v in o["values"]], [bool(m) for m in o["met"]])
                    for tid, o in (d.get("outcomes") or {}).items()}
        return cls(**{f.name: getattr(base, f.name) for f in fields(PointRecord)},
                   value=float(d["value"]), first=int(d["first"]), outcomes=outcomes)


def read_rounds(path: Path) -> list[Round]:
    """The rounds in a search's log, in the order they ran (lines that are no round are skipped)."""
    rounds = []
    with open(path, "rb") as fh:
        for line in fh:
            try:
                d = json.loads(line) if line.endswith(b"\n") else None
                if isinstance(d, dict) and "outcomes" in d and d.get("status") == "ok":
                    rounds.append(Round.from_dict(d))
            except (ValueError, KeyError, TypeError):
                continue
    return rounds


def outcomes(data: dict[str, Any]) -> dict[str, Outcomes]:
    """Every target's per-replication measured values from a point's report, and whether each met
    the target (as `sim.targets.met`: the figure less its tolerance, read from the report row)."""
    found = {}
    for row in data["targets"]:
        values = [float(v) for v in row["simulated"]["replications"]]
        need = float(row["target"]) * (1.0 - float(row["tolerance"])) - 1e-9
        met = [v >= need for v in values]
        p_met = row["simulated"]["p_met"]
        if values and p_met is not None and abs(sum(met) / len(values) - float(p_met)) > 1e-9:
            raise RuntimeError(f"target {row['id']}: replications met ({sum(met)} of {len(values)}) disagree "
                               f"with its P(met) {p_met}")  # the report and this rule have parted
        found[row["id"]] = Outcomes(values, met)
    return found


@functools.cache
def fewest(level: float, meets: bool) -> int:
    """The fewest replications, all met (`meets`) or all missed, that are sure of their side of `level`."""
    n = 1
    while (stats.beta.sf(level, n + 0.5, 0.5) if meets else stats.beta.cdf(level, 0.5, n + 0.5)) < SURE:
        n += 1
    return n


@dataclass
class End:
    """One end of the answer: a probe, its side of the level, and the probability it is on it."""

    probe: Probe
    meets: bool
    probability: float

    def document(self) -> dict[str, Any]:
        p = self.probe
        return {"value": p.value, "text": p.text, "side": "at or above" if self.meets else "below",
                "probability": self.probability, "p_met": p.p_met, "replications": p.replications}


@dataclass
class Threshold:
    """What a threshold search found. `outcome`: found (both ends sure and the bracket within the
    tolerance); not crossed (both ends of the range surely on one side: the range's end nearest
    the level is `lo` when the crossing, if any, is above the range, `hi` when below it, the other
    None); budget or cap (stopped short: the bracket as it stands)."""

    folder: Path
    path: str
    target: str
    level: float
    unit: str
    outcome: str
    lo: End | None  # the end at the lower parameter value
    hi: End | None
    crossing: float | None  # where the fitted curve crosses the level, inside the bracket
    probes: list[Probe]
    note: str
    replications: int  # over all probes
    budget: int
    tolerance: float
    curve: Curve | None = None

    @property
    def bracket(self) -> tuple[End, End] | None:
        return (self.lo, self.hi) if self.lo is not None and self.hi is not None else None

    def lines(self) -> list[str]:
        """The terminal summary."""
        rows = [f"  {p.text:>14}: P(met) {p.p_met:.0%} of {p.replications} replications, "
                f"P(P(met) < {self.level:.0%}) {p.p_below(self.level):.0%}" for p in self.sorted_probes()]
        return [self.note, *rows, f"{self.replications} replications in {len(self.probes)} probes; "
                                  f"written to {self.folder}"]

    def sorted_probes(self) -> list[Probe]:
        return sorted(self.probes, key=lambda p: p.value)

    def document(self) -> dict[str, Any]:
        """find.json."""
        curve = self.curve
        probes = []
        for p in self.sorted_probes():
            row: dict[str, Any] = {"value": p.value, "text": p.text, "replications": p.replications,
                                   "met": p.successes, "p_met": p.p_met, "p_below": p.p_below(self.level)}
            if curve is not None:
                row["fitted"], row["band95"] = curve.p(p.value), list(curve.band(p.value))
            probes.append(row)
        return {"path": self.path, "target": self.target, "level": self.level, "unit": self.unit,
                "outcome": self.outcome, "note": self.note,
                "bracket": {"lo": self.lo.document() if self.lo else None,
                            "hi": self.hi.document() if self.hi else None},
                "crossing": self.crossing, "tolerance": self.tolerance, "replications": self.replications,
                "budget": self.budget,
                "curve": None if curve is None else {"low": curve.low, "width": curve.width, "intercept": curve.a,
                                                     "slope": curve.b},
                "probes": probes}

    def markdown(self) -> str:
        """find.md: the answer, then every probe."""
        head = f"| {self.path} | replications | met | P(met) | P(below {self.level:.0%}) | fitted P(met) (95% band) |"
        lines = [f"# Threshold of {self.target} against {self.path}", "", self.note, "", head,
                 "|---|---|---|---|---|---|"]
        for p in self.sorted_probes():
            fitted = ""
            if self.curve is not None:
                lo, hi = self.curve.band(p.value)
                fitted = f"{self.curve.p(p.value):.0%} ({lo:.0%}-{hi:.0%})"
            lines.append(f"| {p.text} | {p.replications} | {p.successes} | {p.p_met:.0%} | "
                         f"{p.p_below(self.level):.0%} | {fitted} |")
        lines += ["", f"{self.replications} replications in {len(self.probes)} probes (budget {self.budget}); "
                      f"tolerance {self.tolerance:g} {self.unit}".rstrip()]
        return "\n".join(lines) + "\n"


def find_threshold(scenario: Path | str, *, path: str, target: str, level: float = 0.9,
                   params: list[Parameter], overrides: Iterable[str] = (), seed: int | None = None,
                   replications: int | None = None, out: Path | None = None, resume: bool = False,
                   progress: bool = False, workers: int | None = None,
                   evaluate_point: EvaluateRound = evaluate_report) -> Threshold:
    """Search `path` between its spec's bounds for where `target`'s probability met crosses `level`.

    `evaluate_point` (for tests) is called as `evaluate_point(scenario, overrides, seed, n, first=i)`
    and returns the report of replications i..i+n-1."""
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
    if not bounds[0] < bounds[1]:
        raise CorridorError(f"--find {path}: needs a range LOW..HIGH with LOW below HIGH, got {param.spec!r}")
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
    cap = max(model.simulation.max_replications, start_n)
    if evaluate_point is evaluate_report:  # one point at a time: its replications share the workers
        evaluate_point = functools.partial(evaluate_report, workers=workers or os.cpu_count() or 1)
    folder = Path(out) if out is not None else results_folder(model.name, "find")
    search = Search(folder, scenario, base, param, bounds, target, level,
                    seed=model.simulation.seed if seed is None else seed, start_n=start_n, cap=cap,
                    budget=BUDGET * cap, evaluate_round=evaluate_point, sources=scenario_sources(raw.files, model))
    return search.run(resume, progress)


class Search:
    """One search: its parameter and level, the probes so far, and the log that makes it resumable."""

    def __init__(self, folder: Path, scenario: Path, base: list[str], param: Parameter, bounds: tuple[float, float],
                 target: str, level: float, *, seed: int, start_n: int, cap: int, budget: int,
                 evaluate_round: EvaluateRound, sources: list[dict[str, str]] | None = None):
        self.folder, self.scenario, self.base, self.param, self.bounds = folder, scenario, base, param, bounds
        self.target, self.level, self.seed, self.start_n, self.cap = target, level, seed, start_n, cap
        self.budget, self.evaluate_round = budget, evaluate_round
        self.sources = sources if sources is not None else []  # every file the scenario was read from
        step = param.step if isinstance(param, RangeParameter) else None
        low, high = bounds
        self.tolerance = 1.0 if param.integer else step if step is not None else (high - low) / 100
        self.step = None if param.integer else self.tolerance  # the grid probes stay on (whole numbers apart)
        self.probes: dict[str, Probe] = {}  # by value text, in the order they were first run
        self.log: PointLog | None = None
        self.tick: Tick | None = None

    @property
    def replications(self) -> int:
        return sum(p.replications for p in self.probes.values())

    def run(self, resume: bool, progress: bool) -> Threshold:
        """Search, continuing the same search's log on `resume` (the same files, overrides, seed and
        path; the level and target may differ: every round keeps every target's outcomes). The
        caller writes find.json and find.md (`render.write_threshold`)."""
        folder = self.folder
        identity = {"scenario": {"file": str(self.scenario), "sha256": file_sha256(self.scenario)},
                    "sources": self.sources, "overrides": self.base, "seed": self.seed, "path": self.param.path}
        continuing = continues(folder, resume, identity, SEARCH, tuple(identity))
        start(folder, continuing, "find", SEARCH, identity)
        with PointLog(folder / LOG, resume=True) as log, \
                progress_bar(progress, "find: replications of the budget", self.budget, note=True) as tick:
            self.log, self.tick = log, tick
            if continuing:
                self.load(read_rounds(folder / LOG))
            try:
                return self.search()
            finally:
                self.log = self.tick = None

    def load(self, rounds: list[Round]) -> None:
        """Probes from a log: each probe's rounds joined in index order (a round that does not
        continue its probe where it stands is left out)."""
        path = self.param.path
        for r in sorted(rounds, key=lambda r: r.first):  # stable: ties keep the log's order
            text = r.overrides.get(path)
            got = r.outcomes.get(self.target)
            if text is None or got is None or len(r.overrides) != 1:
                continue
            probe = self.probes.setdefault(text, Probe(r.value, text))
            if r.first == probe.replications and len(got.met) == len(got.values):
                probe.met += got.met
                probe.measured += got.values
        # first-run order, as the uninterrupted search made them (for the log's point indices)
        order = {r.overrides.get(path): i for i, r in reversed(list(enumerate(rounds)))}
        self.probes = dict(sorted(((t, p) for t, p in self.probes.items() if p.met),
                                  key=lambda tp: order.get(tp[0], 0)))

    def search(self) -> Threshold:
        for value in self.bounds:
            probe = self.probe_at(value)
            if not probe.met:
                self.add(probe, min(self.start_n, self.budget - self.replications))
        while True:
            self.show()
            sure = self.sure_bracket()
            if sure is not None and self.close(sure[0].value, sure[1].value):
                return self.finish("found")
            first, last = self.range_ends()
            pair = self.bracket()
            if pair is None:
                if min(first.sure(self.level), last.sure(self.level)) >= SURE:
                    return self.finish("not crossed")
                todo = self.least_sure((first, last))
            elif (todo := self.behind()) is None:
                lo, hi = pair
                if not self.close(lo.value, hi.value):
                    todo = self.probe_at(self.inside(lo, hi)), self.opening()
                else:
                    todo = self.least_sure(pair)
            if todo is None:
                return self.finish("cap", f"the ends still unsure sit too near the level to be sure within "
                                          f"max_replications, {self.cap}, each")
            probe, count = todo
            count = min(count, self.budget - self.replications)
            if count <= 0:
                return self.finish("budget", f"the replication budget of {self.budget} is spent before the "
                                             f"bracket was sure and within {self.tolerance:g}")
            self.add(probe, count)

    def probe_at(self, value: float) -> Probe:
        text = self.param.text(value)
        return self.probes.get(text) or Probe(value, text)

    def add(self, probe: Probe, count: int) -> None:
        """Run replications probe.replications .. + count - 1 at the probe, log them, keep them."""
        assert self.log is not None and count > 0, "add: inside run(), with replications to run"
        point = Point(((self.param.path, probe.text),))
        first = probe.replications
        order = list(self.probes).index(probe.text) if probe.text in self.probes else len(self.probes)
        record = Round(point.id, order, dict(point.overrides), self.seed, "ok", None, count,
                       value=probe.value, first=first)
        began = time.perf_counter()
        try:
            data = self.evaluate_round(self.scenario, [*self.base, *point.as_set()], self.seed, count, first=first)
            record.targets, record.figures = summarise(data)
            record.outcomes = outcomes(data)
            record.replications = data["run"]["replications"]
        except Exception as exc:
            message = str(exc) if isinstance(exc, CorridorError) else f"{type(exc).__name__}: {exc}"
            record.status, record.error = "failed", message.strip() or type(exc).__name__
        record.wall_s = round(time.perf_counter() - began, 3)
        self.log.append(record)
        if record.status != "ok":
            raise CorridorError(f"--find: the point {self.param.path}={probe.text} failed: {record.error}")
        got = record.outcomes.get(self.target)
        if got is None or not got.met:
            raise CorridorError(f"--find: the point {self.param.path}={probe.text} has no replications of "
                                f"{self.target}")
        probe.met += got.met
        probe.measured += got.values
        self.probes.setdefault(probe.text, probe)

    def ordered(self) -> list[Probe]:
        return sorted(self.probes.values(), key=lambda p: p.value)

    def range_ends(self) -> tuple[Probe, Probe]:
        ordered = self.ordered()
        return ordered[0], ordered[-1]

    def bracket(self) -> tuple[Probe, Probe] | None:
        """The neighbouring probes where the side of the level changes, the one below it first,
        counting from the range's end below it; None when both ends of the range are on one side."""
        first, last = self.range_ends()
        if first.meets(self.level) == last.meets(self.level):
            return None
        walk = self.ordered() if last.meets(self.level) else self.ordered()[::-1]
        at = next(i for i, p in enumerate(walk) if p.meets(self.level))
        return walk[at - 1], walk[at]

    def sure_bracket(self) -> tuple[Probe, Probe] | None:
        """The narrowest bracket whose ends are both sure of their sides (None if there is none)."""
        first, last = self.range_ends()
        rising = last.p_met >= first.p_met
        walk = self.ordered() if rising else self.ordered()[::-1]
        above = [i for i, p in enumerate(walk) if 1 - p.p_below(self.level) >= SURE]
        if not above:
            return None
        below = [i for i, p in enumerate(walk[:above[0]]) if p.p_below(self.level) >= SURE]
        return (walk[below[-1]], walk[above[0]]) if below else None

    def curve(self) -> Curve:
        return fit_curve(self.probes.values(), *self.bounds)

    def inside(self, lo: Probe, hi: Probe) -> float:
        """The next probe between two: where the fitted curve crosses the level, kept in the middle
        half of the bracket (a curve of the wrong shape, a plateau near the level, cannot hold the
        search off where the side changes: it narrows at least as a quarter-bisection would; the
        midpoint if the curve runs against the bracket), on the parameter's grid."""
        a, b = sorted((lo.value, hi.value))
        curve = self.curve()
        x = curve.crossing(self.level)
        if x is None or not math.isfinite(x) or (curve.b > 0) != (hi.value > lo.value):
            x = (a + b) / 2
        x = min(max(x, a + (b - a) / 4), b - (b - a) / 4)
        if self.param.integer:
            return float(min(max(round(x), a + 1), b - 1))
        if self.step is not None:  # the grid points strictly inside: there is one, the bracket is not close
            low = self.bounds[0]
            first = math.floor((a - low) / self.step + 1e-9) + 1
            last = math.ceil((b - low) / self.step - 1e-9) - 1
            return low + min(max(round((x - low) / self.step), first), last) * self.step
        return x

    def behind(self) -> tuple[Probe, int] | None:
        """An end of the bracket as it stands that is not sure of its side and has fewer replications
        than the other, with the replications that bring it level (like is compared with like
        before the bracket is narrowed further); None if there is none."""
        pair = self.bracket()
        if pair is None:
            return None
        short, long = sorted(pair, key=lambda p: p.replications)
        want = min(long.replications, self.cap)
        if short.replications >= want or short.sure(self.level) >= SURE:
            return None
        return short, want - short.replications

    def opening(self) -> int:
        """A new probe's first round: as many replications as the bracket's better-run end has (at
        least the scenario's number). Replication i is the same draw at every value, so a probe
        judged on the same indices as its neighbours is compared like with like; judged on fewer,
        it would inherit whatever luck the first few indices had everywhere."""
        pair = self.bracket()
        most = max((p.replications for p in pair), default=0) if pair is not None else 0
        return max(self.start_n, min(most, self.cap))

    def needed(self, p: float, meets: bool) -> int:
        """Replications for a one-sided 97.5% call that P(met) = p is on its side of the level (normal
        approximation), and never fewer than an all-one-way sample needs (Jeffreys posterior)."""
        gap = abs(p - self.level)
        need = math.ceil(Z_SURE ** 2 * p * (1 - p) / gap ** 2) if gap > 0 else 10 ** 9
        return max(need, fewest(self.level, meets))

    def least_sure(self, ends: Iterable[Probe]) -> tuple[Probe, int] | None:
        """The end to add replications to, and how many: of the ends not yet sure and not hopeless,
        the least sure (near ties: where the fitted band is wider); None when there is none. An end
        is hopeless at the cap, or once it has twice the first round and even the far edge of its
        P(met)'s 95% interval is too near the level to be sure within the cap."""
        def hopeless(p: Probe) -> bool:  # even at the far edge of its 95% interval
            n, k, meets = p.replications, p.successes, p.meets(self.level)
            hope = wilson(k, n)[1 if meets else 0]
            return n >= self.cap or (n >= 2 * self.start_n and self.needed(hope, meets) > self.cap)

        unsure = [p for p in ends if p.sure(self.level) < SURE and not hopeless(p)]
        if not unsure:
            return None
        curve = self.curve()

        def key(p: Probe) -> tuple[float, float]:
            lo, hi = curve.band(p.value)
            return round(p.sure(self.level), 2), -(hi - lo)

        probe = min(unsure, key=key)
        return probe, self.more(probe)

    def more(self, probe: Probe) -> int:
        """Replications to add to a probe: enough for a sure call on its side if its P(met) is where it
        looks (`needed`), at least a quarter more, at most doubling it, never past the cap."""
        n, k = probe.replications, probe.successes
        need = self.needed((k + 0.5) / (n + 1), probe.meets(self.level))
        return max(1, min(max(need - n, math.ceil(n / 4), 2), n, self.cap - n))

    def close(self, a: float, b: float) -> bool:
        """Whether a bracket is as narrow as the search goes: one whole number, one step, or 1% of the range."""
        return abs(b - a) <= self.tolerance * (1 + 1e-9)

    def end(self, probe: Probe) -> End:
        return End(probe, probe.meets(self.level), probe.sure(self.level))

    def show(self) -> None:
        """Progress: replications of the budget, probes, and the bracket as it stands."""
        if self.tick is None:
            return
        pair = self.sure_bracket() or self.bracket()
        if pair is None:
            where = "no crossing yet between the range's ends"
        else:
            lo, hi = sorted(pair, key=lambda p: p.value)
            where = f"bracket {lo.text} ({lo.sure(self.level):.0%}) .. {hi.text} ({hi.sure(self.level):.0%})"
        self.tick(self.replications, note=f"{len(self.probes)} probes; {where}")

    def finish(self, outcome: str, why: str = "") -> Threshold:
        lvl, path = f"{self.level:.0%}", self.param.path
        curve = self.curve()
        sure = self.sure_bracket()
        pair = sure if outcome == "found" else self.bracket()
        lo = hi = None
        crossing = None
        if pair is not None:
            lo, hi = sorted((self.end(p) for p in pair), key=lambda e: e.probe.value)
            x = curve.crossing(self.level)
            if x is not None and lo.probe.value <= x <= hi.probe.value:
                crossing = x
            note = (f"{self.target}: P(met) crosses {lvl} between {path} {lo.probe.text} and {hi.probe.text}: "
                    f"{self.side(lo)} at {lo.probe.text} with probability {lo.probability:.0%}, "
                    f"{self.side(hi)} at {hi.probe.text} with probability {hi.probability:.0%}")
            if crossing is not None:
                note += f"; the fitted curve crosses it at {crossing:.4g} {self.param.unit}".rstrip()
            if sure is not None and {p.text for p in sure} != {lo.probe.text, hi.probe.text}:
                a, b = sorted(sure, key=lambda p: p.value)
                note += f"; both ends sure to {SURE:.1%}: {a.text} .. {b.text}"
        else:
            first, last = self.range_ends()
            nearest = min((last, first), key=lambda p: abs(p.p_met - self.level))
            if nearest is last:  # the bracket runs from the range's end out of the range
                lo = self.end(last)
            else:
                hi = self.end(first)
            note = (f"{self.target}: P(met) {self.side(self.end(first))} {lvl} at both ends of "
                    f"{first.text}..{last.text} (probability {first.sure(self.level):.0%} at {first.text}, "
                    f"{last.sure(self.level):.0%} at {last.text}): the level is not crossed in this range; the "
                    f"bracket ends at {nearest.text}")
        if why:
            note += f" (stopped: {why})"
        return Threshold(self.folder, path, self.target, self.level, self.param.unit, outcome, lo, hi, crossing,
                         list(self.probes.values()), note, self.replications, self.budget, self.tolerance, curve)

    def side(self, end: End) -> str:
        return "at or above" if end.meets else "below"

