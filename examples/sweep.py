"""Sweep a scenario parameter and read the sweep's table with pandas: where does each target hold?

    python examples/sweep.py                                               # baseline, 9 to 17 ferries
    python examples/sweep.py my.yaml --vary "fleets.ferries.vessels=6,10,14" -r 3 --out results/sw

`sim.sweep.sweep` runs every point (the same seed at each, so points differ only by what is
varied) and writes `sweep.parquet`: one row per (point, target) with the swept values, each
target's mean, P(met) and verdict. A pivot of that table is the sweep's answer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim import bundled
from sim.sweep import SweepResult, sweep


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="baseline-2023", help="a scenario file or bundled name")
    parser.add_argument("--vary", action="append", default=None, help="PATH=SPEC, as corridor sweep --vary")
    parser.add_argument("-r", "--replications", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="PATH=VALUE")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/examples/sweep"))
    args = parser.parse_args(argv)
    vary = args.vary or ["fleets.caspian_ferries.vessels=9..17 step 4"]

    done = sweep(bundled.resolve(args.scenario), vary=vary, overrides=args.overrides,
                 replications=args.replications, out=args.out, workers=args.workers)
    assert isinstance(done, SweepResult)  # a sweep without `find` is never a threshold search
    table = pd.read_parquet(done.folder / "sweep.parquet")
    swept = [spec.split("=", 1)[0] for spec in vary]
    ok = table[table["status"] == "ok"]

    # Rows: the swept values; columns: targets; cells: P(met) and the mean.
    for figure in ("p_met", "mean"):
        pivot = ok.pivot_table(index=swept, columns="target", values=figure)
        print(f"{figure} by {', '.join(swept)}:")
        print(pivot.to_string(float_format=lambda x: f"{x:.3g}"))
    print(f"{done.points} points, {done.failed} failed; sweep written to {done.folder}")


if __name__ == "__main__":
    main()
