"""Score a scenario against what was observed in a past year, and read the scores as a table.

    python examples/backtest.py                                  # backtests/2023.yaml
    python examples/backtest.py my-backtest.yaml -r 5 --out results/bt

`sim.backtest.run_backtest` simulates the backtest's scenario and scores each observation (the
model's mean and 95% interval against the published figure, within its tolerance), and writes
its folder as `corridor backtest` does. Its items become a DataFrame, one row per observation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim import bundled
from sim.backtest import run_backtest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backtest", nargs="?", type=Path, default=None, help="a backtest file")
    parser.add_argument("-r", "--replications", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("results/examples/backtest"))
    args = parser.parse_args(argv)
    file = args.backtest or bundled.folder("backtests") / "2023.yaml"

    result = run_backtest(file, replications=args.replications, out=args.out)
    items = pd.json_normalize(result.data["items"])  # nested keys as model.mean, observed.value, ...
    scored = items[items["status"] == "scored"]
    columns = [c for c in ("ref", "unit", "observed.value", "model.mean", "rel_error", "pass") if c in scored]
    print(scored[columns].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    summary = result.data["summary"]
    print(f"{summary['passed']} of {summary['scored']} scored items pass; backtest written to {result.folder}")


if __name__ == "__main__":
    main()
