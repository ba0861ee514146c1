"""Failures and repairs against renewal and queueing theory: a repairable link's availability
mu/(lambda+mu), two in series and in parallel, two cables sharing one repair ship (the
machine-repairman queue), and repair work that stops while a storm is on."""

from __future__ import annotations

import bisect
import math

import numpy as np
import pytest

from sim.network import HOURS_PER_YEAR, availability
from sim.energy.reliability import Component, Timeline, simulate_reliability
from sim.replications import Streams, estimate
from sim.scenario.schema import Reliability, Scenario, Weather
from sim.weather import Closures, sample_closures

YEARS = 50
HORIZON = YEARS * HOURS_PER_YEAR
LAM_YR, MTTR = 10.0, 87.66  # failures a year, mean repair hours: lambda x MTTR = 0.1
LAM, MU = LAM_YR / HOURS_PER_YEAR, 1 / MTTR


def scenario(**extra) -> Scenario:
    base = {"name": "r", "description": "reliability", "year": 2030,
            "nodes": {"a": {"kind": "junction", "country": "AZ", "lon": 0, "lat": 0}}}
    return Scenario.model_validate(base | extra)


def rel(**kw) -> Reliability:
    spec = {"failure_rate": f"{LAM_YR} /yr", "repair": {"dist": "exponential", "mean": f"{MTTR} h"}} | kw
    return Reliability.model_validate(spec)


def sigma_time_average(lam: float, mu: float, horizon: float) -> float:
    """Standard deviation of the up-time share of an exponential on/off process over `horizon`
    (asymptotic: variance 2 lambda mu / ((lambda + mu)^3 T))."""
    return math.sqrt(2 * lam * mu / ((lam + mu) ** 3 * horizon))


def combine(timelines: list[Timeline], how) -> Timeline:
    """Timelines combined point by point (np.minimum: in series, np.maximum: in parallel)."""
    times = np.unique(np.concatenate([tl.times for tl in timelines]))
    share = timelines[0].at(times)
    for tl in timelines[1:]:
        share = how(share, tl.at(times))
    return Timeline.from_steps(times, np.asarray(share, float), timelines[0].horizon)


def shares(comps: list[Component], reps: int, sc: Scenario | None = None) -> list[dict[str, Timeline]]:
    sc = sc or scenario()
    return [simulate_reliability(sc, comps, Streams(2024, r), HORIZON).timelines for r in range(reps)]


def test_single_link_availability_is_mu_over_lambda_plus_mu():
    reps = 12
    means = [t["c"].mean() for t in shares([Component("c", "link", rel())], reps)]
    expected = MU / (LAM + MU)
    assert expected == pytest.approx(availability(rel(), None), rel=1e-12)  # the network's formula
    tol = 4 * sigma_time_average(LAM, MU, HORIZON) / math.sqrt(reps)  # 4 standard errors
    assert abs(np.mean(means) - expected) < tol


def test_one_part_of_two_fails_at_a_time():
    r = rel(units=2, failure_rate=f"{2 * LAM_YR} /yr")  # each pole fails at LAM_YR a year
    tls = shares([Component("c", "link", r)], 6)
    assert set(np.unique(np.concatenate([t["c"].share for t in tls]))) <= {0.0, 0.5, 1.0}
    expected = MU / (LAM + MU)  # the mean share in service is one pole's availability
    assert expected == pytest.approx(availability(r, None), rel=1e-12)
    tol = 4 * sigma_time_average(LAM, MU, HORIZON) / math.sqrt(6 * 2)
    assert abs(np.mean([t["c"].mean() for t in tls]) - expected) < tol


def test_two_in_series_and_in_parallel_match_the_textbook():
    comps = [Component("a", "link", rel()), Component("b", "link", rel())]
    tls = shares(comps, 10)
    a = MU / (LAM + MU)
    series = estimate([combine([t["a"], t["b"]], np.minimum).mean() for t in tls])
    parallel = estimate([combine([t["a"], t["b"]], np.maximum).mean() for t in tls])
    # 99.9 % Student-t intervals: the sample CIs are 95 %, widened by t(0.9995, 9) / t(0.975, 9)
    widen = 4.78 / 2.26
    assert abs(series.mean - a * a) < widen * series.half_width
    assert abs(parallel.mean - (1 - (1 - a) ** 2)) < widen * parallel.half_width
    assert series.half_width < 0.01 and parallel.half_width < 0.002  # the test can fail


