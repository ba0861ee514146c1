"""Power: hourly generation profiles, and the dispatch of power flows over HVDC/HVAC links.

Dispatch rule (one hour at a time, all hours at once in NumPy): flows are served in scenario
order (the first flow is the highest priority); each takes as much as it can, up to its `rate`
at the destination, along its paths, most efficient path first, from what the flows before it
left of the generation and of every link and node. A link's `capacity` limits the power
entering it; what leaves is `efficiency` times that (line losses per 1000 km and a converter at
each end, `sim.network.efficiency`). On a chain the delivered power is therefore
min(rate, generation x E, min_j capacity_j x efficiency of the rest of the chain).

This rule equals the max-flow with losses (a linear programme) when every flow has one path,
or when a flow's alternative paths share only the parts common to all of them (parallel
cables between two stations) and no other flow uses their separate parts. Any other network is
"meshed": it is dispatched by `dispatch_lp`, the same priorities solved exactly by HiGHS
(`scipy.optimize.linprog`), each hour an independent LP, hours with the same capacities and
generation solved once, all hours of a block in one sparse problem. Among dispatches that
deliver the same, both prefer the one that sends least (the least lossy paths).

Capacities change only when an outage starts or ends (`sim.reliability` timelines); within an
hour a partial outage counts by its capacity-hours (an outage over half an hour takes half the
capacity for that hour). The path rule is elementwise over hours, so every network state, and
every hour of generation within it, is dispatched in one NumPy pass over the year; no state is
visited hour by hour in Python.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path as FilePath

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.signal import lfilter

from sim import bundled
from sim.errors import CorridorError
from sim.network import HOURS_PER_YEAR, Network
from sim.energy.reliability import Outcome
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.schema import Flow, Node, Scenario

MAX_PATHS = 32
BELOW = 1e-6  # relative shortfall that counts as an hour below the rate
SENT_PENALTY = 1e-4  # per GW sent, so the LP, like the path rule, uses the least lossy paths


# --- paths -----------------------------------------------------------------------------------


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
    def gains(self) -> list[float]:
        """Share of the power entering each element that reaches the destination."""
        out, g = [], 1.0
        for e in reversed(self.elements):
            g *= e.efficiency
            out.append(g)
        return out[::-1]

    @property
    def links(self) -> list[str]:
        return [e.id for e in self.elements if e.key.startswith("link:")]


def node_element(scenario: Scenario, network: Network, nid: str, carrier: str) -> Element | None:
    """A node as a path element when it limits or fails (a converter station); None otherwise.
    A failing node without its own capacity is as large as the links leaving (or entering) it."""
    node = scenario.nodes[nid]
    if node.capacity is None and node.reliability is None:
        return None
    cap = network.node_capacity(nid)
    if cap is None:
        out = [v.nameplate for v in network.links.values() if v.carrier == carrier and v.source == nid]
        inn = [v.nameplate for v in network.links.values() if v.carrier == carrier and v.target == nid]
        cap = sum(out) or sum(inn)
    return Element(f"node:{nid}", cap)


def flow_paths(scenario: Scenario, network: Network, fid: str, max_paths: int = MAX_PATHS) -> list[Path]:
    """A flow's candidate paths, most efficient first: its routes (each parallel link between
    two route nodes a separate path), or every simple path of its carrier when it has none."""
    flow = scenario.flows[fid]
    graph = nx.MultiDiGraph()
    graph.add_edges_from((v.source, v.target, v.id) for v in network.links.values()
                         if v.carrier == flow.carrier)
    if flow.routes:
        edge_paths: list[list[tuple[str, str, str]]] = []
        for route in flow.routes.values():
            hops = [[(a, b, k) for k in graph.get_edge_data(a, b, default={})]
                    for a, b in zip(route.path, route.path[1:])]
            edge_paths += [list(p) for p in _product(hops)]
    elif flow.origin in graph and flow.destination in graph:
        edge_paths = []
        for p in nx.all_simple_edge_paths(graph, flow.origin, flow.destination):
            edge_paths.append(p)
            if len(edge_paths) > 50 * max_paths:
                raise CorridorError(f"flows.{fid}: too many {flow.carrier} paths from {flow.origin!r} "
                                    f"to {flow.destination!r}; give the flow routes")
    else:
        edge_paths = []
    if not edge_paths:
        raise CorridorError(f"flows.{fid}: no {flow.carrier} path from {flow.origin!r} to {flow.destination!r}")
    paths = []
    gen_origin = scenario.nodes[flow.origin].generation is not None
    for ep in edge_paths:
        elements: list[Element] = []
        nodes = [ep[0][0]] + [e[1] for e in ep]
        for i, (a, b, lid) in enumerate(ep):
            if i > 0 or not gen_origin:
                node = node_element(scenario, network, a, flow.carrier)
                elements += [node] if node else []
            view = network.links[lid]
            elements.append(Element(f"link:{lid}", view.capacity, view.efficiency))
        last = node_element(scenario, network, nodes[-1], flow.carrier)
        elements += [last] if last else []
        paths.append(Path(fid, flow.origin, tuple(elements)))
    paths.sort(key=lambda p: (-p.efficiency, len(p.elements)))
    return paths[:max_paths]


def _product(hops: list[list[tuple[str, str, str]]]):
    if not hops:
        yield ()
        return
    for first in hops[0]:
        for rest in _product(hops[1:]):
            yield (first,) + rest


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


# --- dispatch --------------------------------------------------------------------------------


@dataclass
class Dispatch:
    """Hourly results: per flow delivered, sent and the generation open to it; per element the
    power entering it."""

    delivered: dict[str, np.ndarray] = field(default_factory=dict)
    sent: dict[str, np.ndarray] = field(default_factory=dict)
    open_supply: dict[str, np.ndarray] = field(default_factory=dict)
    usage: dict[str, np.ndarray] = field(default_factory=dict)
    method: str = "paths"


def fill_paths(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, np.ndarray],
               supply: dict[str, np.ndarray], n: int) -> Dispatch:
    """The priority path-filling rule, vectorised over `n` hours."""
    resid = {k: v.astype(float, copy=True) for k, v in caps.items()}
    left = {k: v.astype(float, copy=True) for k, v in supply.items()}
    out = Dispatch(method="paths")
    for fid, ps in paths.items():
        origin = ps[0].origin
        want = np.full(n, rates[fid])
        out.open_supply[fid] = left[origin].copy()
        sent, got = np.zeros(n), np.zeros(n)
        for p in ps:
            eff = p.efficiency
            if eff <= 0:
                continue
            d = np.minimum(want, left[origin] * eff)
            for e, g in zip(p.elements, p.gains):
                np.minimum(d, resid[e.key] * g, out=d)
            np.maximum(d, 0.0, out=d)
            for e, g in zip(p.elements, p.gains):
                resid[e.key] -= d / g
            left[origin] -= d / eff
            want -= d
            sent += d / eff
            got += d
        out.delivered[fid], out.sent[fid] = got, sent
    out.usage = {k: caps[k] - resid[k] for k in caps}
    return out


def dispatch_lp(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, np.ndarray],
                supply: dict[str, np.ndarray], n: int, block: int = 512) -> Dispatch:
    """The same priorities solved exactly: per hour, lexicographically max each flow's delivered
    power over its path flows, subject to element capacities, generation and rates."""
    flows = list(paths)
    allp = [p for f in flows for p in paths[f]]
    keys = sorted({e.key for p in allp for e in p.elements})
    origins = sorted({p.origin for p in allp})
    a_hour, c_flow = _lp_matrix(flows, allp, keys, origins)
    rhs = np.column_stack([caps[k] for k in keys] + [supply[o] for o in origins] +
                          [np.full(n, rates[f]) for f in flows])
    finite = rhs[np.isfinite(rhs)]
    big = 1e3 * (finite.max() if finite.size else 1.0) + 1.0
    rhs = np.where(np.isfinite(rhs), rhs, big)
    uniq, inv = np.unique(rhs, axis=0, return_inverse=True)
    x = np.zeros((len(uniq), len(allp)))
    for lo in range(0, len(uniq), block):
        x[lo:lo + block] = _solve_block(a_hour, c_flow, uniq[lo:lo + block])
    x = x[inv.ravel()]
    out = Dispatch(method="lp")
    pre = np.zeros((len(keys), len(allp)))  # power entering element per unit sent on path
    kidx = {k: i for i, k in enumerate(keys)}
    for j, p in enumerate(allp):
        g = 1.0
        for e in p.elements:
            pre[kidx[e.key], j] = g
            g *= e.efficiency
    usage = x @ pre.T
    out.usage = {k: usage[:, i] for i, k in enumerate(keys)}
    used_by_origin = {o: np.zeros(n) for o in origins}
    j = 0
    for f in flows:
        ps = paths[f]
        xf = x[:, j:j + len(ps)]
        effs = np.array([p.efficiency for p in ps])
        out.delivered[f] = xf @ effs
        out.sent[f] = xf.sum(axis=1)
        out.open_supply[f] = supply[ps[0].origin] - used_by_origin[ps[0].origin]
        used_by_origin[ps[0].origin] += out.sent[f]
        j += len(ps)
    return out


def _lp_matrix(flows: list[str], allp: list[Path], keys: list[str],
               origins: list[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """One hour's constraint matrix (elements, generation, rates) and each flow's objective."""
    kidx = {k: i for i, k in enumerate(keys)}
    rows = len(keys) + len(origins) + len(flows)
    a = np.zeros((rows, len(allp)))
    c = np.zeros((len(flows), len(allp)))
    for j, p in enumerate(allp):
        g = 1.0
        for e in p.elements:
            a[kidx[e.key], j] += g
            g *= e.efficiency
        a[len(keys) + origins.index(p.origin), j] = 1.0
        k = flows.index(p.flow)
        a[len(keys) + len(origins) + k, j] = p.efficiency
        c[k, j] = p.efficiency
    return sparse.csr_matrix(a), c


def _solve_block(a_hour: sparse.csr_matrix, c_flow: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Lexicographic LP over a block of independent hours; returns path flows (hours x paths)."""
    b = len(rhs)
    eye = sparse.identity(b, format="csr")
    a = sparse.kron(eye, a_hour, format="csr")
    b_ub = rhs.ravel()
    x = np.zeros(b * a_hour.shape[1])
    fixed_a: list[sparse.csr_matrix] = []
    fixed_b: list[np.ndarray] = []
    for c in c_flow:  # each flow's delivered power, then (by a hair) the least power sent
        obj = np.tile(SENT_PENALTY - c, b)
        res = linprog(obj, A_ub=sparse.vstack([a] + fixed_a, format="csr"),
                      b_ub=np.concatenate([b_ub] + fixed_b), bounds=(0, None), method="highs")
        if res.status != 0:
            raise RuntimeError(f"power dispatch LP failed: {res.message}")
        x = res.x
        got = (x.reshape(b, -1) @ c)
        fixed_a.append(-sparse.kron(eye, sparse.csr_matrix(c), format="csr"))
        fixed_b.append(-(got - 1e-9 * np.maximum(1.0, got)))
    return x.reshape(b, -1)


