"""The scenario as a network: a networkx multigraph whose edges are links, with every capacity
converted to its carrier's flow unit (Mt/yr, GW, Tbps).

The optimiser, the simulator and the report all read capacities from here, so a ferry's
annual capacity or a cable's availability is computed in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import networkx as nx

from sim.errors import CorridorError
from sim.scenario import units
from sim.scenario.distributions import Distribution
from sim.scenario.schema import (LOAD_UNITS, BerthKind, Figure, Fleet, FleetKind, Link, LoadUnit, Node,
                                 Reliability, Scenario)

HOURS_PER_YEAR = 8766.0  # pint's year: 365.25 days
TWH_PER_GW = HOURS_PER_YEAR / 1000.0  # a mean GW over a year, in TWh
# Berth kinds each sort of vessel uses at a port, in order of preference: the first the port has.
FLEET_BERTHS: dict[FleetKind, tuple[BerthKind, ...]] = {
    "ferry": ("ferry", "roro"),
    "roro": ("roro", "ferry"),
    "container_ship": ("container",),
    "bulk": ("dry", "grain"),
    "tanker": ("oil",),
}
# Berths that move cargo between land and a ship on a sea link no fleet sails, by preference.
HANDLING_KINDS: tuple[BerthKind, ...] = ("container", "dry", "grain", "roro", "ferry")


@dataclass(frozen=True)
class LinkView:
    """A link as the optimiser and the report see it, in its carrier's flow unit."""

    id: str
    source: str
    target: str
    carrier: str
    mode: str
    unit: str
    nameplate: float  # capacity before background use and outages
    capacity: float  # nameplate less the background flow it also carries
    efficiency: float  # delivered / sent (power losses); 1 for the others
    availability: float  # mean share of capacity in service (failures, repairs, maintenance)
    transit_h: float | None
    length_km: float | None
    fleet: str | None

    @property
    def firm(self) -> float:
        return self.capacity * self.availability


