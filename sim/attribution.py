"""Why the simulation delivers less than the optimiser's bound: the gap split into causes.

For each target, the gap between the LP bound and the simulated mean is explained by
counterfactual simulations. Each cause is a transform of the validated scenario that switches it
off (`switch_off`, on pydantic copies, never on the file's text):

  route_shares  flows with route shares choose the fastest route instead;
  departures    fleets sail as soon as a vessel is loaded with whatever waits (when full or after
                `PROMPT_WAIT_H`), and vehicles arrive one at a time, not in convoys (`batch` 1;
                a batch of tonnes is a bulk parcel's size and is kept);
  queues        berths effectively unlimited (`UNLIMITED_BERTHS` of each kind), yards unlimited;
  storms        no weather (no storm or ice closures, and repairs no longer wait for weather);
  outages       no reliability block anywhere: no failures, maintenance or scheduled outages;
  losses        no line or converter losses on power and data links;
  spinup        a fully warmed start: `simulation.spinup` at its maximum (`MAX_SPINUP_H`).

Only causes the scenario has are players (`present_causes`): no weather, no "storms". v(S) is
the target's simulated value with the causes in S switched off, every coalition run with the
same seed and replication indices (common random numbers: replication i draws from streams
keyed (seed, i, component) whatever else changed), and one coalition's run serves every target.
A cause's share is its exact Shapley value over the present causes (`shapley`): the weighted
mean of v(S + i) - v(S) over the coalitions S without it, so causes that interact share their
joint effect fairly and the shares add up to v(all off) - v(none off). The Shapley value is
linear in v, so it is computed per replication and its mean and 95% interval taken across
replications. The rest of the gap, bound - v(all off), is the `residual`: what no listed cause
explains (the LP's steady state and simplifications). It is negative where the bound already
counts a cause (the LP derates a link by its availability, scheduled outages included, and by
its losses), so that switching the cause off lifts the simulation above the bound. A waterfall
runs bound -> each cause -> residual -> simulated. Cost: 2^k coalitions x r replications for k
present causes, every coalition a `sim.simulate.simulate` call (with its `workers`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import CorridorError
from sim.replications import estimate
from sim.report.document import Gap
from sim.scenario.checks import MAX_SPINUP_H, SPINUP_CARRIERS
from sim.scenario.figure import MAX_COUNT, Figure
from sim.scenario.schema import MAX_REPLICATIONS, Departure, Fleet, Flow, Link, Node, Scenario

if TYPE_CHECKING:
    from sim.optimiser.result import OptimiseResult
    from sim.run import Evaluation

CAUSES = ("route_shares", "departures", "queues", "storms", "outages", "losses", "spinup")
LABELS = {
    "route_shares": "route shares", "departures": "departure rules and batching",
    "queues": "berth and yard queues", "storms": "storms and closures", "outages": "outages",
    "losses": "losses", "spinup": "spin-up",
}
DEFAULT_REPLICATIONS = 3
PROMPT_WAIT_H = 1e-3  # a vessel waits this long at most for a full load, then sails with what waits
UNLIMITED_BERTHS = MAX_COUNT  # berths of each kind: no vessel or consignment ever waits for one
PROMPT_DEPARTURE = Departure(rule="when_full_or_max_wait",
                             max_wait=Figure(PROMPT_WAIT_H, "h", "duration", f"{PROMPT_WAIT_H:g} h"))

Progress = Callable[..., None]


# --- the causes, and how each is switched off ---------------------------------------------------


def _has_route_shares(s: Scenario) -> bool:
    return any(f.route_choice == "shares" and len(f.routes or {}) > 1 for f in s.flows.values())


def _prompt(d: Departure) -> bool:
    """Whether a departure rule already sails as soon as a vessel is loaded with what waits."""
    return d.rule == "when_full_or_max_wait" and d.max_wait is not None and d.max_wait.value <= PROMPT_WAIT_H


def _convoy(f: Flow) -> bool:
    """Whether a flow's vehicles arrive in convoys (`batch` > 1 trains, wagons, TEU or trucks). A
    batch of tonnes is a bulk parcel's size, kept: one-tonne consignments change nothing real
    and would multiply the events a thousandfold."""
    return f.batch > 1 and f.consignment != "t"


def _has_departures(s: Scenario) -> bool:
    return any(not _prompt(f.departure) for f in s.fleets.values()) or any(_convoy(f) for f in s.flows.values())


def _has_queues(s: Scenario) -> bool:
    return any(n.port is not None and (n.port.yard is not None or any(
        b.count.value < UNLIMITED_BERTHS for b in n.port.berths.values())) for n in s.nodes.values())


def _has_outages(s: Scenario) -> bool:
    parts: list[Link | Node | Fleet] = [*s.links.values(), *s.nodes.values(), *s.fleets.values()]
    return any(x.reliability is not None for x in parts)


def _has_losses(s: Scenario) -> bool:
    return any(l.loss_per_1000km is not None or l.converter_loss is not None for l in s.links.values())


def _has_spinup(s: Scenario) -> bool:
    return (s.simulation.spinup.value < MAX_SPINUP_H
            and any(f.carrier in SPINUP_CARRIERS for f in s.flows.values()))


PRESENT: dict[str, Callable[[Scenario], bool]] = {
    "route_shares": _has_route_shares, "departures": _has_departures, "queues": _has_queues,
    "storms": lambda s: bool(s.weather), "outages": _has_outages, "losses": _has_losses,
    "spinup": _has_spinup,
}


def present_causes(scenario: Scenario) -> list[str]:
    """The causes the scenario has, in `CAUSES` order: the players of the Shapley game."""
    return [c for c in CAUSES if PRESENT[c](scenario)]


def _route_shares_off(s: Scenario) -> Scenario:
    flows = {fid: f.model_copy(update={"route_choice": "fastest"}) if f.routes and f.route_choice == "shares" else f
             for fid, f in s.flows.items()}
    return s.model_copy(update={"flows": flows})


def _departures_off(s: Scenario) -> Scenario:
    fleets = {fid: f.model_copy(update={"departure": PROMPT_DEPARTURE}) for fid, f in s.fleets.items()}
    flows = {fid: f.model_copy(update={"batch": 1}) if _convoy(f) else f for fid, f in s.flows.items()}
    return s.model_copy(update={"fleets": fleets, "flows": flows})


def _queues_off(s: Scenario) -> Scenario:
    many = Figure(float(UNLIMITED_BERTHS), "1", "count", str(UNLIMITED_BERTHS))
    nodes = {}
    for nid, n in s.nodes.items():
        if n.port is not None:
            berths = {k: b.model_copy(update={"count": many}) for k, b in n.port.berths.items()}
            n = n.model_copy(update={"port": n.port.model_copy(update={"berths": berths, "yard": None})})
        nodes[nid] = n
    return s.model_copy(update={"nodes": nodes})


def _storms_off(s: Scenario) -> Scenario:
    def clear(x: Any) -> Any:
        r = x.reliability
        return x if r is None or r.weather is None else x.model_copy(
            update={"reliability": r.model_copy(update={"weather": None})})

    return s.model_copy(update={"weather": {}, "links": {k: clear(v) for k, v in s.links.items()},
                                "nodes": {k: clear(v) for k, v in s.nodes.items()},
                                "fleets": {k: clear(v) for k, v in s.fleets.items()}})


def _outages_off(s: Scenario) -> Scenario:
    def clear(table: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v.model_copy(update={"reliability": None}) for k, v in table.items()}

    return s.model_copy(update={"links": clear(s.links), "nodes": clear(s.nodes), "fleets": clear(s.fleets)})


def _losses_off(s: Scenario) -> Scenario:
    links = {lid: l.model_copy(update={"loss_per_1000km": None, "converter_loss": None})
             for lid, l in s.links.items()}
    return s.model_copy(update={"links": links})


def _spinup_off(s: Scenario) -> Scenario:
    spinup = Figure(MAX_SPINUP_H, "h", "duration", f"{MAX_SPINUP_H / 24:g} d")
    return s.model_copy(update={"simulation": s.simulation.model_copy(update={"spinup": spinup})})


SWITCH_OFF: dict[str, Callable[[Scenario], Scenario]] = {
    "route_shares": _route_shares_off, "departures": _departures_off, "queues": _queues_off,
    "storms": _storms_off, "outages": _outages_off, "losses": _losses_off, "spinup": _spinup_off,
}


def switch_off(scenario: Scenario, causes: Iterable[str]) -> Scenario:
    """A copy of the scenario with `causes` switched off (the transforms commute)."""
    for cause in sorted(set(causes), key=CAUSES.index):
        scenario = SWITCH_OFF[cause](scenario)
    return scenario


# --- Shapley values --------------------------------------------------------------------------


def coalitions(players: Sequence[str]) -> list[frozenset[str]]:
    """Every subset of `players`, smallest first (2^k of them)."""
    return [frozenset(c) for size in range(len(players) + 1) for c in combinations(players, size)]


def shapley(players: Sequence[str], value: Mapping[frozenset[str], float]) -> dict[str, float]:
    """Exact Shapley values of a game given by its table `value` (every coalition of `players`):
    player i gets the mean over orderings of v(S + i) - v(S), S the players before it, i.e.
    sum over S without i of |S|! (k - |S| - 1)! / k! (v(S + i) - v(S)). They add up to
    v(all) - v(none)."""
    k = len(players)
    weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    out = {}
    for p in players:
        others = [q for q in players if q != p]
        out[p] = math.fsum(weight[size] * (value[frozenset(c) | {p}] - value[frozenset(c)])
                           for size in range(k) for c in combinations(others, size))
    return out


# --- attribution -----------------------------------------------------------------------------


@dataclass
class Attribution:
    """Every target's gap, and the coalition values behind them (target -> coalition -> mean)."""

    scenario: str
    causes: list[str]
    targets: dict[str, Gap]  # by target id
    values: dict[str, dict[frozenset[str], float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """gaps.json: the causes played, each target's gap, and v(S) of every coalition."""
        return {"scenario": self.scenario, "causes": self.causes,
                "labels": {c: LABELS[c] for c in self.causes},
                "targets": {tid: g.model_dump() for tid, g in self.targets.items()},
                "coalitions": {tid: [{"off": sorted(s, key=CAUSES.index), "value": v} for s, v in table.items()]
                               for tid, table in self.values.items()}}


def bound_of(plan: OptimiseResult, tid: str, with_plan: bool = False) -> tuple[float | None, str | None]:
    """The optimiser's bound on a target: max_together, else max_alone (None: no bound); with
    `with_plan` (the scenario simulated has the plan built), max_with_plan."""
    t = plan.targets.get(tid)
    if t is None:
        return None, None
    if with_plan:
        return t.max_with_plan, "max_with_plan" if t.max_with_plan is not None else None
    if t.max_together is not None:
        return t.max_together, "max_together"
    if t.max_alone is not None:
        return t.max_alone, "max_alone"
    return None, None


def attribute(scenario: Scenario, plan: OptimiseResult, *, replications: int = DEFAULT_REPLICATIONS,
              seed: int | None = None, workers: int = 1, progress: Progress | None = None,
              with_plan: bool = False) -> Attribution:
    """Split each target's gap (optimiser bound - simulated mean) into its causes.

    `plan` is the optimiser's result for this same scenario (its bounds), or, `with_plan`, for
    the scenario before its plan was built into `scenario` (then the bound is max_with_plan).
    Every coalition of the present causes is simulated with `replications` replications from
    `seed` (default: the scenario's); `progress(done, total)` counts replications over all
    coalitions.
    """
    check_gaps(scenario, replications, "replications")
    from sim.simulate import simulate

    seed = scenario.simulation.seed if seed is None else seed
    # a fixed number of replications in every coalition (no precision target): common random numbers
    base = scenario.model_copy(update={"simulation": scenario.simulation.model_copy(update={"precision": None})})
    players = present_causes(base)
    games = coalitions(players)
    total = len(games) * replications
    runs: dict[frozenset[str], dict[str, list[float]]] = {}
    for i, off in enumerate(games):
        def tick(done: int, _n: int = 0, *, offset: int = i * replications) -> None:
            if progress is not None:
                progress(offset + done, total)

        result = simulate(switch_off(base, off), replications=replications, seed=seed, workers=workers,
                          progress=tick)
        runs[off] = result.values
    return Attribution(scenario.name, players,
                       {tid: _target_gap(tid, base, bound_of(plan, tid, with_plan), players, runs, replications, seed)
                        for tid in base.targets},
                       {tid: {s: estimate(v[tid]).mean for s, v in runs.items()} for tid in base.targets})


def _target_gap(tid: str, scenario: Scenario, bounds: tuple[float | None, str | None], players: list[str],
                runs: Mapping[frozenset[str], Mapping[str, list[float]]], replications: int,
                seed: int) -> Gap:
    """One target's Shapley values, replication by replication, then their means and intervals."""
    per_rep = [shapley(players, {s: v[tid][r] for s, v in runs.items()}) for r in range(replications)]
    shares = {c: estimate([p[c] for p in per_rep]) for c in players}
    none_off, all_off = estimate(runs[frozenset()][tid]), estimate(runs[frozenset(players)][tid])
    bound, kind = bounds
    return Gap(
        unit=scenario.targets[tid].value.unit, bound=bound, bound_kind=kind,
        simulated=none_off.mean, simulated_ci95=[none_off.lo, none_off.hi], all_off=all_off.mean,
        causes={c: e.mean for c, e in shares.items()}, causes_ci95={c: [e.lo, e.hi] for c, e in shares.items()},
        residual=None if bound is None else bound - all_off.mean, coalitions=len(runs),
        replications=replications, seed=seed)


# --- corridor gaps, corridor run --gaps -------------------------------------------------------


def check_gaps(scenario: Scenario, replications: int, flag: str = "--gap-replications") -> None:
    """Bad input for a gap attribution, found before anything runs or is written."""
    if not scenario.targets:
        raise CorridorError(f"targets: scenario {scenario.name!r} has none; expected at least one under "
                            "`targets:` (gaps split a target's optimiser bound less its simulated value)")
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise CorridorError(f"{flag}: expected 1 to {MAX_REPLICATIONS:,}, got {replications}")


def run_gaps(ev: Evaluation, replications: int, *, workers: int = 1, progress: bool = False) -> dict[str, Any]:
    """A run's report data (`ev.data`) with every target's gap added (`targets[].gap`): the
    scenario the run simulated, the run's seed, and the bound the report sets beside it."""
    from sim.progress import progress_bar
    from sim.report.document import with_gaps

    total = 2 ** len(present_causes(ev.simulated)) * replications
    with progress_bar(progress, "gaps: coalitions x replications", total) as tick:
        found = attribute(ev.simulated, ev.plan, replications=replications, seed=ev.result.seed, workers=workers,
                          progress=tick, with_plan=ev.plan_applied)
    return with_gaps(ev.data, {tid: g.model_dump() for tid, g in found.targets.items()})


@dataclass
class GapsFolder:
    folder: Path
    attribution: Attribution


def gaps(path: str | Path, *, overrides: Sequence[str] = (), replications: int = DEFAULT_REPLICATIONS,
         seed: int | None = None, workers: int = 1, solver: str | None = None, out: Path | None = None,
         progress: bool = False) -> GapsFolder:
    """`corridor gaps`: optimise the scenario as written, attribute every target's gap, and write
    gaps.json, gaps.md, a waterfall per target (`gap-<target>.png`) and manifest.json into a
    folder swapped in whole (`sim.io.staged_folder`)."""
    import json
    import platform

    from sim.io import results_folder, staged_folder, write_bytes, write_text
    from sim.optimiser.lp import check_solver
    from sim.optimiser.optimise import optimise
    from sim.progress import progress_bar
    from sim.report.document import version
    from sim.report.plots import png, waterfall_figure
    from sim.report.render import gap_section
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(Path(path), list(overrides))
    check_gaps(scenario, replications, "--replications")
    if solver is not None:
        check_solver(solver, "--solver")
    folder = Path(out) if out is not None else results_folder(scenario.name, "gaps")
    with staged_folder(folder) as tmp:
        plan = optimise(scenario, solver=solver, n_minus_1=False)
        total = 2 ** len(present_causes(scenario)) * replications
        with progress_bar(progress, "coalitions x replications", total) as tick:
            found = attribute(scenario, plan, replications=replications, seed=seed, workers=workers, progress=tick)
        rows = found.targets
        write_text(tmp / "gaps.json", json.dumps(found.to_dict(), indent=2) + "\n")
        pictures = [f"![{tid}: from the bound to the simulation](gap-{tid}.png)" for tid in rows]
        write_text(tmp / "gaps.md", "\n".join([f"# {scenario.name}: gaps between the optimiser and the simulation",
                                               "", *gap_section(rows), "", *pictures]) + "\n")
        for tid, gap in rows.items():
            write_bytes(tmp / f"gap-{tid}.png", png(waterfall_figure(tid, gap)))
        manifest = {"corridor": version("corridor") or "unknown", "command": "gaps", "scenario": str(path),
                    "overrides": list(overrides), "seed": next(iter(found.targets.values())).seed,
                    "replications": replications, "workers": workers, "python": platform.python_version()}
        write_text(tmp / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return GapsFolder(folder, found)
