"""Run a scenario twice, as written and with a change, and ask what changed and whether it is real.

    python examples/compare.py                                           # baseline, 8 rail ferries, not 13
    python examples/compare.py my.yaml --change fleets.ferries.vessels=6 -r 5 --out results/cmp

Both runs use the same seed, so their replications share random numbers (a storm in the one is
the storm in the other) and the comparison can pair them. `sim.report.compare.compare` reads the
two report folders; `comparison_frame` makes its table a DataFrame, one row per (figure, report),
which is what `corridor compare --format parquet` writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim import bundled
from sim.report.compare import compare
from sim.report.frames import comparison_frame
from sim.run import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="baseline-2023", help="a scenario file or bundled name")
    parser.add_argument("--change", action="append", default=None, help="PATH=VALUE: the variant's change")
    parser.add_argument("-r", "--replications", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="PATH=VALUE, both runs")
    parser.add_argument("--out", type=Path, default=Path("results/examples/compare"))
    args = parser.parse_args(argv)
    change = args.change or ["fleets.caspian_ferries.vessels=8"]

    path = bundled.resolve(args.scenario)
    base = run(path, overrides=args.overrides, replications=args.replications, out=args.out / "base")
    variant = run(path, overrides=args.overrides + change, replications=args.replications, out=args.out / "variant")

    result = compare([base.folder / "report.json", variant.folder / "report.json"])
    table = comparison_frame(result.to_dict())
    table.to_parquet(args.out / "comparison.parquet", index=False)

    # The variant's figures that moved: value, change from the base run, the test's p-value and verdict.
    mine = table[(table["report_path"] == str(variant.folder / "report.json")) & (table["delta"].fillna(0) != 0)]
    print(f"changed: {', '.join(change)}; {len(mine)} figures moved")
    columns = [c for c in ("section", "id", "figure", "unit", "value", "delta", "p_value", "verdict") if c in mine]
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(mine[columns].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    print(f"comparison written to {args.out / 'comparison.parquet'}")


if __name__ == "__main__":
    main()
