"""A run's figures for notebooks: tidy pandas frames, and its time series as an xarray Dataset.

Frames. `frames(report)` turns report.json's content (`ReportDocument.frames()`) into one
DataFrame per table, a row per thing measured; `result_frames(result)` does the same for a
simulation held in memory (`SimulationResult.frames()`), with the figures a simulation alone
knows (no optimiser bounds, no sources, links without their nameplate, and no availability
where none was simulated, where the report gives the analytic one). Both pass through one
builder, so a figure is the same number in either and in report.json:

    targets              one row per target: id, carrier, unit, target (the figure), measure,
                         tolerance, probability, simulated_mean, simulated_ci95_lo/_hi,
                         simulated_p_met (+ _ci95_lo/_hi), optimised_* (report), verdict, met
    target_replications  one row per (target, replication): id, replication, value, unit
    target_framings      one row per (power target, framing): id, framing (transmission, energy,
                         firm), value (the figure), unit, mean, ci95_lo/_hi, p_met, verdict, ...
    flows                one row per flow: demand and delivered_mean/_ci95_lo/_hi in `unit`,
                         arrived_t, in_system_t, transit_days_mean/_p50/_p95, and every other
                         statistic the run measured (names carry their unit: _t, _twh, _days)
    flow_replications    one row per (flow, replication): id, replication, delivered, unit
    links, nodes, fleets one row per link / node (ports and crossings) / fleet: the mean across
                         replications of every statistic measured (utilisation and shares are
                         fractions 0..1; wait_h_* hours; tonnes t; *_twh TWh)
    passages             one row per node pair: from, to, days_mean/_p50/_p95, n
    port_months          one row per (port, month 1..12): measured_days, tonnes_in/tonnes_out
                         (t) and calls, each _mean, _ci95_lo, _ci95_hi

Nested records are flattened with "_" (`simulated.ci95` -> `simulated_ci95_lo`, `_hi`); lists of
ids (binding links, sources) become one comma-separated string. Replication numbers are the
simulation's indices (from a report: 0, 1, ... in order, as `corridor run` numbers them).
Each frame's `attrs` hold the scenario's name, the seed and the number of replications.

Series. `series(result)` is an xarray Dataset with dims (replication, <kind>, day) for the daily
series, day 0 being 1 January of the scenario's year (the warm-up included, the spin-up not):
`delivered_cargo` (t delivered in the day), `delivered_power` (GW, the day's mean),
`delivered_data` (Tbps, the day's mean), `queue` (consignments waiting, the day's mean), `yard`
and `storage` (t, the day's mean), `closed` (hours closed in the day); `port_<measure>` by
(replication, port, month) for the monthly port counts; and, where kept, `hourly_power` (GW) and
`hourly_data` (Tbps) by (replication, <carrier>_flow, hour) over the measured hours (from the
end of the warm-up), hour 0 being 1 January 00:00. Each variable's `units` attribute names its unit; the Dataset's
attributes the scenario, seed, year, replications, horizon, warm-up and spin-up (days).
That is the layout of a simulation run with `series="all"` (`corridor run --format netcdf`), whose
every replication's arrays are kept on disk. Otherwise (`series="summary"`, the default) only a
summary of the daily series is kept (`sim.replications.SeriesSummary`), and each daily variable
has dims (statistic, <kind>, day) instead, statistic being mean, p10 and p90 across the
replications (the percentiles from a sample of at most 32 of them); over a horizon longer than
400 days each point is the mean of `days_per_point` days (an attribute), and `day` is each
point's first day. The monthly port counts stay by replication, and `hourly_*` holds the first
replication's hours only, by (<carrier>_flow, hour), its index in the `replication` attribute.
The Dataset's `series` attribute says which layout it has.
`write_netcdf` writes it with SciPy's netCDF3 writer (no HDF5 library needed); `write_parquet`
writes the frames, each file atomically.

Comparison. `comparison_frame` turns `corridor compare`'s JSON form into a long table, one row
per (figure, report), which `write_comparison` writes as Parquet (`compare --format parquet`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.io import atomic_path

if TYPE_CHECKING:
    import xarray as xr

    from sim.simulate import SimulationResult

SECTIONS = ("targets", "flows", "links", "nodes", "fleets", "passages", "port_months")
DAILY_UNITS = {"queue": "consignments", "yard": "t", "storage": "t", "closed": "h"}
DELIVERED_UNITS = {"cargo": "t/d", "power": "GW", "data": "Tbps"}  # a flow's daily delivered series
DAILY_MEANINGS = {"queue": "consignments waiting, mean over the day", "yard": "tonnes in the yard, mean over the day",
                  "storage": "tonnes in storage, mean over the day", "closed": "hours closed in the day"}
MONTH_UNITS = {"tonnes": "t", "calls": "calls", "wagons": "wagons", "teu": "TEU", "trucks": "trucks"}


@dataclass
class Frames:
    """A run's tables as DataFrames (the module text lists each one's rows and columns)."""

    targets: pd.DataFrame
    target_replications: pd.DataFrame
    target_framings: pd.DataFrame
    flows: pd.DataFrame
    flow_replications: pd.DataFrame
    links: pd.DataFrame
    nodes: pd.DataFrame
    fleets: pd.DataFrame
    passages: pd.DataFrame
    port_months: pd.DataFrame

    def items(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """(name, frame) in the order above."""
        for f in fields(self):
            yield f.name, getattr(self, f.name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in {f.name for f in fields(self)}:
            raise KeyError(f"{name!r}: no such frame; expected one of {', '.join(n for n, _ in self.items())}")
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def __repr__(self) -> str:
        return "Frames(" + ", ".join(f"{name}: {len(df)}x{len(df.columns)}" for name, df in self.items()) + ")"

    def write_parquet(self, folder: Path) -> list[Path]:
        """Every frame to `<folder>/<name>.parquet`, each written atomically; the paths written."""
        written = []
        for name, df in self.items():
            path = Path(folder) / f"{name}.parquet"
            with atomic_path(path) as tmp:
                df.to_parquet(tmp, index=False)
            written.append(path)
        return written


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """One record as flat columns: nested keys joined with "_", a 95% interval as `_lo`/`_hi`, a
    list of ids as one comma-separated string; per-replication lists are left out (they are the
    *_replications frames)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "_"))
        elif isinstance(value, list | tuple):
            if key == "replications":
                continue
            if "ci95" in name and len(value) == 2:
                out[name + "_lo"], out[name + "_hi"] = value
            else:
                out[name] = ", ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def _frame(rows: list[dict[str, Any]], attrs: Mapping[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame.from_records([flatten(r) for r in rows]) if rows else pd.DataFrame()
    df.attrs.update(attrs)
    return df


