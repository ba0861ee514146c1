"""`corridor plan`: the cheapest expansion plan the simulation believes.

The optimiser's plan is cheap but trusts steady-state capacity rows; the simulation is honest
but only judges a plan it is given. The loop joins the two:

1. The LP proposes the min-cost plan (`optimise`), with the effective capacity factors and the
   cuts learned so far.
2. The plan is built into the scenario (`apply_plan`) and simulated with common random numbers:
   the same seed and replication indices every iteration, so two plans differ only by what was
   built. Each target's P(met) is the share of replications meeting it, with its Wilson 95%
   interval.
3. When every target is met in at least a share `p` of replications (the point estimate), the
   loop stops: that plan is the answer. Otherwise it learns why, for the capacity rows that
   carry a short target's flows and bind in the LP (positive shadow price, or named among the
   target's binding links, nodes and fleets), or are berths at least 85% busy in the simulation:
   - `fleet:F`: of the vessel-hours not idle, the share spent loading, crossing, unloading or
     sailing empty, the only hours the LP's cycle-time row counts (the rest are waits for a
     berth, the weather, a timetable slot or a full load, or for yard room);
   - `berth:N:KIND`: the berth-hours the LP's row would credit for the simulated calls (loaded
     voyages x load or unload time) and handled consignments, over the busy berth-hours the
     simulation measured (vessels holding a berth to wait, give way or ride out weather).
   Other rows (links, nodes, generation) have no factor: cuts deal with them.
   A factor only ever falls (the lowest measured so far), so each plan costs at least what
   the last did and the loop cannot cycle; it may over-build where a resource's usable share
   grows with its size (pooled queues).
4. The LP is solved again with the factors (`optimise(effective=...)`). If the plan it builds
   is one already simulated, the factors did not move it: a cut commits at least one more
   unit of the binding resource's expansion (a whole vessel or berth, a whole project, or 5%
   of a link's or node's capacity) on top of the failed plan, the cheapest per unit of the
   row with the highest shadow price (then the lowest factor); a resource neither binding nor
   learned is cut only when there is no other. A commitment is built into the scenario the LP sees
   and taken off the expansion's size (and its cost added to the plan).
5. The loop ends `met`; `out of reach` when the LP plan falls short of a demand even with every
   expansion (an untargeted flow the LP drops still runs in the simulation), or fails to
   solve, or no expansion is left for a cut; or at the iteration limit. The best plan (most
   targets met, then highest summed P(met), then most of each figure delivered, then cheapest)
   is the answer then.

A scenario without `expansions:` is refused: there is nothing to choose between, and
`corridor run` simulates a scenario as written.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


from sim.errors import CorridorError
from sim.io import MANIFEST, staged_folder, write_text
from sim.network import HOURS_PER_YEAR, Network
from sim.optimiser.model import Corridor, Resource
from sim.optimiser.optimise import OptimiseResult, apply_plan, optimise, write_plan
from sim.optimiser.plan import apply_amounts
from sim.optimiser.result import PlannedExpansion
from sim.scenario import units
from sim.scenario.loading import resolved_yaml
from sim.scenario.schema import Scenario
from sim.targets import figure, required_probability, unit, wilson
from sim.simulate import SimulationResult, simulate

Outcome = Literal["met", "out of reach", "iteration limit"]
FLOOR = 0.02  # the lowest effective capacity factor learned: a row is never written off
SATURATED = 0.85  # a berth this busy in the simulation is learned from even when the LP has slack
CAPACITY_STEP = 0.05  # a cut on a capacity (not a count) commits this share of the row more
COUNT_UNITS = frozenset({"vessels", "berths"})
MAX_ITERATIONS = 100


def parse_level(text: str | float) -> float:
    """`0.9` or `90%` -> 0.9: the probability every target must be met with, strictly in (0, 1)."""
    try:
        p = units.to_canonical(text, "fraction") if isinstance(text, str) else float(text)
    except ValueError as exc:
        raise CorridorError(f"--p: expected a probability such as 0.9 or 90%, got {text!r} ({exc})") from None
    if not math.isfinite(p) or not 0.0 < p < 1.0:
        raise CorridorError(f"--p: expected a probability strictly between 0 and 1 (0 and 100%), got {text!r}")
    return p


@dataclass(frozen=True)
class TargetCheck:
    """One target in one iteration's simulation."""

    id: str
    value: float  # the target's figure
    unit: str
    mean: float  # measured, mean over replications
    p_met: float
    lo: float  # Wilson 95% interval of p_met
    hi: float
    n: int
    met: bool  # p_met >= p


