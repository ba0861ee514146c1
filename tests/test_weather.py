"""Storm closures against the mathematics of overlapping storms (an M/G/infinity queue)."""

from __future__ import annotations

import math
from pathlib import Path

import simpy

from sim import calendar
from sim.cargo.model import simulate_cargo
from sim.scenario.loading import load_scenario
from sim.network import Network
from sim.replications import Streams, estimate
from sim.weather import Closures

HERE = Path(__file__).parent / "scenarios"
RATE_PER_H = 20 / calendar.HOURS_PER_YEAR  # cargo_weather.yaml: 20 storms a year
MEAN_H = 48.0  # lasting 48 h on average


def _reps(n: int, overrides: tuple[str, ...] = (), trace=None):
    s = load_scenario(HERE / "cargo_weather.yaml", list(overrides))
    net = Network(s)
    return s, [simulate_cargo(s, net, Streams(s.simulation.seed, i), i, trace=trace)
               for i in range(n)]


def test_closed_share_is_one_minus_exp_rate_times_duration():
    """Storms arrive as a Poisson process and overlap, so the port is open only when no storm
    is under way: P(open) = exp(-r E[D]) whatever the duration distribution (M/G/inf)."""
    s, reps = _reps(10)
    days = (s.simulation.horizon.value - s.simulation.warmup.value) / 24
    shares = [r.nodes["p"]["closed_days"] / days for r in reps]
    expected = 1 - math.exp(-RATE_PER_H * MEAN_H)  # 0.1037, about r d = 0.1095
    est = estimate(shares)
    assert abs(est.mean - expected) <= 1.5 * est.half_width, (est, expected)
    assert est.half_width < 0.05 * expected


def test_closures_start_at_the_rate_of_storms_finding_the_port_open():
    """A closure begins when a storm finds no other under way: r exp(-r E[D]) per hour."""
    s, reps = _reps(10)
    hours = s.simulation.horizon.value - s.simulation.warmup.value
    rates = [r.nodes["p"]["closures"] / hours for r in reps]
    expected = RATE_PER_H * math.exp(-RATE_PER_H * MEAN_H)
    est = estimate(rates)
    assert abs(est.mean - expected) <= 1.5 * est.half_width, (est, expected)


def test_seasonal_storms_only_in_their_month():
    """With storms only in June, every closure starts in June."""
    starts: list[float] = []
    june = "[" + ", ".join(["0 /yr"] * 5 + ["60 /yr"] + ["0 /yr"] * 6) + "]"
    _reps(1, (f"weather.storms.rate={june}", "simulation.horizon=3652.5 d"),
          trace=lambda e: starts.append(e["t"]) if e["event"] == "closed" else None)
    assert len(starts) > 20  # 60 a year in June: ~5 a June, ten Junes, less overlaps
    assert {calendar.month(t) for t in starts} == {5}


def test_a_closed_port_holds_work_until_it_reopens():
    """Two models building Closures from the same seed see the same storms, and a process
    that waits for a port to open resumes exactly when the storm ends."""
    s = load_scenario(HERE / "cargo_weather.yaml", ["simulation.horizon=1000 d"])
    logs = []
    for _ in range(2):
        env = simpy.Environment()
        log: list[tuple[str, float]] = []
        closures = Closures(env, s.weather, Streams(9, 0), 0.0, 24000.0,
                            trace=lambda e, log=log: log.append((e["event"], e["t"])))

        def worker(env=env, closures=closures, log=log):
            while True:
                yield env.timeout(5.0)
                if closures.is_closed("p"):
                    yield from closures.wait_open("p")
                    log.append(("resumed", env.now))

        env.process(worker())
        env.run(until=24000.0)
        logs.append(log)
    assert logs[0] == logs[1]
    reopened = [t for e, t in logs[0] if e == "reopened"]
    resumed = [t for e, t in logs[0] if e == "resumed"]
    assert resumed and set(resumed) <= set(reopened)