def _long(rows: list[dict[str, Any]], key: str, value: str, indices: list[int] | None,
          attrs: Mapping[str, Any]) -> pd.DataFrame:
    """(id, replication, value, unit) rows from each row's `key.replications` list."""
    out = []
    for r in rows:
        values = (r.get(key) or {}).get("replications") or []
        numbers = indices if indices is not None and len(indices) == len(values) else range(len(values))
        out += [{"id": r["id"], "replication": i, value: v, "unit": r.get("unit")} for i, v in zip(numbers, values)]
    df = pd.DataFrame.from_records(out, columns=["id", "replication", value, "unit"])
    df.attrs.update(attrs)
    return df


def frames(report: Mapping[str, Any], indices: list[int] | None = None) -> Frames:
    """The frames of report.json's content (or of `result_frames`' report-shaped sections);
    `indices` numbers the replications (default 0, 1, ...)."""
    run = report.get("run", {})
    attrs = {"scenario": report.get("scenario", {}).get("name"), "seed": run.get("seed"),
             "replications": run.get("replications")}
    section = {name: list(report.get(name) or []) for name in SECTIONS}
    return Frames(
        targets=_frame([{k: v for k, v in t.items() if k != "framings"} for t in section["targets"]], attrs),
        target_replications=_long(section["targets"], "simulated", "value", indices, attrs),
        target_framings=_frame([{"id": t["id"], "framing": name, **f} for t in section["targets"]
                                for name, f in (t.get("framings") or {}).items()], attrs),
        flows=_frame(section["flows"], attrs),
        flow_replications=_long(section["flows"], "delivered", "delivered", indices, attrs),
        links=_frame(section["links"], attrs),
        nodes=_frame(section["nodes"], attrs),
        fleets=_frame(section["fleets"], attrs),
        passages=_frame(section["passages"], attrs),
        port_months=_frame(section["port_months"], attrs),
    )


