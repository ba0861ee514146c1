"""The optimiser: a multi-carrier network-flow LP over the scenario, annual and steady state.

A pipeline in the manner of PyPSA's: build -> solve -> extract -> post-process, returning an
`OptimiseResult` with a status instead of raising on an infeasible or failed solve.

1. max deliverable per target, alone (and on nameplate capacities), and on the free network
   (any split, no demand cap: a max-flow whose minimum cut networkx names where it applies);
2. all targets together: max-min fair shares (each block of demands sharing capacity apart),
   then each target's most with the others held;
   then each target's flows grown at their mix (rates and route shares) with the others at
   their fair levels: the headroom, the rows that end it (binding links, nodes, fleets) and
   what one more unit of each adds (`marginal`);
3. the minimum-cost expansion plan (continuous and project expansions, annualised), with a
   penalised unmet slack per target and, when `optimiser.n_minus_1` > 0, a copy of the flows
   per single link loss (security-constrained), added by constraint generation: only the
   losses the plan cannot yet survive get their copy (`sim.optimiser.security`); shadow prices
   from its duals (for a MILP, with the projects fixed and the LP solved again);
4. on the network with the plan built: each target's bound and its worst single link loss.

Modelling choices:
- Capacities are firm (nameplate less background, times availability) by default, for every
  target, `measure: firm` ones included: each is an annual figure, and a year's mean
  throughput cannot exceed a link's mean capacity in service. Nameplate figures are reported
  beside them (`max_nameplate`, and both capacities per link).
- Flows move as the simulator moves them (`optimiser.routing: simulated`, the default; see
  `sim.optimiser.model`): each route carries at most its share of its flow's rate, a flow
  without routes takes the simulator's one path, no flow delivers more than its rate; fleets
  sail loaded voyages and empty legs balanced at every port; berths are shared by both
  directions' calls. `routing: free` is the network's max-flow instead.
- A flow no target names is a demand too: the together bounds and the plan carry it at its
  rate (its shortfall penalised and reported as `flow:<id>`); the N-1 copies carry only the
  targets' flows.
- Money is MUSD/yr (annualised capex by the capital recovery factor, plus opex); an unmet unit
  costs `optimiser.unmet_penalty`, so an unreachable target yields a plan with a shortfall.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import numpy as np

from sim.io import write_text
from sim.network import HOURS_PER_YEAR, Network
from sim.optimiser import formulation as F
from sim.optimiser import security
from sim.optimiser.cut import min_cut
from sim.optimiser.firm import firm_plans
from sim.optimiser.lp import LinearProgram, Solution, check_solver
from sim.optimiser.model import Corridor, Demand
from sim.optimiser.plan import apply_amounts
from sim.optimiser.result import (Contingency, LinkRow, OptimiseResult, Plan, PlannedExpansion,
                                  TargetResult, plan_markdown)
from sim.scenario.schema import Scenario, Solver

__all__ = ["OptimiseResult", "apply_plan", "optimise", "write_plan"]

log = logging.getLogger("corridor.optimiser")
TOL = 1e-7
SHADOW_TOL = 1e-2  # MUSD/yr per unit (a berth, a vessel, a Mt/yr); below, the flow-cost tie-breaker's echo
N1Method = Literal["generate", "enumerate"]


class HasLP(Protocol):
    lp: LinearProgram


ModelT = TypeVar("ModelT", bound=HasLP)


@dataclass
class Runner:
    """Builds and solves LPs with one solver, adding up build and solve seconds."""

    solver: Solver
    build_s: float = 0.0
    solve_s: float = 0.0
    solved: int = 0
    notes: list[str] = field(default_factory=list)

    def run(self, make: Callable[[], ModelT]) -> tuple[ModelT, Solution]:
        """Build a model with `make` and solve its LP (a failed solve is noted, not raised)."""
        t0 = time.perf_counter()
        model = make()
        self.build_s += time.perf_counter() - t0
        sol = model.lp.solve(self.solver)
        self.build_s += sol.build_s
        self.solve_s += sol.solve_s
        self.solved += 1
        log.debug("LP %s: %d columns, %d rows, %s in %.2f s", model.lp.name, model.lp.n_cols, model.lp.n_rows,
                  sol.status, sol.solve_s)
        if not sol.ok:
            self.notes.append(f"{model.lp.name}: solver status {sol.status}")
        return model, sol

    def tested(self, lps: int, seconds: float) -> None:
        """Count LPs solved outside `run` (the N-1 tests, straight in highspy; the firm-power plans)."""
        self.solved += lps
        self.solve_s += seconds


def optimise(scenario: Scenario, *, solver: str | None = None, n_minus_1: bool = True,
             save_lp: Path | None = None, firm: bool = True,
             availability: Mapping[str, float] | None = None,
             effective: Mapping[str, float] | None = None, n1_method: N1Method = "generate") -> OptimiseResult:
    """Bounds per target, the min-cost plan, N-1 and shadow prices for a scenario.

    `solver` overrides `optimiser.solver` (highs | cbc). `n_minus_1=False` skips the N-1
    copies and the contingency analysis. With `save_lp` the plan model is written in LP
    format and nothing is solved (status "not solved"). `availability` (link id -> share in
    service, e.g. measured by a simulation) overrides the links' reliability-derived values;
    `effective` (capacity row id, as in `shadow_prices` -> factor in (0, 1]) scales rows to the
    share of their capacity a simulation found usable (`corridor plan` learns these).
    `n1_method="enumerate"` solves the N-1 plan with a copy per contingency from the start (the
    full formulation, as `save_lp` writes it) instead of by constraint generation: the same
    answer, kept for tests and benchmarks.
    """
    name = check_solver(solver or scenario.optimiser.solver)
    runner = Runner(name)
    t0 = time.perf_counter()
    m = Corridor(Network(scenario), firm=firm, link_availability=availability, effective=effective)
    share = scenario.optimiser.n_minus_1.value if n_minus_1 else 0.0
    result = OptimiseResult(scenario.name, "not solved", name, firm=firm, n_minus_1_share=share)
    result.targets = {d.id: TargetResult(d.id, d.carrier, d.unit, d.value, d.required)
                      for d in m.targets()}
    runner.build_s += time.perf_counter() - t0
    result.notes += [f"expansion {eid}: {m.options[eid].asset} {m.options[eid].element} has no "
                     "capacity of its kind to add to, so building it changes nothing"
                     for eid in m.idle_options]
    if save_lp is not None:
        t0 = time.perf_counter()
        pm = F.plan_model(m, share=share, contingencies=F.contingency_links(m) if share else ())
        pm.lp.write_lp(Path(save_lp))
        result.build_s = runner.build_s + time.perf_counter() - t0
        result.lp_size = _size(pm.lp)
        return result
    _alone(m, runner, result)
    nameplate = Corridor(m.network, firm=False, routing=m.routing, link_availability=availability,
                         effective=effective)
    for d in nameplate.targets():
        fm, sol = runner.run(partial(F.max_delivery, nameplate, d))
        result.targets[d.id].max_nameplate = fm.copy.delivered(sol.x, d.flows) if sol.ok else None
    together, shares, levels = fair_shares(m, runner)
    for tid, t in result.targets.items():
        t.max_together, t.together_share = together.get(tid), shares.get(tid)
    _growth(m, runner, result, levels)
    _plan(m, share, runner, result, n1_method)
    _with_plan(m, scenario, runner, result, availability, effective, together, levels, n_minus_1)
    t0 = time.perf_counter()
    result.firm_supply = {tid: p.to_dict() for tid, p in firm_plans(scenario, m.network, name).items()}
    runner.tested(len(result.firm_supply), time.perf_counter() - t0)  # an hourly LP a target, mostly HiGHS's solve
    result.build_s, result.solve_s, result.lps_solved = runner.build_s, runner.solve_s, runner.solved
    result.notes += runner.notes
    log.info("optimiser: %d LPs solved with %s (build %.2f s, solve %.2f s), status %s", runner.solved, name,
             runner.build_s, runner.solve_s, result.status)
    return result


def apply_plan(scenario: Scenario, result: OptimiseResult) -> Scenario:
    """A copy of the scenario with the plan's expansions built, for the simulator.

    Link and node capacities grow by the planned amounts (a port limited by its berths gets
    whole berths, rounded up); fleets get the planned vessels, rounded up to whole vessels.
    """
    return apply_amounts(scenario, result.plan.amounts())


def write_plan(result: OptimiseResult, folder: Path) -> None:
    """Write `plan.json` and `plan.md` into `folder`, each atomically."""
    import json

    folder = Path(folder)
    write_text(folder / "plan.json", json.dumps(result.to_dict(), indent=2) + "\n")
    write_text(folder / "plan.md", plan_markdown(result))


# --- 1. max deliverable, alone -----------------------------------------------------------------


def _alone(m: Corridor, runner: Runner, result: OptimiseResult) -> None:
    """Each target alone: as simulated (its route shares, capped at its flows' rates) and on the
    free network (any split, no demand cap: a max-flow, whose minimum
    cut networkx names where it applies)."""
    free = Corridor(m.network, firm=m.firm, routing="free", link_availability=m.availability)
    for d in m.targets():
        t = result.targets[d.id]
        fm, sol = runner.run(partial(F.max_delivery, m, d))
        if sol.ok:
            t.max_alone = fm.copy.delivered(sol.x, d.flows)
        fm, sol = runner.run(partial(F.max_delivery, free, d))
        if not sol.ok:
            continue
        t.max_network = fm.copy.delivered(sol.x, d.flows)
        cut = min_cut(free, d)
        if cut is not None:
            value, cut_links, cut_nodes = cut
            t.min_cut = cut_links + [f"node:{n}" for n in cut_nodes]
            if abs(value - t.max_network) > 1e-6 * max(1.0, value):
                runner.notes.append(f"{d.id}: networkx max-flow {value:.6g} differs from the LP's "
                                    f"{t.max_network:.6g}")


def _marginal(m: Corridor, copy: F.Copy, sol: Solution, d: Demand) -> dict[str, tuple[float, str]]:
    """Each binding row's marginal value at the target's mix: what one more unit of it (a berth,
    a vessel, a Mt/yr or GW of capacity) adds to the target, in the target's unit. Rows whose
    value is below a thousandth of the target's rate a unit are the LP's degenerate echoes, left out."""
    rate = sum(m.rate(f) for f in d.flows)
    by_id = {r.id: r for r in m.resources}
    out: dict[str, tuple[float, str]] = {}
    for rid, row in copy.rows.items():
        r, dual = by_id[rid], -float(sol.duals[row]) * rate
        if r.kind == "fleet":
            value, unit = dual * m.hours_per_vessel(r.element), "vessel"
        elif r.kind == "berth":
            value, unit = dual * HOURS_PER_YEAR * m.node_availability(r.element), "berth"
        else:
            value, unit = dual, r.unit
        if r.kind != "deck" and value > 1e-3 * max(rate, 1.0):
            out[rid] = (value, unit)
    return dict(sorted(out.items(), key=lambda kv: -kv[1][0]))


def _binding(m: Corridor, rows: Mapping[str, object]) -> tuple[list[str], list[str], list[str]]:
    """Links, nodes (throughput, berths, generation) and fleets among capacity rows `rows`."""
    by_id = {r.id: r for r in m.resources}
    kinds = [(by_id[rid].kind, by_id[rid].element) for rid in rows]
    return (sorted({e for k, e in kinds if k == "link"}),
            sorted({e for k, e in kinds if k in ("node", "berth", "generation")}),
            sorted({e for k, e in kinds if k == "fleet"}))


# --- 2. together: max-min fair shares ----------------------------------------------------------


def _growth(m: Corridor, runner: Runner, result: OptimiseResult, levels: Mapping[str, float]) -> None:
    """How far each target's flows could grow at their mix with every other demand at its fair
    level, and the rows that stop them: the optimiser's bottleneck."""
    for d in m.targets():
        t = result.targets[d.id]
        growth = _grow(m, runner, d, levels)
        if growth is not None:
            t.growth, t.marginal = growth
            t.binding, t.binding_nodes, t.binding_fleets = _binding(m, t.marginal)


def _grow(m: Corridor, runner: Runner, d: Demand, levels: Mapping[str, float]
          ) -> tuple[float, dict[str, tuple[float, str]]] | None:
    """(growth, marginal value of each row that stops it), or None if the LP failed."""
    gm, sol = runner.run(partial(F.max_growth, m, d, {k: v for k, v in levels.items() if k != d.id}))
    if not sol.ok:
        return None
    growth = float(sol.x[gm.growth_col])
    if growth >= F.GROWTH_CAP * (1 - 1e-9):
        return growth, {}
    return growth, _marginal(m, gm.copy, sol, d)


def fair_shares(m: Corridor, runner: Runner) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Each target's most when all demands compete, and its max-min fair share of its figure.

    Progressive filling: raise one common share of every unfixed demand's figure until some
    cannot grow further (those keep that share), repeat for the rest, up to 1. Then each target
    is maximised with every other demand held at its fair level. Blocks of demands that share
    no capacity (`Corridor.blocks`) fill apart: max-min fair shares split over them.
    """
    levels: dict[str, float] = {}
    block = m.blocks()
    by_block: dict[int, list[Demand]] = defaultdict(list)
    for d in m.demands:
        if d.required > 0:
            by_block[block[d.flows[0]]].append(d)
    for active in by_block.values():
        _fill(m, runner, active, levels)
    most: dict[str, float] = {}
    for d in m.targets():
        floors = {k: v for k, v in levels.items() if k != d.id}
        fm, sol = runner.run(partial(F.max_delivery, m, d, floors=floors))
        if sol.ok:
            most[d.id] = fm.copy.delivered(sol.x, d.flows)
    shares = {d.id: levels[d.id] / d.required for d in m.targets() if d.id in levels}
    return most, shares, levels


def _fill(m: Corridor, runner: Runner, active: list[Demand], levels: dict[str, float]) -> None:
    """Progressive filling of one block's demands, their fair levels written into `levels`."""
    while active:
        sm, sol = runner.run(partial(F.max_share, m, active, levels))
        if not sol.ok:
            break
        lam = min(max(float(sol.x[sm.share_col]), 0.0), 1.0)
        if lam >= 1.0 - TOL:
            levels.update({d.id: d.required for d in active})
            break
        floors = levels | {d.id: lam * d.required for d in active}
        blocked = []
        for d in active:
            gm, best = runner.run(partial(F.max_delivery, m, d, floors=floors))
            if not best.ok or gm.copy.delivered(best.x, d.flows) <= lam * d.required * (1 + 1e-6) + TOL:
                blocked.append(d)
        for d in blocked or active:
            levels[d.id] = lam * d.required
        active = [d for d in active if d.id not in levels]


# --- 3. the plan -------------------------------------------------------------------------------


def _plan(m: Corridor, share: float, runner: Runner, result: OptimiseResult, n1_method: N1Method) -> None:
    if share > 0 and n1_method == "generate":
        pm, sol = security.plan(m, share, runner.run, runner.tested)
    else:
        conts = F.contingency_links(m) if share > 0 else []
        pm, sol = runner.run(partial(F.plan_model, m, share=share, contingencies=conts))
    result.lp_size = _size(pm.lp)
    result.status = sol.status
    result.plan = Plan(sol.status)
    if not sol.ok:
        return
    x = sol.x
    duals: np.ndarray | None = sol.duals
    if pm.lp.is_mip:  # a MILP has no duals: fix the projects as chosen and solve the LP again
        pm.lp.fix({col: round(x[col]) for eid, (col, _) in pm.options.items()
                   if m.options[eid].kind == "project"})
        _, fixed = runner.run(lambda: pm)
        x, duals = (fixed.x, fixed.duals) if fixed.ok else (x, None)
    result.plan = _extract_plan(m, pm, x)
    if duals is not None:
        _shadow_prices(m, pm, duals, result)
        if not result.plan.feasible and result.shadow_prices:
            penalty = m.scenario.optimiser.unmet_penalty.value
            result.notes.append(f"the plan falls short, so shadow prices on rows that limit an unmet "
                                f"target are in units of the unmet penalty ({penalty:g} MUSD/yr per "
                                f"unit short), not of investment cost")
    result.links = _link_rows(m, pm, x, result.plan.amounts())


def _extract_plan(m: Corridor, pm: F.PlanModel, x: np.ndarray) -> Plan:
    """The expansions built (amount > 0), their annual cost, and what is still short."""
    plan = Plan("optimal")
    for eid, amount in F.plan_amounts(m, pm, x).items():
        o = m.options[eid]
        if amount > 1e-6 * max(1.0, o.size):
            plan.expansions.append(PlannedExpansion(eid, o.asset, o.element, o.kind, amount, o.unit,
                                                    o.size, o.annual_cost * amount / o.size,
                                                    o.description))
    plan.cost = sum(e.cost for e in plan.expansions)
    demands = {d.id: d for d in m.demands}
    for did, col in pm.unmet.items():
        if x[col] > 1e-6 * max(1.0, demands[did].required):
            plan.shortfalls[did] = float(x[col])
    for (link, did), col in pm.n1_unmet.items():
        worst = plan.n_minus_1_shortfalls.get(did, {}).get("amount", 0.0)
        if x[col] > 1e-6 * max(1.0, demands[did].required) and x[col] > worst:
            plan.n_minus_1_shortfalls[did] = {"link": link, "amount": float(x[col])}
    plan.feasible = not plan.shortfalls and not plan.n_minus_1_shortfalls
    return plan


def _shadow_prices(m: Corridor, pm: F.PlanModel, duals: np.ndarray, result: OptimiseResult) -> None:
    """MUSD/yr one more unit of each binding capacity saves, over the base case and every
    contingency (the capacity is there in all of them)."""
    total: dict[str, float] = {}
    for copy in pm.copies():
        for rid, row in copy.rows.items():
            total[rid] = total.get(rid, 0.0) - float(duals[row])
    for r in m.resources:
        value = total.get(r.id, 0.0)
        if r.kind == "deck":
            continue  # a deck row only books voyages: the fleet's and berths' rows price them
        if r.kind == "fleet":
            value, unit = value * m.hours_per_vessel(r.element), "vessel"
        elif r.kind == "berth":
            value, unit = value * HOURS_PER_YEAR * m.node_availability(r.element), "berth"
        else:
            unit = r.unit
        if value > SHADOW_TOL:
            result.shadow_prices[r.id] = value
            result.shadow_units[r.id] = f"MUSD/yr per {unit}"


def _link_rows(m: Corridor, pm: F.PlanModel, x: np.ndarray, amounts: dict[str, float]) -> list[LinkRow]:
    """Each link's capacities, its flow in the plan, and the use of the tightest row it is in.

    A link sailed by its fleet alone has as its capacity what the whole fleet could carry on it.
    """
    use: dict[str, float] = {}
    for r in m.resources:
        activity = pm.base.activity(r, x)
        cap = m.capacity_of(r, amounts)
        use[r.id] = activity / cap if cap > 0 else (math.inf if activity > TOL else 0.0)
    rows_by_arc = m.rows_by_arc()
    flows: dict[str, float] = defaultdict(float)
    for (_, a), col in pm.base.x.items():
        flows[a] += float(x[col])
    out = []
    for lid, v in m.network.links.items():
        flow = flows[lid]
        rows = [r for r in rows_by_arc.get(lid, []) if r.kind in ("link", "fleet", "berth")]
        own = [r for r in rows if r.kind == "link"]
        firm, planned = v.capacity * m.availability[lid], v.capacity * m.availability[lid]
        if own:
            coef = next(e.coef for e in own[0].entries if e.arc == lid)
            firm, planned = own[0].rhs / coef, m.capacity_of(own[0], amounts) / coef
        out.append(LinkRow(lid, v.carrier, v.mode, v.unit, v.nameplate, v.capacity,
                           m.availability[lid], firm, planned, float(flow),
                           max(use[r.id] for r in rows) if rows else None))
    return out


# --- 4. with the plan built: bounds and the worst single link loss -----------------------------


def _with_plan(m: Corridor, scenario: Scenario, runner: Runner, result: OptimiseResult,
               availability: Mapping[str, float] | None, effective: Mapping[str, float] | None,
               together: dict[str, float], levels2: dict[str, float], n_minus_1: bool) -> None:
    if result.plan.status != "optimal":
        return
    if result.plan.expansions:
        planned = apply_amounts(scenario, result.plan.amounts())
        m2 = Corridor(Network(planned), firm=m.firm, routing=m.routing, link_availability=availability,
                      effective=effective)
        together, _, levels2 = fair_shares(m2, runner)
    else:
        m2 = m
    for d in m2.targets():
        t = result.targets[d.id]
        t.max_with_plan = together.get(d.id)
        growth = _grow(m2, runner, d, levels2)
        if growth is not None:
            t.marginal_with_plan = growth[1]
            t.binding_with_plan, t.binding_nodes_with_plan, _ = _binding(m2, growth[1])
        fm, sol = runner.run(partial(F.max_delivery, m2, d))
        if not sol.ok:
            continue
        alone = fm.copy.delivered(sol.x, d.flows)
        if n_minus_1:
            used = sorted({a for (f, a), col in fm.copy.x.items() if sol.x[col] > TOL})
            result.n_minus_1[d.id] = _worst_loss(m2, d, alone, used, runner, result)


def _worst_loss(m: Corridor, d: Demand, alone: float, used: list[str], runner: Runner,
                result: OptimiseResult) -> Contingency:
    """The single link whose loss leaves the target least (only links its flow uses can hurt:
    any link an optimal flow leaves unused can go without lowering the optimum)."""
    worst_link, worst = None, alone
    for a in used:
        fm, sol = runner.run(partial(F.max_delivery, m, d, without=a))
        left = fm.copy.delivered(sol.x, d.flows) if sol.ok else 0.0
        if left < worst - TOL:
            worst_link, worst = a, left
    share = worst / d.value if d.value > 0 else None
    shortfall = result.plan.n_minus_1_shortfalls.get(d.id, {}).get("amount", 0.0)
    required = result.n_minus_1_share
    secure = shortfall == 0.0 if required > 0 else True  # the security-constrained plan decides
    return Contingency(d.id, worst_link, worst, share, required, secure, shortfall)


def _size(lp: LinearProgram) -> dict[str, int]:
    return {"columns": lp.n_cols, "rows": lp.n_rows,
            "nonzeros": sum(len(c) for c in lp.row_cols), "integers": sum(lp.integer)}