@dataclass(frozen=True)
class Learned:
    """An effective capacity factor measured in a simulation, and what it was measured from."""

    row: str
    factor: float
    evidence: str


@dataclass
class Iteration:
    """One LP plan and its simulation."""

    index: int  # from 1
    amounts: dict[str, float]  # expansion id -> amount planned (its unit), cuts included
    built: dict[str, float]  # the same as built: vessels and berths whole (rounded up)
    cost: float  # MUSD/yr, annualised
    lp_status: str
    lp_shortfalls: dict[str, float]  # demand id -> unmet in the LP, its unit
    factors: dict[str, float]  # effective capacity factors the LP was solved with
    committed: dict[str, float]  # expansion id -> amount a cut forced
    targets: dict[str, TargetCheck] = field(default_factory=dict)
    learned: list[Learned] = field(default_factory=list)
    cut: str | None = None  # the cut added after this iteration
    note: str = ""

    @property
    def met(self) -> int:
        return sum(t.met for t in self.targets.values())

    def score(self) -> tuple[int, float, float, float]:
        """Higher is better: targets met, then summed P(met), then summed share of each figure
        delivered (up to 1), then cheaper."""
        checks = self.targets.values()
        reached = sum(min(t.mean / t.value, 1.0) if t.value > 0 else 1.0 for t in checks)
        return self.met, sum(t.p_met for t in checks), reached, -self.cost


@dataclass
class PlanLoopResult:
    scenario: str
    p: float | None  # None: each target's own required probability
    seed: int
    replications: int
    iterations: list[Iteration]
    outcome: Outcome
    message: str
    best: int  # index (from 1) of the plan returned
    final: OptimiseResult  # that plan, as `corridor optimise` writes it

    @property
    def success(self) -> bool:
        return self.outcome == "met"

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "p": self.p, "seed": self.seed, "replications": self.replications,
                "outcome": self.outcome, "message": self.message, "best_iteration": self.best,
                "plan": self.final.plan_dict(),
                "iterations": [dataclasses.asdict(it) for it in self.iterations]}


Progress = Callable[[Iteration], None]


