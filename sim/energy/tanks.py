"""Tanks and pipelines of the liquid flows (oil, hydrogen, ammonia): the lanes each route is
made of, and the continuous part of the model that moves crude between events.

A flow is produced at its origin at `rate` (times its monthly `seasonality`), or, when an
electrolyser makes it (`produced_by`), at an hourly rate from hour 0 (`Lane.hourly`, what the
electrolyser made from its site's unsent power that hour, `sim.energy.liquids`), and follows its
routes (split by their shares) as a chain of stages: a fleet link is sailed by tankers in
batches (`sim.energy.tankers`); consecutive capacity links (pipelines, rail) form one
continuous stage. Between two stages the crude waits in a tank at the node: a share of the
node's `storage` (pro rata to the rates of the routes that use it, as shippers lease tank
space), or an unbounded buffer when the node has no storage block. The last stage delivers to
the destination.

Between events every rate is constant, so tank levels move linearly and the next "tank full"
or "tank empty" is computed, not stepped to (`Fluid`); an hourly production changes at the
hours it changes (an event each, none where it holds). Rules at each event:

- production enters the origin tank unless it is full; then it is curtailed to what leaves;
- a pipeline stage runs at its share of capacity (nameplate less the background flow it also
  carries, times the share in service) while its source tank holds crude, else at what flows
  in; and no faster than its destination tank drains when that is full;
- routes sharing a pipeline share its capacity pro rata to their rates, a route that needs
  less leaving the rest to the others.

Pipeline travel time (line fill) is not modelled: crude counts as delivered as it leaves the
pipeline stage.

With a spin-up the clock starts at hour -spinup (`sim.energy.liquids`): a node's `initial`
stock is its level then, production runs at the flow's `previous_rate` until hour 0 (an event
of its own, so the rate steps there; an electrolyser's flow too, at its nominal rate without
one), and tank levels carry December into January. Totals,
the lowest and highest stock and the daily series count from hour 0 only.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import simpy

from sim.calendar import DAY_H, MONTH_H, month, normalised
from sim.energy.reliability import Timeline
from sim.errors import CorridorError
from sim.network import HOURS_PER_YEAR, Network
from sim.scenario.schema import Scenario

LIQUIDS = ("oil", "hydrogen", "ammonia")
EPS = 1e-6  # tonnes: levels this close to a bound are at it
T_PER_H = 1e6 / HOURS_PER_YEAR  # tonnes per hour in 1 Mt/yr


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
    previous: float | None = None  # t/h, mean production before hour 0 (a spin-up); None: `rate`
    tanks: list[Tank] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    accepted: float = 0.0  # production entering the origin tank now, t/h
    produced: float = 0.0  # measured tonnes
    curtailed: float = 0.0
    delivered: float = 0.0
    afloat: float = 0.0  # tonnes on tankers now
    loaded: float = 0.0  # tonnes loaded onto tankers so far (shares the fleet pro rata to rates)
    hourly: np.ndarray | None = None  # t/h made in each hour from hour 0 (an electrolyser's flow); else `rate`

    def production(self, t: float) -> float:
        if self.hourly is not None and t >= 0.0 and len(self.hourly):
            return float(self.hourly[min(int(math.floor(t + 1e-9)), len(self.hourly) - 1)])
        rate = self.previous if t < 0.0 and self.previous is not None else self.rate
        return rate * (self.season[month(t)] if self.season else 1.0)

    def changes(self) -> list[float]:
        """Hours at which the hourly production changes (none without one)."""
        if self.hourly is None or len(self.hourly) < 2:
            return []
        return (np.flatnonzero(np.diff(self.hourly) != 0) + 1).astype(float).tolist()


# --- lanes from the scenario -----------------------------------------------------------------


def build_lanes(scenario: Scenario, network: Network, made: dict[str, np.ndarray] | None = None) -> list[Lane]:
    """Every route of every liquid flow as a lane of tanks and stages; `made` holds the hourly
    production (t/h from hour 0) of the flows an electrolyser makes, split among routes by share."""
    lanes: list[Lane] = []
    made = made or {}
    for fid, flow in scenario.flows.items():
        if flow.carrier not in LIQUIDS:
            continue
        routes = {rid: r.path for rid, r in (flow.routes or {}).items()} or \
            {"main": _shortest(network, flow.carrier, flow.origin, flow.destination, fid)}
        shares = {rid: (share.value if (share := (flow.routes or {})[rid].share if flow.routes else None)
                        else 1.0 / len(routes)) for rid in routes}
        season = normalised(flow.seasonality) if flow.seasonality else None
        for rid, path in routes.items():
            if shares[rid] <= 0:
                continue
            lane = Lane(fid, rid, flow.rate.value * shares[rid] * T_PER_H, season,
                        None if flow.previous_rate is None else flow.previous_rate.value * shares[rid] * T_PER_H,
                        hourly=made[fid] * shares[rid] if fid in made else None)
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
        start = float(env.now)  # 0, or -spinup
        # hour 0 is an event when the clock starts before it: production steps to this year's rate
        self.breaks = sorted({t for _, tl in pipes.values() for t in tl.times.tolist()}
                             | ({0.0} if start < 0 else set())
                             | {t for lane in lanes for t in lane.changes()})
        self.seasonal = any(lane.season for lane in lanes)
        self.last = start
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
        """Add the tank's tonne-hours over [a, b] (from hour 0 on) to each day's total at its node."""
        days = self.days[tank.node]
        a = max(a, 0.0)
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
        """Lowest and highest stock at each node from hour 0 (levels are linear between events)."""
        if self.env.now < 0:
            return
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
