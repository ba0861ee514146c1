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


class ExactMean:
    """The mean of a series of known length `n` fed a block at a time, bit for bit what NumPy's
    `mean` gives on the whole array: NumPy sums a contiguous float64 array pairwise (halves
    rounded down to a multiple of 8, down to blocks of at most 128 summed with 8 accumulators),
    so the blocks' sums are kept (about n / 100 numbers) and combined along the same tree once
    every value has been fed. Memory: the sums and one incomplete block, whatever `n`."""

    LEAF = 128  # NumPy's pairwise block size

    def __init__(self, n: int) -> None:
        self.n = n
        self.leaves: list[tuple[int, int]] = []
        self._split(0, n)
        self.sums = np.zeros(len(self.leaves))
        self._buf = np.zeros(0)
        self._pos = 0  # the hour the buffer starts at
        self._next = 0  # the first leaf not summed yet

    def _split(self, lo: int, n: int) -> None:
        if n <= self.LEAF:
            self.leaves.append((lo, n))
            return
        n2 = n // 2
        n2 -= n2 % 8
        self._split(lo, n2)
        self._split(lo + n2, n - n2)

    def add(self, values: NDArray[np.float64]) -> None:
        """Feed the next values (in order)."""
        buf = np.concatenate([self._buf, np.asarray(values, dtype=np.float64)])
        end = self._pos + len(buf)
        first = self._next
        while self._next < len(self.leaves) and sum(self.leaves[self._next]) <= end:
            self._next += 1
        by_length: dict[int, list[int]] = {}
        for i in range(first, self._next):
            by_length.setdefault(self.leaves[i][1], []).append(i)
        for length, idx in by_length.items():
            starts = np.array([self.leaves[i][0] - self._pos for i in idx])
            block = buf[starts[:, None] + np.arange(length)]
            self.sums[idx] = _leaf_sums(block)
        done = sum(self.leaves[self._next - 1]) if self._next else 0
        self._buf = buf[done - self._pos:].copy() if done > self._pos else buf
        self._pos = max(done, self._pos)

    def mean(self) -> float:
        """The mean of every value fed (all `n` of them)."""
        if not self.n:
            return float("nan")
        if self._next < len(self.leaves):
            raise ValueError(f"fed {self._pos + len(self._buf)} of {self.n} values")
        it = iter(self.sums.tolist())

        def combine(n: int) -> float:
            if n <= self.LEAF:
                return next(it)
            n2 = n // 2
            n2 -= n2 % 8
            left = combine(n2)
            return left + combine(n - n2)

        return float(np.float64(combine(self.n)) / np.float64(self.n))


def _leaf_sums(block: NDArray[np.float64]) -> NDArray[np.float64]:
    """NumPy's sum of each row of `block` (at most 128 values a row), in its order of additions."""
    n = block.shape[1]
    if n < 8:
        res = np.full(len(block), -0.0)
        for j in range(n):
            res += block[:, j]
        return res
    m = n - n % 8
    acc = block[:, :8].copy()
    for i in range(8, m, 8):
        acc += block[:, i:i + 8]
    res = ((acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])) + ((acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7]))
    for j in range(m, n):
        res += block[:, j]
    out: NDArray[np.float64] = res
    return out
