"""Replications reduced as they arrive (`sim.replications.Collector`): the figures are those of the
whole records, bit for bit; what is kept grows with neither the replications nor the horizon."""

from __future__ import annotations

import numpy as np
import pytest

from sim.network import build_network
from sim.replications import MAX_POINTS, SAMPLE, Collector, Replication, SeriesSummary, is_daily
from sim.report.document import per_replication, port_months
from sim.report.plots import all_plots, closure_shares
from sim.report.document import ReportDocument
from sim.scenario.loading import load_scenario
from sim.simulate import SimulationResult, run_replication, simulate
from tests.support import SCENARIOS

SHORT = ["simulation.horizon=40 d", "simulation.warmup=5 d"]


def whole(scenario, n: int, seed: int) -> SimulationResult:
    """The result as it was before replications were reduced: every record whole, in a list."""
    network = build_network(scenario)
    return SimulationResult(scenario, seed, [run_replication(scenario, i, seed, network) for i in range(n)])


def figures(result: SimulationResult) -> dict:
    s = result.scenario
    return {"values": result.values, "targets": {t: result.target(t) for t in s.targets},
            "flows": {f: result.flow(f) for f in s.flows},
            "tables": {t: result.table_means(t) for t in ("links", "nodes", "fleets")},
            "passages": result.passages(), "per_replication": per_replication(result).model_dump(),
            "port_months": [row.model_dump() for row in port_months(s, result)]}


@pytest.mark.parametrize("name", ["minimal.yaml", "cargo_ferry.yaml", "energy_grid.yaml"])
def test_the_figures_of_reduced_replications_are_those_of_the_whole_records(name):
    scenario = load_scenario(SCENARIOS / name, SHORT)
    reduced = simulate(scenario, replications=5, seed=3)
    assert figures(reduced) == figures(whole(scenario, 5, 3))
    assert figures(simulate(scenario, replications=5, seed=3, workers=2)) == figures(reduced)


@pytest.fixture(scope="module")
def minimal():
    return load_scenario(SCENARIOS / "minimal.yaml", SHORT)


def test_the_arrays_kept_do_not_grow_with_the_replications(minimal):
    """Beyond `SAMPLE` replications the series summary is the same size; the packed figures are
    a kilobyte or two per replication, about the same for a horizon four times as long."""
    a, b = (simulate(minimal, replications=n, seed=1) for n in (SAMPLE + 2, 2 * SAMPLE + 5))
    assert a.series is not None and b.series is not None and a.series.nbytes == b.series.nbytes
    per_rep = (b.kept_nbytes - b.series.nbytes) / (len(b.replications) - 1)  # the first is kept whole
    assert per_rep > 0 and all(p.whole is None for p in b.replications.packed[1:])  # the rest packed
    longer = simulate(load_scenario(SCENARIOS / "minimal.yaml", ["simulation.horizon=160 d",
                                                                 "simulation.warmup=5 d"]), replications=3, seed=1)
    assert longer.series is not None
    assert (longer.kept_nbytes - longer.series.nbytes) / 2 == pytest.approx(per_rep, rel=0.1)  # what happened varies
    hourly = [f.hourly for r in b.replications for f in r.flows.values() if f.hourly is not None]
    assert len(hourly) == 1 and b.replications[0].flows["p"].hourly is not None  # replication 0's, for its picture


STORMS = "weather.storms={nodes: [b, c], rate: 40 /yr, duration: 2 d}"


@pytest.mark.parametrize("storms", [False, True])
def test_the_summary_is_the_mean_and_percentiles_of_every_replication(storms):
    scenario = load_scenario(SCENARIOS / "minimal.yaml", [*SHORT, STORMS] if storms else SHORT)
    summary_run = simulate(scenario, replications=6, seed=2)
    every = simulate(scenario, replications=6, seed=2, series="all")
    reps = list(every.replications)
    assert summary_run.series is not None
    for key in summary_run.series.names():
        stack = np.array([r.series[key] for r in reps if key in r.series])
        assert np.array_equal(summary_run.series.mean(key), stack.mean(axis=0)), key  # bit for bit
        kept = summary_run.series.stack(key)
        assert np.array_equal(np.percentile(kept, 10, axis=0), np.percentile(stack, 10, axis=0)), key
    shares = closure_shares(summary_run.series, scenario.simulation.horizon.value)
    old = closure_shares(reps, scenario.simulation.horizon.value)
    assert shares.keys() == old.keys() and all(np.array_equal(shares[k], old[k]) for k in shares)
    assert bool(shares) == storms


def test_frames_and_pictures_come_from_the_summary(minimal):
    from sim.run import evaluate

    ev = evaluate(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=4, seed=7)
    ds = ev.result.to_xarray()
    assert ds.attrs["series"] == "summary" and ds.delivered_cargo.dims == ("statistic", "cargo_flow", "day")
    assert list(ds.statistic.values) == ["mean", "p10", "p90"] and ds.sizes["day"] == 40
    assert ds.port_calls.dims == ("replication", "port", "month") and ds.sizes["replication"] == 4
    assert ds.hourly_power.dims == ("power_flow", "hour") and ds.hourly_power.attrs["replication"] == 0
    every = evaluate(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=4, seed=7, series="all").to_xarray()
    np.testing.assert_array_equal(ds.delivered_cargo.sel(statistic="mean").values,
                                  every.delivered_cargo.mean("replication").values)
    np.testing.assert_array_equal(ds.hourly_power.values, every.hourly_power.isel(replication=0).values)
    pictures = all_plots(ReportDocument.model_validate(ev.data), ev.result)
    assert {"queues.png", "power.png"} <= set(pictures)


def test_replications_arriving_in_any_order_give_one_summary():
    rng = np.random.default_rng(0)
    reps = [Replication(i, series={"queue:a": rng.random(30), "month:a:calls": rng.random(12)})
            for i in range(SAMPLE + 8)]
    forward, shuffled = Collector(5, 0), Collector(5, 0)
    for r in reps:
        forward.add(r)
    for i in rng.permutation(len(reps)):
        shuffled.add(reps[int(i)])
    for c in (forward, shuffled):
        assert len(c.series.sample) == SAMPLE and c.series.n == len(reps)
    assert np.array_equal(forward.series.mean("queue:a"), shuffled.series.mean("queue:a"))
    assert np.array_equal(forward.series.stack("queue:a"), shuffled.series.stack("queue:a"))
    assert [r.index for r in shuffled.replications] == list(range(len(reps)))
    assert all(np.array_equal(a.series["month:a:calls"], b.series["month:a:calls"])
               for a, b in zip(forward.replications, shuffled.replications))
    assert not [k for r in shuffled.replications for k in r.series if is_daily(k)]  # daily series folded


def test_a_long_series_is_kept_in_at_most_max_points_means():
    summary = SeriesSummary(0)
    days = 20 * 365
    summary.add(0, {"queue:a": np.arange(days, dtype=float)})
    mean = summary.mean("queue:a")
    width = summary.width("queue:a")
    assert len(mean) <= MAX_POINTS and width == -(-days // MAX_POINTS)
    assert mean[0] == np.mean(np.arange(width)) and mean[-1] == np.mean(np.arange(width * (len(mean) - 1), days))
