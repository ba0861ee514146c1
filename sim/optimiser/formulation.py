"""The LP families: multi-commodity flow rows, max deliverable, max common share, and the plan.

Flows are commodities routed over their allowed arcs (arc-flow form). Each family is built
into a `LinearProgram` in bulk: conservation rows per flow and node, one row per capacity
`Resource` (link, fleet hours, node throughput, berths, generation), demand rows with a
penalised unmet slack, expansion columns shared by every copy of the flows, and for N-1 one
extra copy of the flows per contingency (a security-constrained LP: `plan_model` with every
contingency is the full formulation, which `save_lp` writes; `security` reaches its answer by
constraint generation). Demands that share no capacity row fall into independent blocks
(`Corridor.blocks`): a demand's bound with the others held at their levels is an LP over its
own block alone.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.optimiser.lp import INF, LinearProgram
from sim.optimiser.model import Corridor, Demand, Resource, Voyage

FLOW_COST = 1e-6  # MUSD/yr per unit on each arc: keeps plan flows off pointless detours
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def name(*parts: str) -> str:
    """An LP-safe name (letters, digits, _ and .) from id parts (each part made safe once)."""
    return "_".join(map(_safe, parts))


@functools.lru_cache(maxsize=1 << 16)
def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part)


@dataclass
class Copy:
    """Columns and rows of one copy of the flows: the base case or one contingency."""

    without: str | None
    x: dict[tuple[str, str], int] = field(default_factory=dict)  # (commodity, arc) -> column
    d: dict[str, int] = field(default_factory=dict)  # flow -> delivered column
    voyages: dict[Voyage, int] = field(default_factory=dict)  # voyage key -> column
    rows: dict[str, int] = field(default_factory=dict)  # resource id -> row

    def delivered(self, values: np.ndarray, flows: Iterable[str]) -> float:
        return float(sum(values[self.d[f]] for f in flows if f in self.d))

    def activity(self, r: Resource, values: np.ndarray) -> float:
        """The left-hand side of capacity row `r` at a solution."""
        total = sum(values[c] * e.coef for e in r.entries if (c := self.x.get((e.flow, e.arc))) is not None)
        return float(total + sum(values[c] * k for key, k in r.voyages if (c := self.voyages.get(key)) is not None))


def add_flows(lp: LinearProgram, m: Corridor, flows: Iterable[str], *, without: str | None = None,
              options: Mapping[str, tuple[int, float]] | None = None, flow_cost: float = 0.0,
              tag: str = "", growing: Collection[str] = (), reroute: bool = False) -> Copy:
    """Flow columns, conservation rows and capacity rows for `flows`, less arc `without`.

    A flow split into routes (simulated routing) has a column per route's arc and a delivered
    column per route, each route capped at its share of the flow's rate, in the base case; a
    contingency copy (`without` set, or `reroute`) lets the routes take any shares (operators
    re-route around a loss).
    Fleets that sail an arc in use get voyage columns, their vessels balanced at every port.
    `options` maps an expansion id to (column, capacity per unit of the column) so that every
    copy shares the same investment. `tag` suffixes the names of a contingency copy.
    """
    flows = list(dict.fromkeys(flows))
    copy = Copy(without)
    suffix = f"__{tag}" if tag else ""
    parts = {f: m.parts[f] for f in flows}
    simulated = m.routing == "simulated"
    base_case = without is None and not reroute
    for f in flows:
        for cid in parts[f]:
            for a in m.commodities[cid].arcs:
                if a != without:
                    copy.x[cid, a] = lp.add_col(name("x", cid, a) + suffix, cost=flow_cost)
        copy.d[f] = lp.add_col(name("d", f) + suffix, ub=m.rate(f) if simulated and f not in growing else INF)
    part_d: dict[str, int] = {}
    for f in flows:
        if len(parts[f]) == 1:
            part_d[parts[f][0]] = copy.d[f]
            continue
        for cid in parts[f]:
            share = m.commodities[cid].share
            pinned = share is not None and base_case and simulated and f not in growing
            part_d[cid] = lp.add_col(name("d", cid) + suffix, ub=share * m.rate(f) if pinned and share else INF)
            if f in growing and share is not None and base_case and simulated:
                lp.add_row(name("mix", cid) + suffix, [part_d[cid], copy.d[f]], [1.0, -share], 0.0, 0.0)
        split = [copy.d[f]] + [part_d[c] for c in parts[f]]
        lp.add_row(name("split", f) + suffix, split, [1.0] + [-1.0] * len(parts[f]), 0.0, 0.0)
    for cid in part_d:
        _balance(lp, m, cid, part_d[cid], copy, suffix)
    fleets = sorted({m.scenario.links[a].fleet or "" for (_, a) in copy.x if m.scenario.links[a].fleet})
    for fid in fleets:
        _voyages(lp, m, fid, copy, without, suffix)
    chosen = set(part_d)
    for r in _rows_touching(m, chosen, copy):
        if r.kind == "link" and r.element == without:
            continue
        terms = [(copy.x[e.flow, e.arc], e.coef) for e in r.entries
                 if e.flow in chosen and e.arc != without]
        terms += [(copy.voyages[key], k) for key, k in r.voyages if key in copy.voyages]
        if not terms:
            continue
        for eid, per_unit in r.adds:
            if options and eid in options:
                col, scale = options[eid]
                terms.append((col, -per_unit * scale))
        cols, coefs = zip(*terms)
        copy.rows[r.id] = lp.add_row(name("cap", r.id) + suffix, list(cols), list(coefs), hi=r.rhs)
    return copy


def _rows_touching(m: Corridor, chosen: set[str], copy: Copy) -> list[Resource]:
    """The capacity rows with a term among the copy's commodities or voyages, in model order."""
    index = m.row_index()
    picked: set[int] = set()
    for cid in chosen:
        for a in m.commodities[cid].arcs:
            picked.update(index.by_arc.get(a, ()))
    for key in copy.voyages:
        picked.update(index.by_voyage.get(key, ()))
    return [m.resources[i] for i in sorted(picked)]