# --- generation profiles ---------------------------------------------------------------------


def generation_profile(nid: str, node: Node, n_hours: int, rng: np.random.Generator) -> np.ndarray:
    """Hourly capacity factor of a generation site, hour 0 = 1 January 00:00 UTC: read from the
    site's `file`, or synthetic with the site's daily and seasonal shape and mean
    `capacity_factor` (wind: winter-high, afternoon-high, with hour-to-hour persistence;
    solar: the sun's elevation at the site times a day-by-day cloud factor)."""
    gen = node.generation
    if gen.file:
        return _profile_file(nid, gen.file, n_hours)
    cf = gen.capacity_factor.value
    if gen.profile == "flat" or cf == 0:
        return np.full(n_hours, cf)
    t = np.arange(n_hours) + 0.5
    raw = _wind(t, node.lat, node.lon, rng) if gen.profile == "wind" else _solar(t, node.lat, node.lon, rng)
    return scale_to_mean(raw, cf, f"nodes.{nid}.generation")


def _ar1(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series with unit variance."""
    e = rng.standard_normal(n)
    e[0] /= math.sqrt(1 - phi * phi)
    return lfilter([math.sqrt(1 - phi * phi)], [1.0, -phi], e)


def _wind(t: np.ndarray, lat: float, lon: float, rng: np.random.Generator) -> np.ndarray:
    doy = (t / 24.0) % 365.25
    winter = 1.0 if lat >= 0 else -1.0
    season = 1.0 + 0.3 * winter * np.cos(2 * np.pi * (doy - 15) / 365.25)
    local = (t + lon / 15.0) % 24.0
    diurnal = 1.0 + 0.15 * np.cos(2 * np.pi * (local - 15.0) / 24.0)
    z = _ar1(len(t), 0.97, rng)
    return season * diurnal * np.exp(0.6 * z - 0.18)


def _solar(t: np.ndarray, lat: float, lon: float, rng: np.random.Generator) -> np.ndarray:
    doy = (t / 24.0) % 365.25
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365.25)
    solar_time = (t % 24.0) + lon / 15.0
    omega = np.radians(15.0 * (solar_time - 12.0))
    phi = math.radians(lat)
    sin_el = math.sin(phi) * np.sin(decl) + math.cos(phi) * np.cos(decl) * np.cos(omega)
    days = int(t[-1] // 24) + 1
    cloud = np.clip(0.75 + 0.2 * _ar1(days, 0.6, rng), 0.1, 1.0)
    return np.clip(sin_el, 0.0, None) * cloud[(t // 24).astype(int)]


def scale_to_mean(raw: np.ndarray, cf: float, where: str = "generation") -> np.ndarray:
    """min(k x raw, 1) with k chosen (bisection) so the mean is `cf`."""
    if cf >= np.mean(raw > 0) - 1e-9:
        raise CorridorError(f"{where}.capacity_factor: {cf:.0%} is more than this profile can give "
                            f"(it produces in {np.mean(raw > 0):.0%} of hours)")
    lo, hi = 0.0, cf / raw.mean()
    while np.minimum(raw * hi, 1.0).mean() < cf:
        lo, hi = hi, hi * 2
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.minimum(raw * mid, 1.0).mean() < cf:
            lo = mid
        else:
            hi = mid
    return np.minimum(raw * hi, 1.0)


def _profile_file(nid: str, name: str, n_hours: int) -> np.ndarray:
    """Hourly capacity factors from a text/CSV file (last column, one row an hour), repeated
    to cover the horizon. A relative path is looked up in the working and scenarios folders."""
    candidates = [FilePath(name), bundled.folder("scenarios") / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise CorridorError(f"nodes.{nid}.generation.file: no profile file {name!r}")
    values = []
    for line in path.read_text().splitlines():
        cell = line.replace(";", ",").split(",")[-1].strip()
        try:
            values.append(float(cell))
        except ValueError:
            continue  # a header or a comment
    x = np.asarray(values)
    if x.size == 0 or np.any(x < 0) or np.any(x > 1):
        raise CorridorError(f"nodes.{nid}.generation.file: expected capacity factors between 0 and 1, "
                            f"one an hour, in {name!r}")
    return np.resize(x, n_hours)


# --- the power model -------------------------------------------------------------------------


def simulate_power(scenario: Scenario, network: Network, streams: Streams, outcome: Outcome,
                   rep: Replication, n_hours: int, warmup_h: int) -> None:
    """Dispatch every power flow hour by hour, with and without outages; fill `rep`."""
    flows = {fid: f for fid, f in scenario.flows.items() if f.carrier == "power"}
    if not flows:
        return
    paths = {fid: flow_paths(scenario, network, fid) for fid in flows}
    rates = {fid: f.rate.value for fid, f in flows.items()}
    elements = {e.key: e for ps in paths.values() for p in ps for e in p.elements}
    caps = {k: e.capacity * outcome.timeline(e.id).hourly(n_hours) for k, e in elements.items()}
    full = {k: np.full(n_hours, e.capacity) for k, e in elements.items()}
    supply, supply_full = _supplies(scenario, flows, streams, outcome, n_hours)
    solve = fill_paths if greedy_is_exact(paths) else dispatch_lp
    got = solve(paths, rates, caps, supply, n_hours)
    ideal = solve(paths, rates, full, supply_full, n_hours)  # the same hours without outages
    m = slice(warmup_h, n_hours)
    for fid in flows:
        best = max(p.efficiency for p in paths[fid])
        rep.flows[fid] = _record(fid, rates[fid], best, got, ideal, m)
        rep.series[f"delivered:{fid}"] = daily_means(got.delivered[fid])
    _power_links(network, outcome, rep, got, n_hours, warmup_h)


def _supplies(scenario: Scenario, flows: dict[str, Flow], streams: Streams, outcome: Outcome,
              n_hours: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Hourly generation at each origin, with and without the site's own outages; an origin
    without a generation block is fed from a grid, limited only by the network."""
    supply, supply_full = {}, {}
    for f in flows.values():
        node = scenario.nodes[f.origin]
        if f.origin in supply:
            continue
        if node.generation is None:
            supply[f.origin] = supply_full[f.origin] = np.full(n_hours, np.inf)
            continue
        prof = generation_profile(f.origin, node, n_hours, streams.get(f"profile:{f.origin}"))
        supply_full[f.origin] = node.generation.capacity.value * prof
        supply[f.origin] = supply_full[f.origin] * outcome.timeline(f.origin).hourly(n_hours)
    return supply, supply_full


def _record(fid: str, rate: float, best: float, got: Dispatch, ideal: Dispatch, m: slice) -> FlowRecord:
    """One power flow's measures over the measured hours, energies in TWh a year.

    curtailed: generation open to the flow (what flows before it left), up to its rate at the
    sending end, that was not sent; lost to outages: delivered without outages less delivered;
    lost to losses: sent less delivered.
    """
    twh = HOURS_PER_YEAR / 1000.0  # mean GW -> TWh a year
    d, s, open_supply = got.delivered[fid][m], got.sent[fid][m], got.open_supply[fid][m]
    grid = not np.isfinite(open_supply).all()
    wanted = np.minimum(open_supply, rate / best) if best > 0 and not grid else s
    below = d < rate * (1 - BELOW)
    return FlowRecord(
        carrier="power", unit="GW", delivered=float(d.mean()), hourly=d.astype(np.float32),
        extra={
            "energy_twh": float(d.mean() * twh),
            "lost_to_outages_twh": float((ideal.delivered[fid][m] - d).mean() * twh),
            "lost_to_losses_twh": float((s - d).mean() * twh),
            "curtailed_twh": float(np.maximum(wanted - s, 0.0).mean() * twh),
            "generation_twh": 0.0 if grid else float(open_supply.mean() * twh),
            "hours_below_target": float(below.sum()),
            "share_hours_at_rate": float(1.0 - below.mean()),
            "firm_95_gw": float(np.quantile(d, 0.05, method="lower")),
            "lp_dispatch": 1.0 if got.method == "lp" else 0.0,
        })


def daily_means(hourly: np.ndarray) -> np.ndarray:
    """Mean of an hourly series in each day (the last day may be short)."""
    days = -(-len(hourly) // 24)
    sums = np.add.reduceat(hourly, np.arange(0, len(hourly), 24)) if len(hourly) else np.zeros(0)
    hours = np.full(days, 24.0)
    if days:
        hours[-1] = len(hourly) - 24 * (days - 1)
    return sums / hours


def _power_links(network: Network, outcome: Outcome, rep: Replication, got: Dispatch, n_hours: int,
                 warmup_h: int) -> None:
    """Availability (measured capacity-hours in service) and utilisation of every power link."""
    m = slice(warmup_h, n_hours)
    for view in network.carrier_links("power"):
        use = got.usage.get(f"link:{view.id}")
        mean_in = float(use[m].mean()) if use is not None else 0.0
        rep.links[view.id] = {
            "availability": outcome.timeline(view.id).mean(warmup_h, n_hours),
            "utilisation": mean_in / view.capacity if view.capacity > 0 else 0.0,
            "energy_twh": mean_in * HOURS_PER_YEAR / 1000.0,
            "losses_twh": mean_in * (1 - view.efficiency) * HOURS_PER_YEAR / 1000.0,
        }
