"""A consignment's journey through the corridor: what it is, the steps of its route, and the
processes that bring it in and walk it to its destination.

Consignments. A consignment (a train by default; the flow's `consignment` unit sets its
tonnes through `payload`) arrives at its flow's origin with exponential or deterministic gaps,
at the flow's rate times its monthly seasonality factor (normalised to mean 1). Arrivals start
when the clock does: hour 0 (1 January), or hour -spinup with a spin-up, at the flow's
`previous_rate` (the previous year's demand, same seasonality) until hour 0; the gap running
over hour 0 is finished at the new rate (`calendar.gathered`), so the arrivals stay one Poisson
process whose rate steps at 1 January. It picks a
route: by the flow's shares (a draw from the flow's route stream), or the route with the least
expected time from here (`fastest`: gate queues, berth queues, cargo already on each quay).

Journey (`journey`), at every route node but the destination, origin included:
  - a port: wait outside for room in the yard (if it has one);
  - the node's capacity as a gate (a border crossing's trains a day) and its processing time;
  - a port where the cargo changes to or from a ship without a fleet (Poti onto Black Sea
    shipping): a handling berth, once the port is open (the port counts the cargo in or out);
  - a ferry link: wait on the quay until a vessel takes it (`sim.cargo.ferry`), possibly split
    between two vessels; each part carries on from the far port on its own. Where several
    fleets whose vessels take the consignment's unit sail to the next node (rail ferries and
    Ro-Ro both take trucks), it joins the quay of the one expected to carry it across soonest
    (`Crossing.expected_h`: the deck space waiting ahead at the fleet's pace, then one voyage);
  - any other link: its turn at the link's gate (train paths a day, or Mt/yr), the port left
    open at both ends for a sea link, then the link's transit time.
It is delivered on reaching its destination node.

Passages. A consignment notes when it reaches each node of its route (`Consignment.reached`,
indexed as the route's nodes): the origin when it arrives, a node after a land link when the
link's transit ends, the far port of a ferry link when the vessel has unloaded it, the
destination on delivery. A split consignment (a train split between ferries) has reached a
node only when all of it has: when its LAST part reaches it (each part overwrites the time,
and time only advances). When the last part is delivered after the warm-up, the passage time
between every ordered pair of its route's nodes (i < j), reached[j] - reached[i], goes into
that node pair's reservoir (`Route.pairs`; pairs of the same two nodes on other routes and
flows share it), in batches of `PASSAGE_BATCH` consignments per route (`Route.passed`) so the
pairwise work is a few array operations. Passages are therefore additive along a route,
consignment by consignment, and origin to destination is the flow's transit time.

Tonnes are whole kilograms. Every consignment part that exists is in its flow's `live` set
until delivered (`Traffic.deliver`), so the model's conservation law holds exactly.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim import calendar
from sim.calendar import DAY_H
from sim.cargo.ferry import FerryLink
from sim.cargo.gate import Gate
from sim.cargo.port import Port
from sim.draws import Draws
from sim.measures import Reservoir, TimeWeighted
from sim.scenario.schema import Flow
from sim.weather import Closures

Trace = Callable[[dict[str, Any]], None]
INF = math.inf


MAX_LIVE_LOTS = 20_000  # consignment parts of one flow in the system at once; more are turned away
PASSAGE_BATCH = 256  # delivered consignments a route holds before adding their passages


# --- consignments ----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Consignment:
    """One train (or wagon group, truck, TEU) of a flow, as it arrived at the origin."""

    flow: FlowState
    created: float
    kg_left: int  # not yet delivered
    reached: list[float]  # hours when it (its last part) reached each route node


@dataclass(eq=False, slots=True)
class Lot:
    """A consignment, or the part of one that travels together, at route node `i`."""

    kg: int
    consignment: Consignment
    route: Route
    i: int = 0
    since: float = 0.0  # when it arrived at the node it is at
    space: int = 0  # deck space it takes on the quay it waits at (`sim.cargo.port.CargoQueue`)

    def split(self, kg: int) -> Lot:
        """Take `kg` off this lot as a new lot at the same place (a train split between ferries)."""
        self.kg -= kg
        part = Lot(kg, self.consignment, self.route, self.i, self.since)
        self.consignment.flow.live.add(part)
        return part


# --- routes and flows -----------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Crossing:
    """A ferry link a consignment may board at a step, with what its expected time is made of."""

    ferry: FerryLink
    h_per_kg: float  # the fleet's mean hours per kilogram on this link
    fixed_h: float  # load + crossing + unload, mean hours

    def expected_h(self, kg: int) -> float:
        """Mean hours to cross for `kg` joining the quay now: the queue ahead, then one voyage."""
        return (self.ferry.queue.space + kg) * self.h_per_kg + self.fixed_h


@dataclass(eq=False, slots=True)
class Step:
    """What a consignment does at route node `node`: the node's own steps, then the link out."""

    node: str
    port: Port | None = None
    gate: Gate | None = None  # the node's own capacity (a border crossing)
    processing: Draws | None = None
    handling: bool = False  # a handling berth, changing to or from a ship without a fleet
    ship_in: bool = False  # handling unloads it from such a ship (counted at the port)
    ship_out: bool = False  # handling loads it onto such a ship
    ferry: FerryLink | None = None  # the first of `crossings`
    crossings: tuple[Crossing, ...] = ()  # fleets sailing on from here that take the unit
    link_gate: Gate | None = None
    transit: Draws | None = None
    sea_ends: tuple[str, ...] = ()  # ports that must be open to sail
    plain: bool = False  # nothing at the node, a land link out: the fast path in `journey`

    def expected_h(self, now: float, kg: int) -> float:
        """Mean hours a consignment of `kg` arriving now would spend on this step."""
        h = 0.0
        if self.gate is not None:
            h += self.gate.expected_h(now, kg)
        if self.processing is not None:
            h += self.processing.mean
        if self.handling and self.port is not None and self.port.handling is not None:
            h += self.port.handling.expected_wait_h() + self.port.handling.service.mean
        if self.crossings:
            h += min(c.expected_h(kg) for c in self.crossings)
        if self.link_gate is not None:
            h += self.link_gate.expected_h(now, kg)
        if self.transit is not None:
            h += self.transit.mean
        return h


