"""The corridor as the optimiser sees it: arcs, capacity rows, demands and expansion options.

Everything here is plain data computed once from a `Network`, and the LP families in
`formulation.py` only read it. Two routings:

- `simulated` (the default, the bound to set beside a simulation): each flow moves as the
  simulator moves it. A cargo or oil flow keeps to its routes in their shares (a route
  carries at most its share of the flow's rate; without routes, the one path the simulator
  takes), a consignment boards any fleet sailing its step that takes its unit, and no flow
  delivers more than its rate. Power and data flows are dispatched over any path.
- `free`: any split over the allowed arcs and no demand cap: the network's own max-flow.

Capacity rows (`Resource`), each sum of terms <= rhs + expansions:
- a link's own capacity (firm: x availability, less background);
- a node's throughput; generation at a node;
- `deck:L`: the voyages sailed on fleet link L carry its cargo: flow x voyages per Mt
  (one vessel's deck in the flow's unit: wagons, trucks, TEU or tonnes) <= loaded voyages;
- `fleet:F`: vessel-hours: loaded voyages x (load + crossing + unload) + empty legs x crossing
  <= the fleet's hours a year; a fleet's vessels also balance at every port (as many
  voyages leave as arrive), so cargo both ways shares the same round trips;
- `berth:N:KIND`: berth-hours at a port: calls to load (load time) and unload (unload time)
  of the fleets that use that kind there, consignments handled between land and ship on a
  sea link no fleet sails (the berth's service time each), <= berths x hours a year x
  availability, less what the port's background traffic takes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sim.errors import CorridorError
from sim.network import (FLEET_BERTHS, HANDLING_KINDS, HOURS_PER_YEAR, Network, availability, flow_unit,
                         sailing)
from sim.scenario.schema import (DECK_UNIT, LOAD_UNITS, SEA_MODES, BerthKind, Expansion, LoadUnit,
                                 Reliability, Scenario)
from sim.scenario.units import CARRIER_UNIT

MASS_UNIT = "Mt/yr"
PATH_CARRIERS = frozenset({"cargo", "oil"})  # carriers the simulator moves along fixed paths
Routing = Literal["simulated", "free"]


@dataclass(frozen=True)
class Arc:
    """A link as a directed arc: what leaves `source` arrives at `target` times `efficiency`."""

    id: str
    source: str
    target: str
    carrier: str
    efficiency: float


@dataclass(frozen=True)
class Commodity:
    """A flow, or one route of it, over the arcs it may use.

    `flow` is the scenario flow it belongs to; `share` (simulated routing) the share of the
    flow's rate its route carries at most (None: the whole flow, over any of its arcs).
    """

    id: str
    flow: str
    carrier: str
    origin: str
    destination: str
    arcs: tuple[str, ...]
    share: float | None = None


@dataclass(frozen=True)
class Entry:
    """One term of a capacity row: `coef` x (commodity `flow` on arc `arc`)."""

    flow: str
    arc: str
    coef: float


Voyage = tuple[str, ...]  # ("y", link): loaded voyages on a fleet link; ("e", fleet, a, b): empty legs


@dataclass
class Resource:
    """One capacity row: sum of entries and voyage terms <= rhs + sum(add x expansion amount).

    `id` is the link id for a link's own capacity, else `fleet:F`, `deck:L`, `node:N`,
    `berth:N:KIND` or `generation:N`, so reports can tell a binding ferry fleet from a berth.
    """

    id: str
    kind: str  # link | deck | fleet | node | berth | generation
    element: str  # the link, fleet or node it limits
    unit: str  # unit of rhs (a carrier unit, voyages, vessel-h/yr or berth-h/yr)
    rhs: float
    entries: list[Entry]
    adds: list[tuple[str, float]] = field(default_factory=list)  # (expansion id, rhs per unit)
    voyages: list[tuple[Voyage, float]] = field(default_factory=list)  # (voyage column, coefficient)
    links: tuple[str, ...] = ()  # the links it limits, beyond its entries' arcs (fleets, berths)

    def arcs(self) -> set[str]:
        return {e.arc for e in self.entries} | set(self.links)


class Partition:
    """Disjoint sets of ids (union-find with path halving). `join` merges the sets of the given
    ids into the one whose root sorts first; ids outside the partition are ignored."""

    def __init__(self, items: Iterable[str]):
        self.parent = {x: x for x in items}

    def find(self, x: str) -> str:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(self, items: Iterable[str]) -> None:
        roots = sorted({self.find(x) for x in items if x in self.parent})
        for r in roots[1:]:
            self.parent[r] = roots[0]


@dataclass
class RowIndex:
    by_arc: dict[str, list[int]]
    by_voyage: dict[Voyage, list[int]]


@dataclass(frozen=True)
class Option:
    """A candidate expansion: up to `size` (continuous) or exactly `size` or nothing (project)."""

    id: str
    asset: str  # link | node | fleet | berth
    element: str  # the link, node, fleet, or (berth) the port
    kind: str  # continuous | project
    size: float
    unit: str
    annual_cost: float  # MUSD/yr for the full size
    description: str | None
    berth: BerthKind | None = None  # the kind of berth a berth expansion adds


@dataclass(frozen=True)
class Demand:
    """What the plan must deliver: a target's figure over its flows, or an untargeted flow's rate."""

    id: str
    flows: tuple[str, ...]
    required: float
    value: float
    unit: str
    carrier: str
    is_target: bool


def crf(rate: float, years: float) -> float:
    """Capital recovery factor: the annual payment per unit of capex over `years` at `rate`."""
    if years <= 0:
        raise CorridorError("an expansion's lifetime must be positive")
    if rate == 0:
        return 1.0 / years
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


def annual_cost(e: Expansion, rate: float) -> float:
    """Annualised capex plus opex (a share of capex a year), in MUSD/yr."""
    return e.capex.value * crf(rate, e.lifetime.value / HOURS_PER_YEAR) + e.opex.value * e.capex.value


class Corridor:
    """The optimiser's view of a network, with capacities firm (x availability) or nameplate."""

    def __init__(self, network: Network, *, firm: bool = True, routing: Routing | None = None,
                 link_availability: Mapping[str, float] | None = None,
                 effective: Mapping[str, float] | None = None):
        self.network = network
        self.scenario: Scenario = network.scenario
        self.firm = firm
        self.routing: Routing = routing or self.scenario.optimiser.routing
        self.availability = {lid: v.availability * self.scheduled(self.scenario.links[lid].reliability)
                             for lid, v in network.links.items()}
        for lid, a in (link_availability or {}).items():
            if lid not in self.availability:
                raise CorridorError(f"availability: no link called {lid!r}")
            if not 0.0 <= a <= 1.0:
                raise CorridorError(f"availability of {lid!r}: expected a share in 0..1, got {a}")
            self.availability[lid] = a
        self.arcs = {lid: Arc(lid, v.source, v.target, v.carrier, v.efficiency)
                     for lid, v in network.links.items()}
        self.commodities: dict[str, Commodity] = {}
        self.parts: dict[str, list[str]] = {}  # flow -> its commodities
        for fid in self.scenario.flows:
            self.parts[fid] = [c.id for c in self._commodities(fid)]
        self.users: dict[str, list[str]] = defaultdict(list)  # arc -> commodities that may use it
        for c in self.commodities.values():
            for aid in c.arcs:
                self.users[aid].append(c.id)
        self._ends: tuple[dict[str, list[str]], dict[str, list[str]]] = (defaultdict(list), defaultdict(list))
        for aid, arc in self.arcs.items():
            self._ends[0][arc.source].append(aid)
            self._ends[1][arc.target].append(aid)
        self.fleet_links: dict[str, list[str]] = defaultdict(list)
        for lid, link in self.scenario.links.items():
            if link.fleet is not None:
                self.fleet_links[link.fleet].append(lid)
        self.legs = {fid: self._legs(lids) for fid, lids in self.fleet_links.items()}
        self.options = {eid: self._option(eid, e) for eid, e in self.scenario.expansions.items()}
        self.resources: list[Resource] = []
        self._link_rows()
        self._fleet_rows()
        self._node_rows()
        self._attach_expansions()
        self._derate(effective or {})
        attached = {eid for r in self.resources for eid, _ in r.adds}
        self.idle_options = [o.id for o in self.options.values() if o.id not in attached]
        self.resources = [r for r in self.resources if r.entries or r.voyages]
        self.demands = self._demands()
        self.group = self._carrier_groups()
        self._index: RowIndex | None = None
        self._blocks: dict[str, int] | None = None

    # --- commodities ----------------------------------------------------------------------------

    def _commodities(self, fid: str) -> list[Commodity]:
        """The flow as one commodity over its allowed arcs, or (simulated routing of a cargo or
        oil flow) one per route, each over the links the simulator lets its consignments take."""
        flow = self.scenario.flows[fid]
        if self.routing == "simulated" and flow.carrier in PATH_CARRIERS and flow.route_choice == "shares":
            routes = {rid: (r.path, r.share.value if r.share is not None else None)
                      for rid, r in (flow.routes or {}).items()} or {"path": (self._path(fid), None)}
            out = []
            for rid, (path, share) in routes.items():
                if share is None:
                    share = 1.0 / len(routes)
                if share <= 0:
                    continue
                arcs = tuple(a for u, v in zip(path, path[1:]) for a in self._step(fid, u, v))
                cid = fid if len(routes) == 1 else f"{fid}@{rid}"
                out.append(self._commodity(cid, fid, arcs, share))
            return out
        candidates = [a.id for a in self.arcs.values() if a.carrier == flow.carrier]
        if flow.routes:
            steps = {(u, v) for r in flow.routes.values() for u, v in zip(r.path, r.path[1:])}
            candidates = [a for a in candidates if (self.arcs[a].source, self.arcs[a].target) in steps]
        return [self._commodity(fid, fid, tuple(candidates), None)]

    def _commodity(self, cid: str, fid: str, arcs: Iterable[str], share: float | None) -> Commodity:
        flow = self.scenario.flows[fid]
        candidates = [self.arcs[a] for a in arcs
                      if self.arcs[a].target != flow.origin and self.arcs[a].source != flow.destination]
        ahead = _reach(candidates, flow.origin, forward=True)
        behind = _reach(candidates, flow.destination, forward=False)
        kept = tuple(dict.fromkeys(a.id for a in candidates if a.source in ahead and a.target in behind))
        c = Commodity(cid, fid, flow.carrier, flow.origin, flow.destination, kept, share)
        self.commodities[cid] = c
        return c

    def _path(self, fid: str) -> list[str]:
        """The path the simulator gives a flow without routes."""
        flow = self.scenario.flows[fid]
        if flow.carrier == "cargo":
            return self.network.cargo_path(fid)
        import networkx as nx

        g = nx.DiGraph()
        g.add_edges_from((v.source, v.target) for v in self.network.carrier_links(flow.carrier))
        try:
            return list(nx.shortest_path(g, flow.origin, flow.destination))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            raise CorridorError(f"flows.{fid}: no {flow.carrier} path from {flow.origin!r} to "
                                f"{flow.destination!r}") from None

    def _step(self, fid: str, a: str, b: str) -> list[str]:
        """The links the simulator lets flow `fid` take from `a` to `b`."""
        flow = self.scenario.flows[fid]
        if flow.carrier == "cargo":
            return self.network.step_links(a, b, DECK_UNIT[flow.consignment])
        lids = [lid for lid, v in self.network.links.items()
                if v.source == a and v.target == b and v.carrier == flow.carrier]
        return lids[:1]

    def rate(self, fid: str) -> float:
        """A flow's rate: what it can deliver at most, in simulated routing."""
        return self.scenario.flows[fid].rate.value

    # --- capacity rows --------------------------------------------------------------------------

    def _entries(self, arcs: Mapping[str, float]) -> list[Entry]:
        """Entries for every commodity that may use one of `arcs` (arc -> coefficient)."""
        return [Entry(c, a, coef) for a, coef in arcs.items() for c in self.users.get(a, ())]

    def _link_rows(self) -> None:
        for lid, view in self.network.links.items():
            if self.scenario.links[lid].capacity is None:
                continue  # sailed by its fleet alone: the fleet's rows limit it
            derate = self.availability[lid] if self.firm else 1.0
            self.resources.append(Resource(lid, "link", lid, view.unit, view.capacity * derate,
                                           self._entries({lid: 1.0})))

    def scheduled(self, rel: Reliability | None) -> float:
        """Share of the measured window (warm-up to horizon) left by scheduled outages.

        A stress case's cable cut or pipeline shut-in takes its share of the capacity out for
        its duration, so the year's mean capacity in service falls by that share of the window.
        """
        sim = self.scenario.simulation
        start, end = sim.warmup.value, sim.horizon.value
        if rel is None or not rel.outages or end <= start:
            return 1.0
        lost = sum(o.share.value * max(0.0, min(o.start.value + o.duration.value, end)
                                       - max(o.start.value, start)) for o in rel.outages)
        return max(0.0, 1.0 - lost / (end - start))

    def fleet_hours(self, fid: str) -> float:
        """Vessel-hours a year the fleet offers: after its own availability when firm."""
        if self.firm:
            return self.network.fleet_hours(fid) * self.scheduled(self.scenario.fleets[fid].reliability)
        return self.scenario.fleets[fid].vessels.value * HOURS_PER_YEAR

    def hours_per_vessel(self, fid: str) -> float:
        """Vessel-hours a year one more vessel adds to a fleet."""
        rel = self.scenario.fleets[fid].reliability
        return HOURS_PER_YEAR * (availability(rel, None) * self.scheduled(rel) if self.firm else 1.0)

    def voyages_per_mt(self, cid: str, lid: str) -> float:
        """Loaded voyages on fleet link `lid` to carry 1 Mt of commodity `cid`: one vessel's
        deck in the flow's unit (its capacity, or the `deck` figure for another unit)."""
        s = self.scenario
        fleet = s.fleets[s.links[lid].fleet or ""]
        flow = s.flows[self.commodities[cid].flow]
        unit: LoadUnit = DECK_UNIT[flow.consignment]
        main = LOAD_UNITS.get(fleet.capacity.kind)
        if main is None or unit == "t" or not fleet.carries(unit):
            tonnes = self.network.voyage_t(fleet)
        elif unit == main:
            tonnes = fleet.capacity.value * s.payload_t(unit)
        else:
            tonnes = fleet.deck[unit].value * s.payload_t(unit)
        return 1e6 / tonnes

    def _legs(self, lids: list[str]) -> dict[tuple[str, str], float]:
        """Hours of an empty leg between two ports a fleet's links join, either way."""
        legs: dict[tuple[str, str], float] = {}
        for lid in lids:
            link = self.scenario.links[lid]
            h = sailing(link)[1].mean
            legs.setdefault((link.from_, link.to), h)
        for lid in lids:
            link = self.scenario.links[lid]
            legs.setdefault((link.to, link.from_), legs[(link.from_, link.to)])
        return legs

    def _fleet_rows(self) -> None:
        """Deck rows per fleet link and a vessel-hours row per fleet."""
        s = self.scenario
        for fid, lids in self.fleet_links.items():
            fleet = s.fleets[fid]
            rhs = self.fleet_hours(fid)
            terms: list[tuple[Voyage, float]] = []
            for lid in lids:
                derate = self.availability[lid] if self.firm else 1.0
                if derate <= 0:
                    continue  # a link never open carries nothing
                entries = [Entry(c, lid, self.voyages_per_mt(c, lid)) for c in self.users.get(lid, ())]
                self.resources.append(Resource(f"deck:{lid}", "deck", lid, "voyages/yr", 0.0, entries,
                                               voyages=[(("y", lid), -1.0)]))
                hours = fleet.load.mean + sailing(s.links[lid])[1].mean + fleet.unload.mean
                terms.append((("y", lid), hours / derate))
                background = s.links[lid].background
                if background is not None:
                    rhs -= self.network.vessel_hours_per_mt(lid) * background.value
            terms += [(("e", fid, a, b), h) for (a, b), h in self.legs[fid].items()]
            self.resources.append(Resource(f"fleet:{fid}", "fleet", fid, "vessel-h/yr", max(rhs, 0.0), [],
                                           voyages=terms, links=tuple(lids)))

    def node_availability(self, nid: str) -> float:
        rel = self.scenario.nodes[nid].reliability
        return availability(rel, None) * self.scheduled(rel) if self.firm else 1.0

    def _node_rows(self) -> None:
        for nid, node in self.scenario.nodes.items():
            derate = self.node_availability(nid)
            if node.capacity is not None:
                cap, unit = self.network.flow_rate(node.capacity), flow_unit(node.capacity)
                self.resources.append(Resource(f"node:{nid}", "node", nid, unit, cap * derate,
                                               self._throughput(nid, unit)))
            if node.port is not None:
                self._berth_rows(nid, derate)
            if node.generation is not None:
                gen = node.generation
                rhs = gen.capacity.value * (gen.capacity_factor.value if self.firm else 1.0)
                rhs += sum(p.capacity.value * (p.availability.value if self.firm else 1.0)  # dispatchable plants
                           for p in node.plants.values())
                entries = [Entry(c, a, 1.0) for a in self._out_of(nid) for c in self.users.get(a, ())
                           if self.commodities[c].origin == nid and self.commodities[c].carrier == "power"]
                self.resources.append(Resource(f"generation:{nid}", "generation", nid, "GW",
                                               rhs, entries))

    def _berth_rows(self, nid: str, derate: float) -> None:
        """Berth-hours a year at a port, by kind of berth: vessel calls and handled consignments."""
        s = self.scenario
        port = s.nodes[nid].port
        assert port is not None
        terms: dict[BerthKind, list[tuple[Voyage, float]]] = defaultdict(list)
        links: dict[BerthKind, list[str]] = defaultdict(list)
        for lid, link in s.links.items():
            if link.fleet is None or nid not in (link.from_, link.to):
                continue
            fleet = s.fleets[link.fleet]
            kind = self.network.berth_kind(nid, FLEET_BERTHS[fleet.kind])
            if kind is not None:
                terms[kind].append((("y", lid), fleet.load.mean if link.from_ == nid else fleet.unload.mean))
                links[kind].append(lid)
        entries: dict[BerthKind, list[Entry]] = defaultdict(list)
        kind = self.network.berth_kind(nid, HANDLING_KINDS)
        if kind is not None:
            service = port.berths[kind].service.mean
            for a in self._out_of(nid) + self._into(nid):
                link = s.links[a]
                if link.fleet is None and link.mode in SEA_MODES and link.carrier == "cargo":
                    for c in self.users.get(a, ()):
                        flow = s.flows[self.commodities[c].flow]
                        per_mt = 1e6 / (s.payload_t(flow.consignment) * flow.batch)
                        entries[kind].append(Entry(c, a, service * per_mt))
        for kind, berth in port.berths.items():
            if not terms[kind] and not entries[kind]:
                continue
            busy = sum(t.rate.value * 1e6 / t.call.value * berth.service.mean
                       for t in port.traffic.values() if t.berth == kind)
            rhs = max(berth.count.value * HOURS_PER_YEAR * derate - busy, 0.0)
            self.resources.append(Resource(f"berth:{nid}:{kind}", "berth", nid, "berth-h/yr", rhs,
                                           entries[kind], voyages=terms[kind], links=tuple(links[kind])))

    def _out_of(self, nid: str) -> list[str]:
        return self._ends[0].get(nid, [])

    def _into(self, nid: str) -> list[str]:
        return self._ends[1].get(nid, [])

    def _throughput(self, nid: str, unit: str) -> list[Entry]:
        """A node's throughput: what a flow sends out where it starts, else what arrives."""
        out = []
        for a in self._out_of(nid):
            out += [Entry(c, a, 1.0) for c in self.users.get(a, ())
                    if self.commodities[c].origin == nid and CARRIER_UNIT[self.commodities[c].carrier] == unit]
        for a in self._into(nid):
            out += [Entry(c, a, self.arcs[a].efficiency) for c in self.users.get(a, ())
                    if self.commodities[c].origin != nid and CARRIER_UNIT[self.commodities[c].carrier] == unit]
        return out

    # --- expansions -----------------------------------------------------------------------------

    def _option(self, eid: str, e: Expansion) -> Option:
        rate = self.scenario.optimiser.discount_rate.value
        asset, element = e.asset()
        unit: str | None
        if e.berth is not None:
            return Option(eid, "berth", element, e.kind, e.size.value, "berths", annual_cost(e, rate),
                          e.description, e.berth)
        if asset == "fleet":
            unit = "vessels"
        elif asset == "link":
            unit = CARRIER_UNIT[self.scenario.links[element].carrier]
            if self.scenario.links[element].capacity is None:
                raise CorridorError(f"expansions.{eid}: link {element!r} is sailed by a fleet and has "
                                    "no capacity of its own; expand the fleet instead")
        else:
            unit = self._node_unit(element)
        if e.size.kind == "count" and asset != "fleet":
            raise CorridorError(f"expansions.{eid}.size: a {asset} expansion is a capacity in "
                                f"{unit or 'its carrier unit'}, got {e.size.text!r}")
        if unit is not None and e.size.unit != unit and asset != "fleet":
            raise CorridorError(f"expansions.{eid}.size: node {element!r} is limited in {unit}, "
                                f"got {e.size.text!r}")
        cost = annual_cost(e, rate)
        if e.plant is not None:  # a plant here runs at its availability: its fuel a year, MUSD
            cost += e.size.value * e.plant.availability.value * HOURS_PER_YEAR * e.plant.fuel_cost.value / 1000.0
        return Option(eid, asset, element, e.kind, e.size.value, unit or e.size.unit, cost, e.description)

    def _node_unit(self, nid: str) -> str | None:
        node = self.scenario.nodes[nid]
        if node.capacity is not None:
            return flow_unit(node.capacity)
        if node.generation is not None:
            return "GW"
        if node.port is not None:
            raise CorridorError(f"node {nid!r} has no capacity of its own, only berths: expand them "
                                f"with `node: {nid}` and `berth: KIND` (a number of berths)")
        return None

    def _attach_expansions(self) -> None:
        rows: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            rows[r.kind, r.element].append(r)
        for o in self.options.values():
            if o.asset == "link":
                for r in rows["link", o.element]:
                    r.adds.append((o.id, self.availability[o.element] if self.firm else 1.0))
            elif o.asset == "fleet":
                for r in rows["fleet", o.element]:
                    r.adds.append((o.id, self.hours_per_vessel(o.element)))
            elif o.asset == "berth":
                for r in rows["berth", o.element]:
                    if r.id == f"berth:{o.element}:{o.berth}":
                        r.adds.append((o.id, HOURS_PER_YEAR * self.node_availability(o.element)))
            else:
                e = self.scenario.expansions[o.id]
                if e.store is not None:  # energy-neutral on average (and lossy): sized by `sim.optimiser.firm`
                    continue
                if e.plant is not None:
                    for r in rows["generation", o.element]:
                        r.adds.append((o.id, e.plant.availability.value if self.firm else 1.0))
                    continue
                for r in rows["node", o.element]:
                    if r.unit == o.unit:
                        r.adds.append((o.id, self.node_availability(o.element)))
                gen = self.scenario.nodes[o.element].generation
                for r in rows["generation", o.element]:
                    r.adds.append((o.id, gen.capacity_factor.value if gen is not None and self.firm else 1.0))

    def _derate(self, effective: Mapping[str, float]) -> None:
        """Scale named rows' capacity (and what their expansions add) by a factor in (0, 1]: the
        share of it the simulation found usable (queues, departure rules, storms)."""
        rows = {r.id: r for r in self.resources}
        for rid, factor in effective.items():
            if rid not in rows:
                raise CorridorError(f"effective capacity: no capacity row called {rid!r}; "
                                    f"expected one of {', '.join(sorted(rows))}")
            if not 0.0 < factor <= 1.0:
                raise CorridorError(f"effective capacity of {rid!r}: expected a factor in (0, 1], got {factor}")
            r = rows[rid]
            r.rhs *= factor
            r.adds = [(eid, k * factor) for eid, k in r.adds]

    # --- demands and groups ---------------------------------------------------------------------

    def _demands(self) -> list[Demand]:
        out = []
        targeted: set[str] = set()
        for tid, t in self.scenario.targets.items():
            flows = tuple(dict.fromkeys(t.flows))
            targeted.update(flows)
            out.append(Demand(tid, flows, t.value.value * (1.0 - t.tolerance.value), t.value.value,
                              t.value.unit, t.carrier, True))
        for fid, f in self.scenario.flows.items():
            if fid not in targeted:
                out.append(Demand(f"flow:{fid}", (fid,), f.rate.value, f.rate.value, f.rate.unit,
                                  f.carrier, False))
        return out

    def targets(self) -> list[Demand]:
        return [d for d in self.demands if d.is_target]

    def _carrier_groups(self) -> dict[str, str]:
        """Carrier -> a representative carrier of the carriers sharing some row with it."""
        parent = {c: c for c in CARRIER_UNIT}

        def find(c: str) -> str:
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        for r in self.resources:
            carriers = {self.commodities[c].carrier for a in r.arcs() for c in self.users.get(a, ())}
            if not carriers:
                continue
            first, *rest = sorted(carriers)
            for c in rest:
                parent[find(c)] = find(first)
        return {c: find(c) for c in CARRIER_UNIT}

    def capacity_of(self, resource: Resource, amounts: Mapping[str, float]) -> float:
        """A row's right-hand side with the given expansion amounts built."""
        return resource.rhs + sum(k * amounts.get(eid, 0.0) for eid, k in resource.adds)

    def row_index(self) -> RowIndex:
        """Positions of the capacity rows by arc and by voyage column (built once)."""
        if self._index is None:
            self._index = RowIndex(defaultdict(list), defaultdict(list))
            for i, r in enumerate(self.resources):
                for a in r.arcs():
                    self._index.by_arc[a].append(i)
                for key, _ in r.voyages:
                    self._index.by_voyage[key].append(i)
        return self._index

    def flow_blocks(self, flows: Iterable[str], demands: Iterable[Demand]) -> dict[str, int]:
        """Each of `flows` -> its block, numbered in the order of `flows`: two of them share a
        block when one of `demands` or one capacity row holds both (linked through `flows` only)."""
        sets = Partition(flows)
        for d in demands:
            sets.join(d.flows)
        for r in self.resources:
            sets.join({self.commodities[c].flow for a in r.arcs() for c in self.users.get(a, ())})
        number: dict[str, int] = {}
        return {f: number.setdefault(sets.find(f), len(number)) for f in sets.parent}

    def blocks(self) -> dict[str, int]:
        """Flow -> its block over every flow and demand (built once).

        Blocks are independent LPs: a demand's bound with others held at their levels depends only
        on the demands of its own block (the others' levels being reachable, as they are)."""
        if self._blocks is None:
            self._blocks = self.flow_blocks(self.parts, self.demands)
        return self._blocks

    def rows_by_arc(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = defaultdict(list)
        for r in self.resources:
            for a in r.arcs():
                out[a].append(r)
        return out


def _reach(arcs: list[Arc], start: str, *, forward: bool) -> set[str]:
    """Nodes reachable from `start` along `arcs` (or against them when not forward)."""
    nxt: dict[str, list[str]] = defaultdict(list)
    for a in arcs:
        u, v = (a.source, a.target) if forward else (a.target, a.source)
        nxt[u].append(v)
    seen, queue = {start}, deque([start])
    while queue:
        for v in nxt[queue.popleft()]:
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return seen
