"""Oil (and hydrogen, ammonia): production into tank storage, tankers across the sea, pipelines
to export terminals, with storms, outages, full tanks and empty ones.

A flow is produced at its origin at `rate` (times its monthly `seasonality`) and follows its
routes (split by their shares) as a chain of stages: a fleet link is sailed by tankers in
batches; consecutive capacity links (pipelines, rail) form one continuous stage. Between two
stages the crude waits in a tank at the node: a share of the node's `storage` (pro rata to the
rates of the routes that use it, as shippers lease tank space), or an unbounded buffer when the
node has no storage block. The last stage delivers to the destination.

The model is driven by the events that change a flow: a tanker starting to load (its cargo
leaves the tank) or finishing discharge (it enters the next tank), a pipeline outage starting or
ending, a storm closing or opening a port, a tank becoming full or empty, a month turning.
Between events every rate is constant, so tank levels move linearly and the next "tank full" or
"tank empty" is computed, not stepped to. Rules at each event:

- production enters the origin tank unless it is full; then it is curtailed to what leaves;
- a pipeline stage runs at its share of capacity (nameplate less the background flow it also
  carries, times the share in service) while its source tank holds crude, else at what flows
  in; and no faster than its destination tank drains when that is full;
- routes sharing a pipeline share its capacity pro rata to their rates, a route that needs
  less leaving the rest to the others;
- a tanker berths (waiting for a free oil berth), waits for the port to be open, loads when a
  full cargo is ready (per the fleet's departure rule), sails, waits for space in the
  receiving tank, discharges, and sails back. Operations start only while the port is open.

Pipeline travel time (line fill) is not modelled: crude counts as delivered as it leaves the
pipeline stage.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import simpy

from sim.calendar import DAY_H, MONTH_H, month, normalised
from sim.scenario.distributions import Distribution
from sim.errors import CorridorError
from sim.measures import overlap
from sim.network import HOURS_PER_YEAR, Network
from sim.energy.reliability import Outcome, Timeline, open_at, vessel_id
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.schema import Fleet, Scenario

LIQUIDS = ("oil", "hydrogen", "ammonia")
EPS = 1e-6  # tonnes: levels this close to a bound are at it
T_PER_H = 1e6 / HOURS_PER_YEAR  # tonnes per hour in 1 Mt/yr
ACTIVE = ("loading", "sailing_loaded", "discharging", "sailing_empty")


@dataclass(eq=False)
class Tank:
    """One route's share of the storage at a node (capacity in tonnes; inf when unbounded)."""

    node: str
    capacity: float
    level: float = 0.0
    reserved: float = 0.0  # space promised to a tanker that is discharging
    rate: float = 0.0  # net continuous inflow now, t/h
    waiters: list[tuple[str, float, simpy.Event]] = field(default_factory=list)
    area: float = 0.0
    full_h: float = 0.0
    empty_h: float = 0.0

    @property
    def full(self) -> bool:
        return self.level + self.reserved >= self.capacity - EPS

    @property
    def space(self) -> float:
        return self.capacity - self.level - self.reserved


@dataclass(eq=False)
class Stage:
    """A leg of a route between two tanks (`dst` None: the destination)."""

    kind: str  # "fleet" | "pipe"
    links: tuple[str, ...]
    src: Tank
    dst: Tank | None
    lane: Lane
    fleet: str | None = None
    alloc: float = 0.0  # t/h of pipeline capacity open to this stage now
    rate: float = 0.0  # t/h flowing now (pipes)
    carried: float = 0.0  # tonnes carried in the measured period


@dataclass(eq=False)
class Lane:
    """One route of one flow: its tanks and stages, and what it produced and delivered."""

    flow: str
    route: str
    rate: float  # t/h, mean production
    season: list[float] | None
    tanks: list[Tank] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    accepted: float = 0.0  # production entering the origin tank now, t/h
    produced: float = 0.0  # measured tonnes
    curtailed: float = 0.0
    delivered: float = 0.0
    afloat: float = 0.0  # tonnes on tankers now
    loaded: float = 0.0  # tonnes loaded onto tankers so far (shares the fleet pro rata to rates)

    def production(self, t: float) -> float:
        return self.rate * (self.season[month(t)] if self.season else 1.0)


# --- lanes from the scenario -----------------------------------------------------------------


