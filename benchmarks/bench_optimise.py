"""Optimiser speed: the full optimisation with N-1, and the plan LP through PuLP against the same
matrix handed straight to highspy, in the same process.

    python benchmarks/bench_optimise.py [SCENARIO] [--repeats N]

Prints, for the bundled scenarios (targets-2030 by default): the whole `optimise()` time with
HiGHS and with CBC (goal: under 3 s with N-1); then for the security-constrained plan LP alone:
formulation, then PuLP's route as the optimiser takes it (`LinearProgram.solve`: PuLP's objects
made, the model passed to HiGHS, solved, values and duals read back off the objects, the
objects let go) against the direct route (CSR arrays -> highspy addCols/addRows -> run ->
values and duals, columns in PuLP's order so a MILP branches alike), with the ratio PuLP
end-to-end / direct end-to-end (goal: within 2x), in wall and in CPU seconds (the machine may be
shared). Both routes set the same HiGHS options; the run checks that every option, the model
HiGHS holds and the answer (values and duals, bit for bit) are the same. A larger synthetic
corridor shows how both routes and solvers scale. `--plan-lp 16`: only the plan LP of
constraint generation's last plan on the scenario copied 16 times (goal: PuLP within 1.2x of
direct highspy, CPU). `--firm`: only `optimise()` with `optimiser.firm_supply` on, against the
same call without it (the hourly firm-power LPs over a weather year, `sim.optimiser.firm`).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any
from pathlib import Path

import networkx as nx
import numpy as np
import pulp

from sim.scenario.loading import load_scenario
from sim.network import Network
from sim.optimiser.optimise import N1Method, optimise
from sim.optimiser import formulation as F
from sim.optimiser import security
from sim.optimiser.lp import LinearProgram, Solution, highs_state, pulp_solver, quiet_highs
from sim.optimiser.model import Corridor
from sim.scenario.schema import Scenario

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import ROOT, copies  # the tests' helpers: the repository's root, a scenario copied k times


def full_runs(scenario: Scenario, repeats: int) -> None:
    print(f"\n== optimise({scenario.name}) with N-1, whole pipeline (best of {repeats})")
    for solver in ("highs", "cbc"):
        best_r, best_wall, best_cpu = None, math.inf, math.inf
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), cpu()
            r = optimise(scenario, solver=solver)
            wall, used = time.perf_counter() - t0, cpu() - c0
            if wall < best_wall:
                best_r, best_wall = r, wall
            best_cpu = min(best_cpu, used)
        assert best_r is not None
        print(f"  {solver:5s}: {best_wall:6.3f} s wall ({best_cpu:6.3f} s cpu); in that run model build "
              f"{best_r.build_s:.3f} s, solve {best_r.solve_s:.3f} s over {best_r.lps_solved} LPs"
              + ("   [under 3 s]" if best_wall < 3 else "   [OVER 3 s]"))
    assert best_r is not None
    print(f"  plan LP: {best_r.lp_size}")


def firm_runs(scenario: Scenario, repeats: int) -> None:
    """`optimise()` with the firm-power plans against without, CPU, best of `repeats`."""
    with_firm = scenario.model_copy(update={"optimiser": scenario.optimiser.model_copy(update={"firm_supply": True})})
    print(f"\n== optimise({scenario.name}) with optimiser.firm_supply, CPU s (best of {repeats})")
    best = {}
    for label, s in (("without", scenario), ("with", with_firm)):
        times = []
        for _ in range(repeats):
            c0 = cpu()
            r = optimise(s)
            times.append(cpu() - c0)
        best[label] = min(times)
        plans = ", ".join(f"{tid}: {p['status']}, {p.get('cost_musd_yr') or 0:.0f} MUSD/yr"
                          for tid, p in r.firm_supply.items())
        print(f"  {label:8s} firm supply: {best[label]:7.2f} s" + (f"  ({plans})" if plans else ""))
    print(f"  the firm-power LPs add {best['with'] - best['without']:.2f} s")


def cpu() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a child)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


Steps = list[Callable[[Any], Any]]


def phases(routes: dict[str, tuple[Steps, int]]
           ) -> tuple[dict[str, tuple[list[float], list[float]]], dict[str, list[float]]]:
    """Wall and CPU seconds of each route's steps (each fed the previous one's result), each
    from the route's repeat whose total was least: on a shared machine CPU time is the steadier
    measure. The routes take turns, a repeat each (a route stops at its own repeat count), so a
    change of load on the machine falls on all of them alike.

    The last step's time includes letting go of its result (as a solve does when it returns),
    so a repeat neither carries the previous one's objects nor leaves their freeing to the next
    repeat's first step (a PuLP model kept alive through the next formulation is pushed into
    the garbage collector's oldest generation and sets off collections of the whole heap).
    Also returns each route's CPU total per repeat, in turn order, for ratios of repeats run
    side by side."""
    best: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label in routes}
    totals: dict[str, list[float]] = {label: [] for label in routes}
    for i in range(max(repeats for _, repeats in routes.values())):
        for label, (steps, repeats) in routes.items():
            if i >= repeats:
                continue
            wall, used, value = [], [], None
            for step in steps:
                t0, c0 = time.perf_counter(), cpu()
                value = step(value)
                if step is steps[-1]:
                    value = None
                wall.append(time.perf_counter() - t0)
                used.append(cpu() - c0)
            totals[label].append(sum(used))
            best_wall, best_cpu = best[label]
            best[label] = (wall if not best_wall or sum(wall) < sum(best_wall) else best_wall,
                           used if not best_cpu or sum(used) < sum(best_cpu) else best_cpu)
    return best, totals


def plan_lp(scenario: Scenario, repeats: int, label: str, *, generated: bool = False, few: bool = False) -> None:
    """The plan LP by each route. `generated`: the last plan of constraint generation (the
    contingencies it found violated), else the full formulation (a copy per contingency);
    `few`: only PuLP + HiGHS in bulk against direct highspy."""
    m = Corridor(Network(scenario))
    share = scenario.optimiser.n_minus_1.value
    conts = F.contingency_links(m) if share > 0 else []
    if generated and share > 0:
        def build_and_solve(make: Callable[[], F.PlanModel]) -> tuple[F.PlanModel, Solution]:
            pm = make()
            return pm, pm.lp.solve("highs")

        last, _ = security.plan(m, share, build_and_solve)
        sec = security.security(m, conts)
        links, blocks = list(last.contingencies), list(last.intact)

        def formulate(_: object) -> F.PlanModel:
            return security.master(m, sec, share, links, blocks)
        conts = links
    else:
        def formulate(_: object) -> F.PlanModel:
            return F.plan_model(m, share=share, contingencies=conts)

    lp = formulate(None).lp
    print(f"\n== plan LP of {label}" + (" (constraint generation's last)" if generated else "")
          + f": {lp.n_cols} columns, {lp.n_rows} rows, {sum(len(c) for c in lp.row_cols)} nonzeros, "
          f"{sum(lp.integer)} integers, {len(conts)} contingencies")

    def through_pulp(solver: Callable[[], pulp.LpSolver]) -> Steps:
        """Formulate, make PuLP's objects, solve and read the values and duals back."""
        return [formulate, lambda pm: (pm.lp, pm.lp.to_pulp()), lambda made: made[0].solve_pulp(made[1], solver())]

    plans: dict[str, tuple[Steps, int]] = {
        # as the optimiser does it: `LinearProgram.solve` makes PuLP's objects, solves, reads the
        # values and duals back and lets the objects go (its build and solve in one step here)
        "PuLP + HiGHS (model passed to highspy in bulk)": (
            [formulate, lambda pm: pm.lp.solve("highs")], repeats),
        "direct highspy (CSR arrays, addCols/addRows)": (
            [formulate, lambda pm: pm.lp.to_highs(pulp_order=True), highs_solution], repeats),
    }
    if not few:
        plans["PuLP + HiGHS (PuLP's stock interface, a call a row)"] = (
            through_pulp(lambda: pulp.HiGHS(msg=False, mip=lp.is_mip)), repeats)
        plans["PuLP + CBC (MPS file + subprocess)"] = (
            through_pulp(lambda: pulp_solver("cbc", lp.is_mip)), max(2, repeats // 2))
    routes, totals = phases(plans)
    print(f"  {'route':52s} {'formulate':>10s} {'build':>9s} {'solve':>9s} {'total':>9s}   (ms)")
    for label, (wall, used) in routes.items():
        for kind, t in (("wall", wall), ("cpu", used)):
            steps = " ".join(f"{v * 1e3:9.1f}" for v in t) if len(t) == 3 else (
                f"{t[0] * 1e3:9.1f} {'(build + solve)':>19s}")
            print(f"  {label if kind == 'wall' else '':52s} {steps} {sum(t) * 1e3:9.1f}   {kind}")
    bulk = routes["PuLP + HiGHS (model passed to highspy in bulk)"]
    direct = routes["direct highspy (CSR arrays, addCols/addRows)"]
    cbc = routes.get("PuLP + CBC (MPS file + subprocess)")
    goal = 1.2 if generated else 2.0
    for kind, i in (("wall", 0), ("cpu", 1)):
        ratio = sum(bulk[i]) / sum(direct[i])
        verdict = f"  [within {goal:g}x]" if ratio <= goal else f"  [OVER {goal:g}x]"
        print(f"  PuLP end to end / direct ({kind}): {ratio:.2f}x" + verdict
              + (f";  CBC / HiGHS build + solve through PuLP: {sum(cbc[i][1:]) / sum(bulk[i][1:]):.2f}x"
                 if cbc else ""))
    paired = np.array(totals["PuLP + HiGHS (model passed to highspy in bulk)"]) / np.array(
        totals["direct highspy (CSR arrays, addCols/addRows)"])
    print(f"  PuLP / direct, CPU of repeats run side by side: median {np.median(paired):.2f}x, "
          f"quartiles {np.quantile(paired, 0.25):.2f}-{np.quantile(paired, 0.75):.2f}x over {len(paired)} pairs")
    same_problem(formulate(None).lp)


def highs_solution(h: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """Run a highspy model; its status, column values (HiGHS's column order) and row duals."""
    h.run()
    solution = h.getSolution()
    return h.getModelStatus(), np.asarray(solution.col_value), np.asarray(solution.row_dual)


def same_problem(lp: LinearProgram) -> None:
    """Check that both routes hand HiGHS the same options and model and get the same answer."""
    made = lp.to_pulp()
    ours = lp.solve_pulp(made, "highs")
    h = lp.to_highs(pulp_order=True)
    status, x, duals = highs_solution(h)
    order = sorted(range(lp.n_cols), key=lp.col_names.__getitem__)  # HiGHS's column j is order[j]
    x_direct = np.zeros(lp.n_cols)
    x_direct[order] = x
    (o1, m1), (o2, m2) = highs_state(made[0].solverModel), highs_state(h)
    print(f"  same HiGHS options: {'yes' if o1 == o2 else [k for k in o1 if o1[k] != o2[k]]}"
          f" (threads {o1['threads']}, presolve {o1['presolve']}, time limit {o1['time_limit']:g} s, "
          f"output {o1['output_flag']}); same model: {'yes' if m1 == m2 else [k for k in m1 if m1[k] != m2[k]]}; "
          f"same solution (values and duals, bit for bit): "
          f"{'yes' if np.array_equal(ours.x, x_direct) and np.array_equal(ours.duals, duals) else 'NO'}; "
          f"objective {ours.objective:.6f} ({ours.status}, highspy {status.name})")


def synthetic(n_nodes: int, n_links: int, n_flows: int, seed: int = 7) -> Scenario:
    """A larger random single-carrier corridor with N-1 at 50 %, to see how the solvers scale."""
    rng = np.random.default_rng(seed)
    names = [f"v{i}" for i in range(n_nodes)]
    links: dict[str, dict[str, str]] = {}
    while len(links) < n_links:
        a, b = rng.choice(n_nodes, 2, replace=False)
        links[f"l{len(links)}"] = {"from": names[a], "to": names[b], "mode": "rail", "carrier": "cargo",
                                   "capacity": f"{rng.uniform(1, 10):.2f} Mt/yr"}
    for i in range(n_nodes - 1):  # a backbone both ways so every pair is connected
        for a, b in ((i, i + 1), (i + 1, i)):
            links[f"b{a}_{b}"] = {"from": names[a], "to": names[b], "mode": "rail", "carrier": "cargo",
                                  "capacity": "3 Mt/yr"}
    flows, targets, expansions = {}, {}, {}
    for k in range(n_flows):
        a, b = rng.choice(n_nodes, 2, replace=False)
        flows[f"f{k}"] = {"carrier": "cargo", "origin": names[a], "destination": names[b],
                          "rate": "2 Mt/yr", "consignment": "t"}
        targets[f"t{k}"] = {"carrier": "cargo", "value": "2 Mt/yr", "flows": [f"f{k}"]}
    for lid in list(links)[: n_links // 3]:
        expansions[f"x_{lid}"] = {"link": lid, "kind": "continuous", "size": "5 Mt/yr",
                                  "capex": f"{rng.uniform(50, 500):.0f} MUSD", "lifetime": "30 yr"}
    return Scenario.model_validate({
        "name": f"synthetic-{n_nodes}-{n_links}-{n_flows}", "description": "benchmark", "year": 2030,
        "optimiser": {"n_minus_1": "50 %", "routing": "free"},
        "nodes": {v: {"kind": "junction", "country": "KZ", "lon": 50 + i % 30, "lat": 40}
                  for i, v in enumerate(names)},
        "links": links, "flows": flows, "targets": targets, "expansions": expansions})


def random_network(n_nodes: int, seed: int = 11) -> Scenario:
    """A random cargo network of `n_nodes` junctions and ~3 links a node (a backbone both ways so
    the source reaches the sink), one flow from the first to the last node, free routing."""
    rng = np.random.default_rng(seed)
    names = [f"v{i}" for i in range(n_nodes)]
    links = {}
    for i in range(n_nodes - 1):
        links[f"b{i}"] = (names[i], names[i + 1], float(rng.uniform(1, 5)))
    while len(links) < 3 * n_nodes:
        a, b = rng.choice(n_nodes, 2, replace=False)
        links[f"l{len(links)}"] = (names[a], names[b], float(rng.uniform(1, 10)))
    return Scenario.model_validate({
        "name": f"random-{n_nodes}", "description": "benchmark", "year": 2030,
        "optimiser": {"routing": "free"},
        "nodes": {v: {"kind": "junction", "country": "KZ", "lon": 50 + i % 30, "lat": 40}
                  for i, v in enumerate(names)},
        "links": {lid: {"from": a, "to": b, "mode": "rail", "carrier": "cargo", "capacity": f"{c:.3f} Mt/yr"}
                  for lid, (a, b, c) in links.items()},
        "flows": {"f": {"carrier": "cargo", "origin": names[0], "destination": names[-1], "rate": "1 Mt/yr",
                        "consignment": "t"}},
        "targets": {"t": {"carrier": "cargo", "value": "1 Mt/yr", "flows": ["f"]}}})


def direct_highs(scenario: Scenario) -> float:
    """A compact max-flow LP built straight from the links (capacities as column bounds) into CSR
    and solved by highspy: what a hand-written solver call costs."""
    import highspy

    links = list(scenario.links.values())
    nodes = {n: i for i, n in enumerate(scenario.nodes)}
    flow = scenario.flows["f"]
    n, m = len(nodes), len(links)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + 1, n
    cost = np.zeros(m + 1)
    cost[m] = -1.0  # maximise the delivered column
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(m + 1)
    lp.col_upper_ = np.array([capacity(link) for link in links] + [highspy.kHighsInf])
    rows = np.array([nodes[link.to] for link in links] + [nodes[link.from_] for link in links]
                    + [nodes[flow.destination]])
    cols = np.concatenate([np.arange(m), np.arange(m), [m]])
    vals = np.concatenate([np.ones(m), -np.ones(m), [-1.0]])
    keep = rows != nodes[flow.origin]  # the origin supplies freely
    lo = np.zeros(n)
    lp.row_lower_, lp.row_upper_ = lo, lo.copy()
    order = np.lexsort((cols[keep], rows[keep]))
    r, c, v = rows[keep][order], cols[keep][order], vals[keep][order]
    start = np.zeros(n + 1, dtype=np.int32)
    np.add.at(start, r + 1, 1)
    lp.row_lower_[nodes[flow.origin]], lp.row_upper_[nodes[flow.origin]] = -highspy.kHighsInf, highspy.kHighsInf
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.cumsum(start).astype(np.int32)
    lp.a_matrix_.index_ = c.astype(np.int32)
    lp.a_matrix_.value_ = v
    h.passModel(lp)
    h.run()
    return -h.getInfo().objective_function_value


def capacity(link: Any) -> float:
    """A link's capacity (the random networks give every link one)."""
    assert link.capacity is not None
    return float(link.capacity.value)


def networkx_flow(scenario: Scenario) -> float:
    g = nx.DiGraph()
    for link in scenario.links.values():
        cap = g.get_edge_data(link.from_, link.to, {"capacity": 0.0})["capacity"]
        g.add_edge(link.from_, link.to, capacity=cap + capacity(link))
    flow = scenario.flows["f"]
    return float(nx.maximum_flow_value(g, flow.origin, flow.destination))


def same_matrix(scenario: Scenario, route: str) -> float:
    """The optimiser's max-deliverable LP (corridor model, formulation), solved through PuLP
    (`pulp`, as `optimise` does) or handed as the same matrix straight to highspy (`highspy`)."""
    m = Corridor(Network(scenario), routing="free")
    fm = F.max_delivery(m, m.targets()[0])
    if route == "pulp":
        sol = fm.lp.solve("highs")
        return fm.copy.delivered(sol.x, ["f"])
    h = fm.lp.to_highs()
    h.run()
    return float(h.getSolution().col_value[fm.copy.d["f"]])


def scaling(sizes: tuple[int, ...], repeats: int) -> None:
    print("\n== max deliverable on random networks, CPU s (best of "
          f"{repeats}): the optimiser's route (corridor model + LP + PuLP + HiGHS), the same matrix "
          "handed straight to highspy, networkx max-flow, and a compact max-flow LP (link capacities "
          "as column bounds) in highspy; goal at 1,000 nodes: ours within 2x of the same matrix in highspy")
    print(f"  {'nodes':>6s} {'links':>6s} {'ours':>9s} {'highspy':>9s} {'networkx':>9s} {'compact':>9s} "
          f"{'ours/highspy':>13s} {'ours/nx':>8s}")
    routes: list[Callable[[Scenario], float]] = [
        lambda sc: same_matrix(sc, "pulp"), lambda sc: same_matrix(sc, "highspy"), networkx_flow, direct_highs]
    for n in sizes:
        scenario = random_network(n)
        values, times = [], []
        for fn in routes:
            best = math.inf
            for _ in range(repeats):
                c0 = cpu()
                value = fn(scenario)
                best = min(best, cpu() - c0)
            values.append(value)
            times.append(best)
        assert max(values) - min(values) < 1e-6 * max(1.0, max(values)), values
        verdict = "" if n < 1000 else "   [within 2x]" if times[0] <= 2 * times[1] else "   [OVER 2x]"
        print(f"  {n:6d} {len(scenario.links):6d} " + " ".join(f"{t:9.4f}" for t in times)
              + f" {times[0] / times[1]:13.2f} {times[0] / times[2]:8.2f}" + verdict)


def fitted_exponent(ks: list[int], seconds: list[float]) -> float:
    """The slope b of log(seconds) = a + b log(k), by least squares."""
    return float(np.polyfit(np.log(ks), np.log(seconds), 1)[0])


def scale(scenario: Scenario, ks: list[int], old_max_k: int, repeats: int) -> None:
    """`optimise()` of the scenario copied k times: N-1 by constraint generation (new) against
    every contingency copied into the plan (old, `n1_method="enumerate"`), CPU s, interleaved."""
    print(f"\n== optimise({scenario.name} copied k times) with N-1, CPU s (best of {repeats}): "
          f"constraint generation (new) against full enumeration (old, up to k = {old_max_k}); "
          "goal: k = 16 under 10 s, growth at most k^1.3")
    print(f"  {'k':>3s} {'nodes':>6s} {'new':>8s} {'old':>8s} {'old/new':>8s} {'LPs new':>8s} "
          f"{'plan LP cols new':>17s} {'old':>8s}   same answer")
    new_s: list[float] = []
    old_s: list[float] = []
    for k in ks:
        sk = copies(scenario, k)
        best = {"generate": math.inf, "enumerate": math.inf}
        results = {}
        for _ in range(repeats):
            methods: tuple[N1Method, ...] = ("generate", "enumerate") if k <= old_max_k else ("generate",)
            for method in methods:
                c0 = cpu()
                results[method] = optimise(sk, n1_method=method)
                best[method] = min(best[method], cpu() - c0)
        new, old = results["generate"], results.get("enumerate")
        new_s.append(best["generate"])
        same = "-"
        if old is not None:
            old_s.append(best["enumerate"])
            same = "yes" if (math.isclose(new.plan.cost, old.plan.cost, rel_tol=1e-7, abs_tol=1e-6)
                             and new.plan.n_minus_1_shortfalls.keys() == old.plan.n_minus_1_shortfalls.keys()) else "NO"
        print(f"  {k:3d} {len(sk.nodes):6d} {best['generate']:8.2f} "
              + (f"{best['enumerate']:8.2f} {best['enumerate'] / best['generate']:8.2f}" if old
                 else f"{'-':>8s} {'-':>8s}")
              + f" {new.lps_solved:8d} {new.lp_size['columns']:17d} "
              + (f"{old.lp_size['columns']:8d}" if old else f"{'-':>8s}") + f"   {same}")
    verdict = "[under 10 s]" if ks[-1] == 16 and new_s[-1] < 10 else ""
    print(f"  fitted exponent: new k^{fitted_exponent(ks, new_s):.2f}"
          + (f", old k^{fitted_exponent(ks[:len(old_s)], old_s):.2f} (k <= {ks[len(old_s) - 1]})"
             if len(old_s) > 1 else "")
          + f"; k = {ks[-1]}: new {new_s[-1]:.2f} s {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "targets-2030.yaml"))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--sizes", default="200,500,1000", help="Random network sizes (nodes).")
    parser.add_argument("--scale", action="store_true",
                        help="Only the scaling section: the scenario copied k times, new N-1 against old.")
    parser.add_argument("--ks", default="1,2,4,8,16", help="Copies for --scale.")
    parser.add_argument("--old-max-k", type=int, default=8,
                        help="Largest k the old formulation runs at (k = 16 takes minutes).")
    parser.add_argument("--plan-lp", type=int, metavar="K",
                        help="Only the plan LP of constraint generation's last plan of the scenario "
                             "copied K times, PuLP + HiGHS in bulk against direct highspy (goal at K = 16: "
                             "within 1.2x).")
    parser.add_argument("--firm", action="store_true",
                        help="Only optimise() with optimiser.firm_supply against without (seconds each).")
    args = parser.parse_args()
    quiet_highs()
    scenario = load_scenario(args.scenario)
    optimise(scenario)  # warm up imports and caches
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared with other work)")
    if args.firm:
        firm_runs(scenario, max(1, args.repeats // 10))
        return
    if args.plan_lp:
        big = copies(scenario, args.plan_lp)
        plan_lp(big, args.repeats, big.name, generated=True, few=True)
        return
    if args.scale:
        ks = [int(v) for v in args.ks.split(",")]
        scale(scenario, ks, args.old_max_k, max(1, args.repeats // 10))
        big = copies(scenario, ks[-1])
        plan_lp(big, max(1, args.repeats // 10), big.name, generated=True, few=True)
        return
    full_runs(scenario, max(3, args.repeats // 2))
    plan_lp(scenario, args.repeats, scenario.name)
    if not args.no_synthetic:
        big = synthetic(20, 50, 6)
        plan_lp(big, 3, big.name)
    scaling(tuple(int(v) for v in args.sizes.split(",")), max(3, args.repeats // 4))


if __name__ == "__main__":
    main()
