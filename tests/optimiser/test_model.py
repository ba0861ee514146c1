"""The corridor as LP data: annualised expansion costs and capacity rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.optimiser.model import crf
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

TESTS = Path(__file__).resolve().parents[1]
SCENARIOS = TESTS / "scenarios"


def load(name: str, *overrides: str) -> Scenario:
    return load_scenario(SCENARIOS / f"optimiser_{name}.yaml", list(overrides))


def test_annuity_factor_repays_the_capex():
    for rate, years in ((0.08, 25), (0.05, 40), (0.1, 7)):
        payment = crf(rate, years)
        assert sum(payment / (1 + rate) ** k for k in range(1, years + 1)) == pytest.approx(1.0)
    assert crf(0.0, 10) == pytest.approx(0.1)


