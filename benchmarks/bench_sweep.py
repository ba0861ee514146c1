"""Sweep speed: a 16-point sweep of a small cargo chain on 2 worker processes against 1, and on a
local Dask cluster against the process pool; the fixed work of one point; and the README's
threshold question (Caspian ferries for cargo_titr_2024 at 80%, `sweep --find`) by the search
that keeps its replications against the doubling bisection it replaced (`doubling_bisection`
below, kept only here). Ratios are against baselines timed in this process.

    python benchmarks/bench_sweep.py [--replications N] [--only find|sweep|overhead|dask]

`overhead`: a point's fixed work, its CPU time less its replications' (the CPU spent inside
`run_replication`), as a share of the point, for 5-replication points of the small cargo chain
and of baseline-2023; the point function (`points.evaluate_report`: the scenario read once,
overrides applied to that tree, only the figures a point keeps) interleaved with the full
`sim.run.evaluate` a point used to run. `dask`: 16 points x N replications on 2 workers, the
process pool and `--scheduler local` (cluster start-up included) alternated, twice each.

Targets: a point's fixed work under 10% of a 5-replication point; 2 workers >= 1.7x one worker
on 2 cores; Dask local within 1.1x of the pool; the threshold question answered in under 2
minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.sweep import sweep  # noqa: E402
from sim.sweep.points import evaluate_report  # noqa: E402
from sim.sweep.threshold import wilson  # noqa: E402

SCENARIO = ROOT / "tests" / "scenarios" / "sweep_cargo.yaml"
VARY = ["fleets.ferries.vessels=3..18"]  # 16 points


def cpu() -> float:
    """CPU seconds of this process and its finished children (pool workers, forked Dask workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(out: Path, reps: int, **kw) -> tuple[float, bytes]:
    wall, _, table = timed_cpu(out, reps, **kw)
    return wall, table


def timed_cpu(out: Path, reps: int, **kw) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of the 16-point sweep (the workers' CPU counted once they have exited)."""
    start, began = time.perf_counter(), cpu()
    res = sweep(SCENARIO, vary=VARY, replications=reps, out=out, **kw)
    wall, used = time.perf_counter() - start, cpu() - began
    assert res.points == 16 and res.failed == 0, res.lines()
    return wall, used, (out / "sweep.csv").read_bytes()


@dataclass(frozen=True)
class Question:
    """A threshold question: where does `target`'s P(met) cross `level` as `path` runs over `low..high`."""

    name: str
    scenario: Path
    path: str
    low: float
    high: float
    unit: str
    target: str
    level: float
    overrides: tuple[str, ...] = ()

    def text(self, x: float) -> str:
        return f"{x:.10g} {self.unit}" if self.unit else str(int(x))


QUESTIONS = [
    Question("the README's ferry question", ROOT / "scenarios" / "plan-2024.yaml", "fleets.caspian_ferries.vessels",
             13, 60, "", "cargo_titr_2024", 0.8),
    # one of the cable's two units down halves it: P(met) ~0 below 1.26 GW, ~85% to 2.52 GW, then 1
    Question("a cable of two units that fail (tests/scenarios/sweep_power.yaml)",
             ROOT / "tests" / "scenarios" / "sweep_power.yaml", "links.cable.capacity", 1.0, 3.0, "GW", "firm", 0.9,
             ("links.cable.reliability.failure_rate=0.05 /100km/yr",)),
]


def doubling_bisection(q: Question, workers: int) -> tuple[str, int]:
    """The search `sweep --find` ran before issue 12: bisect the range (to one whole number or 1% of
    it); at each probe run the scenario's replications, then twice, four times as many, ..., each
    time from replication 0, until the Wilson interval of P(met) clears the level or
    max_replications are run. Returns its answer and the replications it ran."""
    from sim.scenario.loading import load_scenario

    sim = load_scenario(q.scenario, list(q.overrides)).simulation
    runs = 0

    def probe(v: float) -> bool:
        nonlocal runs
        n = sim.replications
        while True:
            data = evaluate_report(q.scenario, [*q.overrides, f"{q.path}={q.text(v)}"], sim.seed, n, workers=workers)
            runs += n
            p_met = next(t for t in data["targets"] if t["id"] == q.target)["simulated"]["p_met"]
            lo, hi = wilson(round(p_met * n), n)
            if hi < q.level or lo >= q.level or n >= sim.max_replications:
                return p_met >= q.level
            n = min(2 * n, sim.max_replications)

    a, b = q.low, q.high
    meets_a, meets_b = probe(a), probe(b)
    if meets_a == meets_b:
        return f"not crossed in {q.text(a)}..{q.text(b)}", runs
    tol = 1 if not q.unit else (q.high - q.low) / 100
    while b - a > tol * (1 + 1e-9):
        mid = (a + b) / 2 if q.unit else float((a + b) // 2)
        if probe(mid) == meets_a:
            a = mid
        else:
            b = mid
    return f"met from {q.text(b if meets_b else a)}", runs


def bench_find(tmp: Path, workers: int = 2) -> None:
    for i, q in enumerate(QUESTIONS):
        print(f"threshold, {q.name}: {q.target} at {q.level:.0%} against {q.path} "
              f"{q.text(q.low)}..{q.text(q.high)}, {workers} workers")
        start = time.perf_counter()
        found = sweep(q.scenario, vary=[f"{q.path}={q.text(q.low)}..{q.text(q.high)}"], find=q.path, target=q.target,
                      level=q.level, overrides=list(q.overrides), out=tmp / f"find{i}", workers=workers)
        new = time.perf_counter() - start
        print(f"  search keeping replications: {new:6.1f} s, {found.replications:4d} replications "
              f"({found.outcome}; target < 120 s)\n    {found.note}")
        start = time.perf_counter()
        answer, runs = doubling_bisection(q, workers)
        old = time.perf_counter() - start
        print(f"  doubling bisection (before): {old:6.1f} s, {runs:4d} replications ({answer})")
        print(f"  {old / new:.2f}x faster; {runs / max(found.replications, 1):.2f}x fewer replications")


def point_overhead(scenario: Path, path: str, values: list[str], replications: int = 5) -> None:
    """A point's CPU time less its replications', as a share of the point: the point function
    against the full `evaluate` a point used to run, interleaved value by value."""
    import sim.simulate
    from sim.run import evaluate

    inside = [0.0]
    replication = sim.simulate.run_replication

    def counted(*args, **kw):  # every replication of a 1-worker simulate() runs through here
        began = time.process_time()
        try:
            return replication(*args, **kw)
        finally:
            inside[0] += time.process_time() - began

    sim.simulate.run_replication = counted
    try:
        totals = {"point function": [0.0, 0.0], "full evaluate (before)": [0.0, 0.0]}
        runs = {"point function": lambda o: evaluate_report(scenario, o, 5, replications),
                "full evaluate (before)": lambda o: evaluate(scenario, overrides=o, seed=5,
                                                             replications=replications).data}
        for fn in runs.values():  # warm: imports, pint's registry, the point function's cache
            fn([f"{path}={values[0]}"])
        for value in values:
            for name, fn in runs.items():
                inside[0] = 0.0
                began = time.process_time()
                fn([f"{path}={value}"])
                totals[name][0] += time.process_time() - began
                totals[name][1] += inside[0]
    finally:
        sim.simulate.run_replication = replication
    n = len(values)
    print(f"point overhead, {scenario.name}, {n} points x {replications} replications ({path}):")
    for name, (total, reps) in totals.items():
        print(f"  {name:24s} {total / n * 1000:7.1f} ms CPU a point, {(total - reps) / n * 1000:6.1f} ms of it "
              f"fixed: {(total - reps) / total:5.1%} (target < 10%)")
    new, old = totals["point function"], totals["full evaluate (before)"]
    print(f"  fixed work {(old[0] - old[1]) / max(new[0] - new[1], 1e-9):.1f}x less; "
          f"a point {old[0] / new[0]:.2f}x faster")


def bench_overhead() -> None:
    point_overhead(SCENARIO, "fleets.ferries.vessels", [str(v) for v in range(4, 12)])
    point_overhead(ROOT / "scenarios" / "baseline-2023.yaml", "fleets.caspian_ferries.vessels",
                   ["12", "14", "16"])


def bench_dask(tmp: Path, reps: int) -> None:
    """The process pool and `--scheduler local` (start-up included), alternated, twice each."""
    walls: dict[str, list[float]] = {"pool": [], "dask": []}
    cpus: dict[str, list[float]] = {"pool": [], "dask": []}
    tables = set()
    for i in range(2):
        for name, kw in (("pool", {}), ("dask", {"scheduler": "local"})):
            wall, used, table = timed_cpu(tmp / f"{name}{i}", reps, workers=2, **kw)
            walls[name].append(wall)
            cpus[name].append(used)
            tables.add(table)
    for name, label in (("pool", "2 worker processes:     "), ("dask", "Dask, --scheduler local:")):
        print(f"{label} wall {' '.join(f'{w:6.1f}' for w in walls[name])} s, "
              f"CPU {' '.join(f'{c:6.1f}' for c in cpus[name])} s")
    print(f"  Dask local against the pool, cluster start included: {sum(cpus['dask']) / sum(cpus['pool']):.2f}x "
          f"the CPU, {sum(walls['dask']) / sum(walls['pool']):.2f}x the wall time (target <= 1.10x; wall time "
          f"depends on the load: load average {os.getloadavg()[0]:.1f})")
    print(f"same table from all four: {len(tables) == 1}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=30)
    ap.add_argument("--only", choices=["find", "sweep", "overhead", "dask"])
    args = ap.parse_args()
    reps = args.replications
    if args.only == "find":
        with tempfile.TemporaryDirectory() as tmp:
            bench_find(Path(tmp))
        return
    if args.only == "overhead":
        bench_overhead()
        return
    if args.only == "dask":
        with tempfile.TemporaryDirectory() as tmp:
            sweep(SCENARIO, vary=["fleets.ferries.vessels=3"], replications=1, out=Path(tmp) / "warm", workers=1)
            bench_dask(Path(tmp), reps)
        return
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}; "
          f"16 points x {reps} replications of {SCENARIO.name}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep(SCENARIO, vary=["fleets.ferries.vessels=3"], replications=1, out=tmp / "warm", workers=1)
        one, table1 = timed(tmp / "one", reps, workers=1)
        print(f"1 worker (in process):   {one:6.1f} s")
        two, table2 = timed(tmp / "two", reps, workers=2)
        print(f"2 worker processes:      {two:6.1f} s   speedup {one / two:.2f}x (target >= 1.7x)")
        local, table3 = timed(tmp / "dask_local", reps, workers=2, scheduler="local")
        print(f"Dask, --scheduler local: {local:6.1f} s   {local / two:.2f}x the pool's time, "
              f"cluster start included")

        import logging

        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            client.run(lambda: __import__("sim.run") and None)  # workers ready, as a running cluster is
            running, table4 = timed(tmp / "dask_address", reps, workers=2, scheduler=cluster.scheduler_address)
        print(f"Dask, running cluster:   {running:6.1f} s   {running / two:.2f}x the pool's time "
              f"(target <= 1.20x)")
        same = table1 == table2 == table3 == table4
        print(f"same table from all four: {same}")
        if args.only is None:
            bench_dask(tmp, reps)
            bench_overhead()
            bench_find(tmp)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
