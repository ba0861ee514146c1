"""The cargo simulation: trains and consignments moving through the corridor, one replication.

`simulate_cargo` builds the corridor from a scenario (ports, gates, fleets, weather), starts
one arrival process per cargo flow (`sim.cargo.journey`), runs SimPy for the horizon (hours),
and returns what it measured after the warm-up. With a spin-up (`simulation.spinup`) the clock
starts at hour -spinup, before 1 January: storms, arrivals (at each flow's `previous_rate`) and
vessels run from there, and hour 0 finds the queues, yards and vessels the end of the previous
year left; nothing is measured before hour 0, daily series start at it, and the measured
period stays [warmup, horizon]. A flow without routes takes the shortest path
by mean transit time over cargo links; between two route nodes a consignment uses the first
cargo link in file order.

Accounting. Tonnes are whole kilograms inside the model. Every consignment part that exists is
in its flow's `live` set until delivered, so over the whole run, spin-up and warm-up included,
    arrived_total_kg == delivered_total_kg + in_system_kg + turned_away_total_kg
holds exactly in every replication (FlowRecord.extra). A flow holds at most
`journey.MAX_LIVE_LOTS` parts in the system; a consignment arriving beyond that is counted and
turned away at its origin (`turned_away_t` in the measured period), so memory is bounded by what
the corridor can hold, not by the demand. The rates and statistics in the record
count only the measured period [warmup, horizon]: `delivered` is the tonnes delivered in it,
annualised (Mt/yr); `arrived` the tonnes that arrived in it; `in_system` the tonnes left at the
end. Transit times (days) are those of consignments whose last part was delivered after the
warm-up. A node's `wait_h_mean` and `queue_mean` are for cargo that has arrived and not yet
begun to leave (`sim.cargo.port`, `sim.cargo.gate`), measured independently, so L = lambda W
is a check.

Passages (`Replication.passages`, days): for each ordered pair of nodes on some route, the time
from reaching the first to reaching the second, of consignments whose last part was delivered
after the warm-up (the rule for split consignments is in `sim.cargo.journey`); one bounded
reservoir per node pair, shared by every route and flow through both.

A port where cargo meets a ship also reports its ship traffic in the measured period
(`sim.cargo.port`): `tonnes_in` unloaded from vessels, `tonnes_out` loaded onto them, `tonnes`
both (a port's throughput as ports publish it), `calls` where a fleet's vessels berth, and
`wagons`, `teu`, `trucks` where a flow through the port has that unit in its mix (tonnes of the
unit's share over its payload, as a flow's `{unit}_delivered`; absent: not measured), and each
by direction (`wagons_in`, `wagons_out`, ...). A flow of
empties (`empties: true`, wagons or containers going back) counts in the units, not in the
tonnes. Where fleet vessels wait at a port, the port reports the vessel-hours waited there by
cause, `vessel_wait_h:<cause>` (berth, weather, departure_rule, yard_full), and per call,
`wait_h_per_call:<cause>`; they add up to the fleets' waiting hours.
Background traffic (`sim.cargo.background`: a port's vessel calls for cargo outside the flows)
is part of `tonnes`, `tonnes_in`, `tonnes_out` and `calls`, and also reported apart as
`background_t` and `background_calls`; a port with only background traffic is built too.
By calendar month (January first, the month of the counting event; the months outside the
measured period are 0, so the twelve add up to the totals), each such port's
`series["month:<port>:tonnes_in" | "...:tonnes_out" | "...:calls"]` holds twelve numbers (not
daily values, as the other series are), and so do `month:<port>:wagons_in`, `..._out`, and the
same for `teu` and `trucks`, where the port counts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import simpy
from simpy.core import EmptySchedule, StopSimulation

from sim import calendar
from sim.cargo import background
from sim.cargo.ferry import FerryFleet, FerryLink, vessel
from sim.cargo.gate import Gate
from sim.cargo.journey import Crossing, FlowState, Route, Step, Trace, Traffic, arrivals
from sim.cargo.port import KG_PER_MT, Berths, CargoQueue, Port, Yard
from sim.draws import Draws
from sim.fleet import WAITING_BERTH, WAITING_CARGO, WAITING_ROOM, WAITING_WEATHER
from sim.measures import Reservoir, TimeWeighted
from sim.network import Network, distance_km
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.distributions import Exponential, Uniform
from sim.scenario.schema import DECK_UNIT, LOAD_UNITS, SEA_MODES, Flow, LoadUnit, Scenario
from sim.weather import Closures

PORT_UNITS = {"wagon": "wagons", "TEU": "teu", "truck": "trucks"}  # mix unit -> a port's count
# A vessel's wait state -> its cause as a port reports it (`vessel_wait_h:<cause>`).
WAIT_CAUSES = {WAITING_BERTH: "berth", WAITING_WEATHER: "weather", WAITING_CARGO: "departure_rule",
               WAITING_ROOM: "yard_full"}


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (`processed`).

    `run(until=<time>)` steps through the events itself, counting in a local variable, and
    stops as SimPy's own `run` does: before any event scheduled after its call at that time.
    Other uses of `run` are SimPy's (and not counted).
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.processed = 0

    def run(self, until: float | simpy.Event | None = None) -> Any:
        if until is None or isinstance(until, simpy.Event):
            return super().run(until)
        if until <= self.now:
            raise ValueError(f"until ({until}) must be greater than the current simulation time")
        self.timeout(until - self.now).callbacks.append(StopSimulation.callback)
        step = self.step
        n = 0
        try:
            while True:
                step()
                n += 1
        except (StopSimulation, EmptySchedule):
            return None
        finally:
            self.processed += n


# --- the corridor as the cargo model sees it -------------------------------------------------


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
        self.t0 = -sim.spinup.value if sim.spinup.value > 0 else 0.0  # the clock's first hour
        self.env = CountingEnvironment(self.t0)
        self.closures = Closures.sample(scenario.weather, streams, self.horizon, self.t0)
        cargo_links = {lid: link for lid, link in scenario.links.items() if link.carrier == "cargo"}
        self.cargo_links = cargo_links
        self.ports: dict[str, Port] = {}
        self.node_gates: dict[str, Gate] = {}
        self.link_gates: dict[str, Gate] = {}
        self.transits: dict[str, Draws] = {}
        self.processing: dict[str, Draws] = {}
        self.ferry_links: dict[str, FerryLink] = {}
        self.fleets: dict[str, FerryFleet] = {}
        self.passages: dict[tuple[str, str], Reservoir] = {}  # (from, to) -> hours
        self.background: list[background.Background] = []  # ports' background traffic entries
        self.traffic = Traffic(self.env, self.warmup, self.horizon, self.closures, self.ports, trace)
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
            traffic = node.port is not None and bool(node.port.traffic)  # built even off the links
            if traffic or (nid in self.cargo_nodes and (node.port is not None or node.kind == "port")):
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
            port = Port(self.env, nid, berths, yard, self.warmup, self.horizon)
            for tid, spec in (node.port.traffic if node.port is not None else {}).items():
                rng = self.streams.get(f"cargo:traffic:{nid}:{tid}")
                self.background.append(background.Background.build(tid, spec, port, rng))
                port.background = True
            self.ports[nid] = port
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
            fleet = FerryFleet(self.env, fid, spec, round(self.network.voyage_t(spec) * 1000), links,
                          self.closures, Draws(spec.load, rng), Draws(spec.unload, rng),
                          self.traffic.landed, self.warmup, self.horizon, trace=self.trace)
            fleet.legs = self._legs(links)
            for fl in links:
                fl.origin.fleet_calls = fl.destination.fleet_calls = True
            self.fleets[fid] = fleet
            homes = [spec.home] if spec.home else list(dict.fromkeys(fl.origin.id for fl in links))
            for i in range(int(spec.vessels.value)):
                v = fleet.add_vessel(i, homes[i % len(homes)])
                self.env.process(vessel(self.env, fleet, v))

    def _legs(self, links: list[FerryLink]) -> dict[tuple[str, str], Callable[[], float]]:
        """Empty-leg times between the fleet's ports: a link's crossing time either way, else
        the great-circle distance at the fleet's mean crossing speed."""
        at = {k: (node.lat, node.lon) for k, node in self.scenario.nodes.items()}
        legs: dict[tuple[str, str], Callable[[], float]] = {}
        for fl in links:
            legs.setdefault((fl.origin.id, fl.destination.id), fl.transit.next)
        for fl in links:
            legs.setdefault((fl.destination.id, fl.origin.id), fl.transit.next)
        km = sum(distance_km(at[fl.origin.id], at[fl.destination.id]) for fl in links)
        hours = sum(fl.transit.mean for fl in links)
        speed = km / hours if hours > 0 else 0.0
        ports = list(dict.fromkeys(p for fl in links for p in (fl.origin.id, fl.destination.id)))
        for a in ports:
            for b in ports:
                if a != b and (a, b) not in legs:
                    h = distance_km(at[a], at[b]) / speed if speed > 0 else 0.0
                    legs[(a, b)] = partial(float, h)
        return legs

    def _flow(self, fid: str, flow: Flow) -> FlowState:
        s = self.scenario
        kg = round(s.payload_t(flow.consignment) * 1000) * flow.batch
        per_h = flow.rate.value * KG_PER_MT / calendar.HOURS_PER_YEAR / kg
        season = calendar.normalised(flow.seasonality) if flow.seasonality else [1.0] * 12
        paths = {rid: (r.path, r.share.value if r.share else 1.0)
                 for rid, r in (flow.routes or {}).items()}
        if not paths:
            paths = {"shortest": (self.network.cargo_path(fid), 1.0)}
        unit = DECK_UNIT[flow.consignment]
        routes = [Route(rid, path, self._steps(path, unit), share) for rid, (path, share) in paths.items()]
        for r in routes:
            self._ships(fid, r)
            self._decks(fid, unit, r)
            r.pairs = self._pairs(r.nodes)
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
            bounds=bounds, previous=self._previous(flow, kg, season),
        )

    @staticmethod
    def _previous(flow: Flow, kg: int, season: list[float]) -> list[float] | None:
        """Consignments per hour, month by month, during a spin-up: the flow's previous_rate
        (None when it gives none, or the same as its rate)."""
        prev = flow.previous_rate
        if prev is None or prev.value == flow.rate.value:
            return None
        per_h = prev.value * KG_PER_MT / calendar.HOURS_PER_YEAR / kg
        return [per_h * f for f in season]

    def _pairs(self, nodes: list[str]) -> list[tuple[int, int, Reservoir]]:
        """Every ordered pair of a route's nodes (i < j) with its node pair's passage reservoir."""
        pairs = []
        rng = self.streams.get("cargo:passage-sample")  # one stream for every pair's reservoir
        for i, a in enumerate(nodes):
            for j in range(i + 1, len(nodes)):
                b = nodes[j]
                if a == b:
                    continue
                if (a, b) not in self.passages:
                    self.passages[(a, b)] = Reservoir(rng)
                pairs.append((i, j, self.passages[(a, b)]))
        return pairs

    def _decks(self, fid: str, unit: LoadUnit, route: Route) -> None:
        """Tell each quay on `route` how much deck space a kilogram of flow `fid` takes, where its
        fleet's main unit is not the flow's (`sim.cargo.port.CargoQueue`)."""
        s = self.scenario
        for step in route.steps:
            for c in step.crossings:
                spec = s.fleets[s.links[c.ferry.id].fleet or ""]
                main = LOAD_UNITS.get(spec.capacity.kind)
                if main is not None and unit != main:
                    deck_kg = spec.deck[unit].value * s.payload_t(unit)  # carried: checked with the route
                    c.ferry.queue.deck[fid] = self.network.voyage_t(spec) / deck_kg

    def _ships(self, fid: str, route: Route) -> None:
        """List flow `fid` at the ports where `route` moves it between land and a ship."""
        for s in route.steps:
            for c in s.crossings:
                c.ferry.origin.handles(fid, True)
                c.ferry.destination.handles(fid, False)
            if s.port is not None and s.ship_in:
                s.port.handles(fid, False)
            if s.port is not None and s.ship_out:
                s.port.handles(fid, True)

    def _crossing(self, lid: str) -> Crossing:
        link = self.scenario.links[lid]
        fl = self.ferry_links[lid]
        fleet = self.fleets[link.fleet or ""]
        vessels = max(fleet.spec.vessels.value, 1)
        return Crossing(fl, self.network.cycle_h(link) / vessels / fleet.cap_kg,
                        fleet.load.mean + fl.transit.mean + fleet.unload.mean)

    def _steps(self, path: list[str], unit: LoadUnit) -> list[Step]:
        s = self.scenario
        options = [self.network.links_between(a, b, unit) for a, b in zip(path, path[1:])]
        lids = [o[0] for o in options]
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
            step.ship_out = step.handling and pipe[i]
            step.ship_in = step.handling and i > 0 and pipe[i - 1]
            if link.fleet is not None:  # the fleets that sail here and take the unit
                step.crossings = tuple(self._crossing(o) for o in options[i] if s.links[o].fleet is not None)
                step.ferry = step.crossings[0].ferry
                step.transit = None  # the vessel's crossing, not the consignment's
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
        if self.trace:
            self.env.process(self.closures.announce(self.env, self.trace))
        for f in self.flows.values():
            self.env.process(arrivals(self.env, self.traffic, f))
        for bg in self.background:
            self.env.process(background.arrivals(self.env, bg, self.closures, self.horizon))


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
    rep.events = m.env.processed
    return rep