def plan_loop(scenario: Scenario, *, p: float | None = None, replications: int | None = None, seed: int | None = None,
              iterations: int = 8, workers: int = 1, solver: str | None = None,
              progress: Progress | None = None) -> PlanLoopResult:
    """Alternate LP plans and simulations until every target is met with probability `p` (None:
    each target's own required probability, `verdicts.probability` or the target's override)."""
    if p is not None and not 0.0 < p < 1.0:
        raise CorridorError(f"--p: expected a probability strictly between 0 and 1, got {p}")
    need = {tid: p if p is not None else required_probability(scenario, tid) for tid in scenario.targets}
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise CorridorError(f"--iterations: expected 1 to {MAX_ITERATIONS}, got {iterations}")
    check_plannable(scenario)
    seed = scenario.simulation.seed if seed is None else seed
    reps = scenario.simulation.replications if replications is None else replications
    base = Corridor(Network(scenario))
    loop = PlanSearch(scenario, base, solver)
    done: list[Iteration] = []
    results: dict[int, OptimiseResult] = {}
    outcome: Outcome = "iteration limit"
    message = ""
    result = loop.solve()
    for k in range(1, iterations + 1):
        it = Iteration(k, result.plan.amounts(), loop.built(result), result.plan.cost, result.plan.status,
                       dict(result.plan.shortfalls), dict(loop.factors), dict(loop.committed))
        done.append(it)
        results[k] = result
        if result.plan.status != "optimal":
            it.note = f"the LP did not solve (status {result.plan.status})"
            outcome, message = "out of reach", f"the LP did not solve (status {result.plan.status}): " \
                                               "the plan is out of reach"
            break
        built = apply_plan(scenario, result)
        sim = simulate(built, replications=reps, seed=seed, workers=workers)
        it.targets = _checks(scenario, sim, need)
        loop.simulated.add(resolved_yaml(built))
        short = [tid for tid, t in it.targets.items() if not t.met]
        if not short:
            outcome, message = "met", f"every target met with its required P(met) after {k} iteration(s)"
            _tell(progress, it)
            break
        lp_short = result.plan.shortfalls  # an untargeted flow the LP drops still runs in the simulation
        if lp_short:
            it.note = "the LP falls short even with every expansion built"
            outcome = "out of reach"
            message = ("out of reach: the LP cannot meet " + ", ".join(
                f"{d} (short {v:.4g})" for d, v in lp_short.items())
                + " with the expansions offered and the capacity the simulation found usable ("
                + (", ".join(f"{rid} {f:.0%}" for rid, f in sorted(loop.factors.items())) or "all of it") + ")")
            _tell(progress, it)
            break
        it.learned = loop.learn(built, sim, result, short)
        if k == iterations:
            _tell(progress, it)
            break
        nxt = loop.advance(result, it, short)
        _tell(progress, it)
        if nxt is None:
            outcome = "out of reach"
            message = f"out of reach: {it.note}"
            break
        result = nxt
    best = _best(done, outcome)
    final = results[best]
    if outcome == "iteration limit":
        message = (f"not converged in {iterations} iteration(s): the best plan (iteration {best}) is written; "
                   "raise --iterations to go on")
    if outcome != "met":
        short_now = {tid: t for tid, t in done[best - 1].targets.items() if not t.met}
        if short_now:
            message += "; still short: " + ", ".join(
                f"{tid} P(met) {t.p_met:.2f} < {need[tid]:g}" for tid, t in short_now.items())
    final.notes.append(f"corridor plan: {message}")
    return PlanLoopResult(scenario.name, p, seed, reps, done, outcome, message, best, final)


def check_plannable(scenario: Scenario) -> None:
    """Refuse a scenario the loop has nothing to do with: no targets, or no candidate expansions."""
    if not scenario.targets:
        raise CorridorError(f"scenario {scenario.name!r}: no targets, so no plan can be judged; "
                            "add `targets:`")
    if not scenario.expansions:
        raise CorridorError(f"scenario {scenario.name!r}: no candidate expansions, so there is nothing to "
                            "plan; add `expansions:` (links, nodes, berths or vessels the plan may build), "
                            "or use `corridor run` to simulate the scenario as written")


def _tell(progress: Progress | None, it: Iteration) -> None:
    if progress is not None:
        progress(it)


def _best(done: list[Iteration], outcome: Outcome) -> int:
    if outcome == "met":
        return done[-1].index
    simulated = [it for it in done if it.targets] or done
    return max(simulated, key=lambda it: it.score()).index


def _checks(scenario: Scenario, sim: SimulationResult, need: Mapping[str, float]) -> dict[str, TargetCheck]:
    out = {}
    for tid, t in scenario.targets.items():
        d = sim.target(tid)
        n = int(d["n"])
        k = round(d["p_met"] * n)
        lo, hi = wilson(k, n)
        out[tid] = TargetCheck(tid, figure(t), unit(t), float(d["mean"]), float(d["p_met"]),
                               lo, hi, n, d["p_met"] >= need[tid] - 1e-12)
    return out


