"""Memory bounded by the system: what a run keeps per replication holds no array of the horizon's
length, and grows by about its scalar figures, not by a copy of their names (`sim.replications`)."""

from __future__ import annotations

import tracemalloc

import numpy as np

from sim.measures import TimeWeighted
from sim.replications import SAMPLE, Collector, FlowRecord, Replication, pack, unpack

HOURS = 24 * 365  # one simulated year of hours
NODES = 40
PAIRS = 60


def replication(index: int) -> Replication:
    """A replication shaped like a corridor's: power flows with a year of hours, cargo flows,
    nodes and passages of which each replication measures a different subset (as ships call at
    some ports and not others), daily series and month series."""
    rng = np.random.default_rng(index)
    rep = Replication(index, events=1000 + index)
    for f in range(4):
        rep.flows[f"power_{f}"] = FlowRecord("power", "GW", float(rng.random()),
                                             extra={"curtailed_twh": float(rng.random())}, hourly=rng.random(HOURS),
                                             transfer=rng.random(HOURS).astype(np.float32))
        rep.flows[f"cargo_{f}"] = FlowRecord("cargo", "Mt/yr", float(rng.random()), 1.0, 2.0,
                                             {"mean": 3.0, "p50": 2.5, "p95": float(rng.random())})
    for n in range(NODES):
        if rng.random() < 0.9:  # a node some replications do not report
            rep.nodes[f"port_{n}"] = {"utilisation": float(rng.random()), "wait_h_mean": float(rng.random()),
                                      **({"berth_utilisation:ro-ro": 0.5} if rng.random() < 0.5 else {})}
    for p in range(PAIRS):
        if rng.random() < 0.8:  # a node pair some replications never see travelled
            rep.passages[(f"port_{p % NODES}", f"port_{(p * 7) % NODES}_{p}")] = {
                "mean": float(rng.random()), "p50": 1.0, "p95": 2.0, "n": 3.0}
    rep.links = {f"link_{k}": {"utilisation": float(rng.random()), "availability": 1.0} for k in range(30)}
    rep.series = {f"queue:port_{n}": rng.random(365) for n in range(10)}
    rep.series.update({f"month:port_{n}:calls": rng.random(12) for n in range(4)})
    rep.measured = {"power_target": float(rng.random()), "cargo_target": float(rng.random())}
    return rep


def scalars(rep: Replication) -> int:
    """How many numbers a replication's packed record holds."""
    p = pack(rep, {})
    assert p.values is not None
    return len(p.values)


def test_a_packed_replication_keeps_its_scalars_and_month_series_but_no_hourly_or_daily_array():
    rep = replication(3)
    p = pack(rep, {})
    back = unpack(p)
    assert p.whole is None and p.values is not None
    assert all(f.hourly is None and f.transfer is None for f in back.flows.values())
    assert set(back.series) == {k for k in rep.series if k.startswith("month:")}
    assert p.values.size < HOURS / 4  # nothing of the horizon's length
    assert {fid: f.delivered for fid, f in back.flows.items()} == {fid: f.delivered for fid, f in rep.flows.items()}
    assert back.passages == rep.passages and back.nodes == rep.nodes


def test_replications_with_different_rows_share_their_layouts_rows():
    layouts: dict = {}
    a, b = pack(replication(1), layouts), pack(replication(2), layouts)
    assert a.layout is not None and b.layout is not None
    assert a.layout != b.layout  # different nodes and passages measured...
    rows_a = set(a.layout.passages)
    shared = [row for row in b.layout.passages if row in rows_a]
    assert shared and all(any(row is r for r in a.layout.passages) for row in shared)  # ...the same rows: one object
    assert a.layout.flows is b.layout.flows


def test_memory_kept_from_40_to_220_replications_grows_by_about_their_scalars():
    """tracemalloc: each replication past the 40th (past the series summary's sample of
    `SAMPLE`) adds its packed numbers and a few hundred bytes of references, not its hourly
    arrays (4 x 8,760 hours x 12 bytes), its daily series or a copy of its rows' names."""
    assert SAMPLE < 40
    per_rep = scalars(replication(25)) * 8
    collector = Collector(seed=1, first=0)
    tracemalloc.start()  # from the first: a block freed later is then counted out
    try:
        for i in range(40):
            collector.add(replication(i))
        before = tracemalloc.get_traced_memory()[0]
        for i in range(40, 220):
            collector.add(replication(i))
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(collector) == 220
    references = 8 * (NODES + PAIRS + 30 + 8 + 14 + 2) + 1500  # tuples of shared rows; record and array headers
    assert growth / 180 < per_rep + references, (growth / 180, per_rep, references)


def test_a_daily_level_keeps_a_double_a_day():
    years = 20
    level = TimeWeighted(0.0, 24.0 * 365 * years, daily=True)
    for h in range(0, 24 * 365 * years, 7):
        level.add(float(h), 1.0 if h % 2 else -0.5)
    level.close(24.0 * 365 * years)
    assert level.days is not None
    assert level.days.itemsize * len(level.days) == 8 * 365 * years  # unboxed: no float object a day
    daily = level.daily()
    assert daily.dtype == np.float64 and len(daily) == 365 * years


def test_a_worker_sends_back_the_hourly_arrays_of_the_first_replication_only():
    from sim.scenario.loading import load_scenario
    from sim.simulate import _worker_replication, _worker_setup, run_replication
    from tests.support import SCENARIOS

    scenario = load_scenario(SCENARIOS / "energy_grid.yaml", ["simulation.horizon=20 d", "simulation.warmup=2 d"])
    _worker_setup(scenario, 5, keep_hourly=0)
    first, other = _worker_replication(0), _worker_replication(1)
    whole = run_replication(scenario, 1, 5)
    assert any(f.hourly is not None for f in first.flows.values())
    assert any(f.hourly is not None for f in whole.flows.values())
    assert all(f.hourly is None and f.transfer is None for f in other.flows.values())
    assert other.measured == whole.measured  # measured where the arrays were
