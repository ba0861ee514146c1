"""The simulated calendar: hours since the start of the horizon, months of 730.5 h, and the
seasonal rates (storms, cargo arrivals) that change from month to month.

A seasonal process is a Poisson process whose rate is constant within each month. `after`
inverts its cumulative rate, so the same function times a storm's start (with an exponential
amount of "work") and a deterministic train (with exactly one unit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

HOURS_PER_YEAR = 8766.0  # 365.25 days, as in sim.network
MONTH_H = HOURS_PER_YEAR / 12  # 730.5 h
DAY_H = 24.0


def month(t: float) -> int:
    """Month of the year (0 = January) at simulated hour `t`."""
    return int(t // MONTH_H) % 12


def normalised(factors: Sequence[float]) -> list[float]:
    """Twelve monthly factors scaled to mean 1, so seasonality moves cargo without adding any."""
    mean = sum(factors) / len(factors)
    return [f / mean for f in factors]


def after(t: float, work: float, rates: Sequence[float]) -> float:
    """The hour at which a process with monthly `rates` (per hour, January first) has gathered
    `work` units of cumulative rate since hour `t`; infinity when every rate is zero."""
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
