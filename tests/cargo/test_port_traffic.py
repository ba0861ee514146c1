"""Background port traffic (`sim.cargo.background`) against queueing theory and hand counts: calls
at c berths as an M/M/c queue (Erlang C), calls and tonnes from rate / call size and direction,
berths shared with a ferry fleet under common random numbers, streams that do not shift other
components, and monthly counts that add up to the year's."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
from support import SCENARIOS

from sim.replications import Replication, estimate
from sim.report.document import measured_days, port_months
from sim.scenario.loading import load_scenario

HOURS_PER_YEAR = 8766.0  # sim.calendar


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c system (Erlang C)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def traffic(port: str, entry: str, **spec: str) -> str:
    """A `--set` override giving `port` one background traffic entry."""
    body = ", ".join(f"{k}: {v}" for k, v in spec.items())
    return f"nodes.{port}.port.traffic={{{entry}: {{{body}}}}}"


def test_background_calls_at_c_berths_wait_as_erlang_c(run):
    """Poisson calls (0.21 an hour) at three exponential berths (mean 10 h), nothing else at the
    port: the berths' mean wait is Erlang C's (M/M/3, 5.47 h) and their utilisation 0.7."""
    expected = erlang_c_wait(lam=0.21, mu=0.1, c=3)
    reps = [run("cargo_background.yaml", i) for i in range(16)]
    est = estimate([r.nodes["p"]["berth_wait_h_mean:dry"] for r in reps])
    # 95% CI of 16 ten-year replications, widened by 1.5 so the test is not a coin toss; a
    # modelling error (a berth too few, deterministic service, a wrong rate) moves it by 40%+
    assert abs(est.mean - expected) <= 1.5 * est.half_width, (est, expected)
    assert est.half_width < 0.08 * expected
    util = estimate([r.nodes["p"]["berth_utilisation:dry"] for r in reps])
    assert util.lo - 0.005 <= 0.7 <= util.hi + 0.005, util


def test_calls_and_tonnes_follow_rate_over_call_size(run):
    """0.5 Mt/yr in calls of 5000 t is 100 calls a year: the measured calls are Poisson with
    that mean over the measured span; the tonnes are exactly calls x 5000 t, all loaded."""
    spec = traffic("p", "bulk", berth="dry", rate="0.5 Mt/yr", call="5000 t", direction="out")
    span_years = (3650 - 30) * 24 / HOURS_PER_YEAR
    reps = [run("cargo_background.yaml", i, overrides=(spec,)) for i in range(8)]
    for r in reps:
        p = r.nodes["p"]
        assert p["tonnes_out"] == p["tonnes"] == p["background_t"] == 5000 * p["calls"]
        assert p["tonnes_in"] == 0 and p["calls"] == p["background_calls"]
    calls = estimate([r.nodes["p"]["calls"] for r in reps])
    expected = 100 * span_years  # 991 calls; Poisson sd 31.5 a replication
    assert abs(calls.mean - expected) <= 1.5 * calls.half_width, (calls, expected)
    assert calls.half_width < 0.03 * expected


@pytest.mark.parametrize("direction, sign", [("in", -1), ("both", 0)])
def test_direction_splits_the_tonnes(run, direction, sign):
    """`in` unloads every call; `both` alternates, so in and out differ by one call at most
    (one berth, served in arrival order)."""
    spec = traffic("p", "bulk", berth="dry", rate="0.5 Mt/yr", call="5000 t", direction=direction)
    p = run("cargo_background.yaml", 0, overrides=(spec, "nodes.p.port.berths.dry.count=1")).nodes["p"]
    assert p["tonnes_in"] + p["tonnes_out"] == 5000 * p["calls"] and p["calls"] > 900
    if sign < 0:
        assert p["tonnes_out"] == 0
    else:
        assert abs(p["tonnes_in"] - p["tonnes_out"]) <= 5000


def test_seasonality_puts_every_call_in_its_month(run):
    """All of a year's calls arrive in January (factors 1, 0, ..., 0, normalised to mean 1:
    January at 12 times the mean rate), 100 a year; served in one hour, each is counted in
    January but for the few that arrive in its last hour and end their service in February."""
    spec = traffic("p", "bulk", berth="dry", rate="0.5 Mt/yr", call="5000 t", direction="out",
                   seasonality="[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]")
    reps = [run("cargo_background.yaml", i, overrides=(spec, "nodes.p.port.berths.dry.service=1 h",
                                                       "simulation.warmup=0 d")) for i in range(4)]
    for r in reps:
        months = r.series["month:p:calls"]
        assert months[0] + months[1] == r.nodes["p"]["calls"] and months[2:].sum() == 0
        assert months[1] <= 10 < months[0]  # ten Januaries: ~1.4 calls in their last hours
    calls = estimate([r.nodes["p"]["calls"] / 10 for r in reps])  # ten Januaries
    assert abs(calls.mean - 100) <= 1.5 * calls.half_width + 1, calls


def test_background_on_the_ferry_berth_delays_the_ferries(run):
    """Calls at Aktau's one ferry berth make the ferries wait longer for it, replication by
    replication; the flows' arrivals (their own streams) are unchanged: common random numbers."""
    spec = traffic("aktau", "oil_products", berth="ferry", rate="0.5 Mt/yr", call="5000 t", direction="out")
    for i in range(3):
        base = run("cargo_ferry.yaml", i)
        busy = run("cargo_ferry.yaml", i, overrides=(spec,))
        assert busy.nodes["aktau"]["vessel_wait_h:berth"] > base.nodes["aktau"]["vessel_wait_h:berth"]
        assert busy.nodes["aktau"]["berth_utilisation:ferry"] > base.nodes["aktau"]["berth_utilisation:ferry"]
        for fid in ("china", "kazakh"):
            assert busy.flows[fid].extra["arrived_total_kg"] == base.flows[fid].extra["arrived_total_kg"]
        assert busy.nodes["aktau"]["tonnes"] == pytest.approx(
            base.nodes["aktau"]["tonnes"] + busy.nodes["aktau"]["background_t"], rel=0.1)


