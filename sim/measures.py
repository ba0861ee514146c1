"""Statistics gathered while a simulation runs, in memory that does not grow with the horizon.

`TimeWeighted` integrates a level (queue length, busy berths, yard tonnes) over time, after
the warm-up, with an optional daily series (one unboxed double a day). `Queue` adds arrivals and waits to it, so a
queue's length and its waiting time are measured independently (Little's law is then a check,
not an identity). `Reservoir` keeps a bounded uniform sample for percentiles.
"""

from __future__ import annotations

import math
from array import array
from heapq import heappop, heappush

import numpy as np

from sim.calendar import DAY_H


def overlap(a: float, b: float, lo: float, hi: float) -> float:
    """Length of [a, b] inside [lo, hi]."""
    return max(0.0, min(b, hi) - max(a, lo))


class TimeWeighted:
    """A level that changes at given times: its time-average after `warmup` and per day.

    Changes must be reported in time order with `add`; a change already known to happen later
    (a train's turn at a gate) is handed in with `later` and applied when time reaches it.
    """

    __slots__ = ("level", "last", "area", "peak", "warmup", "horizon", "days", "_pending", "_day",
                 "_day_end")

    def __init__(self, warmup: float, horizon: float, daily: bool = False):
        self.level = 0.0
        self.last = 0.0
        self.area = 0.0
        self.peak = 0.0
        self.warmup = warmup
        self.horizon = horizon
        # one double a day, unboxed (a list would hold a float object a day: 4x the memory over a long horizon)
        self.days: array[float] | None = array("d", bytes(8 * max(1, math.ceil(horizon / DAY_H)))) if daily else None
        self._pending: list[tuple[float, float]] = []
        self._day = 0  # the day `last` falls in, while `last` < `_day_end` (a cache)
        self._day_end = DAY_H

    def add(self, t: float, delta: float) -> None:
        if self._pending and self._pending[0][0] <= t:
            self._flush(t)
        last = self.last
        if t > last:
            level = self.level
            if level:  # `_advance` inlined: this runs at nearly every event of the model
                w = self.warmup
                if t > w:
                    self.area += level * (t - (last if last > w else w))
                    if level > self.peak:  # the most held for a while, not for an instant
                        self.peak = level
                days = self.days
                if days is not None:
                    if t < self._day_end:
                        days[self._day] += level * (t - last)
                    else:
                        self._add_days(days, level, last, t)
            self.last = t
        self.level += delta

    def later(self, t: float, delta: float) -> None:
        heappush(self._pending, (t, delta))

    def _flush(self, t: float) -> None:
        pending = self._pending
        while pending and pending[0][0] <= t:
            when, delta = heappop(pending)
            self._advance(when)
            self.level += delta

    def _advance(self, t: float) -> None:
        last = self.last
        if t <= last:
            return
        level = self.level
        if level:
            w = self.warmup
            if t > w:
                self.area += level * (t - (last if last > w else w))
                if level > self.peak:
                    self.peak = level
            days = self.days
            if days is not None:
                if t < self._day_end:
                    days[self._day] += level * (t - last)
                else:
                    self._add_days(days, level, last, t)
        self.last = t

    def _add_days(self, days: array[float], level: float, last: float, t: float) -> None:
        """Spread `level` held over [last, t] across the days it covers."""
        d, e = int(last // DAY_H), int(t // DAY_H)
        if d == e:
            days[d] += level * (t - last)
        else:
            days[d] += level * ((d + 1) * DAY_H - last)
            n = len(days)
            for k in range(d + 1, min(e, n)):
                days[k] += level * DAY_H
            if e < n:
                days[e] += level * (t - e * DAY_H)
        self._day = e
        self._day_end = (e + 1) * DAY_H

    def close(self, t: float) -> None:
        """Bring the integral up to `t` (the end of the run)."""
        self._flush(t)
        self._advance(t)

    def mean(self) -> float:
        """Time-average level over [warmup, horizon]; call `close` first."""
        span = self.horizon - self.warmup
        return self.area / span if span > 0 else 0.0

    def daily(self) -> np.ndarray:
        """Mean level in each day of the whole horizon (warm-up included, for plots)."""
        if self.days is None:
            return np.zeros(0)
        hours = np.full(len(self.days), DAY_H)
        hours[-1] = self.horizon - DAY_H * (len(self.days) - 1)
        return np.frombuffer(self.days, dtype=np.float64) / hours


class Tally:
    """Count and mean of observations (waits) made after the warm-up."""

    __slots__ = ("warmup", "n", "total")

    def __init__(self, warmup: float):
        self.warmup = warmup
        self.n = 0
        self.total = 0.0

    def add(self, t: float, value: float) -> None:
        """Observe `value` at time `t` (ignored during the warm-up)."""
        if t >= self.warmup:
            self.n += 1
            self.total += value

    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0


class Queue:
    """A queue's statistics: arrivals, waits, and time-weighted length, after the warm-up."""

    __slots__ = ("length", "warmup", "arrivals", "waits", "wait_sum")

    def __init__(self, warmup: float, horizon: float, daily: bool = True):
        self.length = TimeWeighted(warmup, horizon, daily)
        self.warmup = warmup
        self.arrivals = 0
        self.waits = 0
        self.wait_sum = 0.0

    def join(self, t: float) -> None:
        self.length.add(t, 1.0)
        if t >= self.warmup:
            self.arrivals += 1

    def leave(self, t: float, joined: float) -> None:
        """One item leaves the queue now, having joined at `joined`."""
        self.length.add(t, -1.0)
        if joined >= self.warmup:
            self.waits += 1
            self.wait_sum += t - joined

    def leave_at(self, t: float, joined: float, now: float) -> None:
        """One item that joined at `joined` will leave at `t` (>= now), already decided."""
        if t <= now:
            self.length.add(now, -1.0)
        else:
            self.length.later(t, -1.0)
        if joined >= self.warmup:
            self.waits += 1
            self.wait_sum += t - joined

    def close(self, t: float) -> None:
        self.length.close(t)

    def summary(self, measured_h: float) -> dict[str, float]:
        return {
            "wait_h_mean": self.wait_sum / self.waits if self.waits else 0.0,
            "queue_mean": self.length.mean(),
            "queue_max": self.length.peak,
            "arrivals": float(self.arrivals),
            "arrival_rate_per_h": self.arrivals / measured_h if measured_h > 0 else 0.0,
        }


class Reservoir:
    """A uniform sample of at most `size` observations (Vitter's algorithm R), with the exact
    count and mean of all of them: percentiles without a list that grows with the horizon."""

    __slots__ = ("rng", "size", "values", "n", "total")

    def __init__(self, rng: np.random.Generator, size: int = 8192):
        self.rng = rng
        self.size = size
        self.values: list[float] = []
        self.n = 0
        self.total = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        self.total += x
        if len(self.values) < self.size:
            self.values.append(x)
        else:
            j = int(self.rng.integers(self.n))
            if j < self.size:
                self.values[j] = x

    def extend(self, xs: np.ndarray) -> None:
        """Add each of `xs` in turn: the sample `add` would keep, in one step while there is room."""
        room = self.size - len(self.values)
        head = xs[:room]
        self.values.extend(head.tolist())
        self.n += len(head)
        self.total += float(head.sum())
        for x in xs[len(head):].tolist():
            self.add(x)

    def summary(self, scale: float = 1.0) -> dict[str, float]:
        """Mean, median and 95th percentile, each divided by `scale` (24 for days)."""
        if not self.n:
            return {}
        p50, p95 = np.quantile(np.asarray(self.values), (0.5, 0.95)).tolist()  # one sort for both
        return {"mean": self.total / self.n / scale, "p50": p50 / scale, "p95": p95 / scale,
                "n": float(self.n)}