class PlanSearch:
    """What the loop has learned: effective factors, cuts (committed amounts), plans simulated."""

    def __init__(self, scenario: Scenario, base: Corridor, solver: str | None):
        self.scenario = scenario
        self.base = base
        self.solver = solver
        self.factors: dict[str, float] = {}
        self.committed: dict[str, float] = {}
        self.simulated: set[str] = set()

    # --- the LP with the cuts built in ----------------------------------------------------------

    def built(self, result: OptimiseResult) -> dict[str, float]:
        """A plan's amounts as `apply_plan` builds them: whole vessels and berths."""
        return {e.id: math.ceil(e.amount - 1e-6) if e.unit in COUNT_UNITS else e.amount
                for e in result.plan.expansions}

    def solve(self) -> OptimiseResult:
        """The min-cost plan with the factors and cuts so far (cuts counted in its expansions)."""
        reduced = self._committed_scenario()
        result = optimise(reduced, solver=self.solver, effective=self.factors or None)
        plan = result.plan
        by_id = {e.id: e for e in plan.expansions}
        for eid, amount in self.committed.items():
            o = self.base.options[eid]
            cost = o.annual_cost * amount / o.size
            if eid in by_id:
                e = by_id[eid]
                e.amount += amount
                e.cost += cost
                e.size = o.size
            else:
                plan.expansions.append(PlannedExpansion(eid, o.asset, o.element, o.kind, amount, o.unit,
                                                        o.size, cost, o.description))
        plan.cost = sum(e.cost for e in plan.expansions)
        if self.factors:
            result.notes.append("effective capacity factors learned by simulation: " + ", ".join(
                f"{rid} {f:.3g}" for rid, f in sorted(self.factors.items())))
        if self.committed:
            result.notes.append("committed by cuts: " + ", ".join(
                f"{eid} >= {a:.4g} {self.base.options[eid].unit}" for eid, a in sorted(self.committed.items())))
        return result

    def _committed_scenario(self) -> Scenario:
        """The scenario with the committed amounts built and taken off their expansions."""
        if not self.committed:
            return self.scenario
        out = apply_amounts(self.scenario, self.committed)
        expansions = {}
        for eid, e in self.scenario.expansions.items():
            done = self.committed.get(eid, 0.0)
            room = e.size.value - done
            if done <= 0:
                expansions[eid] = e
            elif e.kind == "continuous" and room > 1e-9 * e.size.value:
                share = room / e.size.value
                size = dataclasses.replace(e.size, value=room, text=f"{room:.6g} {e.size.unit}")
                capex = dataclasses.replace(e.capex, value=e.capex.value * share,
                                            text=f"{e.capex.value * share:.6g} {e.capex.unit}")
                expansions[eid] = e.model_copy(update={"size": size, "capex": capex})
        return out.model_copy(update={"expansions": expansions})

    # --- learning -------------------------------------------------------------------------------

    def candidates(self, rows: list[Resource], result: OptimiseResult, short: list[str],
                   sim: SimulationResult | None = None) -> list[Resource]:
        """Rows that carry a short target's flows and bind in the LP (or, berths, are saturated in
        the simulation `sim`), highest shadow price first."""
        arcs: set[str] = set()
        named: set[str] = set(result.shadow_prices)
        for tid in short:
            flows = set(self.scenario.targets[tid].flows)
            arcs |= {a for c in self.base.commodities.values() if c.flow in flows for a in c.arcs}
            t = result.targets.get(tid)
            if t is not None:
                for lid in t.binding_with_plan + t.binding:
                    named.add(lid)
                    fleet = self.scenario.links[lid].fleet if lid in self.scenario.links else None
                    if fleet is not None:
                        named.add(f"fleet:{fleet}")
                named |= {f"fleet:{f}" for f in t.binding_fleets}
                nodes = set(t.binding_nodes_with_plan + t.binding_nodes)
                named |= {r.id for r in rows if r.kind in ("node", "berth", "generation") and r.element in nodes}
        if sim is not None:
            named |= {r.id for r in rows if r.kind == "berth" and (berth_utilisation(r, sim) or 0.0) >= SATURATED}
        chosen = [r for r in rows if r.id in named and r.arcs() & arcs]
        return sorted(chosen, key=lambda r: -result.shadow_prices.get(r.id, 0.0))

    def learn(self, built: Scenario, sim: SimulationResult, result: OptimiseResult,
              short: list[str]) -> list[Learned]:
        """Measure the binding rows' usable shares; keep each factor at the lowest seen."""
        rows = Corridor(Network(built)).resources
        learned = []
        for r in self.candidates(rows, result, short, sim):
            got = _measure(r, built, sim)
            if got is None:
                continue
            learned.append(got)
            if got.factor < self.factors.get(r.id, 1.0) - 1e-9:
                self.factors[r.id] = got.factor
        return learned

    # --- the next plan --------------------------------------------------------------------------

    def advance(self, failed: OptimiseResult, it: Iteration, short: list[str]) -> OptimiseResult | None:
        """The next plan to simulate: the LP with the new factors, or with cuts until it differs
        from every plan simulated. None when no cut is left."""
        nxt = self.solve()
        while resolved_yaml(apply_plan(self.scenario, nxt)) in self.simulated:
            cut = self.cut(failed, short)
            if cut is None:
                rows = ", ".join(x.row for x in it.learned) or "none measured"
                it.note = ("the factors learned do not change the plan and no expansion can add to a resource "
                           f"that binds (learned from: {rows})")
                return None
            it.cut = cut if it.cut is None else f"{it.cut}; {cut}"
            nxt = self.solve()
            failed = nxt
        return nxt

    def cut(self, failed: OptimiseResult, short: list[str]) -> str | None:
        """Commit one more unit of the best expansion of the binding resource; its description."""
        amounts = failed.plan.amounts()
        binding = self.candidates(self.base.resources, failed, short)
        learned = [r for r in self.base.resources if r.id in self.factors and r not in binding]
        rows = sorted(binding + learned, key=lambda r: (-failed.shadow_prices.get(r.id, 0.0),
                                                        self.factors.get(r.id, 1.0)))
        flows = {f for tid in short for f in self.scenario.targets[tid].flows}
        arcs = {a for c in self.base.commodities.values() if c.flow in flows for a in c.arcs}
        if not rows:  # nothing binds or was learned: any resource with expansions on the short flows
            rows = [r for r in self.base.resources if r.adds and r.arcs() & arcs]
        for r in rows:
            options = [(self.base.options[eid], per) for eid, per in r.adds
                       if per > 0 and self._room(eid) > 1e-9 * self.base.options[eid].size]
            if not options:
                continue
            o, _ = min(options, key=lambda op: op[0].annual_cost / op[0].size / op[1])
            now = max(amounts.get(o.id, 0.0), self.committed.get(o.id, 0.0))
            if o.kind == "project":
                amount = o.size
            elif o.unit in COUNT_UNITS:
                amount = math.ceil(now - 1e-6) + 1.0
            else:
                per = dict(r.adds)[o.id]
                amount = now + max(CAPACITY_STEP * r.rhs / per, 0.01 * o.size)
            amount = min(amount, o.size)
            if amount <= self.committed.get(o.id, 0.0) + 1e-9:
                continue
            self.committed[o.id] = amount
            return f"{o.id} >= {amount:.4g} {o.unit} ({r.id})"
        return None

    def _room(self, eid: str) -> float:
        return self.base.options[eid].size - self.committed.get(eid, 0.0)


