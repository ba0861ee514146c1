"""Where a target is judged met: one replication's measurement against the target's figure."""

from __future__ import annotations

import numpy as np

from sim.replications import Replication
from sim.scenario.schema import Target


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


def met(target: Target, value: float) -> bool:
    """A measured value meets the target when it reaches the figure less its tolerance."""
    return value >= target.value.value * (1.0 - target.tolerance.value) - 1e-9