def test_two_cables_sharing_one_repair_ship_queue_as_machine_repairman():
    """Finite-source M/M/1//2: p0 = 1/(1 + 2r + 2r^2), p1 = 2r p0, r = lambda/mu; each cable is
    up with probability p0 + p1/2. Without the shared ship it would be mu/(lambda+mu)."""
    lam_yr, mttr = 40.0, 100.0
    lam, mu = lam_yr / HOURS_PER_YEAR, 1 / mttr
    sc = scenario(repair_crews={"ship": {"vessels": 1}})
    r = Reliability.model_validate({"failure_rate": f"{lam_yr} /yr", "repair_crew": "ship",
                                    "repair": {"dist": "exponential", "mean": f"{mttr} h"}})
    comps = [Component("a", "link", r), Component("b", "link", r)]
    outs = [simulate_reliability(sc, comps, Streams(7, i), HORIZON) for i in range(8)]
    rho = lam / mu
    p0 = 1 / (1 + 2 * rho + 2 * rho * rho)
    expected = p0 + rho * p0  # p0 + p1/2
    est = estimate([(o.timelines["a"].mean() + o.timelines["b"].mean()) / 2 for o in outs])
    assert abs(est.mean - expected) < 2.5 * est.half_width + 1e-4
    assert abs(expected - mu / (lam + mu)) > 5 * est.half_width  # the queue is visible
    waits = [rec["wait_crew_h"] for o in outs for rec in o.outages]
    assert max(waits) > 0 and min(waits) == 0


def test_storms_lengthen_sea_repairs_and_no_repair_ends_in_a_storm():
    storms = {"sea": {"nodes": ["a"], "rate": "30 /yr", "duration": {"dist": "exponential", "mean": "3 d"}}}
    sc = scenario(weather=storms)
    calm = simulate_reliability(sc, [Component("c", "link", rel())], Streams(3, 0), HORIZON)
    rough = simulate_reliability(sc, [Component("c", "link", rel(weather="sea"))], Streams(3, 0), HORIZON)
    closed = rough.closures.node("a")
    for rec in rough.outages:
        i = bisect.bisect_right(closed.starts, rec["end_h"]) - 1
        assert i < 0 or not (closed.starts[i] < rec["end_h"] < closed.ends[i])
    assert sum(r["wait_weather_h"] for r in rough.outages) > 0
    assert rough.timelines["c"].mean() < calm.timelines["c"].mean()


def test_closures_are_the_cargo_models_storms():
    """The tanker berths and cable repairs see the same storms as the ferries (sim.weather)."""
    w = Weather.model_validate({"nodes": ["a"], "rate": "20 /yr", "duration": {"dist": "triangular",
                                "low": "6 h", "mode": "1 d", "high": "3 d"}})
    horizon = 2 * HOURS_PER_YEAR
    mine = sample_closures(w, Streams(9, 0).get("weather:sea"), horizon)
    cargo = Closures.sample({"sea": w}, Streams(9, 0), horizon)
    assert mine.starts == cargo.node("a").starts and mine.ends == cargo.node("a").ends
    sc = scenario(weather={"sea": w.model_dump(by_alias=True)})
    out = simulate_reliability(sc, [], Streams(9, 0), horizon)
    assert out.closures.node("a").starts == mine.starts and len(mine) > 10


def test_maintenance_windows_and_scheduled_outages():
    r = Reliability.model_validate({"maintenance": {"every": "1000 h", "duration": "100 h", "share": "100 %"}})
    horizon = 10_000.0
    out = simulate_reliability(scenario(), [Component("m", "link", r)], Streams(1, 0), horizon)
    assert out.timelines["m"].mean() == pytest.approx(0.9, abs=1e-12)  # ten whole periods
    r = Reliability.model_validate({"outages": [{"start": "500 h", "duration": "200 h", "share": "50 %",
                                                 "cause": "pole trip"}]})
    out = simulate_reliability(scenario(), [Component("o", "link", r)], Streams(1, 0), horizon)
    assert out.timelines["o"].mean() == pytest.approx(1 - 0.5 * 200 / horizon, abs=1e-12)
    assert out.outages == [{"component": "o", "kind": "link", "start_h": 500.0, "end_h": 700.0,
                            "cause": "pole trip", "capacity_lost_share": 0.5}]


def test_hourly_shares_keep_capacity_hours():
    tl = Timeline.from_steps(np.array([0.0, 2.5, 4.0]), np.array([1.0, 0.0, 0.5]), 6.0)
    hourly = tl.hourly(6)
    assert hourly.tolist() == [1.0, 1.0, 0.5, 0.0, 0.5, 0.5]
    assert hourly.sum() == pytest.approx(tl.integral(6.0))
