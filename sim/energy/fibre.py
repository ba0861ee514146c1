"""Data: fibre cables, their cuts and repairs, and rerouting onto the paths that survive.

A fibre link carries up to its lit `capacity` (Tbps) times the share of its fibre pairs in
service (`sim.energy.reliability`). Data flows are routed in scenario order (the first flow
first), each up to its `rate`, over any surviving path of its routes (or of the whole data
network when it has none): the max-flow. On chains and parallel cables
(`sim.energy.paths.greedy_is_exact`) that is the path-filling rule of `sim.energy.dispatch`
(no losses), vectorised over all hours; on a meshed network it is networkx's max-flow, solved
once per distinct network state (the capacities of every cable and landing station), however
many hours the state lasts.

Rerouting saved = delivered with rerouting minus delivered if each flow could use only its
primary path (its first route, else the path with fewest hops).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np

from sim.energy.dispatch import element_capacities, fill_paths
from sim.energy.paths import Element, Path, flow_paths, greedy_is_exact, node_elements
from sim.energy.records import ExactMean, Hourly, LinkMeasures, below_rate, daily_means, firm_level
from sim.energy.reliability import Outcome
from sim.network import Network
from sim.replications import FlowRecord, Replication
from sim.scenario.schema import Scenario

SOURCE = "_source"


@dataclass(frozen=True)
class DataMeasures:
    """One data flow over the measured hours, beyond its mean delivered Tbps."""

    hours_below_target: float
    share_hours_at_rate: float
    firm_95_tbps: float
    lost_to_outages_tbps: float  # delivered without outages less delivered
    primary_only_tbps: float  # delivered if the flow could use only its primary path
    rerouting_saved_tbps: float  # delivered less primary only
    rerouting_saved_hours: float  # hours below the rate on the primary path only, less with rerouting


def _allowed_links(scenario: Scenario, network: Network, fid: str) -> list[str]:
    """The links a data flow may use: those of its routes, or every data link."""
    flow = scenario.flows[fid]
    links = network.carrier_links(flow.carrier)
    if not flow.routes:
        return [v.id for v in links]
    hops = {(a, b) for r in flow.routes.values() for a, b in zip(r.path, r.path[1:])}
    return [v.id for v in links if (v.source, v.target) in hops]


def primary_path(scenario: Scenario, network: Network, fid: str) -> Path:
    """The flow's primary path: its first route (first link of each hop), else fewest hops."""
    flow = scenario.flows[fid]
    links = network.carrier_links(flow.carrier)
    if flow.routes:
        nodes = next(iter(flow.routes.values())).path
    else:
        g = nx.DiGraph()
        g.add_edges_from((v.source, v.target) for v in links)
        nodes = nx.shortest_path(g, flow.origin, flow.destination)
    elements: list[Element] = []
    for a, b in zip(nodes, nodes[1:]):
        elements += node_elements(scenario, network, a, flow.carrier)
        lid = next(v.id for v in links if v.source == a and v.target == b)
        elements.append(Element(f"link:{lid}", network.links[lid].capacity))
    elements += node_elements(scenario, network, nodes[-1], flow.carrier)
    return Path(fid, flow.origin, tuple(elements))


def _route_state(scenario: Scenario, network: Network, flows: list[str], allowed: dict[str, list[str]],
                 cap: dict[str, float]) -> tuple[list[float], dict[str, float]]:
    """Max-flow of each flow in priority order on the residual capacities `cap` (by element
    key); returns each flow's rate and the data entering each element."""
    resid = dict(cap)
    values = []
    for fid in flows:
        flow = scenario.flows[fid]
        g = nx.DiGraph()

        def side(nid: str, end: str) -> str | tuple[str, str]:
            return (nid, end) if f"node:{nid}" in resid else nid

        for lid in allowed[fid]:
            v = network.links[lid]
            g.add_edge(side(v.source, "out"), ("link", lid), capacity=max(resid[f"link:{lid}"], 0.0))
            g.add_edge(("link", lid), side(v.target, "in"))
            for nid in (v.source, v.target):
                if f"node:{nid}" in resid:
                    g.add_edge((nid, "in"), (nid, "out"), capacity=max(resid[f"node:{nid}"], 0.0))
        src, dst = side(flow.origin, "in"), side(flow.destination, "out")
        if src not in g or dst not in g:
            values.append(0.0)
            continue
        g.add_edge(SOURCE, src, capacity=flow.rate.value)
        value, flows_on = nx.maximum_flow(g, SOURCE, dst)
        values.append(float(value))
        for lid in allowed[fid]:
            v = network.links[lid]
            resid[f"link:{lid}"] -= flows_on[side(v.source, "out")].get(("link", lid), 0.0)
        for key in resid:
            if key.startswith("node:"):
                nid = key[5:]
                if (nid, "in") in flows_on:
                    resid[key] -= flows_on[(nid, "in")].get((nid, "out"), 0.0)
    used = {k: cap[k] - resid[k] for k in cap}
    return values, used


BLOCK_HOURS = 24 * 365  # hours routed at a time on chains (whole days: the daily means are per block)