def _voyages(lp: LinearProgram, m: Corridor, fid: str, copy: Copy, without: str | None, suffix: str) -> None:
    """Loaded-voyage columns per link of fleet `fid` and empty-leg columns between its ports,
    with as many vessels leaving each port as arriving."""
    at: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for lid in m.fleet_links[fid]:
        if lid == without:
            continue
        col = copy.voyages[("y", lid)] = lp.add_col(name("y", lid) + suffix)
        arc = m.arcs[lid]
        at[arc.target][0].append(col)
        at[arc.target][1].append(1.0)
        at[arc.source][0].append(col)
        at[arc.source][1].append(-1.0)
    for (a, b) in m.legs[fid]:
        col = copy.voyages[("e", fid, a, b)] = lp.add_col(name("e", fid, a, b) + suffix, cost=FLOW_COST)
        at[b][0].append(col)
        at[b][1].append(1.0)
        at[a][0].append(col)
        at[a][1].append(-1.0)
    for port, (cols, coefs) in at.items():
        lp.add_row(name("vessels", fid, port) + suffix, cols, coefs, 0.0, 0.0)


def _balance(lp: LinearProgram, m: Corridor, cid: str, delivered: int, copy: Copy, suffix: str) -> None:
    """Conservation of commodity `cid` at every node but its origin; the destination's surplus
    is its delivered column."""
    c = m.commodities[cid]
    terms: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for a in c.arcs:
        if (cid, a) not in copy.x:
            continue
        arc, col = m.arcs[a], copy.x[cid, a]
        terms[arc.target][0].append(col)
        terms[arc.target][1].append(arc.efficiency)
        terms[arc.source][0].append(col)
        terms[arc.source][1].append(-1.0)
    terms[c.destination][0].append(delivered)
    terms[c.destination][1].append(-1.0)
    for node, (cols, coefs) in terms.items():
        if node != c.origin:
            lp.add_row(name("bal", cid, node) + suffix, cols, coefs, 0.0, 0.0)


