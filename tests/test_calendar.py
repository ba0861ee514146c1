"""Seasonal timing: `calendar.after` inverts a piecewise-constant monthly rate."""

from __future__ import annotations

import math

import pytest

from sim import calendar


def test_constant_rate_is_work_over_rate():
    assert calendar.after(10.0, 3.0, [0.5] * 12) == pytest.approx(16.0)


def test_work_crosses_month_boundaries():
    # January 1 per hour, February 2 per hour: 730.5 units fill January, 100 more take 50 h
    rates = [1.0, 2.0] + [1.0] * 10
    assert calendar.after(0.0, 830.5, rates) == pytest.approx(calendar.MONTH_H + 50.0)


def test_months_without_rate_are_skipped():
    rates = [0.0] * 5 + [1.0] + [0.0] * 6  # only June
    t = calendar.after(0.0, 1.0, rates)
    assert t == pytest.approx(5 * calendar.MONTH_H + 1.0)
    # from the end of June the next unit of work is in next year's June
    t2 = calendar.after(6 * calendar.MONTH_H - 0.5, 1.0, rates)
    assert t2 == pytest.approx(calendar.HOURS_PER_YEAR + 5 * calendar.MONTH_H + 0.5)


def test_no_rate_at_all_never_comes():
    assert calendar.after(0.0, 1.0, [0.0] * 12) == math.inf


def test_normalised_factors_average_one():
    f = calendar.normalised([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert sum(f) / 12 == pytest.approx(1.0)
    assert f[0] == pytest.approx(8.0)


# --- negative hours: the previous year's end, for a spin-up before 1 January ----------------


def test_negative_hours_are_the_end_of_the_previous_year():
    m = calendar.MONTH_H
    assert calendar.month(-1.0) == 11  # one hour before 1 January: December
    assert calendar.month(-m) == 11  # the first hour of December
    assert calendar.month(-m - 1.0) == 10  # the last hour of November
    assert calendar.month(-calendar.HOURS_PER_YEAR) == 0  # a year back: January again
    assert calendar.month(-calendar.HOURS_PER_YEAR - 1.0) == 11


def test_after_from_a_negative_hour_uses_december_then_january():
    # December 2 per hour, January 1 per hour: 20 units from hour -10 take December's last
    # 10 h (20 units), so it ends at hour 0 exactly; 30 units end 10 h into January
    rates = [1.0] + [0.0] * 10 + [2.0]
    assert calendar.after(-10.0, 20.0, rates) == pytest.approx(0.0)
    assert calendar.after(-10.0, 30.0, rates) == pytest.approx(10.0)
    assert calendar.after(-10.0, 4.0, rates) == pytest.approx(-8.0)
    # November has no rate: work begun in November waits for December
    assert calendar.after(-calendar.MONTH_H - 5.0, 2.0, rates) == pytest.approx(-calendar.MONTH_H + 1.0)


def test_gathered_is_the_work_after_inverts():
    rates = [1.0] + [0.0] * 10 + [2.0]
    assert calendar.gathered(-10.0, 0.0, rates) == pytest.approx(20.0)
    assert calendar.gathered(-10.0, 10.0, rates) == pytest.approx(30.0)
    assert calendar.gathered(5.0, 5.0, rates) == 0.0
    for t0, work in ((-2000.0, 17.0), (-10.0, 500.0), (-800.0, 1234.5)):
        assert calendar.gathered(t0, calendar.after(t0, work, rates), rates) == pytest.approx(work)