def result_frames(result: SimulationResult) -> Frames:
    """The frames of a simulation in memory: what report.json would say of it, less what only the
    optimiser and the network know (bounds, binding rows, sources, nameplates)."""
    from sim.report.document import framing_rows, port_months, simulated_target

    scenario = result.scenario
    framings = framing_rows(scenario, scenario, result)
    target_rows = [simulated_target(scenario, tid, result)
                   | ({"framings": {k: f.model_dump() for k, f in framings[tid].items()}} if tid in framings else {})
                   for tid in scenario.targets]
    flow_rows = [{"id": fid, "carrier": f.carrier, "unit": f.rate.unit, "origin": f.origin,
                  "destination": f.destination, "demand": f.rate.value, "region": f.region, **result.flow(fid)}
                 for fid, f in scenario.flows.items()]
    link_rows = [{"id": lid, **_link_facts(scenario, lid), **stats}
                 for lid, stats in result.table_means("links").items()]
    report = {
        "scenario": {"name": scenario.name}, "run": {"seed": result.seed, "replications": len(result.replications)},
        "targets": target_rows, "flows": flow_rows, "links": link_rows,
        "nodes": [{"id": n, **s} for n, s in result.table_means("nodes").items()],
        "fleets": [{"id": f, **s} for f, s in result.table_means("fleets").items()],
        "passages": result.passages(),
        "port_months": [row.model_dump() for row in port_months(scenario, result)],
    }
    return frames(report, [r.index for r in result.replications])


def _link_facts(scenario: Any, lid: str) -> dict[str, Any]:
    link = scenario.links.get(lid)
    if link is None:
        return {}
    return {"carrier": link.carrier, "mode": link.mode, "from": link.from_, "to": link.to}


def series(result: SimulationResult, *, hourly: bool = True) -> xr.Dataset:
    """The daily series (and, with `hourly`, the hourly delivered power and data) of every
    replication as one Dataset (the module text lists the variables)."""
    import xarray as xr

    from sim import __version__

    from sim.replications import Replications

    scenario, reps = result.scenario, result.replications
    if not (isinstance(reps, Replications) and reps.store is not None):
        return _summary_series(result, hourly=hourly)
    sim_cfg = scenario.simulation
    index = [r.index for r in reps]
    carrier_of = {fid: f.carrier for fid, f in scenario.flows.items()}
    variables: dict[str, xr.DataArray] = {}
    grouped: dict[str, list[str]] = {}
    months: dict[str, list[str]] = {}
    for key in dict.fromkeys(k for r in reps for k in r.series):
        kind, _, rest = key.partition(":")
        if kind == "month":
            port, _, measure = rest.rpartition(":")
            months.setdefault(measure, []).append(port)
        elif kind == "delivered":
            grouped.setdefault(f"delivered_{carrier_of.get(rest, 'other')}", []).append(rest)
        else:
            grouped.setdefault(kind, []).append(rest)
    days = max((len(v) for r in reps for k, v in r.series.items() if not k.startswith("month:")), default=0)
    for name, ids in grouped.items():
        kind, dim, unit, meaning = _daily_meta(name)
        prefix = f"{kind}:"
        variables[name] = xr.DataArray(_stack((r.series for r in reps), len(reps), [prefix + i for i in ids], days),
                                       dims=("replication", dim, "day"), coords={dim: ids},
                                       attrs={"units": unit, "long_name": meaning})
    for measure, ports in months.items():
        unit = next((u for word, u in MONTH_UNITS.items() if measure.startswith(word)), "?")
        variables[f"port_{measure}"] = xr.DataArray(
            _stack((r.series for r in reps), len(reps), [f"month:{p}:{measure}" for p in ports], 12),
            dims=("replication", "port", "month"),
            coords={"port": ports}, attrs={"units": unit, "long_name": f"{measure} in the calendar month at the port "
                                                                       "(measured period only)"})
    if hourly:
        variables.update(_hourly(result))
    horizon_h, warmup_h = sim_cfg.horizon.value, sim_cfg.warmup.value
    coords: dict[str, Any] = {
        "replication": ("replication", np.asarray(index, dtype=np.int32), {"long_name": "replication index"}),
        "day": ("day", np.arange(days, dtype=np.int32),
                {"units": "d", "long_name": "day of the year, 0 = 1 January (warm-up included)"}),
        "date": ("day", np.datetime64(f"{scenario.year}-01-01", "D") + np.arange(days),
                 {"long_name": "the day's date"}),
        "month": ("month", np.arange(1, 13, dtype=np.int32), {"long_name": "calendar month, 1 = January"}),
    }
    attrs = {"scenario": scenario.name, "seed": result.seed, "year": scenario.year, "replications": len(reps),
             "horizon_days": horizon_h / 24, "warmup_days": warmup_h / 24,
             "spinup_days": sim_cfg.spinup.value / 24, "source": f"corridor {__version__}", "series": "all"}
    return xr.Dataset(variables, coords=coords, attrs=attrs)


STATISTICS = ("mean", "p10", "p90")


