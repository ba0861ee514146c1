"""The fleet engine by hand: each departure rule's answer over a berthing, the hours booked to
each state summing to the measured period, and waits split by cause inside a report group."""

from __future__ import annotations

import math

import pytest

from sim.fleet import (IDLE, LOADING, REPORT_GROUP, SAILING_EMPTY, SAILING_LOADED, WAITING_BERTH,
                       WAITING_CARGO, WAITING_WEATHER, Await, DepartureRule, StateClock, Wait)


def test_when_full_waits_for_a_full_load_however_long():
    rule = DepartureRule("when_full")
    assert rule.wait(5.0, 0.0, full=False, empty=True) == Wait(Await.FULL, math.inf)
    assert rule.wait(500.0, 0.0, full=False, empty=False) == Wait(Await.FULL, math.inf)
    assert rule.wait(500.0, 0.0, full=True, empty=False) is None


def test_max_wait_sails_part_full_after_the_limit_but_never_empty():
    """Berthed at 10 h with a 15 h limit: wait for a full load until 25 h, then sail with
    whatever has come, or wait for the first cargo if none has."""
    rule = DepartureRule("when_full_or_max_wait", max_wait=15.0)
    assert rule.wait(10.0, 10.0, full=False, empty=True) == Wait(Await.FULL, 15.0)
    assert rule.wait(20.0, 10.0, full=False, empty=False) == Wait(Await.FULL, 5.0)
    assert rule.wait(20.0, 10.0, full=True, empty=False) is None
    assert rule.wait(25.0, 10.0, full=False, empty=False) is None
    assert rule.wait(25.0, 10.0, full=False, empty=True) == Wait(Await.ANY, math.inf)


def test_schedule_sails_at_slots_and_skips_an_empty_one():
    """Slots every 24 h: berthed at 30 h it waits to 48 h; at a slot it sails with what is
    there, or looks again a slot later; a vessel a hair after a slot is on time for it."""
    rule = DepartureRule("schedule", interval=24.0)
    assert rule.next_slot(30.0) == 48.0 and rule.next_slot(48.0) == 48.0
    assert rule.next_slot(48.0 + 1e-9) == 48.0 and rule.next_slot(48.001) == 72.0
    assert rule.wait(30.0, 30.0, full=False, empty=False) == Wait(Await.TIME, 18.0)
    assert rule.wait(48.0, 30.0, full=False, empty=False) is None
    assert rule.wait(48.0, 30.0, full=False, empty=True) == Wait(Await.TIME, 24.0)


def test_state_hours_sum_to_the_measured_period():
    """A tanker's day after a 10 h warm-up on a 100 h horizon: every hour of [10, 100] is
    booked to exactly one state, the warm-up to none."""
    clock = StateClock(warmup=10.0, horizon=100.0, hours={})
    for t, state in ((4.0, WAITING_BERTH), (12.0, WAITING_WEATHER), (20.0, LOADING),
                     (32.0, SAILING_LOADED), (80.0, SAILING_EMPTY)):
        clock.enter(state, t)
    clock.enter(clock.state, 100.0)  # close the books
    assert clock.hours == {SAILING_EMPTY: 20.0, WAITING_BERTH: 2.0, WAITING_WEATHER: 8.0,
                           LOADING: 12.0, SAILING_LOADED: 48.0}
    assert sum(clock.hours.values()) == pytest.approx(90.0)


def test_waits_are_split_by_cause_inside_one_waiting_span():
    """Two ferries share the fleet's group hours; a ferry waiting for weather, then a berth,
    then cargo books one 'waiting' span, and each cause its own hours."""
    hours = {"idle": 0.0, "waiting": 0.0, "working": 0.0, "empty": 0.0}
    detail: dict[str, float] = {}
    a = StateClock(0.0, 50.0, hours, IDLE, groups=REPORT_GROUP, detail=detail)
    b = StateClock(0.0, 50.0, hours, IDLE, groups=REPORT_GROUP, detail=detail)
    a.enter(WAITING_WEATHER, 5.0)
    a.enter(WAITING_BERTH, 8.0)
    a.enter(WAITING_CARGO, 9.0)
    a.enter(LOADING, 15.0)
    a.enter(SAILING_LOADED, 20.0)
    b.enter(SAILING_EMPTY, 10.0)
    for clock in (a, b):
        clock.enter(clock.state, 50.0)
    assert hours == {"idle": 15.0, "waiting": 10.0, "working": 35.0, "empty": 40.0}
    assert detail[WAITING_WEATHER] == 3.0 and detail[WAITING_BERTH] == 1.0
    assert detail[WAITING_CARGO] == 6.0
    assert sum(detail[w] for w in (WAITING_WEATHER, WAITING_BERTH, WAITING_CARGO)) == hours["waiting"]
    assert sum(hours.values()) == 2 * 50.0
