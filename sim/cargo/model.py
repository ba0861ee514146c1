"""The cargo simulation: trains and consignments moving through the corridor, one replication.

`simulate_cargo` builds the corridor from a scenario (ports, gates, fleets, weather), starts
one arrival process per cargo flow, runs SimPy for the horizon (hours), and returns what it
measured after the warm-up.

Consignments. A consignment (a train by default; the flow's `consignment` unit sets its
tonnes through `payload`) arrives at its flow's origin with exponential or deterministic gaps,
at the flow's rate times its monthly seasonality factor (normalised to mean 1). It picks a
route: by the flow's shares (a draw from the flow's route stream), or the route with the least
expected time from here (`fastest`: gate queues, berth queues, cargo already on each quay);
a flow without routes takes the shortest path by mean transit time over cargo links. Between
two route nodes it uses the first cargo link in file order.

Journey (`journey`), at every route node but the destination, origin included:
  - a port: wait outside for room in the yard (if it has one);
  - the node's capacity as a gate (a border crossing's trains a day) and its processing time;
  - a port where the cargo changes to or from a ship without a fleet (Poti onto Black Sea
    shipping): a handling berth, once the port is open;
  - a ferry link: wait on the quay until a vessel takes it (`sim.ferry`), possibly split
    between two vessels; each part carries on from the far port on its own;
  - any other link: its turn at the link's gate (train paths a day, or Mt/yr), the port left
    open at both ends for a sea link, then the link's transit time.
It is delivered on reaching its destination node.

Accounting. Tonnes are whole kilograms inside the model. Every consignment part that exists is
in its flow's `live` set until delivered, so over the whole horizon, warm-up included,
    arrived_total_kg == delivered_total_kg + in_system_kg
holds exactly in every replication (FlowRecord.extra). The rates and statistics in the record
count only the measured period [warmup, horizon]: `delivered` is the tonnes delivered in it,
annualised (Mt/yr); `arrived` the tonnes that arrived in it; `in_system` the tonnes left at the
end. Transit times (days) are those of consignments whose last part was delivered after the
warm-up. A node's `wait_h_mean` and `queue_mean` are for cargo that has arrived and not yet
begun to leave (`sim.port`, `sim.rail`), measured independently, so L = lambda W is a check.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import simpy

from sim import calendar
from sim.calendar import DAY_H
from sim.scenario.distributions import Exponential, Uniform
from sim.draws import Draws
from sim.errors import CorridorError
from sim.cargo.ferry import Fleet, FerryLink, Vessel, vessel
from sim.measures import Reservoir, TimeWeighted
from sim.network import Network
from sim.cargo.port import Berths, CargoQueue, Port, Yard
from sim.cargo.gate import Gate
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.schema import SEA_MODES, Flow, Scenario
from sim.weather import Closures

Trace = Callable[[dict[str, Any]], None]
KG_PER_MT = 1e9
INF = math.inf


# --- consignments ----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Consignment:
    """One train (or wagon group, truck, TEU) of a flow, as it arrived at the origin."""

    flow: FlowState
    created: float
    kg_left: int  # not yet delivered


@dataclass(eq=False, slots=True)
class Lot:
    """A consignment, or the part of one that travels together, at route node `i`."""

    kg: int
    consignment: Consignment
    route: Route
    i: int = 0
    since: float = 0.0  # when it arrived at the node it is at

    def split(self, kg: int) -> Lot:
        """Take `kg` off this lot as a new lot at the same place (a train split between ferries)."""
        self.kg -= kg
        part = Lot(kg, self.consignment, self.route, self.i, self.since)
        self.consignment.flow.live.add(part)
        return part


# --- the corridor as the cargo model sees it -------------------------------------------------


@dataclass(eq=False, slots=True)
class Step:
    """What a consignment does at route node `node`: the node's own steps, then the link out."""

    node: str
    port: Port | None = None
    gate: Gate | None = None  # the node's own capacity (a border crossing)
    processing: Draws | None = None
    handling: bool = False  # a handling berth, changing to or from a ship without a fleet
    ferry: FerryLink | None = None
    ferry_h_per_kg: float = 0.0  # the fleet's mean hours per kilogram on this link (route choice)
    ferry_fixed_h: float = 0.0  # load + crossing + unload, mean hours (route choice)
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
        if self.ferry is not None:
            h += (self.ferry.queue.kg + kg) * self.ferry_h_per_kg + self.ferry_fixed_h
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

    def expected_h(self, now: float, kg: int) -> float:
        return sum(s.expected_h(now, kg) for s in self.steps)


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
    arrived_total_kg: int = 0
    delivered_total_kg: int = 0
    arrived_kg: int = 0
    delivered_kg: int = 0
    arrived_n: int = 0
    delivered_n: int = 0


