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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from sim.replications import Replication
from sim.scenario.schema import Scenario, Target

Verdict = Literal["met", "at risk", "not met"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
Z95 = 1.959963984540054  # two-sided 95% normal quantile: the Wilson interval's z
EPS = 1e-9  # a value or count this close to its bound is on it (float noise is not a shortfall)


def measure(target: Target, rep: Replication) -> float:
    """The target's measured value in one replication, in the target's own unit.

    throughput: the annual delivered rate of its flows, summed.
    firm: the capacity its flows sustain in `share_of_time` of the hours (the quantile), so
    4 GW at 95% of hours is met when this is >= 4 GW.
    """
    records = [rep.flows[f] for f in target.flows if f in rep.flows]
    if target.measure == "throughput":
        return float(sum(r.delivered for r in records))
    hourly = [r.hourly for r in records if r.hourly is not None]
    if not hourly:
        return float(sum(r.delivered for r in records))
    total = np.sum(hourly, axis=0)
    return float(np.quantile(total, 1.0 - target.share_of_time.value, method="lower"))


def threshold(target: Target) -> float:
    """The value a replication must reach: the figure less its tolerance."""
    return target.value.value * (1.0 - target.tolerance.value)


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
    k = sum(met(target, v) for v in values)
    mean = float(np.mean(values)) if len(values) else math.nan
    reaches = len(values) > 0 and met(target, mean)
    return Judgement(verdict(k, len(values), reaches, probability), probability, k, len(values), mean,
                     threshold(target))
