"""Are two versions of the cargo model statistically indistinguishable? A paired test.

    python scripts/paired_cargo.py BASE_REF [--replications 40] [SCENARIO ...]

Runs replications 0..N-1 of each scenario's cargo model (same seeds, so the pairs share their
random numbers wherever the two versions draw them alike) in the commit BASE_REF (extracted
with `git archive`, read-only) and in the working tree, and for every figure of every flow,
link, node and fleet tests the mean of the paired differences against zero (Student's t).

Under "no difference", p-values are uniform: about 5 % fall below 0.05 by chance. The script
prints, per scenario, how many figures differ at all, how many have p < 0.05, the smallest
p-value after Holm's correction for the number of figures tested, and the delivered rate of
each flow with its paired difference. It exits 1 when a Holm-corrected p is below 0.01.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ("baseline-2023", "storm-season", "pipeline-outage", "targets-2030")

# Run inside the tree under test: print {scenario: [figures of replication i, ...]} as JSON.
WORKER = """
import json, sys
from sim.cargo.model import simulate_cargo
from sim.network import Network
from sim.replications import Streams
from sim.scenario.loading import load_scenario
root, n, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
out = {}
for name in names:
    s = load_scenario(f"{root}/scenarios/{name}.yaml")
    net = Network(s)
    reps = []
    for i in range(n):
        r = simulate_cargo(s, net, Streams(s.simulation.seed, i), i)
        row = {}
        for fid, f in r.flows.items():
            row[f"flows.{fid}.delivered"] = f.delivered
            row[f"flows.{fid}.in_system"] = f.in_system
            row |= {f"flows.{fid}.transit_days.{k}": v for k, v in f.transit_days.items()}
            row |= {f"flows.{fid}.{k}": v for k, v in f.extra.items()}
        for section in ("links", "nodes", "fleets"):
            for key, stats in getattr(r, section).items():
                row |= {f"{section}.{key}.{k}": float(v) for k, v in stats.items()}
        reps.append(row)
    out[name] = reps
print(json.dumps(out))
"""


def figures(tree: Path, n: int, names: list[str]) -> dict[str, list[dict[str, float]]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", WORKER, str(tree), str(n), *names], env=env,
                          cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def paired_t(d: list[float]) -> tuple[float, float, float]:
    """Mean difference, its standard error, and the two-sided p-value of Student's t."""
    from scipy import stats

    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else 0.0
    se = sd / math.sqrt(n)
    if se == 0.0:
        return mean, 0.0, 1.0 if mean == 0.0 else 0.0
    return mean, se, float(2 * stats.t.sf(abs(mean / se), n - 1))


def holm(ps: list[float]) -> float:
    """The smallest Holm-adjusted p-value."""
    ps = sorted(ps)
    return min((min(1.0, p * (len(ps) - i)) for i, p in enumerate(ps)), default=1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("scenarios", nargs="*", default=list(DEFAULT))
    parser.add_argument("--replications", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "base.tar"
        with open(archive, "wb") as fh:
            subprocess.run(["git", "archive", args.base], cwd=ROOT, stdout=fh, check=True)
        base = Path(tmp) / "base"
        with tarfile.open(archive) as tar:
            tar.extractall(base, filter="data")
        before = figures(base, args.replications, args.scenarios)
    after = figures(ROOT, args.replications, args.scenarios)
    worst = 1.0
    for name in args.scenarios:
        a, b = before[name], after[name]
        keys = sorted(set(a[0]) & set(b[0]))
        tests = {k: paired_t([y[k] - x[k] for x, y in zip(a, b)]) for k in keys}
        moved = {k: t for k, t in tests.items() if t[0] != 0.0 or t[1] != 0.0}
        ps = [p for _, _, p in moved.values()]
        low = sum(p < 0.05 for p in ps)
        adjusted = holm(ps)
        worst = min(worst, adjusted)
        print(f"{name}: {len(keys)} figures, {len(moved)} differ in some replication, "
              f"{low} with p < 0.05 ({0.05 * len(moved):.1f} expected by chance), "
              f"smallest Holm-adjusted p {adjusted:.3f}")
        for k in keys:
            if k.endswith(".delivered") or k.endswith("utilisation") and k.startswith("fleets"):
                mean = sum(x[k] for x in a) / len(a)
                d, se, p = tests[k]
                print(f"    {k:55s} {mean:12.5g}  diff {d:+.3g} ± {se:.2g} (p {p:.2f})")
    return 1 if worst < 0.01 else 0


if __name__ == "__main__":
    sys.exit(main())
