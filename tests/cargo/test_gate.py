"""Throughput gates against hand counts: a deterministic single server, its queue statistics,
and a gate with no capacity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.cargo.gate import Gate


def test_gate_is_a_deterministic_single_server():
    """1000 kg every hour through a 1 h-per-666.7 kg gate (1.5 h each): the n-th waits
    0.5 (n - 1) h, as a D/D/1 queue with service 1.5 and gaps 1."""
    g = Gate("g", rate_kg_h=1000 / 1.5, warmup=0.0, horizon=100.0)
    passed = [g.reserve(float(n), 1000) for n in range(5)]
    assert passed == pytest.approx([1.5 + 0.5 * n for n in range(5)])
    assert g.summary()["wait_h_mean"] == pytest.approx(np.mean([0.5 * n for n in range(5)]))
    assert g.utilisation() == pytest.approx(5 * 1.5 / 100)


def test_gate_queue_by_hand():
    """Three 1 h services arriving at 0, 0.5 and 1 h: they pass at 1, 2 and 3 h, waiting 0,
    0.5 and 1 h; over [0, 4] the queue holds 1.5 consignment-hours, never two at once."""
    g = Gate("g", rate_kg_h=1000.0, warmup=0.0, horizon=4.0)
    assert [g.reserve(t, 1000) for t in (0.0, 0.5, 1.0)] == [1.0, 1.5, 2.0]
    s = g.summary()
    assert s["wait_h_mean"] == pytest.approx(0.5)
    assert s["queue_mean"] == pytest.approx(1.5 / 4)
    assert s["queue_max"] == 1.0  # the third arrives as the second begins to pass
    assert s["utilisation"] == pytest.approx(3 / 4)
    assert g.expected_h(1.0, 1000) == pytest.approx(3.0)  # free at 3 h, then 1 h of service


def test_a_gate_without_capacity_never_passes():
    assert Gate("g", rate_kg_h=0.0, warmup=0.0, horizon=10.0).reserve(0.0, 1) == math.inf