def test_background_shares_the_handling_berths_with_the_corridor(run):
    """At Poti the corridor's cargo moves onto Black Sea shipping at the two container berths:
    background calls there make it wait longer for them, while upstream of Poti (the ferries,
    the Caspian ports) every figure stays bit for bit the same (their streams are their own)."""
    spec = traffic("poti", "containers", berth="container", rate="1 Mt/yr", call="10000 t", direction="in")
    base = run("cargo_ferry.yaml", 2)
    busy = run("cargo_ferry.yaml", 2, overrides=(spec,))
    assert busy.nodes["poti"]["wait_h_mean"] > base.nodes["poti"]["wait_h_mean"]
    assert busy.nodes["poti"]["berth_utilisation:container"] > base.nodes["poti"]["berth_utilisation:container"]
    assert busy.fleets == base.fleets
    assert all(busy.nodes[n] == base.nodes[n] for n in ("khorgos", "aktau", "kuryk", "baku"))
    assert busy.nodes["poti"]["tonnes_in"] == base.nodes["poti"]["tonnes_in"] + busy.nodes["poti"]["background_t"]


def _corridor(r: Replication) -> tuple:
    """What the corridor did, apart from the ports' counts of background traffic."""
    return r.flows, r.links, r.fleets, r.passages


def test_an_entry_moves_no_other_random_numbers(run):
    """Background calls on a berth kind the ferries do not use (Aktau's dry berth, no yard dwell)
    leave every figure of the corridor bit for bit as it was; an empty `traffic:` is no traffic."""
    dry = "nodes.aktau.port.berths.dry={count: 1, service: {dist: exponential, mean: 20 h}}"
    spec = traffic("aktau", "grain", berth="dry", rate="0.4 Mt/yr", call="5000 t", direction="both")
    base = run("cargo_ferry.yaml", 1, overrides=(dry,))
    busy = run("cargo_ferry.yaml", 1, overrides=(dry, spec))
    assert busy.nodes["aktau"]["background_calls"] > 50
    assert _corridor(busy) == _corridor(base)
    for key in ("wait_h_mean", "queue_mean", "berth_wait_h_mean:ferry", "yard_t_mean", "wagons", "teu"):
        assert busy.nodes["aktau"][key] == base.nodes["aktau"][key], key
    assert {n: v for n, v in busy.nodes.items() if n != "aktau"} == {n: v for n, v in base.nodes.items()
                                                                     if n != "aktau"}
    empty = run("cargo_ferry.yaml", 1, overrides=(dry, "nodes.aktau.port.traffic={}"))
    assert empty.nodes == base.nodes and _corridor(empty) == _corridor(base)
    assert empty.series.keys() == base.series.keys()
    assert all(np.array_equal(empty.series[k], base.series[k]) for k in base.series)


