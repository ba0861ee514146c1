"""Scoring by hand: coverage, two-sided tolerance, ranges, pro-rata windows, not-measured items."""

from __future__ import annotations

import math

import pytest

from sim.backtest.observations import Item, Window, parse_share, parse_window
from sim.backtest.score import NOT_MEASURED, NOT_SCORED, SCORED, judge, score
from sim.replications import FlowRecord, Replication, estimate
from sim.scenario.loading import load_scenario
from support import MINIMAL


def item(value: float | None = 100.0, rng: tuple[float, float] | None = None, tolerance: float = 0.1,
         **kw: object) -> Item:
    base: dict = dict(row="o_test", id="x", measure="flow_delivered", where=("f",), window=Window(2023),
                      value=value, range=rng, unit="Mt", tolerance=tolerance)
    base.update(kw)
    return Item(**base)


def test_mean_ci_and_relative_error_by_hand():
    s = judge(item(100.0), [104.0, 106.0])
    est = estimate([104.0, 106.0])
    assert s.status == SCORED
    assert s.mean == pytest.approx(105.0)
    assert (s.lo, s.hi) == pytest.approx((est.lo, est.hi))
    # t(0.975, 1) = 12.706; sd = sqrt(2); half = 12.706 * sqrt(2) / sqrt(2) = 12.706
    assert s.hi - s.mean == pytest.approx(12.706, abs=1e-3)
    assert s.rel_error == pytest.approx(0.05)
    assert s.covered and s.passed


@pytest.mark.parametrize(("values", "passed"), [
    ([109.9, 109.9], True), ([110.1, 110.1], False),  # above: 10 % either side, no more
    ([90.1, 90.1], True), ([89.9, 89.9], False),  # below: the tolerance is two-sided
])
def test_tolerance_is_two_sided(values, passed):
    s = judge(item(100.0), values)
    assert s.passed is passed
    assert s.missed is (not passed)


def test_coverage_is_separate_from_pass():
    tight_miss = judge(item(100.0), [120.0, 120.0])  # zero-width CI away from the value
    assert not tight_miss.covered and not tight_miss.passed
    wide = judge(item(100.0), [60.0, 160.0])  # mean 110 is within 10 %; the wide CI covers 100
    assert wide.covered and wide.passed
    wide_miss = judge(item(100.0), [70.0, 190.0])  # CI covers 100 but the mean (130) is 30 % off
    assert wide_miss.covered and not wide_miss.passed


def test_range_observation():
    obs = item(None, rng=(7.3, 7.4))
    inside = judge(obs, [7.35, 7.35])
    assert inside.rel_error == 0.0 and inside.covered and inside.passed
    near = judge(obs, [8.0, 8.0])  # 8.0 <= 7.4 * 1.1 = 8.14: passes on the widened range
    assert near.passed and not near.covered
    assert near.rel_error == pytest.approx(8.0 / 7.4 - 1)
    far_but_overlapping = judge(obs, [5.0, 12.0])  # mean 8.5 beyond 8.14, but the CI overlaps the range
    assert far_but_overlapping.covered and far_but_overlapping.passed
    far = judge(obs, [3.0, 3.0])
    assert not far.passed and far.rel_error == pytest.approx(3.0 / 7.3 - 1)


def replication(delivered: float, index: int = 0) -> Replication:
    return Replication(index, flows={"f": FlowRecord("cargo", "Mt/yr", delivered,
                                                     extra={"consignments_delivered": 10.0})})


@pytest.fixture
def minimal_scenario():
    return load_scenario(MINIMAL)


def test_calendar_year_and_pro_rata_windows(minimal_scenario):
    reps = [replication(2.4, 0), replication(2.4, 1)]
    year = score(item(2.4), minimal_scenario, reps)
    assert year.mean == pytest.approx(2.4) and "annualised" in year.basis
    jan_oct = score(item(2.0, window=Window(2023, 1, 10)), minimal_scenario, reps)
    assert jan_oct.mean == pytest.approx(2.4 * 10 / 12)
    assert "pro-rata" in jan_oct.basis
    kt = score(item(2000.0, unit="kt", window=Window(2023, 1, 10)), minimal_scenario, reps)
    assert kt.mean == pytest.approx(2000.0) and kt.passed


