"""Running statistics against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from sim.measures import Queue, Reservoir, Tally, TimeWeighted


def test_time_weighted_mean_excludes_warmup_and_bins_days():
    tw = TimeWeighted(warmup=10.0, horizon=48.0, daily=True)
    tw.add(0.0, 2.0)  # 2 from 0 h
    tw.add(20.0, 1.0)  # 3 from 20 h
    tw.later(30.0, -3.0)  # 0 from 30 h, known in advance
    tw.add(25.0, 0.0)
    tw.close(48.0)
    # measured [10, 48]: 2 * 10 + 3 * 10 = 50 over 38 h
    assert tw.mean() == pytest.approx(50 / 38)
    # day 0: 2 * 20 + 3 * 4 = 52 over 24 h; day 1: 3 * 6 = 18 over 24 h
    assert tw.daily() == pytest.approx([52 / 24, 18 / 24])
    assert tw.peak == 3.0


def test_queue_length_and_wait_obey_littles_law_by_hand():
    q = Queue(warmup=0.0, horizon=10.0)
    q.join(0.0)
    q.join(1.0)
    q.leave(4.0, 0.0)
    q.leave_at(6.0, 1.0, now=4.0)
    q.close(10.0)
    # waits 4 and 5 h; length 1 on [0,1], 2 on [1,4], 1 on [4,6]: area 9 over 10 h
    assert q.summary(10.0)["wait_h_mean"] == pytest.approx(4.5)
    assert q.summary(10.0)["queue_mean"] == pytest.approx(0.9)
    assert q.summary(10.0)["queue_mean"] == pytest.approx(2 / 10 * 4.5)


def test_reservoir_is_exact_below_its_size_and_bounded_above():
    r = Reservoir(np.random.default_rng(0), size=100)
    for x in range(50):
        r.add(float(x))
    s = r.summary()
    assert s["mean"] == pytest.approx(24.5) and s["p50"] == pytest.approx(24.5)
    for x in range(50, 10_000):
        r.add(float(x))
    assert len(r.values) == 100
    assert r.summary()["mean"] == pytest.approx(4999.5)  # the mean stays exact
    assert 3500 < r.summary()["p50"] < 6500  # a uniform sample's median


def test_tally_ignores_the_warmup():
    t = Tally(warmup=5.0)
    t.add(1.0, 100.0)
    t.add(6.0, 2.0)
    t.add(7.0, 4.0)
    assert t.mean() == 3.0 and t.n == 2


def test_reservoir_extend_keeps_the_sample_add_would():
    """In one step while there is room, then item by item: the same sample, count and mean."""
    xs = np.random.default_rng(3).exponential(size=250)
    one, many = Reservoir(np.random.default_rng(0), size=100), Reservoir(np.random.default_rng(0), size=100)
    for x in xs:
        one.add(float(x))
    many.extend(xs[:60])
    many.extend(xs[60:])
    assert many.values == one.values and many.n == one.n == 250
    assert many.total == pytest.approx(one.total)
