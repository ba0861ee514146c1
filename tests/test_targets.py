"""Where a target is judged met: the measured figure of one replication against the target, on
hand-made replications whose answer can be counted."""

from __future__ import annotations

import numpy as np
import pytest

from sim.replications import FlowRecord, Replication
from sim.scenario.schema import Target
from sim.targets import measure, met


def target(**fields) -> Target:
    return Target.model_validate({"carrier": "power", "value": "4 GW", "flows": ["a", "b"]} | fields)


def replication(hourly_a: list[float], hourly_b: list[float]) -> Replication:
    rep = Replication(0)
    for fid, hourly in (("a", hourly_a), ("b", hourly_b)):
        rep.flows[fid] = FlowRecord("power", "GW", float(np.mean(hourly)), hourly=np.array(hourly))
    return rep


def test_throughput_sums_the_delivered_rate_of_the_target_flows():
    rep = replication([1.0, 3.0], [2.0, 2.0])
    assert measure(target(), rep) == pytest.approx(2.0 + 2.0)


def test_firm_is_the_total_sustained_in_share_of_time_of_the_hours():
    # totals per hour: 0, 1, ..., 20 (21 hours): 20 of them (95.2 %) reach 1, 11 of them reach 10
    rep = replication([float(h) for h in range(21)], [0.0] * 21)
    assert measure(target(measure="firm", share_of_time="95 %"), rep) == 1.0
    assert measure(target(measure="firm", share_of_time="50 %"), rep) == 10.0


def test_firm_without_hourly_records_falls_back_to_the_mean():
    rep = Replication(0, flows={"a": FlowRecord("power", "GW", 3.0), "b": FlowRecord("power", "GW", 0.5)})
    assert measure(target(measure="firm"), rep) == 3.5


def test_a_flow_missing_from_the_replication_counts_nothing():
    rep = Replication(0, flows={"a": FlowRecord("power", "GW", 3.0)})
    assert measure(target(), rep) == 3.0


def test_met_allows_the_tolerance_and_nothing_more():
    t = target(tolerance="10 %")
    assert met(t, 3.6) and met(t, 4.0)
    assert not met(t, 3.59)
    assert met(target(), 4.0) and not met(target(), 3.999)
