"""Tanks and pipelines: pipeline capacity shared pro rata to rates, up to each route's demand."""

from __future__ import annotations

import pytest

from sim.energy.tanks import waterfill


def test_waterfill_shares_pro_rata_up_to_demand():
    assert waterfill(10.0, [2.0, float("inf"), float("inf")], [1.0, 1.0, 2.0]) == \
        pytest.approx([2.0, 8 / 3, 16 / 3])
    assert waterfill(10.0, [1.0, 2.0], [1.0, 1.0]) == [1.0, 2.0]
