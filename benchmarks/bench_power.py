"""Speed of the hourly power dispatch against a plain NumPy `minimum`, in the same process.

    python benchmarks/bench_power.py [SCENARIO] [--replications N] [--repeats K] [--only model|pypsa]

One replication = one simulated year (8,760 hours) of the scenario's power flows: every power
cable and converter failing and being repaired (event by event), the wind and solar profiles,
and the hourly dispatch with and without outages (the second gives the energy lost to
outages). The default scenario is the full 2030 corridor with its cable cut (`cable-cut`).
Target: under 0.5 s per replication. The baseline is `np.minimum` of two 8,760-hour arrays
(generation against one cable's capacity), the least any hourly model must do; their ratio is
printed beside it. Each figure is the best of K repeats, so other work on the machine disturbs
it less.

`--only pypsa`: one year of hourly dispatch with storage (the 5-bus targets-2030 case of
tests/energy/pypsa_oracle.py: a battery at az_wind, a gas plant at nakhchivan, one replication's
outages), ours (`dispatch_storage` as the simulation runs it: the battery's group by its exact
one-store rule, the plant's by the rolling-window LP) against PyPSA's
`optimize()` on the same network and objective (components built, LP built by linopy, solved by
HiGHS), in the same process, CPU time (time.process_time: every thread of the process), K
repeats each, interleaved; the best and the median of each, and their ratios. Goal: ours at
least 50x faster.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from pathlib import Path

import numpy as np

from sim.energy.model import reliability, simulate_continuous
from sim.scenario.loading import load_scenario
from sim.network import Network
from sim.energy.power import simulate_power
from sim.replications import Replication, Streams

ROOT = Path(__file__).resolve().parent.parent
HOURS = 8760


def numpy_minimum() -> float:
    """Seconds for one np.minimum over 8,760 hours (best of several timeit runs)."""
    rng = np.random.default_rng(0)
    gen, cap = rng.uniform(0, 4, HOURS), np.full(HOURS, 3.0)
    runs = timeit.repeat(lambda: np.minimum(gen, cap), number=2000, repeat=5)
    return min(runs) / 2000


def replication_s(path: Path, reps: int, repeats: int) -> tuple[float, float, dict[str, float]]:
    """Best seconds per replication: the whole power model, and the dispatch alone (after the
    reliability simulation); plus the mean outages and delivered GW of the last run."""
    scenario = load_scenario(path, ["simulation.horizon=8760 h"])
    network = Network(scenario)
    whole, dispatch = [], []
    outages, delivered = 0, 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        for i in range(reps):
            rep = simulate_continuous(scenario, network, Streams(scenario.simulation.seed, i), i, ("power",))
            outages += len(rep.outages)
            delivered += sum(f.delivered for f in rep.flows.values())
        whole.append((time.perf_counter() - t) / reps)
        outcomes = [reliability(scenario, network, Streams(scenario.simulation.seed, i), ("power",))
                    for i in range(reps)]
        t = time.perf_counter()
        for i, outcome in enumerate(outcomes):
            simulate_power(scenario, network, Streams(scenario.simulation.seed, i), outcome, Replication(i),
                           HOURS, int(scenario.simulation.warmup.value))
        dispatch.append((time.perf_counter() - t) / reps)
    n = reps * repeats
    return min(whole), min(dispatch), {"outages": outages / n, "delivered_gw": delivered / n}


def against_pypsa(repeats: int) -> tuple[list[float], list[float], float]:
    """CPU seconds of our storage dispatch and of PyPSA's optimize() on the same year, each
    repeat (interleaved), and the largest difference in delivered GW between them in any hour."""
    sys.path.insert(0, str(ROOT / "tests"))
    from energy.pypsa_oracle import solve, storage_case

    from sim.energy.storage import dispatch_storage

    case = storage_case()
    n = case.n_hours
    ours, theirs = [], []
    gap = 0.0
    for _ in range(repeats):
        t = time.process_time()
        got = dispatch_storage(case.paths, case.rates, case.caps, case.supply, case.stores, case.plants, n)
        ours.append(time.process_time() - t)
        t = time.process_time()
        oracle = case.pypsa()
        solution = solve(oracle.network(n), oracle.storage)
        theirs.append(time.process_time() - t)
        delivered = oracle.delivered(solution)
        gap = max(float(np.abs(got.delivered[f] - delivered[f]).max()) for f in case.rates)
    return ours, theirs, gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "cable-cut.yaml"))
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["model", "pypsa"], help="one case: the power model, or ours against PyPSA")
    args = parser.parse_args()
    if args.only != "model":
        ours_s, theirs_s, gap = against_pypsa(args.repeats)
        print(f"one year of dispatch with storage (5 buses, battery and gas plant), CPU, {args.repeats} repeats:")
        for label, pick in (("best", min), ("median", statistics.median)):
            ours, theirs = pick(ours_s), pick(theirs_s)
            print(f"  {label:6s} PyPSA optimize() (build + linopy + HiGHS): {theirs * 1e3:8.1f} ms; ours "
                  f"(dispatch_storage): {ours * 1e3:6.1f} ms; ratio {theirs / ours:5.1f}x faster"
                  f"   goal >= 50x: {'met' if theirs >= 50 * ours else 'NOT met'}")
        print(f"largest difference in delivered power in any hour: {gap:.1e} GW")
        if args.only == "pypsa":
            return
    base = numpy_minimum()
    whole, dispatch, stats = replication_s(Path(args.scenario), args.replications, args.repeats)
    print(f"scenario: {Path(args.scenario).name}, {args.replications} replications x best of {args.repeats}")
    print(f"  outages a replication (power components): {stats['outages']:.1f}; "
          f"delivered: {stats['delivered_gw']:.3f} GW (all power flows)")
    print(f"np.minimum over {HOURS} h:            {base * 1e6:10.1f} us")
    print(f"power model per replication (1 yr):  {whole * 1e3:10.1f} ms   ratio {whole / base:8.0f}x   "
          f"target < 500 ms: {'met' if whole < 0.5 else 'NOT met'}")
    print(f"  of which profiles and dispatch x2: {dispatch * 1e3:10.1f} ms   ratio {dispatch / base:8.0f}x")


if __name__ == "__main__":
    main()