def collect(m: CargoModel, rep: Replication) -> None:
    """Fill `rep` with the model's measurements (see the module text for definitions)."""
    h, w = m.horizon, m.warmup
    span = h - w
    for f in m.flows.values():
        rep.flows[f.id] = _flow_record(m, f, span)
        rep.series[f"delivered:{f.id}"] = np.asarray(f.daily)
    for lid, gate in m.link_gates.items():
        rep.links[lid] = gate.summary() | {"tonnes": gate.kg / 1000}
    fleet_of = {fl.id: fleet for fleet in m.fleets.values() for fl in fleet.links}
    for lid, fl in m.ferry_links.items():
        cap = m.network.links[lid].capacity
        rate = fl.kg / KG_PER_MT / span * calendar.HOURS_PER_YEAR if span > 0 else 0.0
        fleet = fleet_of[lid]
        rep.links[lid] = {"utilisation": rate / cap if cap > 0 else 0.0, "tonnes": fl.kg / 1000,
                          "voyages": float(fl.voyages),
                          "load_factor": fl.space / (fl.voyages * fleet.cap_kg) if fl.voyages else 0.0}
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
        months = _ship_months(m, port)
        rep.nodes[nid] = port.summary(span, m.closures) | _ship_counts(m, port)
        rep.series[f"queue:{nid}"] = port.queue.length.daily()
        for key, series in months.items():
            rep.series[f"month:{nid}:{key}"] = series
    for nid in sorted(m.closures.nodes & m.cargo_nodes):
        row = rep.nodes.setdefault(nid, {})
        closed = m.closures.node(nid)
        row["closed_days"] = closed.hours(w, h) / 24
        row["closures"] = float(closed.count(w))
        rep.series[f"closed:{nid}"] = closed.daily(h)
    for fid, fleet in m.fleets.items():
        rep.fleets[fid] = fleet.summary()
        for (nid, cause), hours in sorted(fleet.waits_at.items()):
            row = rep.nodes.setdefault(nid, {})
            key = f"vessel_wait_h:{WAIT_CAUSES[cause]}"
            row[key] = row.get(key, 0.0) + hours
    for nid in m.ports:  # vessel-hours waited at the port per call, by cause
        row = rep.nodes.get(nid, {})
        calls = row.get("calls", 0.0) - row.get("background_calls", 0.0)  # fleet vessels' calls
        for key in [k for k in row if k.startswith("vessel_wait_h:")]:
            row[key.replace("vessel_wait_h:", "wait_h_per_call:")] = row[key] / calls if calls else 0.0
    for f in m.flows.values():
        for r in f.routes:
            r.add_passages()
    for pair, passage in m.passages.items():
        if passage.n:
            rep.passages[pair] = passage.summary(scale=calendar.DAY_H)


