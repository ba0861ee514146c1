"""Storm and ice closures of ports and sea areas, shared by every model that sails.

Each `weather` entry of a scenario is a stream of storms: starts form a Poisson process whose
rate changes month by month (`Weather.monthly_rates()`, storms per year), and each storm lasts
a draw from its `duration`. Storms may overlap; a node is closed while at least one storm that
covers it is under way. For a constant rate r (per hour) and mean duration d, the long-run
closed share is therefore 1 - exp(-r d) (about r d when small), and the number of storms per
year is exactly the stated rate.

The storms of `weather:<id>` come from a fresh generator of the stream of that name (same seed
and replication), so the cargo model and the tanker model see the same storms in the same
replication when each builds its own `Closures`, whichever runs first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim import calendar
from sim.measures import overlap

from sim.replications import Streams

if TYPE_CHECKING:
    from sim.scenario.schema import Weather


def storms(env: simpy.Environment, weather: Weather, rng: np.random.Generator,
           on_start: Callable[[list[str]], None], on_end: Callable[[list[str]], None]):
    """Process: start storms over `weather.nodes` at the seasonal rate; each ends after its
    drawn duration. `on_start`/`on_end` are called with the node ids at each start and end."""
    rates = [r / calendar.HOURS_PER_YEAR for r in weather.monthly_rates()]
    nodes = list(weather.nodes)

    def end(_: simpy.Event) -> None:
        on_end(nodes)

    t = env.now
    while True:
        t = calendar.after(t, float(rng.exponential()), rates)
        if t == float("inf"):
            return
        yield env.timeout(t - env.now)
        on_start(nodes)
        env.timeout(weather.duration.sample(rng)).callbacks.append(end)


class Closures:
    """Which nodes weather has closed now, an event to wait for each to reopen, and the hours
    each was closed during [warmup, horizon]."""

    def __init__(self, env: simpy.Environment, weather: Mapping[str, Weather], streams: Streams,
                 warmup: float, horizon: float,
                 trace: Callable[[dict], None] | None = None):
        self.env = env
        self.warmup = warmup
        self.horizon = horizon
        self.trace = trace
        self._storms: dict[str, int] = {}  # node -> storms under way
        self.closed: set[str] = set()  # nodes with a storm under way now
        self._since: dict[str, float] = {}  # node -> when the current closure began
        self._reopen: dict[str, simpy.Event] = {}
        self._hours: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._daily: dict[str, list[float]] = {}
        self.nodes: set[str] = set()
        fresh = Streams(streams.seed, streams.replication)  # not shared with any other model
        for wid, w in weather.items():
            self.nodes.update(w.nodes)
            env.process(storms(env, w, fresh.get(f"weather:{wid}"), self._start, self._end))
        for n in self.nodes:
            self._hours[n] = 0.0
            self._count[n] = 0
            self._daily[n] = [0.0] * max(1, math.ceil(horizon / calendar.DAY_H))

    def is_closed(self, node: str) -> bool:
        return node in self.closed

    def any_closed(self, nodes: Iterable[str]) -> str | None:
        """The first of `nodes` that is closed now, or None."""
        closed = self.closed
        if closed:
            for n in nodes:
                if n in closed:
                    return n
        return None

    def reopening(self, node: str) -> simpy.Event:
        """An event that fires when `node` next opens (already fired if it is open)."""
        ev = self._reopen.get(node)
        if ev is None or not self.is_closed(node):
            ev = self.env.event()
            ev.succeed()
        return ev

    def wait_open(self, *nodes: str):
        """Process step: wait until every one of `nodes` is open at the same moment."""
        while (closed := self.any_closed(nodes)) is not None:
            yield self._reopen[closed]

    def _start(self, nodes: list[str]) -> None:
        now = self.env.now
        for n in nodes:
            k = self._storms.get(n, 0)
            self._storms[n] = k + 1
            if k == 0:
                self.closed.add(n)
                self._since[n] = now
                self._reopen[n] = self.env.event()
                if now >= self.warmup:
                    self._count[n] += 1
                if self.trace:
                    self.trace({"t": now, "event": "closed", "node": n})

    def _end(self, nodes: list[str]) -> None:
        now = self.env.now
        for n in nodes:
            self._storms[n] -= 1
            if self._storms[n] == 0:
                self.closed.discard(n)
                self._record(n, self._since.pop(n), now)
                self._reopen.pop(n).succeed()
                if self.trace:
                    self.trace({"t": now, "event": "reopened", "node": n})

    def _record(self, node: str, a: float, b: float) -> None:
        self._hours[node] += overlap(a, b, self.warmup, self.horizon)
        days = self._daily[node]
        d = int(a // 24)
        while d * 24 < b and d < len(days):
            days[d] += overlap(a, b, d * 24, (d + 1) * 24)
            d += 1

    def finish(self) -> None:
        """Close the books at the horizon: storms still under way count up to it."""
        for n, since in list(self._since.items()):
            self._record(n, since, self.horizon)
            self._since[n] = self.horizon

    def closed_hours(self, node: str) -> float:
        return self._hours.get(node, 0.0)

    def closures(self, node: str) -> int:
        """Closures that began after the warm-up."""
        return self._count.get(node, 0)

    def closed_daily(self, node: str) -> np.ndarray:
        """Hours closed in each day of the horizon."""
        days = self._daily.get(node)
        n = max(1, math.ceil(self.horizon / calendar.DAY_H))
        return np.asarray(days) if days is not None else np.zeros(n)
