"""Run replications of a scenario through the cargo and continuous-carrier models.

Replication `i` draws every random number from streams keyed by (seed, i, component), so a
replication's figures are the same whether it runs first or last, alone or in a pool.

Each replication measures the scenario's targets where it runs (`Replication.measured`: a firm
target needs the hourly arrays; a power target is measured in each framing too), and is reduced
as it reaches this process (`sim.replications.Collector`): the result keeps every replication's
scalar figures, a summary of the daily series (`SimulationResult.series`) and the first
replication's hourly arrays, so its memory grows with neither the replications nor the horizon
(`series="all"` also streams every replication's arrays to disk, for `to_xarray` by replication).
"""

from __future__ import annotations

import importlib
import json
import os
import time
from array import array
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sim import targets as judge
from sim.errors import CorridorError
from sim.energy import CARRIERS as CONTINUOUS
from sim.network import Network, build_network
from sim.processes import process_pool
from sim.replications import (Collector, Estimate, Replication, Replications, SeriesMode, SeriesSummary, Streams,
                              estimate, without_hourly)
from sim.scenario.schema import MASS_CARRIERS, MAX_REPLICATIONS, Scenario

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from sim.report.frames import Frames

MAX_FIRST = 2**31 - 1  # the largest first replication index a run takes


def run_replication(scenario: Scenario, index: int, seed: int, network: Network | None = None,
                    trace: Callable[[dict[str, Any]], None] | None = None) -> Replication:
    """One replication of every flow in the scenario; `trace` receives each cargo event."""
    network = network or build_network(scenario)
    streams = Streams(seed, index)
    rep = Replication(index)
    carriers = {f.carrier for f in scenario.flows.values()}
    if "cargo" in carriers:
        from sim.cargo.model import simulate_cargo

        rep.merge(simulate_cargo(scenario, network, streams, index, trace=trace))
    if carriers & CONTINUOUS:
        from sim.energy.model import simulate_continuous

        rep.merge(simulate_continuous(scenario, network, streams, index))
    rep.measured = judge.measured(scenario, rep)
    return rep


def import_models(scenario: Scenario) -> None:
    """Import the models `run_replication` will run before a pool forks its workers, so they
    inherit them instead of each importing them again (SimPy, SciPy: about 0.6 s of CPU each)."""
    carriers = {f.carrier for f in scenario.flows.values()}
    if "cargo" in carriers:
        importlib.import_module("sim.cargo.model")
    if carriers & CONTINUOUS:
        importlib.import_module("sim.energy.model")


_WORKER: dict[str, Any] = {}


def _worker_setup(scenario: Scenario, seed: int, keep_hourly: int | None = None) -> None:
    """Each worker process parses nothing and builds the network once, then runs replications;
    it drops the hourly arrays of every replication but `keep_hourly` (None: of none) once the
    targets are measured, so they never cross to the parent (`series="all"` keeps them all)."""
    _WORKER.update(scenario=scenario, seed=seed, network=build_network(scenario), keep_hourly=keep_hourly)


def _worker_replication(index: int) -> Replication:
    rep = run_replication(_WORKER["scenario"], index, _WORKER["seed"], _WORKER["network"])
    keep = _WORKER.get("keep_hourly")
    return rep if keep is None or index == keep else without_hourly(rep)