def _ship_months(m: CargoModel, port: Port) -> dict[str, np.ndarray]:
    """A port's ship traffic by calendar month (see the module text): tonnes in and out (cargo and
    background, not the empties' tare), calls, and the units of each flow's mix by direction;
    nothing for a port where no flow meets a ship, no fleet calls and no background ship calls."""
    if not (port.shipped_kg or port.fleet_calls or port.background):
        return {}
    kg = {out: np.asarray(port.background_kg[out], dtype=float) for out in (False, True)}
    units: dict[str, np.ndarray] = {}
    for (fid, out), by_month in port.shipped_kg.items():
        spec = m.flows[fid].spec
        flow_kg = np.asarray(by_month, dtype=float)
        if not spec.empties:  # empties count in units, not in tonnes
            kg[out] = kg[out] + flow_kg
        for unit, share in (spec.mix or {}).items():
            key = PORT_UNITS.get(unit)
            if key is not None:
                name = f"{key}_{'out' if out else 'in'}"
                n = flow_kg / 1000 * share / m.scenario.payload_t(unit)
                units[name] = units[name] + n if name in units else n
    return {"tonnes_in": kg[False] / 1000, "tonnes_out": kg[True] / 1000,
            "calls": np.asarray(port.month_calls, dtype=float)} | units


