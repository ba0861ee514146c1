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
from sim.weather import Closures, Intervals

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
    """Two samplings from the same seed are the same storms, and a process that waits for a
    port to open resumes exactly when its closure ends."""
    s = load_scenario(HERE / "cargo_weather.yaml", ["simulation.horizon=1000 d"])
    a = Closures.sample(s.weather, Streams(9, 0), 24000.0)
    b = Closures.sample(s.weather, Streams(9, 0), 24000.0)
    assert a.node("p").starts == b.node("p").starts and a.node("p").ends == b.node("p").ends
    env = simpy.Environment()
    resumed: list[float] = []

    def worker():
        while True:
            yield env.timeout(5.0)
            if a.open_at(env.now, "p") > env.now:
                yield from a.wait_open(env, "p")
                resumed.append(env.now)

    env.process(worker())
    env.run(until=24000.0)
    ends = a.node("p").ends
    assert resumed and all(min(abs(t - e) for e in ends) < 1e-9 for t in resumed)


def test_open_at_and_finish_work_by_hand():
    """Closed over [10, 20) and [30, 40): open at once outside them, at their end inside; work
    stops while closed."""
    iv = Intervals([10.0, 30.0], [20.0, 40.0])
    assert iv.open_at(5.0) == 5.0 and iv.open_at(10.0) == 20.0 and iv.open_at(12.0) == 20.0
    assert iv.open_at(20.0) == 20.0 and iv.open_at(39.9) == 40.0
    assert iv.finish_work(5.0, 10.0) == 25.0  # 5-10, then 20-25
    assert iv.finish_work(15.0, 20.0) == 50.0  # waits to 20, 20-30, 40-50
    assert iv.finish_work(41.0, 3.0) == 44.0
    assert iv.hours(0.0, 35.0) == 15.0 and iv.count(10.0) == 2 and iv.count(10.5) == 1
    assert iv.daily(48.0).tolist() == [10.0, 10.0]  # days [0, 24) and [24, 48)


def test_a_node_is_closed_while_any_entry_naming_it_is():
    """Two weather entries over one node: their closures overlap and merge; two nodes are open
    together only when both are."""
    closures = Closures({"a": Intervals([10.0], [20.0]), "b": Intervals([15.0, 50.0], [30.0, 60.0])},
                        {"a": ["x"], "b": ["x", "y"]})
    assert closures.node("x").starts == [10.0, 50.0] and closures.node("x").ends == [30.0, 60.0]
    assert closures.open_at(12.0, "y") == 12.0
    assert closures.open_at(12.0, "x", "y") == 30.0
    assert closures.open_at(12.0, "z") == 12.0  # no weather there


def test_with_a_spin_up_storms_before_1_january_are_there():
    """Closures sampled from hour -spinup include storms that began in December (negative
    starts); their hours count in the daily series only from hour 0; the repairs and the cargo
    model, both starting there, see the same sea."""
    from sim.energy.reliability import simulate_reliability

    spinup = 60 * 24.0
    s = load_scenario(HERE / "cargo_weather.yaml", ["simulation.horizon=365 d",
                                                     "simulation.spinup=60 d"])
    before = [Closures.sample(s.weather, Streams(9, i), 8760.0, -spinup).node("p") for i in range(10)]
    # 20 storms a year: 3.3 expected in 60 days, none in only 4% of replications
    assert sum(min(iv.starts) < 0 for iv in before) >= 8
    assert all(min(iv.starts) >= -spinup for iv in before)
    # a closure over hour 0 is counted from hour 0 in day 0, and no day before is kept
    iv = Intervals([-30.0, 40.0], [6.0, 50.0])
    assert iv.daily(72.0).tolist() == [6.0, 8.0, 2.0]
    # the same storms whichever model samples them, when both start at -spinup
    a = Closures.sample(s.weather, Streams(9, 3), 8760.0, -spinup)
    b = simulate_reliability(s, [], Streams(9, 3), 8760.0).closures
    assert a.node("p").starts == b.node("p").starts and a.node("p").ends == b.node("p").ends
    # without a spin-up nothing starts before hour 0
    assert min(Closures.sample(s.weather, Streams(9, 0), 8760.0).node("p").starts) >= 0