def build_lanes(scenario: Scenario, network: Network) -> list[Lane]:
    """Every route of every liquid flow as a lane of tanks and stages."""
    lanes: list[Lane] = []
    for fid, flow in scenario.flows.items():
        if flow.carrier not in LIQUIDS:
            continue
        routes = {rid: r.path for rid, r in (flow.routes or {}).items()} or \
            {"main": _shortest(network, flow.carrier, flow.origin, flow.destination, fid)}
        shares = {rid: (flow.routes[rid].share.value if flow.routes and flow.routes[rid].share else
                        1.0 / len(routes)) for rid in routes}
        season = normalised(flow.seasonality) if flow.seasonality else None
        for rid, path in routes.items():
            if shares[rid] <= 0:
                continue
            lane = Lane(fid, rid, flow.rate.value * shares[rid] * T_PER_H, season)
            _stages(scenario, lane, path, flow.carrier)
            lanes.append(lane)
    _share_storage(scenario, lanes)
    return lanes


def _shortest(network: Network, carrier: str, a: str, b: str, fid: str) -> list[str]:
    g = nx.DiGraph()
    g.add_edges_from((v.source, v.target) for v in network.carrier_links(carrier))
    try:
        return nx.shortest_path(g, a, b)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        raise CorridorError(f"flows.{fid}: no {carrier} path from {a!r} to {b!r}") from None


def _stages(scenario: Scenario, lane: Lane, path: list[str], carrier: str) -> None:
    """Group a route's links into stages and put a tank between every two."""
    links = []
    for a, b in zip(path, path[1:]):
        lid = next(lid for lid, l in scenario.links.items()
                   if l.from_ == a and l.to == b and l.carrier == carrier)
        links.append(lid)
    segments: list[tuple[str, list[str]]] = []
    for lid in links:
        link = scenario.links[lid]
        kind = "fleet" if link.fleet else "pipe"
        joins = segments and segments[-1][0] == "pipe" and kind == "pipe" and \
            scenario.nodes[link.from_].storage is None
        if joins:
            segments[-1][1].append(lid)
        else:
            segments.append((kind, [lid]))
    lane.tanks.append(Tank(path[0], math.inf))
    for i, (kind, seg) in enumerate(segments):
        last = i == len(segments) - 1
        dst = None if last else Tank(scenario.links[seg[-1]].to, math.inf)
        if dst is not None:
            lane.tanks.append(dst)
        lane.stages.append(Stage(kind, tuple(seg), lane.tanks[-2] if dst else lane.tanks[-1], dst, lane,
                                 scenario.links[seg[0]].fleet))


def _share_storage(scenario: Scenario, lanes: list[Lane]) -> None:
    """Split each node's storage (and its initial stock) among the lanes with a tank there."""
    at: dict[str, list[tuple[Tank, float]]] = {}
    for lane in lanes:
        for tank in lane.tanks:
            at.setdefault(tank.node, []).append((tank, lane.rate))
    for nid, tanks in at.items():
        storage = scenario.nodes[nid].storage
        if storage is None:
            continue
        total = sum(r for _, r in tanks) or 1.0
        for tank, r in tanks:
            tank.capacity = storage.capacity.value * r / total
            tank.level = min((storage.initial.value if storage.initial else 0.0) * r / total, tank.capacity)


# --- the continuous part: tanks and pipelines ------------------------------------------------


def waterfill(capacity: float, demands: list[float], weights: list[float]) -> list[float]:
    """Share `capacity` pro rata to `weights`, no user getting more than its demand."""
    out = [0.0] * len(demands)
    left = list(range(len(demands)))
    cap = max(capacity, 0.0)
    while left:
        wsum = sum(weights[i] for i in left)
        fair = {i: cap * (weights[i] / wsum if wsum > 0 else 1.0 / len(left)) for i in left}
        capped = [i for i in left if demands[i] <= fair[i]]
        if not capped:
            for i in left:
                out[i] = fair[i]
            break
        for i in capped:
            out[i] = demands[i]
            cap -= demands[i]
        left = [i for i in left if i not in capped]
    return out