def _measure(r: Resource, built: Scenario, sim: SimulationResult) -> Learned | None:
    """A row's usable share from the simulation's records (None: nothing measured for it)."""
    if r.kind == "fleet":
        row = sim.table_means("fleets").get(r.element)
        if not row or "idle_share" not in row:
            return None
        busy = 1.0 - row["idle_share"]
        if busy <= 0:
            return None
        productive = row.get("working_share", 0.0) + row.get("empty_share", 0.0)
        factor = min(max(productive / busy, FLOOR), 1.0)
        return Learned(r.id, factor, f"vessels work or reposition {productive:.1%} of the hours, idle "
                                     f"{row['idle_share']:.1%}, wait the rest")
    if r.kind == "berth":
        util = berth_utilisation(r, sim)
        if util is None or util <= 0 or r.rhs <= 0:
            return None
        credited = _berth_hours(r, built, sim)
        share = credited / (util * r.rhs)
        factor = min(max(share, FLOOR), 1.0)
        return Learned(r.id, factor, f"berths busy {util:.1%}; the calls and consignments handled would "
                                     f"take {min(share, 1.0):.1%} of those hours at the LP's handling times")
    return None


def berth_utilisation(r: Resource, sim: SimulationResult) -> float | None:
    """The simulated busy share of a `berth:N:KIND` row's berths."""
    kind = r.id.split(":")[-1]
    return sim.table_means("nodes").get(r.element, {}).get(f"berth_utilisation:{kind}")