@dataclass(eq=False, slots=True)
class Route:
    id: str
    nodes: list[str]
    steps: list[Step]
    share: float = 1.0
    chosen: int = 0  # consignments sent this way after the warm-up
    pairs: list[tuple[int, int, Reservoir]] = field(default_factory=list)  # (i, j, passage i -> j)
    passed: list[list[float]] = field(default_factory=list)  # node times, passages not yet added

    def expected_h(self, now: float, kg: int) -> float:
        return sum(s.expected_h(now, kg) for s in self.steps)

    def delivered(self, reached: list[float]) -> None:
        """A consignment's last part was delivered after the warm-up, having reached the route's
        nodes at `reached`: its passages go into the pairs' reservoirs with the batch."""
        self.passed.append(reached)
        if len(self.passed) >= PASSAGE_BATCH:
            self.add_passages()

    def add_passages(self) -> None:
        """Add the held consignments' passages to the pairs' reservoirs, in delivery order."""
        if not self.passed:
            return
        t = np.asarray(self.passed)
        self.passed.clear()
        for i, j, passage in self.pairs:
            passage.extend(t[:, j] - t[:, i])


@dataclass(eq=False, slots=True)
class FlowState:
    """A cargo flow's arrivals, routes and tallies in one replication."""

    id: str
    spec: Flow
    kg: int  # one consignment
    rates: list[float]  # consignments per hour, month by month
    routes: list[Route]
    gaps: Draws  # unit-mean exponential work between arrivals (unused when deterministic)
    pick: Draws  # uniform draws for route shares
    transit: Reservoir
    stock: TimeWeighted  # tonnes in the system
    daily: list[float]  # tonnes delivered each day
    live: set[Lot] = field(default_factory=set)
    bounds: list[float] = field(default_factory=list)  # running sums of the routes' shares
    previous: list[float] | None = None  # consignments per hour before hour 0 (None: `rates`)
    arrived_total_kg: int = 0
    delivered_total_kg: int = 0
    turned_away_total_kg: int = 0
    turned_away_kg: int = 0  # in the measured period
    arrived_kg: int = 0
    delivered_kg: int = 0
    arrived_n: int = 0
    delivered_n: int = 0


