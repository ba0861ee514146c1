"""Tankers: the fleets that carry liquid flows across the sea, one SimPy process per vessel.

A fleet's vessels are split among its links pro rata to the vessel-hours each link's routes
need, and start spread over the cycle. A tanker berths (waiting for a free oil berth), waits
for the port to be open, loads when a cargo is ready by the fleet's departure rule
(`sim.fleet.DepartureRule`; a full cargo never exceeds the route's tank at either end), sails,
waits for space in the receiving tank, discharges, and sails back. Operations start only
while the port is open (`sim.weather.Closures`); a failed vessel is out of service until its
repair ends (`sim.energy.reliability`). Its hours are booked by state (`sim.fleet.StateClock`),
waits split by cause.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.energy.reliability import Outcome, Timeline, vessel_id
from sim.energy.tanks import EPS, Fluid, Stage
from sim.fleet import (DOWN, LOADING, SAILING_EMPTY, SAILING_LOADED, UNLOADING, WAITING_BERTH,
                       WAITING_CARGO, WAITING_ROOM, WAITING_WEATHER, Await, DepartureRule,
                       StateClock)
from sim.network import Network
from sim.replications import Streams
from sim.scenario.distributions import Distribution
from sim.scenario.schema import Fleet, Scenario

Process = Generator[simpy.Event, Any, None]


@dataclass(eq=False)
class Tanker:
    """One tanker: the link it sails, its hours by state after the warm-up, what it carried."""

    id: str
    link: str
    clock: StateClock
    voyages: int = 0
    tonnes: float = 0.0
    capacity_sailed: float = 0.0

    @property
    def hours(self) -> dict[str, float]:
        return self.clock.hours

    @property
    def fleet(self) -> str:
        return self.id.rsplit("#", 1)[0]


class Tankers:
    """The tanker fleets of the liquid flows: one SimPy process per vessel."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, network: Network, fluid: Fluid,
                 outcome: Outcome, streams: Streams, warmup: float, horizon: float):
        self.env, self.scenario, self.network, self.fluid = env, scenario, network, fluid
        self.outcome, self.warmup, self.horizon = outcome, warmup, horizon
        self.vessels: dict[str, list[Tanker]] = {}
        self.berths: dict[str, simpy.Resource] = {}
        for nid, node in scenario.nodes.items():
            if node.port is not None and "oil" in node.port.berths:
                self.berths[nid] = simpy.Resource(env, capacity=max(int(node.port.berths["oil"].count.value), 1))
        by_link: dict[str, list[Stage]] = {}
        for lane in fluid.lanes:
            for s in lane.stages:
                if s.kind == "fleet":
                    by_link.setdefault(s.links[0], []).append(s)
        fleets: dict[str, list[str]] = {}
        for lid in by_link:
            fid = scenario.links[lid].fleet
            assert fid is not None  # a fleet stage is a link with a fleet
            fleets.setdefault(fid, []).append(lid)
        for fid, links in fleets.items():
            fleet = scenario.fleets[fid]
            counts = self._split(fleet, links, by_link)
            self.vessels[fid] = []
            i = 0
            for lid, n in zip(links, counts):
                for _ in range(n):
                    v = Tanker(vessel_id(fid, i), lid, StateClock(warmup, horizon, {}))
                    self.vessels[fid].append(v)
                    env.process(self._sail(v, fleet, by_link[lid], streams.get(f"tanker:{fid}:{i}")))
                    i += 1

    def _split(self, fleet: Fleet, links: list[str], by_link: dict[str, list[Stage]]) -> list[int]:
        """Vessels per link, pro rata to the vessel-hours each link's routes need."""
        n = int(fleet.vessels.value)
        need = [sum(s.lane.rate for s in by_link[lid]) * self.network.cycle_h(self.scenario.links[lid])
                for lid in links]
        total = sum(need) or 1.0
        exact = [n * x / total for x in need]
        counts = [int(x) for x in exact]
        for i in sorted(range(len(links)), key=lambda i: exact[i] - counts[i], reverse=True)[:n - sum(counts)]:
            counts[i] += 1
        return counts

    def _enter(self, v: Tanker, state: str) -> None:
        """The vessel changes state now; the time in the old one is booked."""
        v.clock.enter(state, self.env.now)

    def close(self) -> None:
        """Book every vessel's time up to the end of the horizon."""
        for vessels in self.vessels.values():
            for v in vessels:
                self._enter(v, v.clock.state)

    def _hold(self, v: Tanker, state: str, until: float) -> Process:
        """Process step: spend the time until `until` in `state`."""
        if until > self.env.now:
            self._enter(v, state)
            yield self.env.timeout(until - self.env.now)

    def _wait_open(self, v: Tanker, node: str) -> Process:
        closures = self.outcome.closures.node(node)
        if len(closures):
            yield from self._hold(v, WAITING_WEATHER, closures.open_at(self.env.now))

    def _sail(self, v: Tanker, fleet: Fleet, stages: list[Stage], rng: np.random.Generator) -> Process:
        """Process: one tanker's cycle on its link, voyage after voyage."""
        link = self.scenario.links[v.link]
        assert link.transit is not None  # the schema requires it of a fleet link
        transit, load, unload = (_sampler(d, rng) for d in (link.transit, fleet.load, fleet.unload))
        rule = DepartureRule.from_spec(fleet.departure)
        size = self.network.voyage_t(fleet)
        up = self.outcome.timelines.get(v.id)
        position = int(v.id.rsplit("#", 1)[1]) - 1  # vessels start spread over the cycle
        yield from self._hold(v, SAILING_EMPTY, self.env.now + position * self.network.cycle_h(link)
                              / len(self.vessels[v.fleet]))
        while True:
            if up is not None:
                yield from self._hold(v, DOWN, _next_up(up, self.env.now))
            stage, amount = yield from self._berth_and_load(v, rule, stages, size, link.from_, load)
            yield from self._wait_open(v, link.from_)
            yield from self._hold(v, SAILING_LOADED, self.env.now + transit())
            yield from self._discharge(v, stage, amount, link.to, unload)
            v.voyages += self.env.now >= self.warmup
            v.capacity_sailed += size if self.env.now >= self.warmup else 0.0
            yield from self._wait_open(v, link.to)
            yield from self._hold(v, SAILING_EMPTY, self.env.now + transit())

    def _berth_and_load(self, v: Tanker, rule: DepartureRule, stages: list[Stage], size: float,
                        port: str, load: Callable[[], float]
                        ) -> Generator[simpy.Event, Any, tuple[Stage, float]]:
        berth = self.berths.get(port)
        req = berth.request() if berth is not None else None
        if req is not None:
            self._enter(v, WAITING_BERTH)
            yield req
        closures = self.outcome.closures.node(port)
        while True:  # the cargo is taken the moment it is ready and the port is open
            yield from self._wait_open(v, port)
            self._enter(v, WAITING_CARGO)
            stage, amount = yield from self._cargo(rule, stages, size)
            if closures.open_at(self.env.now) <= self.env.now:
                break
        self.fluid.take(stage.src, amount)
        stage.lane.afloat += amount
        yield from self._hold(v, LOADING, self.env.now + load())
        if berth is not None and req is not None:
            berth.release(req)
        return stage, amount

    def _cargo(self, rule: DepartureRule, stages: list[Stage], size: float
               ) -> Generator[simpy.Event, Any, tuple[Stage, float]]:
        """Process step: wait for a cargo by the departure rule; returns (stage, tonnes)."""
        # a cargo never exceeds the route's tank at either end (it could never load or land)
        need = {id(s): min(size, s.src.capacity, s.dst.capacity if s.dst else math.inf) for s in stages}
        berthed = self.env.now
        while True:
            full = [s for s in stages if s.src.level >= need[id(s)] - EPS]
            ready = full or [s for s in stages if s.src.level > EPS]
            wait = rule.wait(self.env.now, berthed, bool(full), not ready)
            if wait is None:  # the route furthest behind its share of the fleet goes first
                best = min(ready, key=lambda s: s.lane.loaded / s.lane.rate if s.lane.rate > 0 else math.inf)
                amount = min(need[id(best)], best.src.level)
                best.lane.loaded += amount
                return best, amount
            if wait.kind is Await.TIME:
                yield self.env.timeout(wait.hours)
                continue
            events = [self.fluid.wait(s.src, "level", need[id(s)] if wait.kind is Await.FULL else 10 * EPS)
                      for s in stages]
            if math.isfinite(wait.hours):
                events.append(self.env.timeout(wait.hours))
            yield self.env.any_of(events)
            self.fluid.cancel(events)

    def _discharge(self, v: Tanker, stage: Stage, amount: float, port: str,
                   unload: Callable[[], float]) -> Process:
        berth = self.berths.get(port)
        req = berth.request() if berth is not None else None
        if req is not None:
            self._enter(v, WAITING_BERTH)
            yield req
        yield from self._wait_open(v, port)
        if stage.dst is not None:
            self._enter(v, WAITING_ROOM)
            while stage.dst.space < amount - EPS:
                yield self.fluid.wait(stage.dst, "space", amount)
            stage.dst.reserved += amount
            yield from self._wait_open(v, port)
        yield from self._hold(v, UNLOADING, self.env.now + unload())
        stage.lane.afloat -= amount
        if stage.dst is not None:
            self.fluid.put(stage.dst, amount)
        elif self.env.now >= self.warmup:
            stage.lane.delivered += amount
        if self.env.now >= self.warmup:
            stage.carried += amount
            v.tonnes += amount
        if berth is not None and req is not None:
            berth.release(req)


def _sampler(dist: Distribution, rng: np.random.Generator) -> Callable[[], float]:
    """The next draw of `dist` from this vessel's stream, on each call."""
    return lambda: dist.sample(rng)


def _next_up(tl: Timeline, t: float) -> float:
    """The first time at or after `t` when the vessel is fully in service."""
    if tl.at(t) >= 1.0:
        return t
    i = int(np.searchsorted(tl.times, t, side="right"))
    ups = np.nonzero(tl.share[i:] >= 1.0)[0]
    return float(tl.times[i + ups[0]]) if len(ups) else math.inf