class CargoModel:
    """One replication's corridor: ports, gates, fleets, weather and flows, wired together."""

    def __init__(self, scenario: Scenario, network: Network, streams: Streams,
                 trace: Trace | None = None):
        sim = scenario.simulation
        self.scenario = scenario
        self.network = network
        self.streams = streams
        self.trace = trace
        self.horizon = sim.horizon.value
        self.warmup = sim.warmup.value
        self.env = simpy.Environment()
        self.closures = Closures(self.env, scenario.weather, streams, self.warmup,
                                 self.horizon, trace)
        cargo_links = {lid: link for lid, link in scenario.links.items() if link.carrier == "cargo"}
        self.cargo_links = cargo_links
        self.ports: dict[str, Port] = {}
        self.node_gates: dict[str, Gate] = {}
        self.link_gates: dict[str, Gate] = {}
        self.transits: dict[str, Draws] = {}
        self.processing: dict[str, Draws] = {}
        self.ferry_links: dict[str, FerryLink] = {}
        self.fleets: dict[str, Fleet] = {}
        for lid, link in cargo_links.items():
            if link.transit is not None:
                self.transits[lid] = Draws(link.transit, streams.get(f"cargo:link:{lid}"))
            if link.fleet is None:
                rate = network.links[lid].capacity * KG_PER_MT / calendar.HOURS_PER_YEAR
                self.link_gates[lid] = Gate(lid, rate, self.warmup, self.horizon)
            if link.mode in SEA_MODES or link.fleet is not None:
                self.port(link.from_)
                self.port(link.to)
        self.cargo_nodes = {n for link in cargo_links.values() for n in (link.from_, link.to)}
        for nid, node in scenario.nodes.items():  # file order, so reports list them so
            if nid in self.cargo_nodes and (node.port is not None or node.kind == "port"):
                self.port(nid)
        self._build_fleets()
        self.flows = {fid: self._flow(fid, f) for fid, f in scenario.flows.items()
                      if f.carrier == "cargo"}

    # --- building -----------------------------------------------------------------------------

    def port(self, nid: str) -> Port:
        if nid not in self.ports:
            node = self.scenario.nodes[nid]
            berths: dict[str, Berths] = {}
            yard = None
            if node.port is not None:
                for kind, b in node.port.berths.items():
                    service = Draws(b.service, self.streams.get(f"cargo:berths:{nid}:{kind}"))
                    berths[kind] = Berths(self.env, kind, int(b.count.value), service,
                                          self.warmup, self.horizon)
                if node.port.yard is not None:
                    yard = Yard(self.env, round(node.port.yard.value * 1000), self.warmup,
                                self.horizon)
            self.ports[nid] = Port(self.env, nid, berths, yard, self.warmup, self.horizon)
        return self.ports[nid]

    def node_gate(self, nid: str) -> Gate | None:
        cap = self.network.node_capacity(nid)
        if cap is None:
            return None
        if nid not in self.node_gates:
            rate = cap * KG_PER_MT / calendar.HOURS_PER_YEAR
            # a port reports its own queue (`Port.summary`), so its gate keeps no statistics
            measured = nid not in self.ports
            self.node_gates[nid] = Gate(nid, rate, self.warmup, self.horizon, daily=measured,
                                        measured=measured)
        return self.node_gates[nid]

    def _build_fleets(self) -> None:
        s = self.scenario
        by_fleet: dict[str, list[str]] = {}
        for lid, link in self.cargo_links.items():
            if link.fleet is not None:
                by_fleet.setdefault(link.fleet, []).append(lid)
        for fid, lids in by_fleet.items():
            spec = s.fleets[fid]
            links = []
            for lid in lids:
                link = s.links[lid]
                origin = self.ports[link.from_]
                fl = FerryLink(lid, origin, self.ports[link.to], self.transits[lid],
                               CargoQueue(self.env, origin))
                self.ferry_links[lid] = fl
                links.append(fl)
            rng = self.streams.get(f"cargo:fleet:{fid}")
            fleet = Fleet(self.env, fid, spec, round(self.network.voyage_t(spec) * 1000), links,
                          self.closures, Draws(spec.load, rng), Draws(spec.unload, rng),
                          self._landed, self.warmup, self.horizon, trace=self.trace)
            fleet.legs = self._legs(links)
            self.fleets[fid] = fleet
            homes = list(dict.fromkeys(fl.origin.id for fl in links))
            for i in range(int(spec.vessels.value)):
                v = Vessel(i, homes[i % len(homes)], homes[i % len(homes)])
                fleet.vessels.append(v)
                self.env.process(vessel(self.env, fleet, v))

    def _legs(self, links: list[FerryLink]) -> dict[tuple[str, str], Callable[[], float]]:
        """Empty-leg times between the fleet's ports: a link's crossing time either way, else
        the great-circle distance at the fleet's mean crossing speed."""
        nodes = self.scenario.nodes
        legs: dict[tuple[str, str], Callable[[], float]] = {}
        for fl in links:
            legs.setdefault((fl.origin.id, fl.destination.id), fl.transit.next)
        for fl in links:
            legs.setdefault((fl.destination.id, fl.origin.id), fl.transit.next)
        km = sum(_km(nodes[fl.origin.id], nodes[fl.destination.id]) for fl in links)
        hours = sum(fl.transit.mean for fl in links)
        speed = km / hours if hours > 0 else 0.0
        ports = list(dict.fromkeys(p for fl in links for p in (fl.origin.id, fl.destination.id)))
        for a in ports:
            for b in ports:
                if a != b and (a, b) not in legs:
                    h = _km(nodes[a], nodes[b]) / speed if speed > 0 else 0.0
                    legs[(a, b)] = lambda h=h: h
        return legs

    def _flow(self, fid: str, flow: Flow) -> FlowState:
        s = self.scenario
        kg = round(s.payload_t(flow.consignment) * 1000)
        per_h = flow.rate.value * KG_PER_MT / calendar.HOURS_PER_YEAR / kg
        season = calendar.normalised(flow.seasonality) if flow.seasonality else [1.0] * 12
        paths = {rid: (r.path, r.share.value if r.share else 1.0)
                 for rid, r in (flow.routes or {}).items()}
        if not paths:
            paths = {"shortest": (self._shortest(fid, flow), 1.0)}
        routes = [Route(rid, path, self._steps(path), share) for rid, (path, share) in paths.items()]
        days = max(1, math.ceil(self.horizon / calendar.DAY_H))
        bounds, acc = [], 0.0
        for r in routes:
            acc += r.share
            bounds.append(acc)
        return FlowState(
            fid, flow, kg, [per_h * f for f in season], routes,
            gaps=Draws(Exponential(mean_=1.0), self.streams.get(f"cargo:arrivals:{fid}")),
            pick=Draws(Uniform(low=0.0, high=1.0), self.streams.get(f"cargo:route:{fid}")),
            transit=Reservoir(self.streams.get(f"cargo:transit-sample:{fid}")),
            stock=TimeWeighted(self.warmup, self.horizon), daily=[0.0] * days,
            bounds=bounds,
        )

    def _shortest(self, fid: str, flow: Flow) -> list[str]:
        g = nx.DiGraph()
        for link in self.cargo_links.values():
            w = link.transit.mean if link.transit is not None else 0.0
            if not g.has_edge(link.from_, link.to) or g[link.from_][link.to]["weight"] > w:
                g.add_edge(link.from_, link.to, weight=w)
        try:
            return nx.shortest_path(g, flow.origin, flow.destination, weight="weight")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            raise CorridorError(f"flows.{fid}: no cargo link path from {flow.origin!r} to "
                                f"{flow.destination!r}; add links or give routes") from None

    def _link_between(self, a: str, b: str) -> str:
        """The first cargo link from `a` to `b` in file order."""
        for lid, link in self.cargo_links.items():
            if link.from_ == a and link.to == b:
                return lid
        raise CorridorError(f"no cargo link from {a!r} to {b!r}")

    def _steps(self, path: list[str]) -> list[Step]:
        s = self.scenario
        lids = [self._link_between(a, b) for a, b in zip(path, path[1:])]
        pipe = [s.links[lid].fleet is None and s.links[lid].mode in SEA_MODES for lid in lids]
        steps = []
        for i, (nid, lid) in enumerate(zip(path, lids)):
            node, link = s.nodes[nid], s.links[lid]
            port = self.ports.get(nid)
            if node.processing is not None and nid not in self.processing:
                self.processing[nid] = Draws(node.processing, self.streams.get(f"cargo:node:{nid}"))
            step = Step(nid, port=port, gate=self.node_gate(nid),
                        processing=self.processing.get(nid),
                        handling=(port is not None and link.fleet is None
                                  and (pipe[i] or (i > 0 and pipe[i - 1]))),
                        transit=self.transits.get(lid))
            if link.fleet is not None:
                fl = self.ferry_links[lid]
                fleet = self.fleets[link.fleet]
                step.ferry = fl
                step.transit = None  # the vessel's crossing, not the consignment's
                vessels = max(fleet.spec.vessels.value, 1)
                step.ferry_h_per_kg = self.network.cycle_h(link) / vessels / fleet.cap_kg
                step.ferry_fixed_h = fleet.load.mean + fl.transit.mean + fleet.unload.mean
            else:
                step.link_gate = self.link_gates[lid]
                if link.mode in SEA_MODES:
                    step.sea_ends = tuple(n for n in (link.from_, link.to)
                                          if n in self.closures.nodes)
            step.plain = (step.port is None and step.gate is None and step.processing is None
                          and step.link_gate is not None and not step.sea_ends)
            steps.append(step)
        return steps

    # --- running ------------------------------------------------------------------------------

    def start(self) -> None:
        for f in self.flows.values():
            self.env.process(arrivals(self.env, self, f))

    def new_lot(self, f: FlowState) -> Lot:
        """A consignment arrives at its flow's origin: count it and choose its route."""
        now = self.env._now
        routes = f.routes
        route = routes[0] if len(routes) == 1 else self.choose_route(f, now)
        kg = f.kg
        lot = Lot(kg, Consignment(f, now, kg), route, 0, now)
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
        now = self.env._now
        c = lot.consignment
        f = c.flow
        kg = lot.kg
        f.live.remove(lot)
        f.delivered_total_kg += kg
        f.stock.add(now, -kg / 1000)
        c.kg_left -= kg
        d = int(now // DAY_H)
        daily = f.daily
        if d < len(daily):
            daily[d] += kg / 1000
        if now >= self.warmup:
            f.delivered_kg += kg
            if c.kg_left == 0:
                f.delivered_n += 1
                f.transit.add(now - c.created)
        if self.trace:
            self.trace({"t": now, "event": "delivered", "flow": f.id, "t_cargo": kg / 1000,
                        "transit_h": now - c.created})

    def _landed(self, lot: Lot) -> None:
        """A vessel has unloaded `lot` into the far port's yard: it carries on from there."""
        lot.i += 1
        self.env.process(journey(self.env, self, lot, True))


def arrivals(env: simpy.Environment, m: CargoModel, f: FlowState):
    """Process: consignments of flow `f` arriving at its origin, by its arrival distribution
    (exponential or deterministic gaps) and monthly seasonality."""
    deterministic = f.spec.arrival == "deterministic"
    flat = f.rates[0] if len(set(f.rates)) == 1 else None  # no seasonality: skip the calendar
    gap = f.gaps.next
    horizon = m.horizon
    timeout, process, new_lot = env.timeout, env.process, m.new_lot
    t = 0.0
    while True:
        work = 1.0 if deterministic else gap()
        t = t + work / flat if flat else calendar.after(t, work, f.rates)
        if t >= horizon:
            return
        yield timeout(t - env._now)
        process(journey(env, m, new_lot(f), False))


def journey(env: simpy.Environment, m: CargoModel, lot: Lot, in_yard: bool):
    """Process: a consignment walks its route from node `lot.i` until it boards a ferry (the
    vessel carries it on) or reaches its destination."""
    # `env._now` rather than the `now` property, and the steps' parts in locals: this loop runs
    # at two events in three.
    closures = m.closures
    steps = lot.route.steps
    n = len(steps)
    kg = lot.kg
    timeout = env.timeout
    i = lot.i
    while i < n:
        s = steps[i]
        if s.plain:  # a node with nothing of its own, then a land link
            passed = s.link_gate.reserve(env._now, kg)
            if passed == INF:
                yield env.event()  # a link with no capacity: the cargo stays in the system
            transit = s.transit
            yield timeout(passed + transit.next() if transit is not None else passed)
            i += 1
            continue
        now = env._now
        port = s.port
        if port is not None:
            lot.since = now
            port.queue.join(now)
            if port.yard is not None:
                if not in_yard:
                    ev = port.yard.enter(kg)
                    if ev is not None:
                        yield ev
                        now = env._now
                in_yard = True
            else:
                in_yard = False
        gate = s.gate
        delay = gate.reserve(now, kg) if gate is not None else 0.0
        if s.processing is not None:
            delay += s.processing.next()
        if delay > 0:
            yield (env.event() if delay == INF else timeout(delay))
        handling = s.handling
        if handling:
            if port.handling is None:  # no berths to wait for: the wait at the port ends now
                port.queue.leave(env._now, lot.since)
            else:
                yield from port.handle(lot, closures)
        if s.ferry is not None:
            lot.i = i
            s.ferry.queue.put(lot)
            return
        if s.sea_ends and closures.any_closed(s.sea_ends) is not None:
            yield from closures.wait_open(*s.sea_ends)
        now = env._now
        gate = s.link_gate
        if port is not None and not handling:
            port.queue.leave_at(gate.start(now), lot.since, now)
        passed = gate.reserve(now, kg)
        if passed == INF:
            yield env.event()
        transit = s.transit.next() if s.transit is not None else 0.0
        if in_yard:
            yield timeout(passed)
            port.yard.leave(kg)
            in_yard = False
            if transit > 0:
                yield timeout(transit)
        else:
            yield timeout(passed + transit)
        i += 1
    lot.i = i
    if in_yard:  # landed by a ferry at its destination port: give the yard room back
        yard = m.ports[lot.route.nodes[-1]].yard
        if yard is not None:
            yard.leave(kg)
    m.deliver(lot)


# --- entry point and results -----------------------------------------------------------------


def simulate_cargo(scenario: Scenario, network: Network, streams: Streams, index: int,
                   trace: Trace | None = None) -> Replication:
    """Run one replication of every cargo flow for the scenario's horizon (hours) and return
    what was measured after the warm-up. `trace`, if given, is called with a dict for each
    arrival, delivery, loading, unloading and closure (nothing is kept otherwise)."""
    m = CargoModel(scenario, network, streams, trace)
    m.start()
    m.env.run(until=m.horizon)
    rep = Replication(index=index)
    collect(m, rep)
    rep.events = events_processed(m.env)
    return rep


def events_processed(env: simpy.Environment) -> int:
    """SimPy events processed so far: scheduled ones less those still waiting."""
    scheduled = int(repr(env._eid)[6:-1])
    return scheduled - len(env._queue)


def collect(m: CargoModel, rep: Replication) -> None:
    """Fill `rep` with the model's measurements (see the module text for definitions)."""
    h, w = m.horizon, m.warmup
    span = h - w
    m.closures.finish()
    for f in m.flows.values():
        rep.flows[f.id] = _flow_record(m, f, span)
        rep.series[f"delivered:{f.id}"] = np.asarray(f.daily)
    for lid, gate in m.link_gates.items():
        rep.links[lid] = gate.summary() | {"tonnes": gate.kg / 1000}
    for lid, fl in m.ferry_links.items():
        cap = m.network.links[lid].capacity
        rate = fl.kg / KG_PER_MT / span * calendar.HOURS_PER_YEAR if span > 0 else 0.0
        fleet = m.fleets[m.scenario.links[lid].fleet]
        rep.links[lid] = {"utilisation": rate / cap if cap > 0 else 0.0, "tonnes": fl.kg / 1000,
                          "voyages": float(fl.voyages),
                          "load_factor": fl.kg / (fl.voyages * fleet.cap_kg) if fl.voyages else 0.0}
    for nid, gate in m.node_gates.items():
        if nid not in m.ports:
            rep.nodes[nid] = gate.summary()
            rep.series[f"queue:{nid}"] = np.asarray(gate.daily_queue())
    for nid, port in m.ports.items():
        port.queue.close(h)
        for b in port.berths.values():
            b.busy.close(h)
        if port.yard is not None:
            port.yard.stock.close(h)
            rep.series[f"yard:{nid}"] = port.yard.stock.daily()
        rep.nodes[nid] = port.summary(span, m.closures)
        rep.series[f"queue:{nid}"] = port.queue.length.daily()
    for nid in sorted(m.closures.nodes & m.cargo_nodes):
        row = rep.nodes.setdefault(nid, {})
        row["closed_days"] = m.closures.closed_hours(nid) / 24
        row["closures"] = float(m.closures.closures(nid))
        rep.series[f"closed:{nid}"] = m.closures.closed_daily(nid)
    for fid, fleet in m.fleets.items():
        rep.fleets[fid] = fleet.summary()


def _flow_record(m: CargoModel, f: FlowState, span: float) -> FlowRecord:
    s = m.scenario
    in_system_kg = sum(lot.kg for lot in f.live)
    f.stock.close(m.horizon)
    delivered_t = f.delivered_kg / 1000
    extra: dict[str, float] = {
        "arrived_total_kg": float(f.arrived_total_kg),
        "delivered_total_kg": float(f.delivered_total_kg),
        "in_system_kg": float(in_system_kg),
        "delivered_t": delivered_t,
        "consignments_arrived": float(f.arrived_n),
        "consignments_delivered": float(f.delivered_n),
        "in_system_t_mean": f.stock.mean(),
    }
    for unit, share in (f.spec.mix or {}).items():
        extra[f"{unit}_delivered"] = delivered_t * share / s.payload_t(unit)
    chosen = sum(r.chosen for r in f.routes)
    for r in f.routes:
        extra[f"route:{r.id}"] = r.chosen / chosen if chosen else 0.0
    transit = f.transit.summary(scale=calendar.DAY_H)
    transit.pop("n", None)
    return FlowRecord(
        carrier="cargo", unit="Mt/yr",
        delivered=f.delivered_kg / KG_PER_MT / span * calendar.HOURS_PER_YEAR if span > 0 else 0.0,
        arrived=f.arrived_kg / 1000, in_system=in_system_kg / 1000, transit_days=transit,
        extra=extra,
    )


def _km(a: Any, b: Any) -> float:
    """Great-circle distance between two nodes, km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