class Fluid:
    """Tank levels and pipeline rates between events; wakes itself at the next tank bound,
    pipeline outage change or month turn, and whenever a tanker changes a tank (`poke`)."""

    def __init__(self, env: simpy.Environment, lanes: list[Lane], pipes: dict[str, tuple[float, Timeline]],
                 warmup: float, horizon: float):
        self.env, self.lanes, self.pipes = env, lanes, pipes
        self.warmup, self.horizon = warmup, horizon
        self.tanks = [t for lane in lanes for t in lane.tanks]
        self.pipe_stages = [s for lane in lanes for s in lane.stages if s.kind == "pipe"]
        self.users: dict[str, list[Stage]] = {}
        for s in self.pipe_stages:
            for lid in s.links:
                self.users.setdefault(lid, []).append(s)
        self.shared = any(len(users) > 1 for users in self.users.values())
        self.breaks = sorted({t for _, tl in pipes.values() for t in tl.times.tolist()})
        self.seasonal = any(lane.season for lane in lanes)
        self.last = 0.0
        self.wake = env.event()
        self.steps = 0
        self.node_range: dict[str, list[float]] = {}
        n_days = max(1, math.ceil(horizon / DAY_H - 1e-9))
        self.days: dict[str, list[float]] = {t.node: [0.0] * n_days for t in self.tanks}
        self._track()

    # levels ------------------------------------------------------------------------------

    def advance(self) -> None:
        """Bring levels and measured totals up to now at the rates set at the last event."""
        t, last = self.env.now, self.last
        if t <= last:
            return
        dt = t - last
        a, b = max(last, self.warmup), min(t, self.horizon)
        ov = max(0.0, b - a)
        for lane in self.lanes:
            p = lane.production(last)
            lane.produced += lane.accepted * ov
            lane.curtailed += (p - lane.accepted) * ov
            for s in lane.stages:
                if s.kind == "pipe":
                    s.carried += s.rate * ov
                    if s.dst is None:
                        lane.delivered += s.rate * ov
        for tank in self.tanks:
            if ov > 0:
                tank.area += (tank.level + tank.rate * ((a + b) / 2 - last)) * ov
                tank.full_h += ov if tank.full and tank.rate >= 0 else 0.0
                tank.empty_h += ov if tank.level <= EPS and tank.rate <= 0 else 0.0
            self._daily(tank, last, min(t, self.horizon))
            level = tank.level + tank.rate * dt
            tank.level = min(max(level, 0.0), tank.capacity - tank.reserved)
            if tank.level < EPS:
                tank.level = 0.0
        self.last = t
        self._track()

    def _daily(self, tank: Tank, a: float, b: float) -> None:
        """Add the tank's tonne-hours over [a, b] to each day's total at its node."""
        days = self.days[tank.node]
        d = int(a // DAY_H)
        while a < b and d < len(days):
            end = min(b, (d + 1) * DAY_H)
            days[d] += (tank.level + tank.rate * ((a + end) / 2 - self.last)) * (end - a)
            a, d = end, d + 1

    def daily_mean(self, node: str) -> np.ndarray:
        """Mean stock at `node` in each day of the horizon (warm-up included, for plots)."""
        hours = np.full(len(self.days[node]), DAY_H)
        hours[-1] = self.horizon - DAY_H * (len(hours) - 1)
        return np.asarray(self.days[node]) / hours

    def _track(self) -> None:
        """Lowest and highest stock at each node (levels are linear between events)."""
        totals: dict[str, float] = {}
        for tank in self.tanks:
            totals[tank.node] = totals.get(tank.node, 0.0) + tank.level
        for nid, v in totals.items():
            rng = self.node_range.setdefault(nid, [v, v])
            rng[0], rng[1] = min(rng[0], v), max(rng[1], v)

    def take(self, tank: Tank, amount: float) -> None:
        self.advance()
        tank.level = max(tank.level - amount, 0.0)
        self._track()
        self.poke()

    def put(self, tank: Tank, amount: float) -> None:
        """A reserved cargo enters the tank."""
        self.advance()
        tank.reserved = max(tank.reserved - amount, 0.0)
        tank.level = min(tank.level + amount, tank.capacity - tank.reserved)
        self._track()
        self.poke()

    # waiting for a tank ------------------------------------------------------------------

    def wait(self, tank: Tank, kind: str, amount: float) -> simpy.Event:
        """An event fired when the tank holds `amount` (kind "level") or has that much free
        space (kind "space")."""
        ev = self.env.event()
        if self._ready(tank, kind, amount):
            ev.succeed()
        else:
            tank.waiters.append((kind, amount, ev))
            self.poke()
        return ev

    def cancel(self, events: list[simpy.Event]) -> None:
        for tank in self.tanks:
            tank.waiters = [w for w in tank.waiters if w[2] not in events]

    @staticmethod
    def _ready(tank: Tank, kind: str, amount: float) -> bool:
        return tank.level >= amount - EPS if kind == "level" else tank.space >= amount - EPS

    def _fire(self) -> None:
        for tank in self.tanks:
            keep = []
            for kind, amount, ev in tank.waiters:
                if self._ready(tank, kind, amount):
                    ev.succeed()
                else:
                    keep.append((kind, amount, ev))
            tank.waiters = keep

    def poke(self) -> None:
        if not self.wake.triggered:
            self.wake.succeed()

    # rates -------------------------------------------------------------------------------

    def recompute(self) -> None:
        """Production and pipeline rates for the state now (the rules in the module docstring)."""
        now = self.env.now + 1e-9
        cap = {lid: nominal * tl.share_at(now) for lid, (nominal, tl) in self.pipes.items()}
        demand = {id(s): math.inf for s in self.pipe_stages}
        for _ in range(3 if self.shared else 1):
            alloc: dict[int, float] = {id(s): math.inf for s in self.pipe_stages}
            for lid, stages in self.users.items():
                shares = waterfill(cap[lid], [demand[id(s)] for s in stages], [s.lane.rate for s in stages])
                for s, x in zip(stages, shares):
                    alloc[id(s)] = min(alloc[id(s)], x)
            for s in self.pipe_stages:
                s.alloc = alloc[id(s)]
            for lane in self.lanes:
                self._lane_rates(lane, now)
            for s in self.pipe_stages:
                demand[id(s)] = s.rate if s.rate < s.alloc - 1e-9 else math.inf
        for lane in self.lanes:
            for i, tank in enumerate(lane.tanks):
                inflow = lane.accepted if i == 0 else _pipe_rate(lane.stages[i - 1])
                tank.rate = inflow - _pipe_rate(lane.stages[i])

    @staticmethod
    def _lane_rates(lane: Lane, now: float) -> None:
        """Pipeline rates along one lane: capped by an empty source tank's inflow and by a full
        destination tank's outflow, repeated until nothing changes."""
        p = lane.production(now)
        stages, tanks = lane.stages, lane.tanks
        for s in stages:
            s.rate = s.alloc if s.kind == "pipe" else 0.0
        accepted = p
        for _ in range(2 * len(stages) + 2):
            before = (accepted, [s.rate for s in stages])
            if tanks[0].full:
                accepted = min(accepted, _pipe_rate(stages[0]))
            inflow = accepted
            for s in stages:
                if s.kind != "pipe":
                    inflow = 0.0
                    continue
                if s.src.level <= EPS:
                    s.rate = min(s.rate, inflow)
                if s.dst is not None and s.dst.full:
                    nxt = stages[stages.index(s) + 1]
                    s.rate = min(s.rate, _pipe_rate(nxt))
                inflow = s.rate
            if before == (accepted, [s.rate for s in stages]):
                break
        lane.accepted = accepted

    def next_dt(self) -> float:
        """Hours to the next change no tanker announces: a tank reaching a bound or a waiter's
        threshold, a pipeline outage starting or ending, a month turning."""
        now = self.env.now
        i = bisect.bisect_right(self.breaks, now + 1e-9)
        dts = [self.breaks[i] - now] if i < len(self.breaks) else []
        if self.seasonal:
            dts.append((math.floor(now / MONTH_H + 1e-12) + 1) * MONTH_H - now)
        for tank in self.tanks:
            r = tank.rate
            if r < -1e-12 and tank.level > 0:
                dts.append(tank.level / -r)
            if r > 1e-12 and math.isfinite(tank.capacity):
                dts.append(max(tank.space, 0.0) / r)
            for kind, amount, _ in tank.waiters:
                if kind == "level" and r > 1e-12:
                    dts.append((amount - tank.level) / r)
                elif kind == "space" and r < -1e-12:
                    dts.append((amount - tank.space) / -r)
        return max(min(dts, default=math.inf), 1e-9)

    def run(self):
        """Process: at every event, bring levels up to date, fire waiters, reset rates."""
        while True:
            self.advance()
            self._fire()
            self.recompute()
            self.steps += 1
            dt = self.next_dt()
            self.wake = self.env.event()
            if math.isfinite(dt):
                yield self.env.any_of([self.env.timeout(dt), self.wake])
            else:
                yield self.wake


def _pipe_rate(stage: Stage | None) -> float:
    return stage.rate if stage is not None and stage.kind == "pipe" else 0.0


# --- tankers ---------------------------------------------------------------------------------


@dataclass
class Vessel:
    """One tanker's time in each state after the warm-up, and what it carried."""

    id: str
    link: str
    time: dict[str, float] = field(default_factory=dict)
    state: str = "sailing_empty"
    since: float = 0.0
    voyages: int = 0
    tonnes: float = 0.0
    capacity_sailed: float = 0.0


class Tankers:
    """The tanker fleets of the liquid flows: one SimPy process per vessel."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, network: Network, fluid: Fluid,
                 outcome: Outcome, streams: Streams, warmup: float, horizon: float):
        self.env, self.scenario, self.network, self.fluid = env, scenario, network, fluid
        self.outcome, self.warmup, self.horizon = outcome, warmup, horizon
        self.vessels: dict[str, list[Vessel]] = {}
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
            fleets.setdefault(scenario.links[lid].fleet, []).append(lid)
        for fid, links in fleets.items():
            fleet = scenario.fleets[fid]
            counts = self._split(fleet, links, by_link)
            self.vessels[fid] = []
            i = 0
            for lid, n in zip(links, counts):
                for _ in range(n):
                    v = Vessel(vessel_id(fid, i), lid)
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

    def _enter(self, v: Vessel, state: str) -> None:
        """The vessel changes state now; the time in the old one is booked."""
        now = self.env.now
        v.time[v.state] = v.time.get(v.state, 0.0) + overlap(v.since, now, self.warmup, self.horizon)
        v.state, v.since = state, now

    def close(self) -> None:
        """Book every vessel's time up to the end of the horizon."""
        for vessels in self.vessels.values():
            for v in vessels:
                self._enter(v, v.state)

    def _hold(self, v: Vessel, state: str, until: float):
        """Process step: spend the time until `until` in `state`."""
        if until > self.env.now:
            self._enter(v, state)
            yield self.env.timeout(until - self.env.now)

    def _wait_open(self, v: Vessel, node: str):
        closures = self.outcome.closures.get(node)
        if closures is not None and len(closures):
            yield from self._hold(v, "waiting_weather", open_at(self.env.now, closures))

    def _sail(self, v: Vessel, fleet: Fleet, stages: list[Stage], rng: np.random.Generator):
        """Process: one tanker's cycle on its link, voyage after voyage."""
        link = self.scenario.links[v.link]
        transit, load, unload = (_sampler(d, rng) for d in (link.transit, fleet.load, fleet.unload))
        size = self.network.voyage_t(fleet)
        up = self.outcome.timelines.get(v.id)
        position = int(v.id.rsplit("#", 1)[1]) - 1  # vessels start spread over the cycle
        yield from self._hold(v, "sailing_empty", self.env.now + position * self.network.cycle_h(link)
                              / len(self.vessels[fleet_id(v)]))
        while True:
            if up is not None:
                yield from self._hold(v, "down", _next_up(up, self.env.now))
            stage, amount = yield from self._berth_and_load(v, fleet, stages, size, link.from_, load)
            yield from self._wait_open(v, link.from_)
            yield from self._hold(v, "sailing_loaded", self.env.now + transit())
            yield from self._discharge(v, stage, amount, link.to, unload)
            v.voyages += self.env.now >= self.warmup
            v.capacity_sailed += size if self.env.now >= self.warmup else 0.0
            yield from self._wait_open(v, link.to)
            yield from self._hold(v, "sailing_empty", self.env.now + transit())

    def _berth_and_load(self, v: Vessel, fleet: Fleet, stages: list[Stage], size: float, port: str, load: Callable[[], float]):
        berth = self.berths.get(port)
        req = berth.request() if berth is not None else None
        if req is not None:
            self._enter(v, "waiting_berth")
            yield req
        closures = self.outcome.closures.get(port, np.zeros((0, 2)))
        while True:  # the cargo is taken the moment it is ready and the port is open
            yield from self._wait_open(v, port)
            self._enter(v, "waiting_cargo")
            stage, amount = yield from self._cargo(fleet, stages, size)
            if open_at(self.env.now, closures) <= self.env.now:
                break
        self.fluid.take(stage.src, amount)
        stage.lane.afloat += amount
        yield from self._hold(v, "loading", self.env.now + load())
        if req is not None:
            berth.release(req)
        return stage, amount

    def _cargo(self, fleet: Fleet, stages: list[Stage], size: float):
        """Process step: wait for a cargo per the departure rule; returns (stage, tonnes)."""
        rule = fleet.departure
        # a cargo never exceeds the route's tank at either end (it could never load or land)
        need = {id(s): min(size, s.src.capacity, s.dst.capacity if s.dst else math.inf) for s in stages}
        deadline = self.env.now + rule.max_wait.value if rule.rule == "when_full_or_max_wait" else math.inf
        if rule.rule == "schedule":
            slot = math.ceil(self.env.now / rule.interval.value - 1e-12) * rule.interval.value
            yield self.env.timeout(max(slot - self.env.now, 0.0))
        while True:
            ready = [s for s in stages if s.src.level >= need[id(s)] - EPS]
            if not ready and (self.env.now >= deadline - 1e-9 or rule.rule == "schedule"):
                ready = [s for s in stages if s.src.level > EPS]
            if ready:  # the route furthest behind its share of the fleet goes first
                best = min(ready, key=lambda s: s.lane.loaded / s.lane.rate if s.lane.rate > 0 else math.inf)
                amount = min(need[id(best)], best.src.level)
                best.lane.loaded += amount
                return best, amount
            if rule.rule == "schedule":
                yield self.env.timeout(rule.interval.value)
                continue
            after = self.env.now >= deadline - 1e-9
            events = [self.fluid.wait(s.src, "level", 10 * EPS if after else need[id(s)]) for s in stages]
            if math.isfinite(deadline) and not after:
                events.append(self.env.timeout(deadline - self.env.now))
            yield self.env.any_of(events)
            self.fluid.cancel(events)

    def _discharge(self, v: Vessel, stage: Stage, amount: float, port: str, unload: Callable[[], float]):
        berth = self.berths.get(port)
        req = berth.request() if berth is not None else None
        if req is not None:
            self._enter(v, "waiting_berth")
            yield req
        yield from self._wait_open(v, port)
        if stage.dst is not None:
            self._enter(v, "waiting_space")
            while stage.dst.space < amount - EPS:
                yield self.fluid.wait(stage.dst, "space", amount)
            stage.dst.reserved += amount
            yield from self._wait_open(v, port)
        yield from self._hold(v, "discharging", self.env.now + unload())
        stage.lane.afloat -= amount
        if stage.dst is not None:
            self.fluid.put(stage.dst, amount)
        elif self.env.now >= self.warmup:
            stage.lane.delivered += amount
        if self.env.now >= self.warmup:
            stage.carried += amount
            v.tonnes += amount
        if req is not None:
            berth.release(req)


def _sampler(dist: Distribution, rng: np.random.Generator) -> Callable[[], float]:
    """The next draw of `dist` from this vessel's stream, on each call."""
    return lambda: dist.sample(rng)


def fleet_id(v: Vessel) -> str:
    return v.id.rsplit("#", 1)[0]


def _next_up(tl: Timeline, t: float) -> float:
    """The first time at or after `t` when the vessel is fully in service."""
    if tl.at(t) >= 1.0:
        return t
    i = int(np.searchsorted(tl.times, t, side="right"))
    ups = np.nonzero(tl.share[i:] >= 1.0)[0]
    return float(tl.times[i + ups[0]]) if len(ups) else math.inf


# --- the liquids model -----------------------------------------------------------------------


def simulate_liquids(scenario: Scenario, network: Network, streams: Streams, outcome: Outcome,
                     rep: Replication, horizon: float, warmup: float) -> None:
    """Produce, store, ship and pipe every oil, hydrogen and ammonia flow; fill `rep`."""
    lanes = build_lanes(scenario, network)
    if not lanes:
        return
    env = simpy.Environment()
    pipes = {lid: (network.links[lid].capacity * T_PER_H, outcome.timeline(lid))
             for lane in lanes for s in lane.stages if s.kind == "pipe" for lid in s.links}
    fluid = Fluid(env, lanes, pipes, warmup, horizon)
    env.process(fluid.run())
    tankers = Tankers(env, scenario, network, fluid, outcome, streams, warmup, horizon)
    env.run(until=horizon)
    fluid.advance()
    tankers.close()
    rep.events += fluid.steps + sum(v.voyages for vs in tankers.vessels.values() for v in vs) * 8
    _report(scenario, network, outcome, rep, lanes, fluid, tankers, horizon, warmup)


def _report(scenario: Scenario, network: Network, outcome: Outcome, rep: Replication, lanes: list[Lane],
            fluid: Fluid, tankers: Tankers, horizon: float,
            warmup: float) -> None:
    measured = horizon - warmup
    per_yr = HOURS_PER_YEAR / measured / 1e6 if measured > 0 else 0.0  # measured tonnes -> Mt/yr
    for fid in dict.fromkeys(lane.flow for lane in lanes):
        mine = [lane for lane in lanes if lane.flow == fid]
        flow = scenario.flows[fid]
        extra: dict[str, float] = {
            "produced_mt": sum(l.produced for l in mine) * per_yr,
            "curtailed_mt": sum(l.curtailed for l in mine) * per_yr,
        }
        extra |= {f"route:{l.route}_mt": l.delivered * per_yr for l in mine}
        rep.flows[fid] = FlowRecord(
            carrier=flow.carrier, unit="Mt/yr", delivered=sum(l.delivered for l in mine) * per_yr,
            arrived=sum(l.produced for l in mine),
            in_system=sum(t.level for l in mine for t in l.tanks) + sum(l.afloat for l in mine),
            extra=extra)
    _storage(scenario, rep, fluid, measured)
    _fleets(scenario, network, outcome, rep, tankers, measured, per_yr, warmup, horizon)
    carried: dict[str, float] = {}
    for lane in lanes:
        for s in lane.stages:
            for lid in s.links:
                carried[lid] = carried.get(lid, 0.0) + s.carried
    for lid, tonnes in carried.items():
        view = network.links[lid]
        mt = tonnes * per_yr
        if view.fleet:
            vessels = [v for v in tankers.vessels.get(view.fleet, []) if v.link == lid]
            avail = float(np.mean([1 - v.time.get("down", 0.0) / measured for v in vessels])) if vessels else 1.0
        else:
            avail = outcome.timeline(lid).mean(warmup, horizon)
        background = view.nameplate - view.capacity
        rep.links[lid] = {
            "availability": avail, "carried_mt": mt,
            "utilisation": mt / view.capacity if view.capacity > 0 else 0.0,
            "utilisation_with_background": (mt + background) / view.nameplate if view.nameplate > 0 else 0.0,
        }


def _storage(scenario: Scenario, rep: Replication, fluid: Fluid, measured: float) -> None:
    """Stock at every tank node: daily means, time-average, lowest, highest, full and empty."""
    for nid in fluid.days:
        tanks = [t for t in fluid.tanks if t.node == nid]
        lo, hi = fluid.node_range.get(nid, [0.0, 0.0])
        rep.series[f"storage:{nid}"] = fluid.daily_mean(nid)
        if measured <= 0:
            continue
        stats = rep.nodes.setdefault(nid, {})
        stats |= {"storage_mean_t": sum(t.area for t in tanks) / measured,
                  "storage_min_t": lo, "storage_max_t": hi}
        if scenario.nodes[nid].storage is not None:  # a bounded tank farm
            weight = [t.capacity for t in tanks]
            stats |= {
                "storage_capacity_t": sum(weight),
                "storage_full_share": float(np.average([t.full_h / measured for t in tanks], weights=weight)),
                "storage_empty_share": float(np.average([t.empty_h / measured for t in tanks], weights=weight)),
            }


def _fleets(scenario: Scenario, network: Network, outcome: Outcome, rep: Replication, tankers: Tankers,
            measured: float, per_yr: float, warmup: float, horizon: float) -> None:
    for fid, vessels in tankers.vessels.items():
        if measured <= 0 or not vessels:
            continue
        hours = measured * len(vessels)
        time: dict[str, float] = {}
        for v in vessels:
            for k, x in v.time.items():
                time[k] = time.get(k, 0.0) + x
        sailed = sum(v.capacity_sailed for v in vessels)
        stats: dict[str, Any] = {
            "vessels": float(len(vessels)),
            "voyages": float(sum(v.voyages for v in vessels)),
            "carried_mt": sum(v.tonnes for v in vessels) * per_yr,
            "utilisation": sum(time.get(k, 0.0) for k in ACTIVE) / hours,
            "load_factor": sum(v.tonnes for v in vessels) / sailed if sailed else 0.0,
        }
        stats |= {f"share_{k}": x / hours for k, x in sorted(time.items())}
        rep.fleets[fid] = stats
