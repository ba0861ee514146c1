"""One process pool per `simulate()` call: every `--precision` batch runs in the pool the call
started, and its workers inherit the models instead of importing them again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import sim.simulate as simulating
from sim.scenario.loading import load_scenario
from sim.simulate import simulate

SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="module")
def noisy():
    """An M/M/c port whose delivered tonnes vary from replication to replication."""
    return load_scenario(Path(__file__).parent / "scenarios" / "cargo_mmc.yaml",
                         [*SHORT, "targets.t={carrier: cargo, value: 2 Mt/yr, flows: [f]}"])


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The arguments of every process pool `simulate` starts."""
    started: list[tuple[Any, ...]] = []
    real = simulating.process_pool

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(simulating, "process_pool", counted)
    return started


def test_one_pool_serves_every_precision_batch(noisy, pools) -> None:
    result = simulate(noisy, replications=2, seed=3, precision=0.01, workers=2)
    # batches of 2, then 2, 2, 3, ...: more than 6 replications took at least four batches
    assert len(result.replications) > 6
    assert len(pools) == 1
    alone = simulate(noisy, replications=2, seed=3, precision=0.01, workers=1)
    assert len(pools) == 1, "one worker starts no pool"
    assert result.values == alone.values


def test_the_models_are_imported_before_the_pool_forks(noisy, monkeypatch) -> None:
    events: list[str] = []
    models, pool = simulating.import_models, simulating.process_pool

    def importing(scenario: Any) -> None:
        events.append("models")
        models(scenario)

    def starting(*args: Any) -> Any:
        events.append("pool")
        return pool(*args)

    monkeypatch.setattr(simulating, "import_models", importing)
    monkeypatch.setattr(simulating, "process_pool", starting)
    simulate(noisy, replications=2, seed=3, workers=2)
    assert events == ["models", "pool"]
    assert "sim.cargo.model" in sys.modules