def test_monthly_counts_add_up_to_the_year(run):
    """Every port's twelve months of tonnes in, tonnes out and calls (corridor, ferries and
    background together, warm-up months empty) add up to its figures for the measured period."""
    spec = traffic("aktau", "grain", berth="ferry", rate="0.3 Mt/yr", call="3000 t", direction="both",
                   yard_dwell="{dist: exponential, mean: 48 h}")
    rep = run("cargo_ferry.yaml", 0, overrides=(spec, "simulation.horizon=365 d"))
    ports = [n for n, row in rep.nodes.items() if "tonnes" in row]
    assert {"aktau", "kuryk", "baku", "poti"} <= set(ports)
    for n in ports:
        row = rep.nodes[n]
        calls = rep.series[f"month:{n}:calls"]
        assert len(calls) == 12 and calls.sum() == row.get("calls", 0.0)
        for key in ("tonnes_in", "tonnes_out"):
            months = rep.series[f"month:{n}:{key}"]
            assert months.sum() == pytest.approx(row[key], rel=1e-12, abs=1e-9), (n, key)
        assert rep.series[f"month:{n}:tonnes_in"][0] + rep.series[f"month:{n}:tonnes_out"][0] < \
            0.1 * row["tonnes"] / 11  # January is all warm-up but 10.5 h
    assert rep.nodes["aktau"]["background_calls"] > 0 and rep.nodes["aktau"]["yard_t_max"] <= 6000


def test_the_monthly_table_is_each_months_estimate():
    """report.json's monthly rows: each month's mean and 95% CI are `estimate` over the
    replications, and the measured days of each month are those of [warm-up, horizon]."""
    scenario = load_scenario(SCENARIOS / "cargo_ferry.yaml",
                             ["simulation.horizon=365 d", "simulation.warmup=30 d"])
    rng = np.random.default_rng(5)
    reps = []
    for i in range(3):
        r = Replication(i)
        for m in ("tonnes_in", "tonnes_out", "calls"):
            r.series[f"month:q:{m}"] = rng.integers(0, 100, 12).astype(float)
        reps.append(r)
    rows = port_months(scenario, types.SimpleNamespace(replications=reps))  # type: ignore[arg-type]
    assert [(r.port, r.month) for r in rows] == [("q", m) for m in range(1, 13)]
    for row in rows:
        e = estimate([r.series["month:q:calls"][row.month - 1] for r in reps])
        assert row.calls.mean == e.mean and row.calls.ci95 == [e.lo, e.hi]
    days = measured_days(30 * 24.0, 365 * 24.0)
    assert days[0] == pytest.approx((730.5 - 720) / 24) and days[1] == pytest.approx(730.5 / 24)
    assert days[11] == pytest.approx((8760 - 11 * 730.5) / 24) and sum(days) == pytest.approx(335)
    assert [r.measured_days for r in rows] == days