def _daily_meta(name: str) -> tuple[str, str, str, str]:
    """A daily variable's series kind, its id dimension, unit and meaning (`delivered_<carrier>`
    for a carrier's flows, else the kind of node series)."""
    kind = "delivered" if name.startswith("delivered_") else name
    carrier = name.removeprefix("delivered_")
    if kind == "delivered":
        meaning = f"{carrier} delivered in the day" + ("" if carrier == "cargo" else ", mean over the day")
        return kind, f"{carrier}_flow", DELIVERED_UNITS.get(carrier, "?"), meaning
    return kind, f"{name}_node", DAILY_UNITS.get(kind, "?"), DAILY_MEANINGS.get(kind, kind)


def _summary_series(result: SimulationResult, *, hourly: bool) -> xr.Dataset:
    """`series` from the result's series summary (the module text gives the layout)."""
    import xarray as xr

    from sim import __version__
    from sim.replications import SeriesSummary

    scenario, reps = result.scenario, result.replications
    sim_cfg = scenario.simulation
    summary = result.series if result.series is not None else SeriesSummary(result.seed)
    carrier_of = {fid: f.carrier for fid, f in scenario.flows.items()}
    grouped: dict[str, list[str]] = {}
    for key in summary.names():
        kind, _, rest = key.partition(":")
        name = f"delivered_{carrier_of.get(rest, 'other')}" if kind == "delivered" else kind
        grouped.setdefault(name, []).append(rest)
    points = max((len(summary.mean(k)) for k in summary.names()), default=0)
    width = max((summary.width(k) for k in summary.names()), default=1)
    variables: dict[str, xr.DataArray] = {}
    for name, ids in grouped.items():
        kind, dim, unit, meaning = _daily_meta(name)
        values = np.full((len(STATISTICS), len(ids), points), np.nan)
        for j, rest in enumerate(ids):
            key = f"{kind}:{rest}"
            mean = summary.mean(key)
            values[0, j, :len(mean)] = mean
            values[1:, j, :len(mean)] = np.percentile(summary.stack(key), [10, 90], axis=0)
        variables[name] = xr.DataArray(values, dims=("statistic", dim, "day"), coords={dim: ids},
                                       attrs={"units": unit, "long_name": meaning})
    first = None
    month_series: list[dict[str, Any]] = []  # each replication's month series, read in one pass
    for r in reps:
        first = r if first is None else first
        month_series.append({k: v for k, v in r.series.items() if k.startswith("month:")})
    months: dict[str, list[str]] = {}
    for key in dict.fromkeys(k for s in month_series for k in s):
        port, _, measure = key.removeprefix("month:").rpartition(":")
        months.setdefault(measure, []).append(port)
    for measure, ports in months.items():
        unit = next((u for word, u in MONTH_UNITS.items() if measure.startswith(word)), "?")
        variables[f"port_{measure}"] = xr.DataArray(
            _stack(month_series, len(month_series), [f"month:{p}:{measure}" for p in ports], 12),
            dims=("replication", "port", "month"), coords={"port": ports},
            attrs={"units": unit, "long_name": f"{measure} in the calendar month at the port (measured period only)"})
    if hourly and first is not None:
        variables.update({name: da.isel(replication=0).assign_attrs(replication=first.index)
                          for name, da in _hourly_of([first], scenario).items()})
    days = np.arange(points, dtype=np.int32) * width
    horizon_h, warmup_h = sim_cfg.horizon.value, sim_cfg.warmup.value
    coords: dict[str, Any] = {
        "statistic": ("statistic", list(STATISTICS), {"long_name": "across replications: mean, 10th and 90th "
                                                                   "percentile"}),
        "day": ("day", days, {"units": "d", "long_name": "first day of the point, 0 = 1 January (warm-up included)"}),
        "date": ("day", np.datetime64(f"{scenario.year}-01-01", "D") + days, {"long_name": "the point's first date"}),
        "month": ("month", np.arange(1, 13, dtype=np.int32), {"long_name": "calendar month, 1 = January"}),
    }
    attrs = {"scenario": scenario.name, "seed": result.seed, "year": scenario.year, "replications": len(reps),
             "horizon_days": horizon_h / 24, "warmup_days": warmup_h / 24,
             "spinup_days": sim_cfg.spinup.value / 24, "source": f"corridor {__version__}", "series": "summary",
             "days_per_point": width}
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _stack(series: Iterable[Mapping[str, Any]], n: int, keys: list[str], length: int) -> np.ndarray:
    """(replication, key, time) values from the series of each of `n` replications; NaN where a
    replication lacks a series or a day."""
    out = np.full((n, len(keys), length), np.nan)
    for i, s in enumerate(series):
        for j, k in enumerate(keys):
            if k in s:
                v = np.asarray(s[k], dtype=float)[:length]
                out[i, j, :len(v)] = v
    return out


