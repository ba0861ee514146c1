"""Shared fixtures: paths to the test scenarios, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

HERE = Path(__file__).parent
ROOT = HERE.parent


@pytest.fixture
def scenarios_dir() -> Path:
    return HERE / "scenarios"


@pytest.fixture
def minimal(scenarios_dir: Path) -> Path:
    return scenarios_dir / "minimal.yaml"


@pytest.fixture
def cli():
    """Invoke the `corridor` command line in-process; returns the click Result."""
    from sim.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture(autouse=True, scope="module")
def _close_figures():
    """Close the figures a test module drew and kept (its tests read them back, some from a
    module-wide fixture, so they stay open until the module ends)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
