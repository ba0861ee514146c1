"""Where a target is judged: one replication's measurement against the target's figure, then the
verdict across replications.

A replication reaches a target when its measured value (`measure`) is at least the figure less
its tolerance: figure x (1 - tolerance). P(met) is the share k/n of the n replications that reach
it, given with its Wilson 95% interval. The verdict asks for a required probability p (the
target's `probability`, else the scenario's `verdicts.probability`, 90 % by default):

- "met": P(met) >= p;
- "at risk": the mean across replications reaches the figure less tolerance, but P(met) < p
  (a good average hides too many bad years);
- "not met": neither.

`met` in report.json (and `--fail-on-unmet`) is verdict == "met": "at risk" counts as unmet.

Framings. A power target is judged three ways, each with its own figure and verdict by the same
rule; its `measure` says which one its figure means (the top-level verdict), the other two are
reported beside it:

- transmission: the capacity its flows' paths carry in `share_of_time` of the hours with
  unlimited supply at the origins, under the replication's outages (the hourly transfer capacity
  `FlowRecord.transfer`, `sim.energy.power`), against the figure in GW. Beside it, the N-1
  capacity (`n_minus_1`): each element on the target's paths lost in turn, no other outage,
  unlimited supply, the worst of them; deterministic, once per scenario.
- energy: TWh a year delivered by its flows, against the target's `energy`; when the scenario
  gives none, against what a link of the figure's size fed by this generation would deliver
  (`default_energy`: figure x hours a year x the flows' capacity factors x their best path
  efficiency, weighted by the flows' rates; an assumption, said so in the report). Beside it, the
  utilisation: the mean delivered power over the figure.
- firm: the capacity delivered in `share_of_time` of the hours (the quantile of the delivered
  power), against the figure in GW.

Each replication measures every framing where its hourly arrays are (`measured`, keys
`framing_key`), so they are judged after the arrays are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from sim.network import TWH_PER_GW
from sim.replications import Replication, estimate
from sim.scenario.schema import Scenario, Target

if TYPE_CHECKING:
    from sim.network import Network

Verdict = Literal["met", "at risk", "not met"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
Framing = Literal["transmission", "energy", "firm"]
FRAMINGS: tuple[Framing, ...] = get_args(Framing)
Measure = Literal["throughput", "firm", "transmission", "energy"]
ENERGY_UNIT = "TWh/yr"
Z95 = 1.959963984540054  # two-sided 95% normal quantile: the Wilson interval's z
EPS = 1e-9  # a value or count this close to its bound is on it (float noise is not a shortfall)


def measure(target: Target, rep: Replication) -> float:
    """The target's measured value in one replication, in the unit of its figure (`measure_as`
    its own measure)."""
    return measure_as(target.measure, target, rep)


def measure_as(kind: Measure, target: Target, rep: Replication) -> float:
    """The target's flows measured one way in one replication.

    throughput: the annual delivered rate of its flows, summed.
    firm: the capacity its flows sustain in `share_of_time` of the hours (the quantile), so
    4 GW at 95% of hours is met when this is >= 4 GW.
    transmission: the same quantile of the hourly transfer capacity (unlimited supply, this
    replication's outages); a record without it is measured as firm.
    energy: TWh a year delivered by its flows (mean GW x hours a year / 1000).
    Without hourly records firm and transmission fall back to the mean delivered rate.
    """
    records = [rep.flows[f] for f in target.flows if f in rep.flows]
    if kind == "throughput":
        return float(sum(r.delivered for r in records))
    if kind == "energy":
        return float(sum(r.delivered for r in records)) * TWH_PER_GW
    hourly = [r.transfer for r in records if r.transfer is not None] if kind == "transmission" else []
    if not hourly:
        hourly = [r.hourly for r in records if r.hourly is not None]
    if not hourly:
        return float(sum(r.delivered for r in records))
    total = np.sum(hourly, axis=0)
    return float(np.quantile(total, 1.0 - target.share_of_time.value, method="lower"))


def framing_key(tid: str, framing: Measure) -> str:
    """Where a replication keeps target `tid`'s value in one framing (`Replication.measured`)."""
    return f"{tid}:{framing}"


def measured(scenario: Scenario, rep: Replication) -> dict[str, float]:
    """Every target's value in one replication (by target id), then each power target's value in
    every framing (by `framing_key`)."""
    out: dict[str, float] = {}
    framed: dict[str, float] = {}
    for tid, t in scenario.targets.items():
        if t.carrier == "power":
            framed.update({framing_key(tid, f): measure_as(f, t, rep) for f in FRAMINGS})
        own = framing_key(tid, t.measure)  # a power target's own measure is one of its framings
        out[tid] = framed[own] if own in framed else measure(t, rep)
    return out | framed


def figure(target: Target) -> float:
    """The figure the target's own measure is judged against: its `energy` for an energy target,
    else its `value`."""
    if target.measure == "energy" and target.energy is not None:
        return target.energy.value
    return target.value.value


def unit(target: Target) -> str:
    """The unit of `figure(target)`."""
    return ENERGY_UNIT if target.measure == "energy" else target.value.unit


def threshold(target: Target) -> float:
    """The value a replication must reach: the figure less its tolerance."""
    return figure(target) * (1.0 - target.tolerance.value)


def met(target: Target, value: float) -> bool:
    """A measured value meets the target when it reaches the figure less its tolerance."""
    return value >= threshold(target) - EPS


def required_probability(scenario: Scenario, tid: str) -> float:
    """The share of replications target `tid` must be met in: its own `probability`, else the
    scenario's `verdicts.probability`."""
    own = scenario.targets[tid].probability
    return own.value if own is not None else scenario.verdicts.probability.value


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a probability from k successes in n trials (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


def verdict(k: int, n: int, mean_reaches: bool, probability: float) -> Verdict:
    """The rule: "met" when k of n replications is at least `probability`; "at risk" when not
    but the mean reaches the figure less tolerance; "not met" otherwise."""
    if n > 0 and k >= probability * n - EPS:
        return "met"
    return "at risk" if mean_reaches else "not met"


@dataclass(frozen=True)
class Judgement:
    """A target judged across replications: how many reached it, P(met) with its Wilson 95%
    interval, the mean, the probability required and the verdict."""

    verdict: Verdict
    probability: float
    reached: int
    replications: int
    mean: float
    threshold: float

    @property
    def p_met(self) -> float:
        return self.reached / self.replications if self.replications else 0.0

    @property
    def p_met_ci95(self) -> tuple[float, float]:
        return wilson(self.reached, self.replications)


def judge(target: Target, values: Sequence[float], probability: float) -> Judgement:
    """Judge a target on its measured value in each replication (`measure`)."""
    return judge_against(threshold(target), values, probability)


def judge_against(level: float, values: Sequence[float], probability: float) -> Judgement:
    """Judge values against `level` (a figure less its tolerance): the rule of `verdict`."""
    k = sum(v >= level - EPS for v in values)
    mean = float(np.mean(values)) if len(values) else math.nan
    reaches = len(values) > 0 and mean >= level - EPS
    return Judgement(verdict(k, len(values), reaches, probability), probability, k, len(values), mean, level)


@dataclass(frozen=True)
class FramingJudgement:
    """A power target judged in one framing: the figure (`assumed` when derived, not written),
    its unit, the mean's 95% interval across replications and the judgement; for transmission
    the N-1 capacity, for energy the utilisation of the figure's capacity."""

    framing: Framing
    figure: float
    unit: str
    assumed: bool
    ci95: tuple[float, float]
    judgement: Judgement
    n_minus_1: float | None = None
    utilisation: float | None = None


def framing_values(target: Target, tid: str, reps: Iterable[Replication]) -> dict[Framing, list[float]]:
    """Each framing's value in every replication: as measured where it ran, else measured from
    the record (`measure_as`: energy from the delivered rates)."""
    out: dict[Framing, list[float]] = {f: [] for f in FRAMINGS}
    for r in reps:
        for f in FRAMINGS:
            got = r.measured.get(framing_key(tid, f))
            out[f].append(got if got is not None else measure_as(f, target, r))
    return out


def judge_framings(scenario: Scenario, network: Network, tid: str, values: Mapping[Framing, Sequence[float]],
                   probability: float) -> list[FramingJudgement]:
    """A power target judged in each framing (transmission, energy, firm), with the tolerance and
    required probability of the target; none for another carrier."""
    t = scenario.targets[tid]
    if t.carrier != "power":
        return []
    out = []
    for f in FRAMINGS:
        vals = values[f]
        if f == "energy":
            fig = t.energy.value if t.energy is not None else default_energy(scenario, network, t)
            assumed, unit_ = t.energy is None, ENERGY_UNIT
        else:
            fig, assumed, unit_ = t.value.value, False, t.value.unit
        est = estimate(list(vals))
        extra: dict[str, float | None] = {}
        if f == "transmission":
            extra["n_minus_1"] = n_minus_1(scenario, network, t)
        if f == "energy":
            extra["utilisation"] = est.mean / TWH_PER_GW / t.value.value if t.value.value > 0 else None
        out.append(FramingJudgement(f, fig, unit_, assumed, (est.lo, est.hi),
                                    judge_against(fig * (1.0 - t.tolerance.value), vals, probability), **extra))
    return out


def default_energy(scenario: Scenario, network: Network, target: Target) -> float:
    """TWh a year a link of the target's figure fed by the generation behind its flows would
    deliver: figure x hours a year x capacity factor x best path efficiency, the last two
    averaged over the flows weighted by their rates (a flow from a grid: capacity factor 1)."""
    from sim.energy.paths import flow_paths

    weights, shares = [], []
    for fid in target.flows:
        flow = scenario.flows[fid]
        gen = scenario.nodes[flow.origin].generation
        cf = gen.capacity_factor.value if gen is not None else 1.0
        best = max(p.efficiency for p in flow_paths(scenario, network, fid))
        weights.append(flow.rate.value)
        shares.append(cf * best)
    if not sum(weights):
        weights = [1.0] * len(shares)
    return target.value.value * float(np.average(shares, weights=weights)) * TWH_PER_GW


def n_minus_1(scenario: Scenario, network: Network, target: Target) -> float:
    """The N-1 transmission capacity of a power target: every element (link or limiting node) on
    its flows' paths lost in turn, nothing else out, unlimited supply at the origins, every power
    flow dispatched by the simulation's rule up to its rate; the least its flows then carry
    together (0 when a single element carries it all)."""
    from sim.energy.dispatch import exact_rule
    from sim.energy.paths import flow_paths

    power = [fid for fid, f in scenario.flows.items() if f.carrier == "power"]
    paths = {fid: flow_paths(scenario, network, fid) for fid in power}
    lost = list({e.key: e for fid in target.flows if fid in paths for p in paths[fid] for e in p.elements})
    if not lost:
        return 0.0
    n = len(lost)  # one "hour" per element lost
    elements = {e.key: e for ps in paths.values() for p in ps for e in p.elements}
    caps = {k: np.full(n, e.capacity) for k, e in elements.items()}
    for i, k in enumerate(lost):
        caps[k][i] = 0.0
    supply = {ps[0].origin: np.full(n, np.inf) for ps in paths.values()}
    rates = {fid: scenario.flows[fid].rate.value for fid in power}
    solve = exact_rule(paths)
    got = solve(paths, rates, caps, supply, n)
    return float(np.sum([got.delivered[f] for f in target.flows if f in got.delivered], axis=0).min())