def _hourly(result: SimulationResult) -> dict[str, xr.DataArray]:
    """The hourly delivered rate of each power and data flow over the measured hours."""
    return _hourly_of(result.replications, result.scenario)


def _hourly_of(reps: Sequence[Any], scenario: Any) -> dict[str, xr.DataArray]:
    """The hourly delivered rate of each power and data flow over the measured hours, by replication."""
    import xarray as xr

    end = math.ceil(scenario.simulation.horizon.value - 1e-9)  # the hours simulated (sim.energy.model)
    out = {}
    for carrier in ("power", "data"):
        ids = list(dict.fromkeys(fid for r in reps for fid, rec in r.flows.items()
                                 if rec.carrier == carrier and rec.hourly is not None))
        if not ids:
            continue
        n = max(len(rec.hourly) for r in reps for fid in ids
                if (rec := r.flows.get(fid)) is not None and rec.hourly is not None)
        values = np.full((len(reps), len(ids), n), np.nan, dtype=np.float32)
        for i, r in enumerate(reps):
            for j, fid in enumerate(ids):
                rec = r.flows.get(fid)
                if rec is not None and rec.hourly is not None:
                    values[i, j, :len(rec.hourly)] = rec.hourly
        dim = f"{carrier}_flow"
        out[f"hourly_{carrier}"] = xr.DataArray(
            values, dims=("replication", dim, "hour"),
            coords={dim: ids, "hour": ("hour", np.arange(end - n, end, dtype=np.int32),
                                       {"units": "h", "long_name": "hour of the year, 0 = 1 January 00:00"})},
            attrs={"units": DELIVERED_UNITS[carrier], "long_name": f"{carrier} delivered each measured hour"})
    return out


def write_netcdf(dataset: xr.Dataset, path: Path) -> Path:
    """The Dataset as a netCDF3 file (SciPy's writer), written atomically."""
    with atomic_path(Path(path)) as tmp:
        dataset.to_netcdf(tmp, engine="scipy")  # netCDF3 (64-bit offsets): written and read with SciPy alone
    return Path(path)


def comparison_frame(data: Mapping[str, Any]) -> pd.DataFrame:
    """`corridor compare`'s table in long form: one row per (figure, report), the report's name
    and path, then the figure's fields: each per-report list (`values`, `deltas`, `p_values`...)
    taken at that report's position under its singular name (`value`, `delta`, `p_value`), a
    record there flattened as `flatten` does, and every other scalar field repeated."""
    reports = list(data.get("reports") or [])
    n = len(reports)
    rows = []
    for row in data.get("rows") or []:
        for i, rep in enumerate(reports):
            out: dict[str, Any] = {"report": rep.get("name"), "report_path": rep.get("path")}
            for key, value in row.items():
                if isinstance(value, list) and len(value) == n:
                    out.update(flatten({_singular(key): value[i]}))
                elif isinstance(value, list | dict):
                    continue  # neither per report nor a scalar: not a column
                else:
                    out[key] = value
            rows.append(out)
    return pd.DataFrame.from_records(rows)


def write_comparison(data: Mapping[str, Any], path: Path) -> Path:
    """`comparison_frame` of a comparison's JSON form as a Parquet file, written atomically."""
    df = comparison_frame(data)
    with atomic_path(Path(path)) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def _singular(key: str) -> str:
    """A per-report list's column: `values` -> `value`, `p_values` -> `p_value`; `relative` stays."""
    return key[:-1] if key.endswith("s") and not key.endswith(("ss", "us")) else key


def summary(kind: str, scenario: str, replications: int, seed: int,
            targets: Sequence[tuple[str, float, str, str]], most: int = 6) -> str:
    """A short repr: `kind(scenario: n replications, seed s; id mean unit verdict; ...)`, at most
    `most` targets named."""
    shown = [f"{tid} {_num(mean)} {unit} {verdict}" for tid, mean, unit, verdict in targets[:most]]
    if len(targets) > most:
        shown.append(f"+{len(targets) - most} more")
    parts = [f"{replications} replications, seed {seed}"] + (["; ".join(shown)] if shown else [])
    return f"<{kind} {scenario}: " + "; ".join(parts) + ">"


def _num(x: float) -> str:
    return "nan" if x is None or not math.isfinite(x) else f"{x:.3g}"