def at_least(lp: LinearProgram, copy: Copy, demand: Demand, level: float, extra: list[tuple[int, float]],
              tag: str = "") -> int:
    """Row: delivered over the demand's flows (+ extra terms) >= level."""
    cols = [copy.d[f] for f in demand.flows] + [c for c, _ in extra]
    coefs = [1.0] * len(demand.flows) + [v for _, v in extra]
    return lp.add_row(name("dem", demand.id) + (f"__{tag}" if tag else ""), cols, coefs, lo=level)


# --- max deliverable and max common share ------------------------------------------------------


def coupled(m: Corridor, demands: list[Demand], floors: Mapping[str, float]) -> list[Demand]:
    """The demands held in `floors` (besides `demands`) that share a block with one of `demands`."""
    block = m.blocks()
    mine = {block[f] for d in demands for f in d.flows}
    ids = {d.id for d in demands}
    return [d for d in m.demands if d.id in floors and d.id not in ids and block[d.flows[0]] in mine]


@dataclass
class FlowModel:
    """An LP over the flows of some demands, with handles to read its solution."""

    lp: LinearProgram
    copy: Copy


@dataclass
class ShareModel(FlowModel):
    """The common-share LP: `share_col` holds the share of every active demand's figure met."""

    share_col: int


def max_delivery(m: Corridor, target: Demand, *, floors: Mapping[str, float] | None = None,
                 without: str | None = None) -> FlowModel:
    """Maximise what `target` delivers, holding each other demand in `floors` at its level."""
    floors = floors or {}
    others = coupled(m, [target], floors)
    flows = list(target.flows) + [f for d in others for f in d.flows]
    lp = LinearProgram(name("max", target.id))
    copy = add_flows(lp, m, flows, without=without)
    for f in target.flows:
        lp.cost[copy.d[f]] = -1.0
    for d in others:
        if floors[d.id] > 0:
            at_least(lp, copy, d, floors[d.id], [])
    return FlowModel(lp, copy)


GROWTH_CAP = 1000.0  # at most this multiple of the flows' rates: a target no row limits


@dataclass
class GrowthModel(FlowModel):
    """The growth LP: `growth_col` holds how many times its flows' rates a target carries."""

    growth_col: int


def max_growth(m: Corridor, target: Demand, floors: Mapping[str, float]) -> GrowthModel:
    """Grow the target's flows together at their mix (rates and route shares) until a capacity
    row binds, each other demand in `floors` held at its level: the headroom, and the rows
    that end it."""
    others = coupled(m, [target], floors)
    lp = LinearProgram(name("growth", target.id))
    flows = list(target.flows) + [f for d in others for f in d.flows]
    copy = add_flows(lp, m, flows, growing=frozenset(target.flows))
    growth = lp.add_col("growth", 0.0, GROWTH_CAP, cost=-1.0)
    for f in target.flows:
        lp.add_row(name("grow", f), [copy.d[f], growth], [1.0, -m.rate(f)], 0.0, 0.0)
    for d in others:
        if floors[d.id] > 0:
            at_least(lp, copy, d, floors[d.id], [])
    return GrowthModel(lp, copy, growth)


def max_share(m: Corridor, active: list[Demand], floors: Mapping[str, float]) -> ShareModel:
    """Maximise the share (<= 1) of every active demand's figure met at once (fair share)."""
    fixed = coupled(m, active, floors)
    flows = [f for d in active + fixed for f in d.flows]
    lp = LinearProgram("max_share")
    copy = add_flows(lp, m, flows)
    share = lp.add_col("share", 0.0, 1.0, cost=-1.0)
    for d in active:
        at_least(lp, copy, d, 0.0, [(share, -d.required)])
    for d in fixed:
        if floors[d.id] > 0:
            at_least(lp, copy, d, floors[d.id], [])
    return ShareModel(lp, copy, share)


# --- the plan ----------------------------------------------------------------------------------


