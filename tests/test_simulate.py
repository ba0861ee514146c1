"""Replications across processes and batches: results depend on the seed alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.replications import estimate
from sim.scenario.loading import load_scenario
from sim.simulate import simulate

SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(Path(__file__).parent / "scenarios" / "minimal.yaml", SHORT)


@pytest.fixture(scope="module")
def noisy():
    """An M/M/c port whose delivered tonnes vary from replication to replication."""
    return load_scenario(Path(__file__).parent / "scenarios" / "cargo_mmc.yaml",
                         [*SHORT, "targets.t={carrier: cargo, value: 2 Mt/yr, flows: [f]}"])


def test_two_workers_give_the_figures_of_one(noisy) -> None:
    one = simulate(noisy, replications=4, seed=7, workers=1)
    two = simulate(noisy, replications=4, seed=7, workers=2)
    assert len(set(one.values["t"])) > 1  # the replications differ, so order matters
    assert [r.index for r in two.replications] == [0, 1, 2, 3]
    assert one.values == two.values
    assert one.flow("f")["delivered"] == two.flow("f")["delivered"]
    with_precision = simulate(noisy, replications=2, seed=7, precision=0.05, workers=2)
    assert with_precision.values == simulate(noisy, replications=2, seed=7, precision=0.05).values


def test_a_replication_is_the_same_alone_or_in_a_batch(scenario) -> None:
    batch = simulate(scenario, replications=3, seed=11)
    assert batch.values["t"][:2] == simulate(scenario, replications=2, seed=11).values["t"]


def test_precision_adds_replications_until_the_interval_is_narrow_enough(noisy) -> None:
    result = simulate(noisy, replications=2, seed=3, precision=0.02)
    assert result.precision_reached is True
    assert len(result.replications) > 2
    for values in result.values.values():
        est = estimate(values)
        if est.mean:
            assert (est.hi - est.lo) / 2 <= 0.02 * abs(est.mean)


def test_precision_stops_at_the_replication_cap(noisy) -> None:
    capped = noisy.model_copy(deep=True)
    capped.simulation.max_replications = 3
    result = simulate(capped, replications=2, seed=3, precision=1e-9)
    assert len(result.replications) == 3
    assert result.precision_reached is False


def test_a_trace_holds_replication_zero_only(scenario, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    result = simulate(scenario, replications=2, seed=5, trace_to=trace)
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    assert events, "replication 0 of a cargo scenario has events"
    assert len(result.replications) == 2
    untraced = simulate(scenario, replications=2, seed=5)
    assert untraced.values == result.values  # tracing draws no random numbers
