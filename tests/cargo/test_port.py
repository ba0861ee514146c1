"""Ports against queueing theory: berths as Erlang C, utilisation as offered load, Little's law
on port queues, yards that fill and hold trains outside, and give room back."""

from __future__ import annotations

import math

import pytest

from sim.replications import estimate


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c system (Erlang C)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


@pytest.mark.slow
def test_berths_wait_as_erlang_c(run):
    """Poisson trains at three exponential berths wait as long as Erlang C says (M/M/3)."""
    expected = erlang_c_wait(lam=0.21, mu=0.1, c=3)  # 5.47 h
    waits = [run("cargo_mmc.yaml", i).nodes["p"]["wait_h_mean"] for i in range(6)]
    est = estimate(waits)
    # 95% CI of six independent ten-year replications, widened by 1.5 so that the test is not
    # a coin toss at the 5% level; still far tighter than a modelling error (one berth too
    # few, deterministic service, a wrong rate) would be: those move the wait by 40% or more.
    assert abs(est.mean - expected) <= 1.5 * est.half_width, (est, expected)
    assert est.half_width < 0.08 * expected  # the comparison is sharp enough to mean something


def test_berth_utilisation_is_offered_load_over_berths(run):
    """Busy berths / berths = lambda / (c mu) for any c-server queue (one replication)."""
    rep = run("cargo_mmc.yaml", 0, overrides=("simulation.horizon=1000 d",))
    assert rep.nodes["p"]["berth_utilisation"] == pytest.approx(0.21 / 0.3, rel=0.03)


def test_littles_law_on_port_queues(run):
    """L = lambda W on each port's and crossing's queue: the time-average number waiting
    (integrated as trains come and go) equals the arrival rate times the mean wait."""
    rep = run("cargo_ferry.yaml", 0)
    for node in ("aktau", "kuryk", "poti", "baku", "khorgos"):
        row = rep.nodes[node]
        assert row["arrivals"] > 300, node
        assert row["queue_mean"] == pytest.approx(row["arrival_rate_per_h"] * row["wait_h_mean"],
                                                  rel=0.02, abs=1e-3), node
    assert rep.nodes["aktau"]["queue_mean"] > 0.5  # a real queue, not an empty one


def test_cargo_landed_at_its_destination_leaves_the_yard(run):
    """A flow that ends at the ferry's far port is delivered as it is unloaded (at 41.4 + 24k
    h: 82 trains by 1005 h) and gives its yard room back, so a 5000 t yard never blocks the
    ferry, which would otherwise stop after two voyages. The yard holds each 2000 t load for
    the 2 h of unloading: a mean of 2000 * 2 * 41 / 1005 t."""
    rep = run("cargo_deterministic.yaml", overrides=("flows.f.destination=q",
                                                    "nodes.q.port.yard=5000 t"))
    assert rep.flows["f"].extra["consignments_delivered"] == 82
    assert rep.nodes["q"]["yard_t_max"] <= 2000
    assert rep.nodes["q"]["yard_t_mean"] == pytest.approx(2000 * 2 * 41 / 1005)


def test_full_yard_holds_trains_outside(run):
    """A 3000 t yard at the quay never holds more than 3000 t; trains wait outside for room."""
    rep = run("cargo_ferry.yaml", 0, overrides=("simulation.horizon=200 d",
                                               "nodes.aktau.port.yard=3000 t"))
    aktau = rep.nodes["aktau"]
    assert aktau["yard_t_max"] <= 3000
    assert aktau["blocked_h_mean"] > 0
    assert rep.series["yard:aktau"].max() <= 3000
