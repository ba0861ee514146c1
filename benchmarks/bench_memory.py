"""Peak memory of a run against the number of replications and the simulated horizon.

    python benchmarks/bench_memory.py [--scenario NAME] [--only replications|years] [--workers W]

Each case runs in a fresh Python process (`--case`), which evaluates the scenario (optimise,
simulate, build the report document) and draws every plot the report shows (not the map: it is drawn
from the network alone, the same whatever the replications or the horizon), then prints
its peak resident memory (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, the largest the process
ever was; with `--workers` above 1 the workers' own peaks, `RUSAGE_CHILDREN`, are printed
apart). Cases:

- replications: 10, 100 and 1,000 replications of the scenario over a short horizon (30 days,
  no spin-up), where what the run keeps per replication dominates what one replication needs;
- years: 1, 5 and 20 simulated years (two replications each), where the per-day series and one
  replication's own arrays grow with the horizon.

Each figure is printed as a ratio to the smallest case of its kind, in the same run; the goal is
every ratio within 1.10 (peak memory flat within 10 %). The default scenario is `targets-2030`
(cargo, oil, power and data: every kind of series the report keeps).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPLICATIONS = (10, 100, 1000)
YEARS = (1, 5, 20)
SHORT_DAYS = 30


def case(scenario: str, replications: int, days: float, workers: int) -> dict[str, float]:
    """Evaluate and draw one case in this process; its peak memory (MB) and CPU seconds."""
    from sim.report.plots import all_plots
    from sim.run import evaluate

    sets = [f"simulation.horizon={days} d", "simulation.spinup=0 d", "simulation.warmup=0 d",
            "simulation.trace=false"]
    start = time.process_time()
    ev = evaluate(ROOT / "scenarios" / f"{scenario}.yaml", overrides=sets, replications=replications,
                  workers=workers)
    from sim.report.document import ReportDocument

    pictures = all_plots(ReportDocument.model_validate(ev.data), ev.result)
    cpu = time.process_time() - start
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"peak_mb": self_kb / 1024, "workers_peak_mb": children_kb / 1024, "cpu_s": cpu,
            "pictures": len(pictures)}


def measure(scenario: str, replications: int, days: float, workers: int) -> dict[str, float]:
    """`case` in a fresh interpreter, so each peak is its own."""
    out = subprocess.run([sys.executable, __file__, "--case", json.dumps([scenario, replications, days, workers])],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def report(kind: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    base = rows[0][1]["peak_mb"]
    worst = max(r["peak_mb"] / base for _, r in rows)
    for label, r in rows:
        workers = f", workers' peak {r['workers_peak_mb']:6.1f} MB" if r["workers_peak_mb"] else ""
        print(f"  {label:>18}: peak {r['peak_mb']:7.1f} MB   ratio {r['peak_mb'] / base:5.2f}   "
              f"(CPU {r['cpu_s']:6.1f} s{workers})")
    print(f"  {kind}: largest ratio {worst:.2f}, goal <= 1.10: {'met' if worst <= 1.10 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="targets-2030")
    parser.add_argument("--only", choices=("replications", "years"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        scenario, reps, days, workers = json.loads(args.case)
        print(json.dumps(case(scenario, reps, days, workers)))
        return
    print(f"scenario {args.scenario}, {args.workers} worker(s); peak RSS of a fresh process per case")
    if args.only in (None, "replications"):
        print(f"replications ({SHORT_DAYS}-day horizon):")
        report("replications", [(f"{n:,} replications", measure(args.scenario, n, SHORT_DAYS, args.workers))
                                for n in REPLICATIONS])
    if args.only in (None, "years"):
        print("years (2 replications):")
        report("years", [(f"{y} year{'s' if y > 1 else ''}", measure(args.scenario, 2, 365 * y, args.workers))
                         for y in YEARS])


if __name__ == "__main__":
    main()