@dataclass
class PlanModel:
    """The min-cost expansion LP/MILP: base flows, one copy per contingency, shared options."""

    lp: LinearProgram
    base: Copy
    options: dict[str, tuple[int, float]]  # expansion id -> (column, amount per unit of column)
    unmet: dict[str, int]  # demand id -> slack column
    contingencies: dict[str, Copy] = field(default_factory=dict)
    n1_unmet: dict[tuple[str, str], int] = field(default_factory=dict)  # (link, target) -> slack
    intact: dict[int, Copy] = field(default_factory=dict)  # block -> its intact N-1 copy (`security`)

    def copies(self) -> list[Copy]:
        """The base case and every N-1 copy, whose row duals add up to the shadow prices."""
        return [self.base, *self.contingencies.values(), *self.intact.values()]


def plan_model(m: Corridor, *, share: float = 0.0, contingencies: Iterable[str] = ()) -> PlanModel:
    """Min annualised expansion cost + penalty x unmet, meeting every demand (and N-1 at `share`)."""
    lp = LinearProgram("plan")
    penalty = m.scenario.optimiser.unmet_penalty.value
    options: dict[str, tuple[int, float]] = {}
    for o in m.options.values():
        if o.kind == "project":
            col = lp.add_col(name("build", o.id), 0.0, 1.0, cost=o.annual_cost, integer=True)
            options[o.id] = (col, o.size)
        else:
            col = lp.add_col(name("expand", o.id), 0.0, o.size, cost=o.annual_cost / o.size)
            options[o.id] = (col, 1.0)
    flows = [f for d in m.demands for f in d.flows]
    base = add_flows(lp, m, flows, options=options, flow_cost=FLOW_COST)
    unmet = {}
    for d in m.demands:
        if d.required > 0:
            unmet[d.id] = lp.add_col(name("unmet", d.id), cost=penalty)
            at_least(lp, base, d, d.required, [(unmet[d.id], 1.0)])
    model = PlanModel(lp, base, options, unmet)
    if share > 0:
        for link in contingencies:
            group = m.group[m.arcs[link].carrier]
            targets = [d for d in m.targets() if m.group[d.carrier] == group and d.required > 0]
            if targets:
                model.contingencies[link], cols = add_contingency(model, m, targets, share, name("n1", link),
                                                                  without=link)
                model.n1_unmet.update(((link, did), col) for did, col in cols.items())
    return model


def add_contingency(model: PlanModel, m: Corridor, targets: list[Demand], share: float, tag: str, *,
                    without: str | None = None, weight: int = 1) -> tuple[Copy, dict[str, int]]:
    """A copy of the targets' flows less link `without` (None: no loss), routes free to re-route,
    each target kept at `share` with a penalised unmet slack, costs x `weight`; the copy and the
    slacks by target id."""
    flows = [f for d in targets for f in d.flows]
    copy = add_flows(model.lp, m, flows, without=without, options=model.options, flow_cost=FLOW_COST * weight,
                     tag=tag, reroute=True)
    penalty = m.scenario.optimiser.unmet_penalty.value * weight
    unmet = {}
    for d in targets:
        unmet[d.id] = model.lp.add_col(name("unmet", d.id) + f"__{tag}", cost=penalty)
        at_least(model.lp, copy, d, share * d.required, [(unmet[d.id], 1.0)], tag)
    return copy, unmet


def plan_amounts(m: Corridor, pm: PlanModel, x: np.ndarray) -> dict[str, float]:
    """Each expansion's amount in a plan solution (projects built whole or not at all)."""
    return {eid: float(round(x[col]) if m.options[eid].kind == "project" else x[col]) * scale
            for eid, (col, scale) in pm.options.items()}


def contingency_links(m: Corridor) -> list[str]:
    """Links whose loss can matter: used by some target's flows and able to carry something."""
    used = {a for d in m.targets() for f in d.flows for c in m.parts[f] for a in m.commodities[c].arcs}
    rows = m.rows_by_arc()
    out = []
    for a in m.arcs:
        if a not in used:
            continue
        limits = [r for r in rows.get(a, []) if r.kind in ("link", "fleet")]
        if all(r.rhs > 0 or r.adds for r in limits):
            out.append(a)
    return out
