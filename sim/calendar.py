"""The simulated calendar: hours since 1 January of the scenario's year, months of 730.5 h, and
the seasonal rates (storms, cargo arrivals) that change from month to month.

Negative hours are the end of the previous year: a run with a spin-up (`simulation.spinup`)
starts its clock at hour -spinup, so hour -1 is in December (`month(-1) == 11`) and the months
repeat backwards as they do forwards (hour -730.5 is the start of December).

A seasonal process is a Poisson process whose rate is constant within each month. `after`
inverts its cumulative rate, so the same function times a storm's start (with an exponential
amount of "work") and a deterministic train (with exactly one unit); `gathered` is the
cumulative rate itself, so a process whose rates change at some hour (the previous year's
demand before hour 0) can hand the work left over to the new rates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

HOURS_PER_YEAR = 8766.0  # 365.25 days, as in sim.network
MONTH_H = HOURS_PER_YEAR / 12  # 730.5 h
DAY_H = 24.0


def month(t: float) -> int:
    """Month of the year (0 = January) at simulated hour `t` (negative: the previous year)."""
    return int(t // MONTH_H) % 12


def normalised(factors: Sequence[float]) -> list[float]:
    """Twelve monthly factors scaled to mean 1, so seasonality moves cargo without adding any."""
    mean = sum(factors) / len(factors)
    return [f / mean for f in factors]


def after(t: float, work: float, rates: Sequence[float]) -> float:
    """The hour at which a process with monthly `rates` (per hour, January first) has gathered
    `work` units of cumulative rate since hour `t` (which may be negative); infinity when every
    rate is zero."""
    if work <= 0:
        return t
    if not any(r > 0 for r in rates):
        return math.inf
    while True:
        m = int(t // MONTH_H)
        end = (m + 1) * MONTH_H
        r = rates[m % 12]
        if r > 0:
            need = work / r
            if t + need <= end:
                return t + need
            work -= (end - t) * r
        t = end


def gathered(t0: float, t1: float, rates: Sequence[float]) -> float:
    """The cumulative rate of a process with monthly `rates` over [t0, t1] (0 when t1 <= t0):
    the `work` for which `after(t0, work, rates) == t1`."""
    total = 0.0
    t = t0
    while t < t1:
        m = int(t // MONTH_H)
        end = min((m + 1) * MONTH_H, t1)
        total += (end - t) * rates[m % 12]
        t = end
    return total