def test_not_measured_is_reported_never_passed(minimal_scenario):
    reps = [replication(2.4)]
    trucks = score(item(100.0, measure="port_trucks", where=("b",), unit="trucks"), minimal_scenario, reps)
    assert trucks.status == NOT_MEASURED and "no trucks" in trucks.reason
    assert not trucks.passed and not trucks.missed
    teu = score(item(100.0, measure="port_teu", where=("b",), unit="TEU"), minimal_scenario, reps)
    assert teu.status == NOT_MEASURED and teu.reason
    none = score(Item("o_test", "y", "none", note="anecdotal"), minimal_scenario, reps)
    assert none.status == NOT_SCORED and none.reason == "anecdotal"
    d = trucks.to_dict()
    assert d["status"] == "not measured" and d["pass"] is None and d["model"] is None


def test_port_units_are_read_when_a_port_counts_them(minimal_scenario):
    rep = replication(2.4)
    rep.nodes["b"] = {"trucks": 100.0}
    span_h = minimal_scenario.simulation.horizon.value - minimal_scenario.simulation.warmup.value
    s = score(item(100.0, measure="port_trucks", where=("b",), unit="trucks"), minimal_scenario, [rep])
    assert s.status == SCORED and s.mean == pytest.approx(100.0 * 8760 / span_h)


def test_port_throughput_and_calls_from_links(minimal_scenario):
    rep = replication(2.4)
    span_h = minimal_scenario.simulation.horizon.value - minimal_scenario.simulation.warmup.value
    rep.links = {"ab": {"tonnes": 300_000.0}, "bc": {"tonnes": 200_000.0, "voyages": 40.0}}
    tonnes = score(item(1.0, measure="port_throughput", where=("b",)), minimal_scenario, [rep])
    assert tonnes.mean == pytest.approx(0.3 * 8760 / span_h)  # the larger of in (rail) and out (ferry)
    calls = score(item(1.0, measure="port_calls", where=("b",), unit="calls"), minimal_scenario, [rep])
    assert calls.mean == pytest.approx(40 * 8760 / span_h)
    no_ferry = score(item(1.0, measure="port_calls", where=("a",), unit="calls"), minimal_scenario, [rep])
    assert no_ferry.status == NOT_MEASURED


@pytest.mark.parametrize(("text", "window"), [
    (2023, Window(2023)), ("2023", Window(2023)), ("2023-01..2023-10", Window(2023, 1, 10)),
    ("2023-11..2024-02", None), ("2023-10..2023-01", None), ("2023-00..2023-03", None), ("23", None),
    (True, None), ("2023-1..2023-3", None),
])
def test_windows(text, window):
    assert parse_window(text) == window


def test_window_share():
    assert Window(2023, 1, 10).share == pytest.approx(10 / 12)
    assert Window(2023).share == 1.0


@pytest.mark.parametrize(("text", "share"), [("10%", 0.1), ("15 %", 0.15), (0.2, 0.2), ("1.5", None),
                                              ("abc", None), (-0.1, None), (True, None)])
def test_shares(text, share):
    got = parse_share(text)
    assert (got is None and share is None) or math.isclose(got or 0, share or 0)


def test_a_months_window_reads_the_ports_months_when_the_whole_year_is_measured(minimal_scenario):
    """With no warm-up over a full year, Jan-Oct is the sum of the port's first ten months (tonnes
    in + out; calls); a port without monthly counts falls back to 10/12 of its annual figure."""
    s = load_scenario(MINIMAL, ["simulation.warmup=0 d", "simulation.horizon=365 d"])
    rep = replication(2.4)
    months = [float(m + 1) for m in range(12)]  # 1, 2, ..., 12 a month
    rep.series = {"month:b:tonnes_in": [1e5 * m for m in months], "month:b:tonnes_out": [1e5] * 12,
                  "month:b:calls": months}
    rep.nodes["a"] = {"tonnes": 1.2e6}
    jan_oct = Window(2023, 1, 10)
    tonnes = score(item(1.0, measure="port_throughput", where=("b",), window=jan_oct), s, [rep])
    assert tonnes.mean == pytest.approx((1e5 * 55 + 1e5 * 10) / 1e6)
    assert "months 1-10" in tonnes.basis
    calls = score(item(1.0, measure="port_calls", where=("b",), unit="calls", window=jan_oct), s, [rep])
    assert calls.mean == pytest.approx(55)
    both = score(item(1.0, measure="port_throughput", where=("a", "b"), window=jan_oct), s, [rep])
    assert both.mean == pytest.approx(1.2 * 10 / 12 + 6.5)
    assert "else 10/12" in both.basis
    warmed = load_scenario(MINIMAL, ["simulation.warmup=30 d"])
    warm = score(item(1.0, measure="port_throughput", where=("b",), window=jan_oct), warmed, [rep])
    assert "pro-rata" in warm.basis  # a warm-up inside the year: months are not whole