def _berth_hours(r: Resource, built: Scenario, sim: SimulationResult) -> float:
    """Berth-hours a year the LP's row credits for what the simulation carried: its loaded
    voyages (calls to load and unload) and the consignments handled on its links."""
    span = built.simulation.horizon.value - built.simulation.warmup.value
    per_year = HOURS_PER_YEAR / span if span > 0 else 0.0
    links = sim.table_means("links")
    hours = 0.0
    for term, coef in r.voyages:
        if len(term) == 2 and term[0] == "y":
            hours += coef * links.get(term[1], {}).get("voyages", 0.0) * per_year
    coefs: dict[str, list[float]] = {}
    for e in r.entries:
        coefs.setdefault(e.arc, []).append(e.coef)
    for arc, cs in coefs.items():  # one rate per link: its flows' mean coefficient
        mt = links.get(arc, {}).get("tonnes", 0.0) / 1e6 * per_year
        hours += mt * sum(cs) / len(cs)
    return hours


# --- the folder --------------------------------------------------------------------------------


def write_plan_loop(result: PlanLoopResult, folder: Path) -> None:
    """plan.json (the iterations), plan.md (their table) and final/ (the plan returned, as
    `corridor optimise` writes it), swapped in whole."""
    from sim import __version__

    with staged_folder(Path(folder)) as tmp:
        write_text(tmp / MANIFEST, json.dumps({"corridor": __version__, "command": "plan",
                                               "scenario": result.scenario, "seed": result.seed,
                                               "replications": result.replications, "p": result.p},
                                              indent=2) + "\n")
        write_text(tmp / "plan.json", json.dumps(_clean(result.to_dict()), indent=2) + "\n")
        write_text(tmp / "plan.md", markdown(result))
        write_plan(result.final, tmp / "final")


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _amounts(it: Iteration, units_of: Mapping[str, str]) -> str:
    """`more_ships 2.83 vessels (3 built)`, one per expansion."""
    out = []
    for eid, a in it.amounts.items():
        text = f"{eid} {a:.4g} {units_of.get(eid, '')}".rstrip()
        b = it.built.get(eid, a)
        out.append(text + (f" ({b:.4g} built)" if abs(b - a) > 1e-9 else ""))
    return ", ".join(out) or "none"


