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
