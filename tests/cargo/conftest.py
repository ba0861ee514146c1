"""The cargo tests' shared helper: one replication of a test scenario (tests/scenarios/)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sim.cargo.model import simulate_cargo
from sim.network import Network
from sim.replications import Replication, Streams
from sim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def run_cargo(name: str, index: int = 0, overrides: tuple[str, ...] = (), trace=None,
              seed: int | None = None) -> Replication:
    scenario = load_scenario(SCENARIOS / name, list(overrides))
    seed = scenario.simulation.seed if seed is None else seed
    return simulate_cargo(scenario, Network(scenario), Streams(seed, index), index, trace=trace)


@pytest.fixture
def run() -> Callable[..., Replication]:
    """`run(name, index=0, overrides=(), trace=None, seed=None)`: one cargo replication."""
    return run_cargo