# --- cargo in motion -------------------------------------------------------------------------


class Traffic:
    """The cargo in motion in one replication: consignments arriving, choosing routes, being
    delivered, and carrying on after a ferry lands them."""

    def __init__(self, env: simpy.Environment, warmup: float, horizon: float, closures: Closures,
                 ports: dict[str, Port], trace: Trace | None = None):
        self.env = env
        self.warmup = warmup
        self.horizon = horizon
        self.closures = closures
        self.ports = ports
        self.trace = trace

    def new_lot(self, f: FlowState) -> Lot:
        """A consignment arrives at its flow's origin: count it and choose its route."""
        now = self.env.now
        routes = f.routes
        route = routes[0] if len(routes) == 1 else self.choose_route(f, now)
        kg = f.kg
        lot = Lot(kg, Consignment(f, now, kg, [now] * len(route.nodes)), route, 0, now)
        f.live.add(lot)
        f.arrived_total_kg += kg
        f.stock.add(now, kg / 1000)
        if now >= self.warmup:
            f.arrived_kg += kg
            f.arrived_n += 1
            route.chosen += 1
        if self.trace:
            self.trace({"t": now, "event": "arrived", "flow": f.id, "route": route.id,
                        "t_cargo": kg / 1000})
        return lot

    def turn_away(self, f: FlowState) -> None:
        """A consignment arrives while its flow already has `MAX_LIVE_LOTS` parts in the system:
        it is counted as arrived and turned away at the origin, not stored, so memory is bounded
        by the system's capacity and not by the demand."""
        now = self.env.now
        kg = f.kg
        f.arrived_total_kg += kg
        f.turned_away_total_kg += kg
        if now >= self.warmup:
            f.arrived_kg += kg
            f.arrived_n += 1
            f.turned_away_kg += kg

    def choose_route(self, f: FlowState, now: float) -> Route:
        """By the flow's shares (a draw from its route stream), or the fastest expected now."""
        routes = f.routes
        if len(routes) == 1:
            return routes[0]
        if f.spec.route_choice == "fastest":
            return min(routes, key=lambda r: r.expected_h(now, f.kg))
        # the first route whose running sum of shares exceeds the draw (the last if none does)
        i = bisect_right(f.bounds, f.pick.next())
        return routes[i] if i < len(routes) else routes[-1]

    def deliver(self, lot: Lot) -> None:
        now = self.env.now
        c = lot.consignment
        f = c.flow
        kg = lot.kg
        f.live.remove(lot)
        f.delivered_total_kg += kg
        f.stock.add(now, -kg / 1000)
        c.kg_left -= kg
        d = int(now // DAY_H)
        daily = f.daily
        if 0 <= d < len(daily):  # the spin-up (negative days) is not in the series
            daily[d] += kg / 1000
        if now >= self.warmup:
            f.delivered_kg += kg
            if c.kg_left == 0:
                f.delivered_n += 1
                f.transit.add(now - c.created)
                c.reached[-1] = now
                lot.route.delivered(c.reached)
        if self.trace:
            self.trace({"t": now, "event": "delivered", "flow": f.id, "t_cargo": kg / 1000,
                        "transit_h": now - c.created})

    def landed(self, lot: Lot) -> None:
        """A vessel has unloaded `lot` into the far port's yard: it carries on from there."""
        lot.i += 1
        self.env.process(journey(self.env, self, lot, True))


def arrivals(env: simpy.Environment, traffic: Traffic, f: FlowState
             ) -> Generator[simpy.Event, Any, None]:
    """Process: consignments of flow `f` arriving at its origin, by its arrival distribution
    (exponential or deterministic gaps) and monthly seasonality, from the clock's start (before
    hour 0 at the previous year's rates, when the flow gives them)."""
    deterministic = f.spec.arrival == "deterministic"
    flat = f.rates[0] if len(set(f.rates)) == 1 else None  # no seasonality: skip the calendar
    gap = f.gaps.next
    horizon = traffic.horizon
    timeout, process, new_lot = env.timeout, env.process, traffic.new_lot
    live = f.live
    previous = f.previous
    t = float(env.now)
    while True:
        work = 1.0 if deterministic else gap()
        if previous is not None and t < 0.0:
            t = _across_new_year(t, work, previous, f.rates, flat)
        else:
            t = t + work / flat if flat else calendar.after(t, work, f.rates)
        if t >= horizon:
            return
        yield timeout(t - env.now)
        if len(live) >= MAX_LIVE_LOTS:
            traffic.turn_away(f)
        else:
            process(journey(env, traffic, new_lot(f), False))


def _across_new_year(t: float, work: float, previous: list[float], rates: list[float],
                     flat: float | None) -> float:
    """The next arrival after one at hour `t` < 0: the gap's `work` is gathered at the previous
    year's rates until hour 0, and what is left of it at this year's."""
    u = calendar.after(t, work, previous)
    if u < 0.0:
        return u
    left = max(work - calendar.gathered(t, 0.0, previous), 0.0)
    return left / flat if flat else calendar.after(0.0, left, rates)


def journey(env: simpy.Environment, traffic: Traffic, lot: Lot, in_yard: bool
            ) -> Generator[simpy.Event, Any, None]:
    """Process: a consignment walks its route from node `lot.i` until it boards a ferry (the
    vessel carries it on) or reaches its destination."""
    # The steps' parts in locals: this loop runs at two events in three.
    closures = traffic.closures
    steps = lot.route.steps
    n = len(steps)
    kg = lot.kg
    timeout = env.timeout
    reached = lot.consignment.reached
    i = lot.i
    while i < n:
        reached[i] = env.now
        s = steps[i]
        gate = s.link_gate
        if s.plain:  # a node with nothing of its own, then a land link
            assert gate is not None  # a plain step leaves by a land link
            passed = gate.reserve(env.now, kg)
            if passed == INF:
                yield env.event()  # a link with no capacity: the cargo stays in the system
            transit = s.transit
            yield timeout(passed + transit.next() if transit is not None else passed)
            i += 1
            continue
        now = env.now
        port = s.port
        if port is not None:
            lot.since = now
            port.queue.join(now)
            if port.yard is not None:
                if not in_yard:
                    ev = port.yard.enter(kg)
                    if ev is not None:
                        yield ev
                        now = env.now
                in_yard = True
            else:
                in_yard = False
        node_gate = s.gate
        delay = node_gate.reserve(now, kg) if node_gate is not None else 0.0
        if s.processing is not None:
            delay += s.processing.next()
        if delay > 0:
            yield (env.event() if delay == INF else timeout(delay))
        if s.handling and port is not None:  # `handling` is only ever set at a port
            yield from port.handle(lot, closures)
            if s.ship_in:
                port.shipped(lot, False)
            if s.ship_out:
                port.shipped(lot, True)
        if s.ferry is not None:  # the crossing expected soonest, when several fleets sail on
            lot.i = i
            crossings = s.crossings
            ferry = s.ferry if len(crossings) == 1 else min(crossings, key=lambda c: c.expected_h(kg)).ferry
            ferry.queue.put(lot)
            return
        if s.sea_ends and closures.open_at(env.now, *s.sea_ends) > env.now:
            yield from closures.wait_open(env, *s.sea_ends)
        now = env.now
        assert gate is not None  # a step leaves by a ferry or by a gated link
        if port is not None and not s.handling:
            port.queue.leave_at(gate.start(now), lot.since, now)
        passed = gate.reserve(now, kg)
        if passed == INF:
            yield env.event()
        transit_h = s.transit.next() if s.transit is not None else 0.0
        yard = port.yard if port is not None else None
        if in_yard and yard is not None:
            yield timeout(passed)
            yard.leave(kg)
            in_yard = False
            if transit_h > 0:
                yield timeout(transit_h)
        else:
            yield timeout(passed + transit_h)
        i += 1
    lot.i = i
    if in_yard:  # landed by a ferry at its destination port: give the yard room back
        yard = traffic.ports[lot.route.nodes[-1]].yard
        if yard is not None:
            yard.leave(kg)
    traffic.deliver(lot)
