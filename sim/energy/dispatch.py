"""Dispatch: how much each flow delivers, hour by hour, along its paths (`sim.energy.paths`).

Rule: flows are served in priority order (the first flow first); each takes as much as it can,
up to its `rate` at the destination, along its paths, most efficient path first, from what the
flows before it left of the supply at its origin and of every element. An element's capacity
limits the power entering it; what leaves is `efficiency` times that. On a chain the delivered
power is therefore min(rate, supply x E, min_j capacity_j x efficiency of the rest of the chain).

`fill_paths` applies that rule elementwise over hours, all hours in one NumPy pass. It is the
max-flow with losses where `sim.energy.paths.greedy_is_exact` says so. `dispatch_lp` solves the
same priorities exactly for any network, with HiGHS (`scipy.optimize.linprog`): each hour an
independent lexicographic LP, hours with the same capacities and supply solved once, all hours
of a block in one sparse problem. Among dispatches that deliver the same, both prefer the one
that sends least (the least lossy paths).

Element capacities change only when an outage starts or ends (`sim.energy.reliability`
timelines); within an hour a partial outage counts by its capacity-hours (an outage over half an
hour takes half the capacity for that hour).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from sim.energy.paths import Path, greedy_is_exact
from sim.energy.records import Hourly
from sim.energy.reliability import Outcome

if TYPE_CHECKING:  # scipy's sparse and optimize are imported by the meshed dispatch only: slow to import
    from scipy import sparse

SENT_PENALTY = 1e-4  # per GW sent, so the LP, like the path rule, uses the least lossy paths


@dataclass
class Dispatch:
    """Hourly results: per flow delivered, sent and the supply open to it (what the flows before
    it left at its origin); per element key the power entering it."""

    delivered: dict[str, Hourly] = field(default_factory=dict)
    sent: dict[str, Hourly] = field(default_factory=dict)
    open_supply: dict[str, Hourly] = field(default_factory=dict)
    usage: dict[str, Hourly] = field(default_factory=dict)
    method: Literal["paths", "lp"] = "paths"


def element_capacities(paths: dict[str, list[Path]], outcome: Outcome, n_hours: int,
                       start: int = 0) -> tuple[dict[str, Hourly], dict[str, Hourly]]:
    """Each element's hourly capacity with its outages, and without (by element key), over the
    `n_hours` hours from hour `start`."""
    elements = {e.key: e for ps in paths.values() for p in ps for e in p.elements}
    caps = {k: e.capacity * outcome.timeline(e.id).hourly(n_hours, start) for k, e in elements.items()}
    full = {k: np.full(n_hours, e.capacity) for k, e in elements.items()}
    return caps, full


Rule = Callable[[dict[str, list[Path]], dict[str, float], dict[str, Hourly], dict[str, Hourly], int], "Dispatch"]


def exact_rule(paths: dict[str, list[Path]]) -> Rule:
    """The dispatch these paths need: the vectorised path rule where it is the max-flow
    (`greedy_is_exact`), else the exact LP."""
    return fill_paths if greedy_is_exact(paths) else dispatch_lp


def fill_paths(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
               supply: dict[str, Hourly], n: int) -> Dispatch:
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


def dispatch_lp(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                supply: dict[str, Hourly], n: int, block: int = 512) -> Dispatch:
    """The same priorities solved exactly: per hour, lexicographically max each flow's delivered
    power over its path flows, subject to element capacities, supply and rates."""
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
    path_results(out, paths, x, {o: supply[o] for o in origins})
    return out


def path_results(out: Dispatch, paths: dict[str, list[Path]], x: NDArray[np.float64],
                 avail: dict[str, Hourly]) -> dict[str, Hourly]:
    """Fill `out` from the power sent into each path (hours x paths, in the order of `paths`): the
    power entering each element, and per flow delivered, sent and the supply open to it (`avail`
    at its origin less what the flows before it sent). Returns what each origin sent."""
    allp = [p for ps in paths.values() for p in ps]
    keys = sorted({e.key for p in allp for e in p.elements})
    kidx = {k: i for i, k in enumerate(keys)}
    pre = np.zeros((len(keys), len(allp)))  # power entering element per unit sent on path
    for j, p in enumerate(allp):
        for e, g in zip(p.elements, p.entering):
            pre[kidx[e.key], j] = g
    usage = x @ pre.T
    out.usage = {k: usage[:, i] for i, k in enumerate(keys)}
    used = {o: np.zeros(len(x)) for o in avail}
    j = 0
    for f, ps in paths.items():
        o = ps[0].origin
        xf = x[:, j:j + len(ps)]
        out.delivered[f] = xf @ np.array([p.efficiency for p in ps])
        out.sent[f] = xf.sum(axis=1)
        out.open_supply[f] = avail[o] - used[o]
        used[o] += out.sent[f]
        j += len(ps)
    return used


def _lp_matrix(flows: list[str], allp: list[Path], keys: list[str],
               origins: list[str]) -> tuple[sparse.csr_matrix, NDArray[np.float64]]:
    """One hour's constraint matrix (elements, supply, rates) and each flow's objective."""
    from scipy import sparse

    kidx = {k: i for i, k in enumerate(keys)}
    rows = len(keys) + len(origins) + len(flows)
    a = np.zeros((rows, len(allp)))
    c = np.zeros((len(flows), len(allp)))
    for j, p in enumerate(allp):
        for e, g in zip(p.elements, p.entering):
            a[kidx[e.key], j] += g
        a[len(keys) + origins.index(p.origin), j] = 1.0
        k = flows.index(p.flow)
        a[len(keys) + len(origins) + k, j] = p.efficiency
        c[k, j] = p.efficiency
    return sparse.csr_matrix(a), c


def _solve_block(a_hour: sparse.csr_matrix, c_flow: NDArray[np.float64],
                 rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lexicographic LP over a block of independent hours; returns path flows (hours x paths)."""
    from scipy import sparse
    from scipy.optimize import linprog

    b = len(rhs)
    eye = sparse.identity(b, format="csr")
    a = sparse.kron(eye, a_hour, format="csr")
    b_ub = rhs.ravel()
    x = np.zeros(b * a_hour.shape[1])
    fixed_a: list[sparse.csr_matrix] = []
    fixed_b: list[NDArray[np.float64]] = []
    for c in c_flow:  # each flow's delivered power, then (by a hair) the least power sent
        obj = np.tile(SENT_PENALTY - c, b)
        res = linprog(obj, A_ub=sparse.vstack([a, *fixed_a], format="csr"),
                      b_ub=np.concatenate([b_ub, *fixed_b]), bounds=(0, None), method="highs")
        if res.status != 0:
            raise RuntimeError(f"power dispatch LP failed: {res.message}")
        x = res.x
        got = (x.reshape(b, -1) @ c)
        fixed_a.append(-sparse.kron(eye, sparse.csr_matrix(c), format="csr"))
        fixed_b.append(-(got - 1e-9 * np.maximum(1.0, got)))
    return x.reshape(b, -1)