def _ship_counts(m: CargoModel, port: Port) -> dict[str, float]:
    """A port's ship traffic in the measured period (see the module text), from whole kilograms
    (the months' sums); nothing where `_ship_months` has nothing."""
    if not (port.shipped_kg or port.fleet_calls or port.background):
        return {}
    totals = {key: sum(months) for key, months in port.shipped_kg.items()}

    def cargo_kg(out: bool) -> int:  # empties are counted in units, not in tonnes
        return sum(kg for (fid, o), kg in totals.items() if o == out and not m.flows[fid].spec.empties) \
            + sum(port.background_kg[out])

    kg_in, kg_out = cargo_kg(False), cargo_kg(True)
    out = {"tonnes": (kg_in + kg_out) / 1000, "tonnes_in": kg_in / 1000, "tonnes_out": kg_out / 1000}
    if port.fleet_calls or port.background:
        out["calls"] = float(sum(port.month_calls))
    if port.background:
        out["background_t"] = (sum(port.background_kg[False]) + sum(port.background_kg[True])) / 1000
        out["background_calls"] = float(port.background_calls)
    for direction, way in (("in", False), ("out", True)):
        for (fid, o), kg in totals.items():
            if o != way:
                continue
            for unit, share in (m.flows[fid].spec.mix or {}).items():
                key = PORT_UNITS.get(unit)
                if key is not None:
                    n = kg / 1000 * share / m.scenario.payload_t(unit)
                    out[key] = out.get(key, 0.0) + n
                    out[f"{key}_{direction}"] = out.get(f"{key}_{direction}", 0.0) + n
    return out


def _flow_record(m: CargoModel, f: FlowState, span: float) -> FlowRecord:
    s = m.scenario
    in_system_kg = sum(lot.kg for lot in f.live)
    f.stock.close(m.horizon)
    delivered_t = f.delivered_kg / 1000
    extra: dict[str, float] = {
        "arrived_total_kg": float(f.arrived_total_kg),
        "delivered_total_kg": float(f.delivered_total_kg),
        "in_system_kg": float(in_system_kg),
        "turned_away_total_kg": float(f.turned_away_total_kg),
        "turned_away_t": f.turned_away_kg / 1000,
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