@dataclass
class SimulationResult:
    """Replications of a scenario: every replication's scalar figures (`replications`, in index
    order), the daily series summarised across them (`series`) and each target's value per
    replication (`values`)."""

    scenario: Scenario
    seed: int
    replications: Sequence[Replication]
    precision: float | None = None
    precision_reached: bool | None = None
    wall_s: float = 0.0
    values: dict[str, list[float]] = field(default_factory=dict)
    series: SeriesSummary | None = None

    def __post_init__(self) -> None:
        values: dict[str, list[float]] = {tid: [] for tid in self.scenario.targets}
        summary = SeriesSummary(self.seed) if self.series is None else None
        for r in self.replications:
            for tid, t in self.scenario.targets.items():
                values[tid].append(r.measured[tid] if tid in r.measured else judge.measure(t, r))
            if summary is not None:
                summary.add(r.index, r.series)
        self.values = values
        if summary is not None:
            self.series = summary

    @property
    def kept_nbytes(self) -> int:
        """Bytes of the arrays the result keeps (packed figures and series summaries), which
        grow with neither the replications' number beyond a few kilobytes each nor the horizon."""
        packed = self.replications.nbytes if isinstance(self.replications, Replications) else 0
        return packed + (self.series.nbytes if self.series is not None else 0)

    def target(self, tid: str) -> dict[str, Any]:
        """Mean, 95% CI and probability met of one target across replications."""
        t = self.scenario.targets[tid]
        vals = self.values[tid]
        est = estimate(vals)
        return {"mean": est.mean, "ci95": [est.lo, est.hi], "p_met": float(np.mean([judge.met(t, v) for v in vals])),
                "n": est.n, "values": vals}

    def flow(self, fid: str) -> dict[str, Any]:
        reps = self.replications
        recs = reps.flow(fid) if isinstance(reps, Replications) else [r.flows[fid] for r in reps if fid in r.flows]
        if not recs:
            return {}
        delivered = estimate([r.delivered for r in recs])
        out: dict[str, Any] = {"carrier": recs[0].carrier, "unit": recs[0].unit,
                               "delivered": {"mean": delivered.mean, "ci95": [delivered.lo, delivered.hi],
                                             "replications": [r.delivered for r in recs]},
                               "in_system_t": float(np.mean([r.in_system for r in recs]))}
        if recs[0].carrier in MASS_CARRIERS:
            out["arrived_t"] = float(np.mean([r.arrived for r in recs]))
        keys = set().union(*(r.transit_days for r in recs))
        if keys:
            out["transit_days"] = {k: float(np.nanmean([r.transit_days.get(k, np.nan) for r in recs]))
                                   for k in sorted(keys)}
        extra = set().union(*(r.extra for r in recs))
        for k in sorted(extra):
            out[k] = float(np.mean([r.extra.get(k, 0.0) for r in recs]))
        return out

    def mean_of(self, table: str, key: str) -> dict[str, float]:
        """Mean across replications of a per-link/node/fleet statistic."""
        acc: dict[str, list[float]] = {}
        for r in self.replications:
            for ident, stats in getattr(r, table).items():
                if key in stats:
                    acc.setdefault(ident, []).append(stats[key])
        return {ident: float(np.mean(v)) for ident, v in acc.items()}

    def table_means(self, table: str) -> dict[str, dict[str, float]]:
        """Every statistic of a per-link/node/fleet table, averaged across replications."""
        acc: dict[str, dict[str, array[float]]] = {}  # unboxed doubles: 8 bytes a value, not 32
        for r in self.replications:
            for ident, stats in getattr(r, table).items():
                for k, v in stats.items():
                    if isinstance(v, (int, float, np.floating, np.integer)):
                        acc.setdefault(ident, {}).setdefault(k, array("d")).append(float(v))
        return {i: {k: float(np.mean(v)) for k, v in d.items()} for i, d in acc.items()}

    def passages(self) -> list[dict[str, Any]]:
        """Node-to-node passage times, sorted by (from, to): `days` (mean, p50, p95) is the mean
        of each replication's figure over the replications where some consignment made the
        passage; `n` is the mean number of consignments per replication (0 where none did)."""
        acc: dict[tuple[str, str], dict[str, array[float]]] = {}
        for r in self.replications:
            for pair, stats in r.passages.items():
                for k, v in stats.items():
                    acc.setdefault(pair, {}).setdefault(k, array("d")).append(float(v))
        reps = len(self.replications)
        return [{"from": a, "to": b,
                 "days": {k: float(np.mean(d[k])) for k in ("mean", "p50", "p95")},
                 "n": float(sum(d["n"])) / reps}
                for (a, b), d in sorted(acc.items())]

    def frames(self) -> Frames:
        """Tidy DataFrames of the figures (`sim.report.frames`): targets, flows, links, nodes,
        fleets, passages, port months, and targets and flows per replication."""
        from sim.report.frames import result_frames

        return result_frames(self)

    def to_frame(self, name: str = "targets") -> pd.DataFrame:
        """One of `frames()` by name: targets (default), target_replications, flows, ..."""
        return self.frames()[name]

    def to_xarray(self, *, hourly: bool = True) -> xr.Dataset:
        """The daily series (and hourly delivered power and data, with `hourly`) by replication, as
        an xarray Dataset (`sim.report.frames.series`)."""
        from sim.report.frames import series

        return series(self, hourly=hourly)

    def __repr__(self) -> str:
        from sim.report.frames import summary

        rows = []
        for tid, t in self.scenario.targets.items():
            judged = judge.judge(t, self.values[tid], judge.required_probability(self.scenario, tid))
            rows.append((tid, judged.mean, t.value.unit, judged.verdict))
        return summary("SimulationResult", self.scenario.name, len(self.replications), self.seed, rows)


