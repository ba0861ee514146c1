"""What the hourly carriers (power and data) measure, shared by `sim.energy.power` and
`sim.energy.fibre`.

A flow's delivered series has one value an hour. An hour is below the rate when it delivers
less than the rate by more than a relative `BELOW` (rounding, not shortfall); the firm level is
the level delivered in 95 % of hours (the lower 5 % quantile). The daily series a report plots
is the mean of each day's hours. Every link of a continuous carrier reports its availability
(share of measured capacity-hours in service) and utilisation (mean use over capacity).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

Hourly = NDArray[np.float64]  # one value an hour, hour 0 first

BELOW = 1e-6  # relative shortfall that counts as an hour below the rate


def below_rate(hourly: Hourly, rate: float) -> NDArray[np.bool_]:
    """The hours that deliver less than `rate`."""
    below: NDArray[np.bool_] = hourly < rate * (1 - BELOW)
    return below


def firm_level(hourly: Hourly) -> float:
    """The level delivered in 95 % of hours."""
    return float(np.quantile(hourly, 0.05, method="lower"))


def daily_means(hourly: Hourly) -> NDArray[np.float64]:
    """Mean of an hourly series in each day (the last day may be short)."""
    days = -(-len(hourly) // 24)
    sums = np.add.reduceat(hourly, np.arange(0, len(hourly), 24)) if len(hourly) else np.zeros(0)
    hours = np.full(days, 24.0)
    if days:
        hours[-1] = len(hourly) - 24 * (days - 1)
    means: NDArray[np.float64] = sums / hours
    return means


@dataclass(frozen=True)
class LinkMeasures:
    """A link of a continuous carrier over the measured period."""

    availability: float  # share of capacity-hours in service
    utilisation: float  # mean use over capacity

    def row(self) -> dict[str, float]:
        """The record as a replication's `links` row."""
        return asdict(self)
