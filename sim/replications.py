"""Replications: independent seeded streams, per-replication records, and their summaries.

Each stochastic component draws from its own stream, keyed by the replication index and the
component's name (`streams.get("weather:caspian")`), so results do not depend on execution
order or worker count, and adding a component to a scenario does not shift any other
component's random numbers (common random numbers across scenario variants).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


class Streams:
    """Random generators for one replication, one per named component."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        if name not in self._cache:
            ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, _key(name)))
            self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return self._cache[name]


@dataclass
class FlowRecord:
    """What one flow did in one replication (statistics exclude the warm-up)."""

    carrier: str
    unit: str
    delivered: float  # annualised rate in the carrier's unit (Mt/yr, GW average, Tbps average)
    arrived: float = 0.0  # tonnes (cargo/oil) that entered during the measured period
    in_system: float = 0.0  # tonnes still in the network at the end
    transit_days: dict[str, float] = field(default_factory=dict)  # mean, p50, p95
    hourly: np.ndarray | None = None  # delivered rate each hour (power, data), for firm targets
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Replication:
    """Everything measured in one replication: per flow, per link, per node, daily series."""

    index: int
    flows: dict[str, FlowRecord] = field(default_factory=dict)
    links: dict[str, dict[str, float]] = field(default_factory=dict)  # utilisation, availability, ...
    nodes: dict[str, dict[str, float]] = field(default_factory=dict)  # waits, queues, closed days
    fleets: dict[str, dict[str, float]] = field(default_factory=dict)
    # (from, to) node pair -> passage days (mean, p50, p95) and consignments (n)
    passages: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)  # daily resolution
    outages: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0

    def merge(self, other: Replication) -> Replication:
        """Combine the records of two engines (cargo and continuous) for the same replication."""
        assert other.index == self.index  # internal invariant, not user input
        self.flows.update(other.flows)
        for table in ("links", "nodes", "fleets"):  # two engines may report on the same port
            mine = getattr(self, table)
            for ident, figures in getattr(other, table).items():
                mine.setdefault(ident, {}).update(figures)
        self.passages.update(other.passages)
        self.series.update(other.series)
        self.outages += other.outages
        self.events += other.events
        return self


@dataclass(frozen=True)
class Estimate:
    mean: float
    lo: float
    hi: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


def estimate(values: list[float] | np.ndarray) -> Estimate:
    """Mean with a 95% Student-t confidence interval across replications."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return Estimate(mean, mean, mean, n)
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Estimate(mean, mean - half, mean + half, n)
