"""Run a scenario from Python and read its figures as tables, as a notebook would.

    python examples/run.py                                   # the bundled 2023 baseline
    python examples/run.py my-scenario.yaml -r 5 --set simulation.horizon=120d --out results/mine

`sim.run.evaluate` does what `corridor run` does (optimise, then simulate) without writing the
report folder. Its figures come out as pandas frames (`ev.frames()`) and its daily series as an
xarray Dataset (`ev.to_xarray()`); `write_data` saves them as `corridor run --format parquet`
and `--format netcdf` do. The script prints each target's verdict, the replications behind it,
and the month the corridor delivered least cargo.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim import bundled
from sim.run import evaluate, write_data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="baseline-2023", help="a scenario file or bundled name")
    parser.add_argument("-r", "--replications", type=int, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="PATH=VALUE")
    parser.add_argument("--out", type=Path, default=Path("results/examples/run"))
    args = parser.parse_args(argv)

    # series="all": every replication's daily series kept (on disk), for the Dataset by replication below
    ev = evaluate(bundled.resolve(args.scenario), overrides=args.overrides, replications=args.replications,
                  series="all")
    print(ev)  # one line: scenario, replications, seed, each target's mean and verdict

    frames = ev.frames()
    print("targets:")
    print(frames.targets[["id", "unit", "target", "simulated_mean", "simulated_p_met", "verdict"]]
          .to_string(index=False))

    # One row per (target, replication): the spread the verdict's P(met) comes from.
    spread = frames.target_replications.groupby("id")["value"].agg(["min", "max"])
    for tid, row in spread.iterrows():
        print(f"{tid}: replications from {row['min']:.3g} to {row['max']:.3g}")

    # The daily series: tonnes of cargo delivered each day, summed over flows, mean over replications,
    # over the measured days (after the warm-up), by calendar month.
    series = ev.to_xarray()
    if "delivered_cargo" in series:
        measured = series.day >= series.attrs["warmup_days"]
        daily = series.delivered_cargo.sum("cargo_flow").mean("replication").where(measured, drop=True)
        by_month = daily.groupby(daily.date.dt.month).sum()
        low = int(by_month.idxmin("month"))
        print(f"cargo delivered: least in month {low} ({float(by_month.sel(month=low)):,.0f} t)")

    written = write_data(args.out, ev, ("parquet", "netcdf"))
    print(f"{len(written)} data files written to {args.out}")


if __name__ == "__main__":
    main()
