"""Sweep speed: a 16-point sweep of a small cargo chain on 2 worker processes against 1, and on a
local Dask cluster against the process pool; and the README's threshold question (Caspian
ferries for cargo_titr_2024 at 80%, `sweep --find`) by the search that keeps its replications
against the doubling bisection it replaced (`doubling_bisection` below, kept only here). Ratios
are against baselines timed in this process.

    python benchmarks/bench_sweep.py [--replications N] [--only find|sweep]

Targets: 2 workers >= 1.7x one worker on 2 cores; Dask within 20% of the pool; the threshold
question answered in under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
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


def timed(out: Path, reps: int, **kw) -> tuple[float, bytes]:
    start = time.perf_counter()
    res = sweep(SCENARIO, vary=VARY, replications=reps, out=out, **kw)
    wall = time.perf_counter() - start
    assert res.points == 16 and res.failed == 0, res.lines()
    return wall, (out / "sweep.csv").read_bytes()


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=30)
    ap.add_argument("--only", choices=["find", "sweep"])
    args = ap.parse_args()
    reps = args.replications
    if args.only == "find":
        with tempfile.TemporaryDirectory() as tmp:
            bench_find(Path(tmp))
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
            bench_find(tmp)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
