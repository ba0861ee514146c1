"""Whether a figure differs between two runs by more than their noise (`corridor compare`).

A figure measured in every replication of two runs is tested on those values:
- same seed and number of replications: common random numbers (replication i of both ran on
  the same random streams), so the differences d_i = b_i - a_i pair up. All d_i equal: the
  same shift in every replication, p = 1 when it is zero, else 0. Otherwise the paired t-test,
  or Wilcoxon's signed-rank test when there are at least 15 pairs and Shapiro-Wilk rejects the
  normality of the differences (p < 0.05). Below 15 pairs the t-test is kept whatever their
  shape: Shapiro-Wilk says little there, and Wilcoxon's smallest possible p (2 / 2^n: 0.125 at
  n = 4, 0.002 at n = 10) could not survive Holm's correction over a report's figures, so a
  ferry fleet cut to a sixth would read as "noise"; from 15 pairs it is 6e-5.
- otherwise the replications are independent: Welch's t-test.
A proportion (P(met): k of n replications) gets Newcombe's hybrid score interval for the
difference of two proportions (Newcombe 1998, method 10: Wilson intervals of each, combined),
treated as independent (conservative under common random numbers); its p-value is the level at
which that interval first reaches zero, so p < 0.05 exactly when the 95% interval excludes zero.
Holm's step-down correction turns the p-values of a family of tests into adjusted ones that
keep the chance of any false "changed" below the level.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from sim.targets import wilson

NORMALITY_ALPHA = 0.05  # Shapiro-Wilk level below which differences count as not normal
WILCOXON_MIN_PAIRS = 15  # fewer pairs: the paired t-test whatever the differences' shape


@dataclass(frozen=True)
class Test:
    """A test of one difference: which test, its two-sided p-value, and for a proportion the 95%
    interval of the difference."""

    name: str
    p: float
    interval: tuple[float, float] | None = None


def paired_test(a: Sequence[float], b: Sequence[float]) -> Test | None:
    """b against a, replication by replication (None: fewer than two pairs)."""
    a_, b_ = np.asarray(a, float), np.asarray(b, float)
    d = b_ - a_
    if len(d) < 2:
        return None
    rounding = 1e-12 * max(1.0, float(np.abs(a_).max()), float(np.abs(b_).max()))  # of float arithmetic
    if np.ptp(d) <= rounding:
        return Test("same shift in every replication", 1.0 if abs(d[0]) <= rounding else 0.0)
    with warnings.catch_warnings():  # nearly equal values: scipy warns of lost precision, the p stands
        warnings.simplefilter("ignore", RuntimeWarning)
        if len(d) >= WILCOXON_MIN_PAIRS and float(stats.shapiro(d).pvalue) < NORMALITY_ALPHA:
            p = float(stats.wilcoxon(d).pvalue)
            return Test("Wilcoxon signed-rank", 1.0 if math.isnan(p) else p)
        return Test("paired t", float(stats.ttest_rel(b_, a_).pvalue))


def welch_test(a: Sequence[float], b: Sequence[float]) -> Test | None:
    """b against a as independent samples (None: fewer than two values in either)."""
    a_, b_ = np.asarray(a, float), np.asarray(b, float)
    if len(a_) < 2 or len(b_) < 2:
        return None
    if np.ptp(a_) == 0 and np.ptp(b_) == 0:
        return Test("same value in every replication", 1.0 if a_[0] == b_[0] else 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Test("Welch t", float(stats.ttest_ind(b_, a_, equal_var=False).pvalue))


def newcombe(k_a: int, n_a: int, k_b: int, n_b: int, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p_b - p_a, the proportions k/n."""
    return _newcombe_at(k_a, n_a, k_b, n_b, float(stats.norm.isf((1 - level) / 2)))


def _newcombe_at(k_a: int, n_a: int, k_b: int, n_b: int, z: float) -> tuple[float, float]:
    pa, pb = k_a / n_a, k_b / n_b
    la, ua = wilson(k_a, n_a, z)
    lb, ub = wilson(k_b, n_b, z)
    d = pb - pa
    return d - math.hypot(pb - lb, ua - pa), d + math.hypot(ub - pb, pa - la)


def proportion_test(k_a: int, n_a: int, k_b: int, n_b: int) -> Test:
    """Proportion b against a: Newcombe's 95% interval of the difference, and the p at which the
    interval at level 1 - p first reaches zero."""
    interval = newcombe(k_a, n_a, k_b, n_b)
    d = k_b / n_b - k_a / n_a
    if d == 0:
        return Test("Newcombe", 1.0, interval)

    def clearance(z: float) -> float:  # how far the interval's near end stays from zero
        lo, hi = _newcombe_at(k_a, n_a, k_b, n_b, z)
        return lo if d > 0 else -hi

    widest = 40.0  # a normal quantile beyond any p-value a float holds
    if clearance(widest) > 0:
        return Test("Newcombe", 0.0, interval)
    z = float(optimize.brentq(clearance, 0.0, widest, xtol=1e-12))
    return Test("Newcombe", float(2 * stats.norm.sf(z)), interval)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values: the i-th smallest (from 1) times m - i + 1, never below the one
    before it, at most 1."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda j: p_values[j])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
