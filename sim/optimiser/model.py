"""The corridor as the optimiser sees it: arcs, capacity rows, demands and expansion options.

Everything here is plain data computed once from a `Network`: which links each flow may use,
every capacity constraint as a list of (flow, arc, coefficient) entries with its right-hand
side in firm (availability-derated) or nameplate terms, and the candidate expansions with their
annualised cost. The LP families in `formulation.py` only read this.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from sim.errors import CorridorError
from sim.network import BERTH_FLEETS, HOURS_PER_YEAR, Network, availability, flow_unit
from sim.scenario.schema import BerthKind, Expansion, Reliability, Scenario
from sim.scenario.units import CARRIER_UNIT

MASS_UNIT = "Mt/yr"


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
    """A scenario flow routed over the arcs it may use (its routes, or every arc of its carrier)."""

    id: str
    carrier: str
    origin: str
    destination: str
    arcs: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One term of a capacity row: `coef` x (flow `flow` on arc `arc`)."""

    flow: str
    arc: str
    coef: float


@dataclass
class Resource:
    """One capacity row: sum of entries <= rhs + sum(add x expansion amount).

    `id` is the link id for a link's own capacity, else `fleet:F`, `node:N`, `berth:N:KIND` or
    `generation:N`, so reports can tell a binding ferry fleet from a binding berth.
    """

    id: str
    kind: str  # link | fleet | node | berth | generation
    element: str  # the link, fleet or node it limits
    unit: str  # unit of rhs (a carrier unit, or vessel-h/yr for a fleet)
    rhs: float
    entries: list[Entry]
    adds: list[tuple[str, float]] = field(default_factory=list)  # (expansion id, rhs per unit)

    def arcs(self) -> set[str]:
        return {e.arc for e in self.entries}


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

    def __init__(self, network: Network, *, firm: bool = True,
                 link_availability: Mapping[str, float] | None = None,
                 effective: Mapping[str, float] | None = None):
        self.network = network
        self.scenario: Scenario = network.scenario
        self.firm = firm
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
        self.commodities = {fid: self._commodity(fid) for fid in self.scenario.flows}
        self.options = {eid: self._option(eid, e) for eid, e in self.scenario.expansions.items()}
        self.resources: list[Resource] = []
        self._link_rows()
        self._fleet_rows()
        self._node_rows()
        self._attach_expansions()
        self._derate(effective or {})
        attached = {eid for r in self.resources for eid, _ in r.adds}
        self.idle_options = [o.id for o in self.options.values() if o.id not in attached]
        self.resources = [r for r in self.resources if r.entries]
        self.demands = self._demands()
        self.group = self._carrier_groups()

    # --- commodities ----------------------------------------------------------------------------

    def _commodity(self, fid: str) -> Commodity:
        flow = self.scenario.flows[fid]
        candidates = [a for a in self.arcs.values() if a.carrier == flow.carrier]
        if flow.routes:
            steps = {(a, b) for r in flow.routes.values() for a, b in zip(r.path, r.path[1:])}
            candidates = [a for a in candidates if (a.source, a.target) in steps]
        candidates = [a for a in candidates
                      if a.target != flow.origin and a.source != flow.destination]
        ahead = _reach(candidates, flow.origin, forward=True)
        behind = _reach(candidates, flow.destination, forward=False)
        arcs = tuple(a.id for a in candidates if a.source in ahead and a.target in behind)
        return Commodity(fid, flow.carrier, flow.origin, flow.destination, arcs)

    # --- capacity rows --------------------------------------------------------------------------

    def _entries(self, arcs: Mapping[str, float]) -> list[Entry]:
        """Entries for every commodity that may use one of `arcs` (arc -> coefficient)."""
        return [Entry(c.id, a, coef) for c in self.commodities.values() for a in c.arcs
                if (coef := arcs.get(a)) is not None]

    def _link_rows(self) -> None:
        for lid, view in self.network.links.items():
            if self.scenario.links[lid].capacity is None:
                continue  # sailed by its fleet alone: the fleet row limits it
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

    def _fleet_rows(self) -> None:
        for fid in self.scenario.fleets:
            coefs: dict[str, float] = {}
            rhs = self.fleet_hours(fid)
            for lid, link in self.scenario.links.items():
                if link.fleet != fid:
                    continue
                derate = self.availability[lid] if self.firm else 1.0
                if derate <= 0:
                    continue  # a link never open carries nothing
                coefs[lid] = self.network.vessel_hours_per_mt(lid) / derate
                if link.background is not None:
                    rhs -= coefs[lid] * link.background.value
            self.resources.append(Resource(f"fleet:{fid}", "fleet", fid, "vessel-h/yr",
                                           max(rhs, 0.0), self._entries(coefs)))

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
            elif node.port is not None:
                for kind, berth_cap in self.network.port_capacity(nid).items():
                    arcs = {lid: 1.0 for lid, l in self.scenario.links.items()
                            if l.fleet is not None and nid in (l.from_, l.to)
                            and self.scenario.fleets[l.fleet].kind in BERTH_FLEETS[kind]}
                    self.resources.append(Resource(f"berth:{nid}:{kind}", "berth", nid, MASS_UNIT,
                                                   berth_cap * derate, self._entries(arcs)))
            if node.generation is not None:
                gen = node.generation
                rhs = gen.capacity.value * (gen.capacity_factor.value if self.firm else 1.0)
                entries = [Entry(c.id, a, 1.0) for c in self.commodities.values()
                           if c.origin == nid and c.carrier == "power"
                           for a in c.arcs if self.arcs[a].source == nid]
                self.resources.append(Resource(f"generation:{nid}", "generation", nid, "GW",
                                               rhs, entries))

    def _throughput(self, nid: str, unit: str) -> list[Entry]:
        """A node's throughput: what a flow sends out where it starts, else what arrives."""
        out = []
        for c in self.commodities.values():
            if CARRIER_UNIT[c.carrier] != unit:
                continue
            for a in c.arcs:
                arc = self.arcs[a]
                if c.origin == nid and arc.source == nid:
                    out.append(Entry(c.id, a, 1.0))
                elif c.origin != nid and arc.target == nid:
                    out.append(Entry(c.id, a, arc.efficiency))
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
        return Option(eid, asset, element, e.kind, e.size.value, unit or e.size.unit,
                      annual_cost(e, rate), e.description)

    def _node_unit(self, nid: str) -> str | None:
        node = self.scenario.nodes[nid]
        if node.capacity is not None:
            return flow_unit(node.capacity)
        if node.generation is not None:
            return "GW"
        return MASS_UNIT if node.port is not None else None

    def _attach_expansions(self) -> None:
        for o in self.options.values():
            for r in self.resources:
                if o.asset == "link" and r.kind == "link" and r.element == o.element:
                    r.adds.append((o.id, self.availability[o.element] if self.firm else 1.0))
                elif o.asset == "fleet" and r.kind == "fleet" and r.element == o.element:
                    r.adds.append((o.id, self.hours_per_vessel(o.element)))
                elif o.asset == "berth" and o.berth is not None and r.id == f"berth:{o.element}:{o.berth}":
                    per_berth = self.network.port_capacity(o.element)[o.berth] / self._berths(o)
                    r.adds.append((o.id, per_berth * self.node_availability(o.element)))
                elif o.asset == "node" and r.kind in ("node", "berth") and r.element == o.element:
                    if r.unit == o.unit:
                        r.adds.append((o.id, self.node_availability(o.element)))
                elif o.asset == "node" and r.kind == "generation" and r.element == o.element:
                    gen = self.scenario.nodes[o.element].generation
                    factor = gen.capacity_factor.value if gen is not None and self.firm else 1.0
                    r.adds.append((o.id, factor))

    def _berths(self, o: Option) -> float:
        port = self.scenario.nodes[o.element].port
        assert port is not None and o.berth is not None  # the checks ensure both
        return port.berths[o.berth].count.value

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
            carriers = {self.commodities[e.flow].carrier for e in r.entries}
            first, *rest = sorted(carriers)
            for c in rest:
                parent[find(c)] = find(first)
        return {c: find(c) for c in CARRIER_UNIT}

    def capacity_of(self, resource: Resource, amounts: Mapping[str, float]) -> float:
        """A row's right-hand side with the given expansion amounts built."""
        return resource.rhs + sum(k * amounts.get(eid, 0.0) for eid, k in resource.adds)

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
