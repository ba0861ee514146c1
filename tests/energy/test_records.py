"""Measures of an hourly delivered series: daily means, hours below the rate, the firm level."""

from __future__ import annotations

import numpy as np
import pytest

from sim.energy.records import LinkMeasures, below_rate, daily_means, firm_level


def test_daily_means_average_each_day_and_a_short_last_day():
    hourly = np.concatenate([np.full(24, 2.0), np.arange(24.0), np.array([5.0, 7.0])])
    assert daily_means(hourly) == pytest.approx([2.0, 11.5, 6.0])
    assert daily_means(np.zeros(0)).size == 0


def test_an_hour_is_below_the_rate_only_beyond_rounding():
    hourly = np.array([10.0, 10.0 * (1 - 1e-9), 9.99])
    assert below_rate(hourly, 10.0).tolist() == [False, False, True]


def test_the_firm_level_is_delivered_in_95_percent_of_hours():
    hourly = np.concatenate([np.full(5, 1.0), np.full(95, 4.0)])
    assert firm_level(hourly) == 1.0  # 5 % of hours at 1: the lower 5 % quantile
    assert firm_level(hourly[1:]) == 4.0  # 4 of 99 hours at 1: firm at 4
    assert LinkMeasures(0.9, 0.5).row() == {"availability": 0.9, "utilisation": 0.5}
