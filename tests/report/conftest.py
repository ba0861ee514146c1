"""Report fixtures: three short runs of the minimal scenario, shared by the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.run import RunReport, run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, RunReport, RunReport]:
    """Two identical runs of the minimal scenario, and one with two ferries instead of 13."""
    root = tmp_path_factory.mktemp("reports")
    minimal = SCENARIOS / "minimal.yaml"
    a = run(minimal, overrides=SHORT, replications=4, seed=11, out=root / "a")
    b = run(minimal, overrides=SHORT, replications=4, seed=11, out=root / "b")
    c = run(minimal, overrides=SHORT + ["fleets.ferries.vessels=2"], replications=4, seed=11, out=root / "c")
    return a, b, c
