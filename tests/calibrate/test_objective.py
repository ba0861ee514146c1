"""The loss by hand: squared relative errors (0 inside a range), not-measured items left out, and
its jackknife standard error and noise floor over the replications."""

from __future__ import annotations

import math

import pytest

from sim.backtest.observations import Item, Window
from sim.backtest.score import NOT_MEASURED, Score, judge
from sim.calibrate.objective import loss


def item(value: float | None = 100.0, rng: tuple[float, float] | None = None, ident: str = "x") -> Item:
    return Item(row="o", id=ident, measure="flow_delivered", where=("f",), window=Window(2023), value=value,
                range=rng, unit="Mt", tolerance=0.1)


def test_mean_of_squared_relative_errors():
    a = judge(item(100.0, ident="a"), [110.0, 110.0])  # +10 %
    b = judge(item(50.0, ident="b"), [40.0, 40.0])  # -20 %
    value, se, floor = loss([a, b])
    assert value == pytest.approx((0.1**2 + 0.2**2) / 2)
    assert se == 0.0 and floor == 0.0  # identical replications: no noise


def test_a_range_counts_the_distance_to_its_nearest_end():
    inside = judge(item(None, rng=(7.0, 8.0)), [7.5, 7.5])
    above = judge(item(None, rng=(7.0, 8.0)), [8.8, 8.8])
    assert loss([inside])[0] == 0.0
    assert loss([above])[0] == pytest.approx(0.1**2)


def test_items_not_measured_are_left_out():
    a = judge(item(100.0), [120.0, 120.0])
    missing = Score(item(100.0, ident="m"), NOT_MEASURED, reason="no trucks")
    assert loss([a, missing])[0] == pytest.approx(0.04)
    assert all(math.isnan(x) for x in loss([missing]))


def test_jackknife_standard_error_and_floor_by_hand():
    # one item observed at 100; replications 90, 100, 110: mean 100, error 0
    s = judge(item(100.0), [90.0, 100.0, 110.0])
    value, se, floor = loss([s])
    assert value == 0.0
    # leave-one-out means 105, 100, 95 -> losses 0.0025, 0, 0.0025; mean 1/600
    loo = [0.0025, 0.0, 0.0025]
    centre = sum(loo) / 3
    assert se == pytest.approx(math.sqrt(2 / 3 * sum((x - centre) ** 2 for x in loo)))
    # the floor: (sd / sqrt(n) / observed)^2 = (10 / sqrt(3) / 100)^2
    assert floor == pytest.approx((10 / math.sqrt(3) / 100) ** 2)


def test_one_replication_has_no_noise_estimate():
    value, se, floor = loss([judge(item(100.0), [105.0])])
    assert value == pytest.approx(0.0025)
    assert math.isnan(se) and math.isnan(floor)
