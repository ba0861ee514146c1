"""Throughput gates: a rail line's train paths, a border crossing's daily capacity, a shipping
line's annual capacity.

A gate lets consignments through one after another, first come first served, each holding it
for its tonnes divided by the gate's rate (a 28 trains/d crossing passes one train every
0.86 h). Trains queue when they come faster than that. Because the service time is known on
arrival, a consignment's turn is computed, not waited for with extra events: `reserve` returns
the hours until it has passed. The queue statistics follow from the same arithmetic: each
consignment waits over [arrival, turn], so the queue's time-average length is the sum of those
intervals inside the measured period divided by its length.
"""

from __future__ import annotations

import math
from collections import deque

from sim.calendar import DAY_H


class Gate:
    """A first-come-first-served throughput limit of `rate_kg_h` kilograms per hour."""

    __slots__ = ("id", "rate_kg_h", "h_per_kg", "free_at", "warmup", "horizon", "measured", "kg",
                 "arrivals", "wait_sum", "area", "peak", "_turns", "days")

    def __init__(self, gate_id: str, rate_kg_h: float, warmup: float, horizon: float,
                 daily: bool = False, measured: bool = True):
        self.id = gate_id
        self.rate_kg_h = rate_kg_h
        self.h_per_kg = 1.0 / rate_kg_h if rate_kg_h > 0 else math.inf
        self.free_at = -math.inf  # free from the clock's start (hour -spinup with a spin-up)
        self.warmup = warmup
        self.horizon = horizon
        # False for a gate whose waiting another record reports (a port's own queue): it then
        # only times turns and keeps no statistics of its own.
        self.measured = measured
        self.kg = 0  # kilograms that arrived inside [warmup, horizon]
        self.arrivals = 0
        self.wait_sum = 0.0
        self.area = 0.0  # consignment-hours of waiting inside [warmup, horizon]
        self.peak = 0
        self._turns: deque[float] = deque()  # turns of those waiting, in order
        self.days: list[float] | None = [0.0] * max(1, math.ceil(horizon / DAY_H)) if daily else None

    def start(self, now: float) -> float:
        """When a consignment arriving now would begin to pass."""
        return self.free_at if self.free_at > now else now

    def reserve(self, now: float, kg: int) -> float:
        """Take the next turn for `kg` kilograms arriving now; hours until it has passed
        (infinite when the gate has no capacity)."""
        free = self.free_at
        service = kg * self.h_per_kg
        if free > now:
            self.free_at = free + service
            wait = free - now
            if self.measured:
                self._queued(now, free)
                if now >= self.warmup:
                    self.arrivals += 1
                    self.kg += kg
                    self.wait_sum += wait
            return wait + service
        self.free_at = now + service
        if self.measured and now >= self.warmup:  # no wait: nothing to add to `wait_sum`
            self.arrivals += 1
            self.kg += kg
        return service

    def _queued(self, now: float, start: float) -> None:
        """Queue statistics for a consignment that waits over [now, start]."""
        turns = self._turns
        while turns and turns[0] <= now:
            turns.popleft()
        turns.append(start)
        w, h = self.warmup, self.horizon
        if now >= w and len(turns) > self.peak:
            self.peak = len(turns)
        end = start if start <= h else h  # min(start, h)
        if start > w and now < h:
            self.area += end - (now if now >= w else w)
        days = self.days
        if days is not None:
            d = max(int(now // DAY_H), 0)  # a wait begun in the spin-up counts from hour 0
            n = len(days)
            while d < n and d * DAY_H < end:
                hi = (d + 1) * DAY_H
                lo = d * DAY_H
                days[d] += (end if end <= hi else hi) - (now if now >= lo else lo)  # min - max
                d += 1

    def expected_h(self, now: float, kg: int) -> float:
        """Hours a consignment arriving now would take to pass (wait and service)."""
        return self.start(now) - now + kg * self.h_per_kg

    def utilisation(self) -> float:
        """Throughput over capacity in [warmup, horizon]: the share of time the gate was busy."""
        span = self.horizon - self.warmup
        return min(self.kg * self.h_per_kg / span, 1.0) if span > 0 and self.kg else 0.0

    def summary(self) -> dict[str, float]:
        span = self.horizon - self.warmup
        return {
            "wait_h_mean": self.wait_sum / self.arrivals if self.arrivals else 0.0,
            "queue_mean": self.area / span if span > 0 else 0.0,
            "queue_max": float(self.peak),
            "arrivals": float(self.arrivals),
            "arrival_rate_per_h": self.arrivals / span if span > 0 else 0.0,
            "utilisation": self.utilisation(),
        }

    def daily_queue(self) -> list[float]:
        """Mean consignments waiting in each day of the horizon."""
        if self.days is None:
            return []
        out = [x / DAY_H for x in self.days]
        last = self.horizon - DAY_H * (len(out) - 1)
        out[-1] = self.days[-1] / last if last > 0 else 0.0
        return out
