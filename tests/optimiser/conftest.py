"""Shared by the optimiser tests: one optimised plan of the small plan scenario."""

from __future__ import annotations

import pytest
from support import optimiser_scenario

from sim.optimiser import optimise
from sim.optimiser.result import OptimiseResult


@pytest.fixture(scope="module")
def plan_result() -> OptimiseResult:
    return optimise(optimiser_scenario("plan"))
