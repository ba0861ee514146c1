"""Where a run's CPU goes: `corridor run baseline-2023 -r 10` before issue 16 against now, and
`--precision` batches on 2 workers against 1.

    python benchmarks/bench_run.py [--repeats N] [--replications R] [--only run|precision]

Run. Each case is a whole `corridor run` in a fresh process, the cases interleaved, N rounds:
"before" is the tree of commit `BEFORE` (extracted with `git archive` into a temporary folder:
nothing in the checkout changes), "now" this checkout with its pictures (drawn in a worker
process), and "now --no-plots". Each process reports its own CPU and its children's (the
picture worker, pool workers; `resource.getrusage`), and the CPU spent inside `simulate()`, by a
wrapper around the command line; the figures are medians over the rounds. Printed: the CPU
breakdown of each case (start-up and imports before `run()`, simulation, the report files and
pictures in the main process, child processes, the rest of `run()`: reading, validating,
optimising, building the report), each case's total against "before" (the medians' ratio, and
the median and range of each round's ratio: a round's runs follow each other, so they share the
machine's load) and the simulation's share of the total.

Precision. `simulate()` of the same scenario from 4 replications with a precision it cannot
reach and a cap of 12, so 4 batches (4, 2, 3, 3 replications), each case in a fresh process
(so a worker that imports the models pays for it, as in a real run): before and now, with 1 and
2 workers, and now with a new pool per batch (one `simulate()` per batch, `first=` the
replications done: what the issue measured). CPU is the process's and its finished children's
during `simulate()`; each figure against 1 worker of the same tree. The figures of every case
are checked equal.

Targets (issue 16): the run at least 1.8x less CPU than before, the simulation over 60% of it;
2 workers within 10% of one worker's CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEFORE = "9720573"  # the commit issue 16's work started from
SCENARIO = ROOT / "scenarios" / "baseline-2023.yaml"

# Runs `corridor` in this process with `simulate()` and `write_report()` timed, then writes the
# process's CPU and its children's to the file named by BENCH_RUN_OUT at exit.
WRAPPER = r"""
import atexit, json, os, resource, sys, time
spent = {"simulate": 0.0, "report": 0.0, "run_entered": None}
def dump():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    spent["main"] = me.ru_utime + me.ru_stime
    spent["children"] = kids.ru_utime + kids.ru_stime
    with open(os.environ["BENCH_RUN_OUT"], "w") as fh:
        json.dump(spent, fh)
atexit.register(dump)
def timed(module, name, key):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        if key == "run" and spent["run_entered"] is None:
            spent["run_entered"] = start
        try:
            return real(*args, **kwargs)
        finally:
            if key != "run":
                spent[key] += time.process_time() - start
    setattr(module, name, wrapper)
import sim.run, sim.report.render
timed(sim.run, "simulate", "simulate")
timed(sim.report.render, "write_report", "report")
timed(sim.run, "run", "run")
sys.argv = ["corridor", *sys.argv[1:]]
from sim.cli import main
main()
"""


def run_case(tree: Path, args: list[str]) -> dict[str, float]:
    """One `corridor run` in a fresh process whose `sim` package is `tree`'s; its CPU figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cpu.json"
        done = subprocess.run([sys.executable, "-c", WRAPPER, *args, "--out", str(Path(tmp) / "report")],
                              cwd=tree, env=os.environ | {"BENCH_RUN_OUT": str(out)}, capture_output=True,
                              check=False)
        if done.returncode != 0:
            raise SystemExit(f"{tree}: corridor {' '.join(args)}: exit {done.returncode}\n{done.stderr.decode()}")
        figures = json.loads(out.read_text())
        figures["targets"] = json.loads((Path(tmp) / "report" / "report.json").read_text())["targets"]
    figures["total"] = figures["main"] + figures["children"]
    figures["start-up and imports"] = figures.pop("run_entered") or 0.0
    figures["rest of run()"] = figures["main"] - figures["start-up and imports"] - figures["simulate"] - \
        figures["report"]
    return figures


