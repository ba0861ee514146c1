"""Storm and ice closures of ports and sea areas, shared by every model that sails or repairs.

Each `weather` entry of a scenario is a stream of storms: starts form a Poisson process whose
rate changes month by month (`Weather.monthly_rates()`, storms per year), and each storm lasts
a draw from its `duration`. Storms may overlap; a node is closed while at least one storm that
covers it is under way. For a constant rate r (per hour) and mean duration d, the long-run
closed share is therefore 1 - exp(-r d) (about r d when small), and the number of storms per
year is exactly the stated rate.

One representation serves every model: `Closures`, the sorted, disjoint closure intervals of
each weather entry and of each node (the union of the entries naming it), sampled once per
replication before the models run. Ferries, tankers and repair crews ask it the same two
questions: when is this place next open (`open_at`), and when will this much work be done if
it stops while the place is closed (`finish_work`).

The storms of `weather:<id>` come from a fresh generator of the stream of that name (same seed
and replication), so the cargo model, the tankers and the repairs see the same storms in the
same replication, whichever samples them first. They are followed from the hour the models'
clocks start: hour 0 (1 January), or hour -spinup with a spin-up, so a December storm before
1 January is there (closures may start, and end, before hour 0) and every model that starts
at -spinup sees the same sea.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim import calendar
from sim.measures import overlap
from sim.replications import Streams

if TYPE_CHECKING:
    from sim.scenario.schema import Weather


def storms(env: simpy.Environment, weather: Weather, rng: np.random.Generator,
           on_start: Callable[[], None], on_end: Callable[[], None]
           ) -> Generator[simpy.Event, Any, None]:
    """Process: start storms at the entry's seasonal rate; each ends after its drawn duration.
    `on_start`/`on_end` are called at each storm's start and end."""
    rates = [r / calendar.HOURS_PER_YEAR for r in weather.monthly_rates()]

    def end(_: simpy.Event) -> None:
        on_end()

    t = env.now
    while True:
        t = calendar.after(t, float(rng.exponential()), rates)
        if t == math.inf:
            return
        yield env.timeout(t - env.now)
        on_start()
        env.timeout(weather.duration.sample(rng)).callbacks.append(end)


def sample_closures(weather: Weather, rng: np.random.Generator, horizon: float,
                    t0: float = 0.0) -> Intervals:
    """The closures of one weather entry from hour `t0` (0, or -spinup) to `horizon`
    (overlapping storms merged).

    Storms are followed a year past the horizon so a closure running over the end has its true
    end. The times are those a SimPy model starting at `t0` and running `storms` itself would
    see, to the bit.
    """
    env = simpy.Environment(initial_time=t0)
    under_way = 0
    since = t0
    starts: list[float] = []
    ends: list[float] = []

    def start() -> None:
        nonlocal under_way, since
        if under_way == 0:
            since = env.now
        under_way += 1

    def end() -> None:
        nonlocal under_way
        under_way -= 1
        if under_way == 0 and since < horizon:
            starts.append(since)
            ends.append(env.now)

    env.process(storms(env, weather, rng, start, end))
    env.run(until=horizon + calendar.HOURS_PER_YEAR)
    if under_way > 0 and since < horizon:
        starts.append(since)
        ends.append(math.inf)
    return Intervals(starts, ends)