def simulate_data(scenario: Scenario, network: Network, outcome: Outcome, rep: Replication,
                  n_hours: int, warmup_h: int) -> None:
    """Route every data flow in each network state; fill `rep` with delivered capacity, hours
    below the rate, rerouting saved, and link availability and utilisation.

    On chains and parallel cables the hours are routed a block at a time (each hour on its own),
    keeping over the horizon only each flow's delivered rate an hour and the exact means
    (`sim.energy.records.ExactMean`) of the rest; a meshed network is routed over the whole
    horizon at once (one max-flow per distinct state)."""
    flows = [fid for fid, f in scenario.flows.items() if f.carrier == "data"]
    if not flows:
        return
    rates = {f: scenario.flows[f].rate.value for f in flows}
    paths = {fid: flow_paths(scenario, network, fid) for fid in flows}
    primary = {fid: [primary_path(scenario, network, fid)] for fid in flows}
    exact = greedy_is_exact(paths)  # chains and parallel cables: the path rule is the max-flow
    block = BLOCK_HOURS if exact else max(n_hours, 1)
    n_m = max(n_hours - warmup_h, 0)
    kept = {fid: np.empty(n_m) for fid in flows}
    primary_mean = {fid: ExactMean(n_m) for fid in flows}
    saved_mean = {fid: ExactMean(n_m) for fid in flows}
    below_primary = dict.fromkeys(flows, 0)
    ideal_mean = {fid: ExactMean(n_hours) for fid in flows} if exact else {}  # meshed: `_max_flow_by_state` gives it
    ideal: dict[str, float] = {}
    daily: dict[str, list[Hourly]] = {fid: [] for fid in flows}
    usage: dict[str, ExactMean] = {}
    link_keys = [f"link:{v.id}" for v in network.carrier_links("data")]
    for lo in range(0, n_hours, block):
        hi = min(lo + block, n_hours)
        n = hi - lo
        caps, full = element_capacities(paths, outcome, n, lo)
        unlimited = {scenario.flows[f].origin: np.full(n, np.inf) for f in flows}
        if exact:
            got = fill_paths(paths, rates, caps, unlimited, n)
            delivered, use = got.delivered, got.usage
            for f, hourly in fill_paths(paths, rates, full, unlimited, n).delivered.items():
                ideal_mean[f].add(hourly)
        else:
            delivered, use, ideal = _max_flow_by_state(scenario, network, flows, caps, n)
        del full
        for ps in primary.values():
            for e in ps[0].elements:
                if e.key not in caps:  # an element off every allowed path (a route not taken)
                    caps[e.key] = e.capacity * outcome.timeline(e.id).hourly(n, lo)
        only_primary = fill_paths(primary, rates, caps, unlimited, n)
        del caps
        m0 = max(lo, warmup_h) - lo
        if n > m0:
            at = slice(lo + m0 - warmup_h, hi - warmup_h)
            for fid in flows:
                d, p = delivered[fid][m0:], only_primary.delivered[fid][m0:]
                kept[fid][at] = d
                primary_mean[fid].add(p)
                saved_mean[fid].add(d - p)
                below_primary[fid] += int(below_rate(p, rates[fid]).sum())
            for key in link_keys:
                if key in use:
                    usage.setdefault(key, ExactMean(n_m)).add(use[key][m0:])
        for fid in flows:
            daily[fid].append(daily_means(delivered[fid]))
    if exact:
        ideal = {fid: ideal_mean[fid].mean() for fid in flows}
    for fid in flows:
        d = kept[fid]
        below = below_rate(d, rates[fid])
        measures = DataMeasures(
            hours_below_target=float(below.sum()),
            share_hours_at_rate=float(1 - below.mean()),
            firm_95_tbps=firm_level(d),
            lost_to_outages_tbps=float(ideal[fid] - d.mean()),
            primary_only_tbps=primary_mean[fid].mean(),
            rerouting_saved_tbps=saved_mean[fid].mean(),
            rerouting_saved_hours=float(below_primary[fid] - int(below.sum())))
        rep.flows[fid] = FlowRecord(carrier="data", unit="Tbps", delivered=float(d.mean()),
                                    hourly=d.astype(np.float32), extra=asdict(measures))
        rep.series[f"delivered:{fid}"] = np.concatenate(daily[fid]) if daily[fid] else np.zeros(0)
    for v in network.carrier_links("data"):
        mean = usage.get(f"link:{v.id}")
        mean_use = mean.mean() if mean is not None and n_hours > warmup_h else 0.0
        rep.links[v.id] = LinkMeasures(availability=outcome.timeline(v.id).mean(warmup_h, n_hours),
                                       utilisation=mean_use / v.capacity if v.capacity > 0 else 0.0).row()


def _max_flow_by_state(scenario: Scenario, network: Network, flows: list[str], caps: dict[str, Hourly],
                       n_hours: int) -> tuple[dict[str, Hourly], dict[str, Hourly], dict[str, float]]:
    """Meshed networks: networkx max-flow once per distinct state (capacities of every element),
    spread over the hours of that state."""
    keys = sorted(caps)
    allowed = {fid: _allowed_links(scenario, network, fid) for fid in flows}
    table = np.column_stack([caps[k] for k in keys])
    change = np.ones(n_hours, dtype=bool)
    change[1:] = np.any(table[1:] != table[:-1], axis=1)
    starts = np.flatnonzero(change)
    index: dict[tuple[float, ...], int] = {}
    state_of_run = np.array([index.setdefault(tuple(table[i]), len(index)) for i in starts])
    state = state_of_run[np.cumsum(change) - 1]
    values = np.zeros((len(index), len(flows)))
    used = np.zeros((len(index), len(keys)))
    for row, s in index.items():
        vals, use = _route_state(scenario, network, flows, allowed, dict(zip(keys, row)))
        values[s], used[s] = vals, [use[k] for k in keys]
    nominal = {k: float(caps[k].max()) for k in keys}
    ideal_vals, _ = _route_state(scenario, network, flows, allowed, nominal)
    delivered = {f: values[state, i] for i, f in enumerate(flows)}
    usage = {k: used[state, j] for j, k in enumerate(keys)}
    return delivered, usage, dict(zip(flows, ideal_vals))