def before_tree(tmp: Path) -> Path | None:
    """The `BEFORE` commit's sim package and scenarios, extracted with `git archive`."""
    tree = tmp / "before"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "sim", "scenarios", "seeds"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        print(f"before: commit {BEFORE} not available ({archive.stderr.decode().strip()}); skipped")
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def bench_run(repeats: int, replications: int) -> None:
    args = ["run", str(SCENARIO), "-r", str(replications), "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        cases: dict[str, tuple[Path, list[str]]] = {}
        old = before_tree(Path(tmp))
        if old is not None:
            cases["before"] = (old, args)
        cases["now"] = (ROOT, args)
        cases["now --no-plots"] = (ROOT, [*args, "--no-plots"])
        for tree, a in cases.values():  # warm the file cache and byte-code
            run_case(tree, a)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        for _ in range(repeats):
            for name, (tree, a) in cases.items():
                rounds[name].append(run_case(tree, a))
    keys = ["start-up and imports", "rest of run()", "simulate", "report", "children", "total"]
    med = {name: {k: statistics.median(r[k] for r in rs) for k in keys} for name, rs in rounds.items()}
    print(f"\ncorridor run baseline-2023 -r {replications}: CPU seconds, median of {repeats} interleaved rounds")
    print(f"{'case':18s}" + "".join(f"{k:>22s}" for k in keys) + f"{'simulation share':>18s}")
    for name, m in med.items():
        print(f"{name:18s}" + "".join(f"{m[k]:22.2f}" for k in keys) + f"{m['simulate'] / m['total']:18.0%}")
    print("(report: the report files and pictures in the main process; children: the picture worker)")
    if "before" in med:
        base = med["before"]["total"]
        for name in ("now", "now --no-plots"):
            m = med[name]
            main = m["total"] - m["children"]
            paired = sorted(b["total"] / n["total"] for b, n in zip(rounds["before"], rounds[name]))
            print(f"{name}: before / now = {base / m['total']:.2f} in CPU with its children ({base / main:.2f} "
                  f"for the main process alone); round by round {statistics.median(paired):.2f} "
                  f"({paired[0]:.2f}-{paired[-1]:.2f}); simulation {m['simulate'] / m['total']:.0%} of the CPU "
                  "(targets: 1.8, over 60%)")
        same = all(r["targets"] == rounds["before"][0]["targets"] for rs in rounds.values() for r in rs)
        print(f"targets' figures identical in every case and round: {same}")


# Times one `simulate()` of baseline-2023 capped at 12 replications from 4 with a precision it
# cannot reach (batches of 4, 2, 3, 3), in a fresh process whose `sim` is the tree's; prints its CPU
# (the process's and its finished children's), its wall time and the targets' values as JSON.
PRECISION = r"""
import json, resource, sys, time
from sim.scenario.loading import load_scenario
from sim.simulate import SimulationResult, simulate
scenario = load_scenario(sys.argv[1])
scenario.simulation.max_replications = 12
workers, per_batch = int(sys.argv[2]), sys.argv[3] == "per-batch"
def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
c, w = cpu(), time.perf_counter()
if per_batch:  # --precision before: a new pool for every batch (one simulate() each)
    done = simulate(scenario, replications=4, workers=workers)
    reps = list(done.replications)
    while len(reps) < 12:
        more = min(max(2, len(reps) // 2), 12 - len(reps))
        reps += list(simulate(scenario, replications=more, workers=workers, first=len(reps)).replications)
    result = SimulationResult(scenario, done.seed, reps)
else:
    result = simulate(scenario, replications=4, precision=1e-9, workers=workers)
print(json.dumps({"cpu": cpu() - c, "wall": time.perf_counter() - w, "n": len(result.replications),
                  "values": result.values}))
"""


def precision_case(tree: Path, workers: int, mode: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", PRECISION, str(SCENARIO), str(workers), mode], cwd=tree,
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: simulate, {workers} workers: exit {done.returncode}\n{done.stderr.decode()}")
    figures: dict[str, Any] = json.loads(done.stdout.decode().splitlines()[-1])
    assert figures["n"] == 12, figures["n"]
    return figures


def bench_precision(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        old = before_tree(Path(tmp))
        cases: dict[str, tuple[Path, int, str]] = {}
        if old is not None:
            cases |= {"before, 1 worker": (old, 1, "one"), "before, 2 workers": (old, 2, "one")}
        cases |= {"now, 1 worker": (ROOT, 1, "one"), "now, 2 workers": (ROOT, 2, "one"),
                  "now, 2 workers, a pool a batch": (ROOT, 2, "per-batch")}
        spent: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
        for _ in range(repeats):
            for name, (tree, workers, mode) in cases.items():
                spent[name].append(precision_case(tree, workers, mode))
    values = [r["values"] for rs in spent.values() for r in rs]
    print(f"\nprecision batches: simulate() of baseline-2023, 4 batches (4, 2, 3, 3 replications), each case a "
          f"fresh process, median of {repeats} interleaved rounds; {os.cpu_count()} cores")
    for name, rs in spent.items():
        one = spent[name.split(",")[0] + ", 1 worker"]
        base_cpu, base_wall = statistics.median(r["cpu"] for r in one), statistics.median(r["wall"] for r in one)
        c, w = statistics.median(r["cpu"] for r in rs), statistics.median(r["wall"] for r in rs)
        print(f"  {name:32s} {c:6.2f} s CPU ({c / base_cpu:.2f}x its 1 worker), {w:6.2f} s wall "
              f"({base_wall / w:.2f}x as fast)")
    print(f"  figures identical in every case: {all(v == values[0] for v in values)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--only", choices=["run", "precision"])
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}")
    if args.only in (None, "run"):
        bench_run(args.repeats, args.replications)
    if args.only in (None, "precision"):
        bench_precision(args.repeats)


if __name__ == "__main__":
    main()
