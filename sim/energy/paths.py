"""Paths of power and data flows: the links and limiting nodes a flow can pass through, in order.

An element is a link or a node that limits or fails (a converter station, a landing station
with its own capacity or reliability): the power it can take in (`capacity`) and the share of
it that leaves (`efficiency`; 1 for nodes and for data). A path is a flow's elements from its
origin, in order. A flow's candidate paths are its routes, each parallel link between two route
nodes a separate path, or every simple path of its carrier when it has none; most efficient
first.

The priority path-filling rule (`sim.energy.dispatch.fill_paths`) equals the max-flow with
losses when every flow has one path, or when a flow's alternative paths share only the parts
common to all of them (parallel cables between two stations) and no other flow uses their
separate parts (`greedy_is_exact`). Any other network is "meshed".
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass

import networkx as nx

from sim.errors import CorridorError
from sim.network import Network
from sim.scenario.schema import Scenario

MAX_PATHS = 32

Hop = tuple[str, str, str]  # (from node, to node, link id)


@dataclass(frozen=True)
class Element:
    """A link or node on a path: the power it can take in, and the share of it that leaves."""

    key: str  # "link:<id>" or "node:<id>"
    capacity: float
    efficiency: float = 1.0

    @property
    def id(self) -> str:
        return self.key.split(":", 1)[1]


@dataclass(frozen=True)
class Path:
    """One way a flow can go: its elements in order from the origin."""

    flow: str
    origin: str
    elements: tuple[Element, ...]

    @property
    def efficiency(self) -> float:
        return math.prod(e.efficiency for e in self.elements)

    @property
    def entering(self) -> list[float]:
        """Power entering each element per unit sent into the path: the efficiencies before it."""
        out, g = [], 1.0
        for e in self.elements:
            out.append(g)
            g *= e.efficiency
        return out

    @property
    def gains(self) -> list[float]:
        """Share of the power entering each element that reaches the destination."""
        out, g = [], 1.0
        for e in reversed(self.elements):
            g *= e.efficiency
            out.append(g)
        return out[::-1]


def node_elements(scenario: Scenario, network: Network, nid: str, carrier: str) -> list[Element]:
    """A node as a path element when it limits or fails (a converter station); none otherwise.
    A failing node without its own capacity is as large as the links leaving (or entering) it."""
    node = scenario.nodes[nid]
    if node.capacity is None and node.reliability is None:
        return []
    cap = network.node_capacity(nid)
    if cap is None:
        out = [v.nameplate for v in network.links.values() if v.carrier == carrier and v.source == nid]
        inn = [v.nameplate for v in network.links.values() if v.carrier == carrier and v.target == nid]
        cap = sum(out) or sum(inn)
    return [Element(f"node:{nid}", cap)]


def flow_paths(scenario: Scenario, network: Network, fid: str, max_paths: int = MAX_PATHS) -> list[Path]:
    """A flow's candidate paths, most efficient first: its routes (each parallel link between
    two route nodes a separate path), or every simple path of its carrier when it has none."""
    flow = scenario.flows[fid]
    edge_paths = _edge_paths(scenario, network, fid, max_paths)
    if not edge_paths:
        raise CorridorError(f"flows.{fid}: no {flow.carrier} path from {flow.origin!r} to {flow.destination!r}")
    gen_origin = scenario.nodes[flow.origin].generation is not None
    paths = []
    for ep in edge_paths:
        elements: list[Element] = []
        for i, (a, _, lid) in enumerate(ep):
            if i > 0 or not gen_origin:
                elements += node_elements(scenario, network, a, flow.carrier)
            view = network.links[lid]
            elements.append(Element(f"link:{lid}", view.capacity, view.efficiency))
        elements += node_elements(scenario, network, ep[-1][1], flow.carrier)
        paths.append(Path(fid, flow.origin, tuple(elements)))
    paths.sort(key=lambda p: (-p.efficiency, len(p.elements)))
    return paths[:max_paths]


def _edge_paths(scenario: Scenario, network: Network, fid: str, max_paths: int) -> list[list[Hop]]:
    """The flow's paths as hops: along its routes, or every simple path of its carrier."""
    flow = scenario.flows[fid]
    graph = nx.MultiDiGraph()
    graph.add_edges_from((v.source, v.target, v.id) for v in network.links.values()
                         if v.carrier == flow.carrier)
    if flow.routes:
        edge_paths: list[list[Hop]] = []
        for route in flow.routes.values():
            hops = [[(a, b, k) for k in graph.get_edge_data(a, b, default={})]
                    for a, b in zip(route.path, route.path[1:])]
            edge_paths += [list(p) for p in itertools.product(*hops)]
        return edge_paths
    if flow.origin not in graph or flow.destination not in graph:
        return []
    edge_paths = []
    for p in nx.all_simple_edge_paths(graph, flow.origin, flow.destination):
        edge_paths.append(p)
        if len(edge_paths) > 50 * max_paths:
            raise CorridorError(f"flows.{fid}: too many {flow.carrier} paths from {flow.origin!r} "
                                f"to {flow.destination!r}; give the flow routes")
    return edge_paths


def greedy_is_exact(paths: dict[str, list[Path]]) -> bool:
    """True when the priority path-filling rule is the max-flow (see the module docstring)."""
    users: dict[str, set[str]] = {}
    for fid, ps in paths.items():
        for p in ps:
            for e in p.elements:
                users.setdefault(e.key, set()).add(fid)
    for fid, ps in paths.items():
        if len(ps) <= 1:
            continue
        sets = [{e.key for e in p.elements} for p in ps]
        common = set.intersection(*sets)
        counts = Counter(k for s in sets for k in s)
        for key, n in counts.items():
            if key not in common and (n > 1 or users[key] != {fid}):
                return False
    return True