class Intervals:
    """Sorted, disjoint closure intervals [start, end) of one place."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: list[float], ends: list[float]):
        self.starts = starts
        self.ends = ends

    @classmethod
    def union(cls, parts: Iterable[Intervals]) -> Intervals:
        """Overlapping (or touching) intervals of several sources merged into disjoint ones."""
        pairs = sorted((s, e) for p in parts for s, e in zip(p.starts, p.ends))
        starts: list[float] = []
        ends: list[float] = []
        for s, e in pairs:
            if ends and s <= ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)
        return cls(starts, ends)

    def __len__(self) -> int:
        return len(self.starts)

    def open_at(self, t: float) -> float:
        """The first time at or after `t` outside every closure."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and self.ends[i] > t:
            return self.ends[i]
        return t

    def finish_work(self, start: float, work: float) -> float:
        """When `work` hours begun at `start` are done, if the work stops during closures."""
        t = self.open_at(start)
        starts, ends = self.starts, self.ends
        i = bisect_right(starts, t)
        while i < len(starts) and starts[i] < t + work:
            work -= starts[i] - t
            t = ends[i]
            i += 1
        return t + work

    def hours(self, t0: float, t1: float) -> float:
        """Hours closed inside [t0, t1]."""
        total = 0.0
        for s, e in zip(self.starts, self.ends):
            total += overlap(s, e, t0, t1)
        return total

    def count(self, t0: float) -> int:
        """Closures that began at or after `t0`."""
        return len(self.starts) - bisect_left(self.starts, t0)

    def daily(self, horizon: float) -> np.ndarray:
        """Hours closed in each day of [0, horizon] (closures before hour 0 count from 0)."""
        days = [0.0] * max(1, math.ceil(horizon / calendar.DAY_H))
        for a, e in zip(self.starts, self.ends):
            b = e if e < horizon else horizon
            d = max(int(a // calendar.DAY_H), 0)
            while d * calendar.DAY_H < b and d < len(days):
                days[d] += overlap(a, b, d * calendar.DAY_H, (d + 1) * calendar.DAY_H)
                d += 1
        return np.asarray(days)


NEVER = Intervals([], [])


class Closures:
    """Every weather entry's closures in one replication, and each node's (the union of the
    entries naming it)."""

    def __init__(self, entries: Mapping[str, Intervals], nodes_of: Mapping[str, Iterable[str]]):
        self.entries = dict(entries)
        acc: dict[str, list[Intervals]] = {}
        for wid, nodes in nodes_of.items():
            for n in nodes:
                acc.setdefault(n, []).append(self.entries[wid])
        self.by_node = {n: parts[0] if len(parts) == 1 else Intervals.union(parts)
                        for n, parts in acc.items()}
        self.nodes = set(self.by_node)  # every node some weather entry names
        # A window in which no node at all is closed: most questions fall in one, and are
        # answered without looking at any node (the hot path of the ferries).
        self._any = Intervals.union(self.by_node.values())
        self._calm = (-math.inf, self._any.starts[0] if len(self._any) else math.inf)

    @classmethod
    def sample(cls, weather: Mapping[str, Weather], streams: Streams, horizon: float,
               t0: float = 0.0) -> Closures:
        """Sample every entry's storms from hour `t0` (0, or -spinup) from a fresh generator of
        its stream `weather:<id>`."""
        fresh = Streams(streams.seed, streams.replication)  # not shared with any other model
        entries = {wid: sample_closures(w, fresh.get(f"weather:{wid}"), horizon, t0)
                   for wid, w in weather.items()}
        return cls(entries, {wid: w.nodes for wid, w in weather.items()})

    def node(self, nid: str) -> Intervals:
        """The node's closures (none when no weather entry names it)."""
        return self.by_node.get(nid, NEVER)

    def open_at(self, t: float, *nodes: str) -> float:
        """The first time at or after `t` when every one of `nodes` is open at once."""
        calm = self._calm
        if calm[0] <= t < calm[1] or self._calm_at(t):
            return t
        by_node = self.by_node
        while True:
            moved = t
            for n in nodes:
                iv = by_node.get(n)
                if iv is not None:
                    moved = iv.open_at(moved)
            if moved == t:
                return t
            t = moved

    def _calm_at(self, t: float) -> bool:
        """Whether no node is closed at `t`; if so, remember the calm window around it."""
        starts, ends = self._any.starts, self._any.ends
        i = bisect_right(starts, t) - 1
        if i >= 0 and ends[i] > t:
            return False
        self._calm = (ends[i] if i >= 0 else -math.inf, starts[i + 1] if i + 1 < len(starts) else math.inf)
        return True

    def wait_open(self, env: simpy.Environment, *nodes: str) -> Generator[simpy.Event, Any, None]:
        """Process step: wait until every one of `nodes` is open at the same moment."""
        while (t := self.open_at(env.now, *nodes)) > env.now:
            yield env.timeout(t - env.now)

    def announce(self, env: simpy.Environment, trace: Callable[[dict[str, Any]], None]
                 ) -> Generator[simpy.Event, Any, None]:
        """Process: pass each node's closing and reopening to `trace` as it happens."""
        marks = sorted((t, order, event, n)
                       for n, iv in self.by_node.items()
                       for s, e in zip(iv.starts, iv.ends)
                       for t, order, event in ((s, 1, "closed"), (e, 0, "reopened")))
        for t, _, event, n in marks:
            if t == math.inf:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            trace({"t": env.now, "event": event, "node": n})