def markdown(result: PlanLoopResult) -> str:
    """plan.md: the verdict and one row per iteration."""
    units_of = {e.id: e.unit for e in result.final.plan.expansions}
    tids = list(result.iterations[0].targets) if result.iterations and result.iterations[0].targets else []
    for it in result.iterations:
        for e in it.amounts:
            units_of.setdefault(e, "")
    lines = [f"# Plan the simulation believes: {result.scenario}", "",
             f"Every target met in at least {_required(result)} of {result.replications} replications (seed "
             f"{result.seed}, the same replications every iteration). Outcome: **{result.outcome}**: "
             f"{result.message}. The plan returned is iteration {result.best}'s "
             f"({result.final.plan.cost:.4g} MUSD/yr), in final/plan.json.", "",
             "| iteration | expansions | cost (MUSD/yr) | "
             + " | ".join(f"{t}: mean, P(met) [95% CI]" for t in tids) + " | factors used | learned | cut |",
             "|---|---|---|" + "---|" * len(tids) + "---|---|---|"]
    for it in result.iterations:
        checks = [it.targets.get(t) for t in tids]
        cells = [f"{c.mean:.4g}, {c.p_met:.2f} [{c.lo:.2f}, {c.hi:.2f}]" if c is not None else "-" for c in checks]
        factors = ", ".join(f"{k} {v:.3g}" for k, v in sorted(it.factors.items())) or "-"
        learned = "; ".join(f"{x.row} {x.factor:.3g} ({x.evidence})" for x in it.learned) or "-"
        lines.append(f"| {it.index} | {_amounts(it, units_of)} | {it.cost:.4g} | " + " | ".join(cells)
                     + f" | {factors} | {learned} | {it.cut or '-'} |")
    notes = [f"- iteration {it.index}: {it.note}" for it in result.iterations if it.note]
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"


def _required(result: PlanLoopResult) -> str:
    return f"{result.p:g}" if result.p is not None else "its required share (`verdicts.probability`)"


def iteration_line(it: Iteration) -> str:
    """One line of progress: the plan, its cost and each target's P(met)."""
    plan = ", ".join(f"{eid} {a:.4g}" + (f" ({it.built[eid]:.4g} built)" if abs(it.built.get(eid, a) - a) > 1e-9
                                          else "") for eid, a in it.amounts.items()) or "nothing built"
    checks = ", ".join(f"{t.id} {t.mean:.4g} {t.unit}, P(met) {t.p_met:.2f} [{t.lo:.2f}, {t.hi:.2f}]"
                       for t in it.targets.values())
    tail = f"; cut {it.cut}" if it.cut else ""
    return f"iteration {it.index}: {plan} ({it.cost:.4g} MUSD/yr): {checks or 'not simulated'}{tail}"


@dataclass(frozen=True)
class FirmCheck:
    """A power target's firm plan (`sim.optimiser.firm`) judged by the simulation: the plan built,
    the power flows simulated alone over the run's replications (their own weather and outages),
    the target's firm framing (capacity delivered in `share_of_time` of the hours) in each."""

    target: str
    figure: float
    share_of_time: float
    plan: dict[str, Any]
    firm_mean: float
    reached: int
    replications: int
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        lo, hi = wilson(self.reached, self.replications)
        return {"target": self.target, "figure": self.figure, "unit": "GW", "share_of_time": self.share_of_time,
                **self.plan, "simulated": {"firm_mean": self.firm_mean, "p_met": self.reached / self.replications,
                                           "p_met_ci95": [lo, hi], "replications": self.replications,
                                           "verdict": self.verdict}}


def check_firm_plans(scenario: Scenario, plans: Mapping[str, Mapping[str, Any]], *, replications: int,
                     seed: int) -> list[FirmCheck]:
    """Each power target's firm plan built into the scenario and judged by simulating its power
    flows (`FirmCheck`); replications i = 0 .. replications - 1 of `seed`, as the run's."""
    from sim.energy.model import simulate_continuous
    from sim.replications import Streams
    from sim.targets import judge, measure_as

    out = []
    for tid, plan in plans.items():
        target = scenario.targets[tid]
        built = apply_amounts(scenario, {k: v for k, v in plan.get("built", {}).items() if k in scenario.expansions})
        power = {f: built.flows[f] for f in target.flows if built.flows[f].carrier == "power"}
        alone = built.model_copy(update={"flows": power, "targets": {tid: target}})
        network = Network(alone)
        values = [measure_as("firm", target, simulate_continuous(alone, network, Streams(seed, i), i, ("power",)))
                  for i in range(replications)]
        j = judge(target.model_copy(update={"measure": "firm"}), values, required_probability(scenario, tid))
        out.append(FirmCheck(tid, target.value.value, target.share_of_time.value, dict(plan), j.mean, j.reached,
                             j.replications, j.verdict))
    return out