class Network:
    """A scenario's nodes and links, with capacities in each carrier's unit."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.graph = nx.MultiDiGraph(name=scenario.name)
        for nid, node in scenario.nodes.items():
            self.graph.add_node(nid, **_node_attrs(node), capacity=self.node_capacity(nid))
        self.links: dict[str, LinkView] = {}
        self._cargo_between: dict[tuple[str, str], list[str]] | None = None  # (from, to) -> cargo links, file order
        self._cargo_graph: nx.DiGraph | None = None  # cargo links by mean transit time, for cargo_path
        for lid, link in scenario.links.items():
            view = self._view(lid, link)
            self.links[lid] = view
            self.graph.add_edge(link.from_, link.to, key=lid, **view.__dict__)

    # --- capacities ---------------------------------------------------------------------------

    def node_capacity(self, nid: str) -> float | None:
        """A node's throughput limit in its carrier's unit (None: no limit of its own)."""
        cap = self.scenario.nodes[nid].capacity
        return None if cap is None else self.flow_rate(cap)

    def flow_rate(self, fig: Figure) -> float:
        """A capacity figure in its flow unit; trains per day become Mt/yr via the payload."""
        if fig.kind == "train_rate":
            return fig.value * self.scenario.payload_t("train") * 365.25 / 1e6
        return fig.value

    def voyage_t(self, fleet: Fleet) -> float:
        """Tonnes one vessel carries per voyage."""
        cap = fleet.capacity
        unit = LOAD_UNITS.get(cap.kind)
        return cap.value * (self.scenario.payload_t(unit) if unit else 1.0)

    def cycle_h(self, link: Link) -> float:
        """Mean hours of one round trip on a fleet link: load, sail, unload, sail back."""
        fid, transit = sailing(link)
        fleet = self.scenario.fleets[fid]
        return fleet.load.mean + fleet.unload.mean + 2 * transit.mean

    def vessel_hours_per_mt(self, lid: str) -> float:
        """Vessel-hours a fleet spends to carry 1 Mt on this link (the fleet's shared budget)."""
        link = self.scenario.links[lid]
        fid, _ = sailing(link)
        return self.cycle_h(link) / (self.voyage_t(self.scenario.fleets[fid]) / 1e6)

    def fleet_hours(self, fid: str) -> float:
        """Vessel-hours a fleet has in a year, after its own availability."""
        fleet = self.scenario.fleets[fid]
        return fleet.vessels.value * HOURS_PER_YEAR * availability(fleet.reliability, None)

    def berth_kind(self, nid: str, kinds: tuple[BerthKind, ...]) -> BerthKind | None:
        """The first of `kinds` the port at `nid` has berths of (None: no such berths, no limit)."""
        port = self.scenario.nodes[nid].port
        return next((k for k in kinds if port is not None and k in port.berths), None)

    # --- where cargo goes (the cargo simulation routes by these) ------------------------------

    def cargo_path(self, fid: str) -> list[str]:
        """The nodes a cargo flow without routes passes: the shortest path by mean transit time
        over cargo links (a link without a transit time counts 0 h)."""
        flow = self.scenario.flows[fid]
        if self._cargo_graph is None:
            self._cargo_graph = g = nx.DiGraph()
            for link in self.scenario.links.values():
                if link.carrier != "cargo":
                    continue
                w = link.transit.mean if link.transit is not None else 0.0
                if not g.has_edge(link.from_, link.to) or g[link.from_][link.to]["weight"] > w:
                    g.add_edge(link.from_, link.to, weight=w)
        g = self._cargo_graph
        try:
            return list(nx.shortest_path(g, flow.origin, flow.destination, weight="weight"))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            raise CorridorError(f"flows.{fid}: no cargo link path from {flow.origin!r} to "
                                f"{flow.destination!r}; add links or give routes") from None

    def links_between(self, a: str, b: str, unit: LoadUnit) -> list[str]:
        """The cargo links from `a` to `b` in file order that take cargo travelling as `unit`
        (a link sailed by a fleet whose vessels carry it, or any other)."""
        if self._cargo_between is None:
            self._cargo_between = {}
            for lid, link in self.scenario.links.items():
                if link.carrier == "cargo":
                    self._cargo_between.setdefault((link.from_, link.to), []).append(lid)
        links = self.scenario.links
        lids = [lid for lid in self._cargo_between.get((a, b), ()) if self.scenario.takes(links[lid], unit)]
        if not lids:
            raise CorridorError(f"no cargo link from {a!r} to {b!r} takes {unit} consignments")
        return lids

    def step_links(self, a: str, b: str, unit: LoadUnit) -> list[str]:
        """The links a consignment may take from `a` to `b`: every fleet that sails there and takes
        its unit (it boards the one expected to carry it across soonest), else the first link."""
        lids = self.links_between(a, b, unit)
        links = self.scenario.links
        if links[lids[0]].fleet is not None:
            return [lid for lid in lids if links[lid].fleet is not None]
        return lids[:1]

    def _view(self, lid: str, link: Link) -> LinkView:
        length = link.length.value if link.length else None
        if link.capacity is not None:
            nameplate = self.flow_rate(link.capacity)
        else:  # sailed by a fleet alone
            fid, _ = sailing(link)
            nameplate = self.fleet_hours(fid) / self.vessel_hours_per_mt(lid)
            nameplate /= availability(self.scenario.fleets[fid].reliability, None)
        background = link.background.value if link.background else 0.0
        return LinkView(
            id=lid, source=link.from_, target=link.to, carrier=link.carrier, mode=link.mode,
            unit=units.CARRIER_UNIT[link.carrier], nameplate=nameplate,
            capacity=max(nameplate - background, 0.0), efficiency=efficiency(link),
            availability=availability(link.reliability, length),
            transit_h=link.transit.mean if link.transit else None, length_km=length,
            fleet=link.fleet,
        )

    def carrier_links(self, carrier: str) -> list[LinkView]:
        return [v for v in self.links.values() if v.carrier == carrier]

    def summary(self) -> dict[str, Any]:
        """Counts and total capacities by carrier, for `corridor show`."""
        out: dict[str, Any] = {}
        for v in self.links.values():
            row = out.setdefault(v.carrier, {"links": 0, "unit": v.unit, "capacity": 0.0,
                                             "modes": set()})
            row["links"] += 1
            row["capacity"] += v.capacity
            row["modes"].add(v.mode)
        return out


def flow_unit(capacity: Figure) -> str:
    """The flow unit of a capacity figure: its own, or Mt/yr for trains per day."""
    return "Mt/yr" if capacity.kind == "train_rate" else capacity.unit


def sailing(link: Link) -> tuple[str, Distribution]:
    """The fleet that sails a link and the link's transit time (checks require both together)."""
    if link.fleet is None or link.transit is None:
        raise ValueError(f"link {link.from_} -> {link.to} is not sailed by a fleet")
    return link.fleet, link.transit


def efficiency(link: Link) -> float:
    """Share of what enters a link that leaves it: line losses per 1000 km, one converter each end."""
    eff = 1.0
    if link.loss_per_1000km is not None and link.length is not None:
        eff *= max(1.0 - link.loss_per_1000km.value * link.length.value / 1000.0, 0.0)
    if link.converter_loss is not None:
        eff *= (1.0 - link.converter_loss.value) ** 2
    return eff


def failure_rate_per_year(rel: Reliability, length_km: float | None) -> float:
    """Failures per year of the whole link (a per-km rate is scaled by the length)."""
    rate = rel.failure_rate.value
    if rel.failure_rate.kind == "frequency_per_length":
        rate *= length_km or 0.0
    return rate


def availability(rel: Reliability | None, length_km: float | None) -> float:
    """Mean share of capacity in service: each of `units` parts is a repairable unit with
    availability mu / (lambda_unit + mu), less the planned maintenance share."""
    if rel is None:
        return 1.0
    lam = failure_rate_per_year(rel, length_km) / rel.units
    if lam > 0 and rel.repair is None:
        raise ValueError("random failures need a repair time")  # checks reject such a scenario
    a = 1.0 if lam == 0 or rel.repair is None else 1.0 / (1.0 + lam * rel.repair.mean / HOURS_PER_YEAR)
    if rel.maintenance is not None:
        m = rel.maintenance
        a *= 1.0 - m.share.value * min(m.duration.value / m.every.value, 1.0)
    return a


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points in degrees (a sphere of 6371 km)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _node_attrs(node: Node) -> dict[str, Any]:
    return {"kind": node.kind, "name": node.name, "country": node.country, "lon": node.lon,
            "lat": node.lat}


def build_network(scenario: Scenario) -> Network:
    return Network(scenario)
