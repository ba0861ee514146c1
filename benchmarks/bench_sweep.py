"""Sweep speed: a 16-point sweep of a small cargo chain on 2 worker processes against 1, and on a
local Dask cluster against the process pool. Ratios are against baselines timed in this process.

    python benchmarks/bench_sweep.py [--replications N]

Targets: 2 workers >= 1.7x one worker on 2 cores; Dask within 20% of the pool.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.sweep import sweep  # noqa: E402

SCENARIO = ROOT / "tests" / "scenarios" / "sweep_cargo.yaml"
VARY = ["fleets.ferries.vessels=3..18"]  # 16 points


def timed(out: Path, reps: int, **kw) -> tuple[float, bytes]:
    start = time.perf_counter()
    res = sweep(SCENARIO, vary=VARY, replications=reps, out=out, **kw)
    wall = time.perf_counter() - start
    assert res.points == 16 and res.failed == 0, res.lines()
    return wall, (out / "sweep.csv").read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replications", type=int, default=30)
    args = ap.parse_args()
    reps = args.replications
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
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
