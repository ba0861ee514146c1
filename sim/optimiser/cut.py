"""The minimum cut of a target's flow by networkx, where its LP is a plain single-commodity max-flow.

Nodes with a throughput limit are split (in -> out, capacity on the split arc) and each link
gets a middle node so parallel links (two ferry lines between the same ports) stay distinct.
"""

from __future__ import annotations

import math

import networkx as nx

from sim.optimiser.model import Corridor, Demand


def max_flow_graph(m: Corridor, target: Demand) -> tuple[nx.DiGraph, tuple, tuple] | None:
    """The split graph, its source and its sink; None when the LP is not a plain max-flow
    (routes in shares, several origin-destination pairs, power losses, rows over voyages or
    shared by several arcs)."""
    if m.routing != "free":
        return None
    commodities = [m.commodities[f] for f in target.flows]
    if len({(c.origin, c.destination, c.arcs) for c in commodities}) != 1:
        return None
    c = commodities[0]
    if any(m.arcs[a].efficiency != 1.0 for a in c.arcs):
        return None
    flows = set(target.flows)
    arc_cap: dict[str, tuple[float, str]] = {}  # arc -> (capacity, what limits it)
    node_cap: dict[str, float] = {}
    for r in m.resources:
        entries = [e for e in r.entries if e.flow in flows]
        arcs = {e.arc for e in entries}
        if not arcs:
            continue
        if r.voyages:
            return None
        if len(arcs) == 1:
            a = arcs.pop()
            limit = "link" if r.kind in ("link", "fleet") else f"node:{r.element}"
            arc_cap[a] = min(arc_cap.get(a, (math.inf, "")), (r.rhs / entries[0].coef, limit))
        elif r.kind in ("node", "generation"):
            node_cap[r.element] = min(node_cap.get(r.element, math.inf), r.rhs)
        else:
            return None
    g = nx.DiGraph()
    for a in c.arcs:
        arc = m.arcs[a]
        g.add_edge((arc.source, "out"), ("link", a))
        cap = {"capacity": arc_cap[a][0], "limit": arc_cap[a][1]} if a in arc_cap else {}
        g.add_edge(("link", a), (arc.target, "in"), **cap)
    nodes = {n for a in c.arcs for n in (m.arcs[a].source, m.arcs[a].target)} | {c.origin, c.destination}
    for n in nodes:
        cap = {"capacity": node_cap[n]} if n in node_cap else {}
        g.add_edge((n, "in"), (n, "out"), **cap)
    return g, (c.origin, "in"), (c.destination, "out")


def min_cut(m: Corridor, target: Demand) -> tuple[float, list[str], list[str]] | None:
    """(max flow, links in the minimum cut, nodes in it), or None where it does not apply.

    A cut link whose limit is a node's row (the berths at its port) names that node instead.
    """
    built = max_flow_graph(m, target)
    if built is None:
        return None
    g, source, sink = built
    try:
        value, (reach, _) = nx.minimum_cut(g, source, sink)
    except nx.NetworkXUnbounded:
        return None
    links: list[str] = []
    nodes: list[str] = []
    for u, v, data in g.edges(data=True):
        if u in reach and v not in reach:
            if u[0] == "link":
                limit = data.get("limit", "link")
                if limit == "link":
                    links.append(u[1])
                else:
                    nodes.append(limit.removeprefix("node:"))
            elif u[1] == "in" and v == (u[0], "out"):
                nodes.append(u[0])
    return float(value), sorted(links), sorted(nodes)
