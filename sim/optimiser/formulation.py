"""The LP families: multi-commodity flow rows, max deliverable, max common share, and the plan.

Flows are commodities routed over their allowed arcs (arc-flow form). Each family is built
into a `LinearProgram` in bulk: conservation rows per flow and node, one row per capacity
`Resource` (link, fleet hours, node throughput, berths, generation), demand rows with a
penalised unmet slack, expansion columns shared by every copy of the flows, and for N-1 one
extra copy of the flows per contingency (a security-constrained LP).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.optimiser.lp import LinearProgram
from sim.optimiser.model import Corridor, Demand

FLOW_COST = 1e-6  # MUSD/yr per unit on each arc: keeps plan flows off pointless detours
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def name(*parts: str) -> str:
    """An LP-safe name (letters, digits, _ and .) from id parts."""
    return _UNSAFE.sub("_", "_".join(parts))


@dataclass
class Copy:
    """Columns and rows of one copy of the flows: the base case or one contingency."""

    without: str | None
    x: dict[tuple[str, str], int] = field(default_factory=dict)  # (flow, arc) -> column
    d: dict[str, int] = field(default_factory=dict)  # flow -> delivered column
    rows: dict[str, int] = field(default_factory=dict)  # resource id -> row

    def delivered(self, values: np.ndarray, flows: Iterable[str]) -> float:
        return float(sum(values[self.d[f]] for f in flows if f in self.d))


def add_flows(lp: LinearProgram, m: Corridor, flows: Iterable[str], *, without: str | None = None,
              options: Mapping[str, tuple[int, float]] | None = None, flow_cost: float = 0.0,
              tag: str = "") -> Copy:
    """Flow columns, conservation rows and capacity rows for `flows`, less arc `without`.

    `options` maps an expansion id to (column, capacity per unit of the column) so that every
    copy shares the same investment. `tag` suffixes the names of a contingency copy.
    """
    flows = list(dict.fromkeys(flows))
    copy = Copy(without)
    suffix = f"__{tag}" if tag else ""
    for f in flows:
        for a in m.commodities[f].arcs:
            if a != without:
                copy.x[f, a] = lp.add_col(name("x", f, a) + suffix, cost=flow_cost)
        copy.d[f] = lp.add_col(name("d", f) + suffix)
    for f in flows:
        _balance(lp, m, f, copy, suffix)
    chosen = set(flows)
    for r in m.resources:
        if r.kind == "link" and r.element == without:
            continue
        terms = [(copy.x[e.flow, e.arc], e.coef) for e in r.entries
                 if e.flow in chosen and e.arc != without]
        if not terms:
            continue
        for eid, per_unit in r.adds:
            if options and eid in options:
                col, scale = options[eid]
                terms.append((col, -per_unit * scale))
        cols, coefs = zip(*terms)
        copy.rows[r.id] = lp.add_row(name("cap", r.id) + suffix, list(cols), list(coefs), hi=r.rhs)
    return copy


def _balance(lp: LinearProgram, m: Corridor, f: str, copy: Copy, suffix: str) -> None:
    """Conservation of flow `f` at every node but its origin; the destination's surplus is d_f."""
    c = m.commodities[f]
    terms: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for a in c.arcs:
        if (f, a) not in copy.x:
            continue
        arc, col = m.arcs[a], copy.x[f, a]
        terms[arc.target][0].append(col)
        terms[arc.target][1].append(arc.efficiency)
        terms[arc.source][0].append(col)
        terms[arc.source][1].append(-1.0)
    terms[c.destination][0].append(copy.d[f])
    terms[c.destination][1].append(-1.0)
    for node, (cols, coefs) in terms.items():
        if node != c.origin:
            lp.add_row(name("bal", f, node) + suffix, cols, coefs, 0.0, 0.0)


def _at_least(lp: LinearProgram, copy: Copy, demand: Demand, level: float, extra: list[tuple[int, float]],
              tag: str = "") -> int:
    """Row: delivered over the demand's flows (+ extra terms) >= level."""
    cols = [copy.d[f] for f in demand.flows] + [c for c, _ in extra]
    coefs = [1.0] * len(demand.flows) + [v for _, v in extra]
    return lp.add_row(name("dem", demand.id) + (f"__{tag}" if tag else ""), cols, coefs, lo=level)


# --- max deliverable and max common share ------------------------------------------------------


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
    others = [d for d in m.demands if d.id in floors and d.id != target.id]
    flows = list(target.flows) + [f for d in others for f in d.flows]
    lp = LinearProgram(name("max", target.id))
    copy = add_flows(lp, m, flows, without=without)
    for f in target.flows:
        lp.cost[copy.d[f]] = -1.0
    for d in others:
        if floors[d.id] > 0:
            _at_least(lp, copy, d, floors[d.id], [])
    return FlowModel(lp, copy)


def max_share(m: Corridor, active: list[Demand], floors: Mapping[str, float]) -> ShareModel:
    """Maximise the share (<= 1) of every active demand's figure met at once (fair share)."""
    fixed = [d for d in m.demands if d.id in floors]
    flows = [f for d in active + fixed for f in d.flows]
    lp = LinearProgram("max_share")
    copy = add_flows(lp, m, flows)
    share = lp.add_col("share", 0.0, 1.0, cost=-1.0)
    for d in active:
        _at_least(lp, copy, d, 0.0, [(share, -d.required)])
    for d in fixed:
        if floors[d.id] > 0:
            _at_least(lp, copy, d, floors[d.id], [])
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
            _at_least(lp, base, d, d.required, [(unmet[d.id], 1.0)])
    model = PlanModel(lp, base, options, unmet)
    if share > 0:
        for link in contingencies:
            _contingency(model, m, link, share, penalty)
    return model


def _contingency(model: PlanModel, m: Corridor, link: str, share: float, penalty: float) -> None:
    """A copy of the flows of the targets `link`'s loss can touch, each kept at `share`."""
    group = m.group[m.arcs[link].carrier]
    targets = [d for d in m.targets() if m.group[d.carrier] == group and d.required > 0]
    if not targets:
        return
    flows = [f for d in targets for f in d.flows]
    tag = name("n1", link)
    copy = add_flows(model.lp, m, flows, without=link, options=model.options, flow_cost=FLOW_COST,
                     tag=tag)
    model.contingencies[link] = copy
    for d in targets:
        col = model.lp.add_col(name("unmet", d.id) + f"__{tag}", cost=penalty)
        model.n1_unmet[link, d.id] = col
        _at_least(model.lp, copy, d, share * d.required, [(col, 1.0)], tag)


def contingency_links(m: Corridor) -> list[str]:
    """Links whose loss can matter: used by some target's flows and able to carry something."""
    used = {a for d in m.targets() for f in d.flows for a in m.commodities[f].arcs}
    rows = m.rows_by_arc()
    out = []
    for a in m.arcs:
        if a not in used:
            continue
        limits = [r for r in rows.get(a, []) if r.kind in ("link", "fleet")]
        if all(r.rhs > 0 or r.adds for r in limits):
            out.append(a)
    return out