def simulate(scenario: Scenario, *, replications: int | None = None, seed: int | None = None,
             precision: float | None = None, workers: int = 1,
             progress: Callable[[int, int], None] | None = None,
             trace_to: Path | None = None, first: int = 0, series: SeriesMode = "summary") -> SimulationResult:
    """Simulate `replications` independent replications (more, up to the cap, with `precision`).

    The replications are indices `first`, `first + 1`, ...: a caller that already holds
    replications 0..first-1 of the same scenario and seed (a threshold search adding to a probe)
    runs only the new ones, and gets the figures a single run of them all would have given.
    `precision` is a share (0.05 for 5%): replications are added in batches until every
    target's 95% CI half-width is within that share of its mean, or `max_replications`. With
    `workers` above 1, one process pool serves every batch of the call, its workers forked after
    the models are imported (`import_models`).
    `trace_to` streams the first replication's cargo events to a JSON-lines file as they happen.
    `series`: what is kept of the daily and hourly arrays beyond the figures (`sim.replications`):
    "summary" (mean and percentiles per day), "all" (also every replication's, on disk) or "none".
    """
    sim_cfg = scenario.simulation
    n = sim_cfg.replications if replications is None else replications
    seed = sim_cfg.seed if seed is None else seed
    if not 1 <= n <= MAX_REPLICATIONS:
        raise CorridorError(f"replications: expected 1 to {MAX_REPLICATIONS:,}, got {n}")
    if seed < 0:
        raise CorridorError(f"seed: expected a whole number >= 0, got {seed}")
    if workers < 1:
        raise CorridorError(f"workers: expected 1 or more, got {workers}")
    if isinstance(first, bool) or not isinstance(first, int) or not 0 <= first <= MAX_FIRST:
        raise CorridorError(f"first replication: expected a whole number from 0 to {MAX_FIRST:,}, got {first!r}")
    precision = precision if precision is not None else (sim_cfg.precision.value if sim_cfg.precision else None)
    cap = max(sim_cfg.max_replications, n)
    start = time.perf_counter()
    reps = Collector(seed, first, series)
    network = build_network(scenario)

    with ExitStack() as stack:
        pool = None
        if workers > 1:
            import_models(scenario)
            pool = stack.enter_context(process_pool(min(workers, os.cpu_count() or 1), _worker_setup,
                                                    (scenario, seed, None if series == "all" else first)))

        def extend(indices: list[int]) -> None:
            """Run these replications (in the one pool of this call, when there is one)."""
            done = (pool.imap_unordered(_worker_replication, indices) if pool is not None and len(indices) > 1
                    else (run_replication(scenario, i, seed, network) for i in indices))
            for rep in done:
                reps.add(rep)
                if progress:
                    progress(len(reps), n)

        start_at = 0
        if trace_to is not None:
            with open(trace_to, "w", encoding="utf-8") as fh:

                def trace(event: dict[str, Any]) -> None:
                    fh.write(json.dumps(event, default=str) + "\n")

                reps.add(run_replication(scenario, first, seed, network, trace=trace))
            start_at = 1
        extend(list(range(first + start_at, first + n)))
        reached = None
        if precision is not None:
            while True:
                result = SimulationResult(scenario, seed, reps.replications, series=reps.series)
                reached = all(_precise(estimate(v), precision) for v in result.values.values())
                if reached or len(reps) >= cap:
                    break
                more = min(max(2, len(reps) // 2), cap - len(reps))
                n = len(reps) + more
                extend(list(range(first + len(reps), first + n)))
    return SimulationResult(scenario, seed, reps.replications, precision, reached, time.perf_counter() - start,
                            series=reps.series)


def _precise(est: Estimate, share: float) -> bool:
    if est.n < 2:
        return False
    return est.half_width <= share * abs(est.mean) or est.half_width == 0.0
