"""The threshold search: the Wilson interval against its closed forms; bisection against a step
known by construction and against a capacity computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.errors import CorridorError
from sim.sweep import sweep
from sim.sweep.points import LOG
from sim.sweep.threshold import wilson

TESTS = Path(__file__).resolve().parents[1]
POWER = TESTS / "scenarios" / "sweep_power.yaml"
MINIMAL = TESTS / "scenarios" / "minimal.yaml"


def _values(overrides: list[str]) -> dict[str, str]:
    return dict(o.split("=", 1) for o in overrides)


def step_report(scenario: Path, overrides: list[str], seed: int, replications: int | None) -> dict:
    """Target `t` is met in every replication from 17 vessels, in none below."""
    vessels = int(_values(overrides)["fleets.ferries.vessels"])
    n = replications or 6
    p = 1.0 if vessels >= 17 else 0.0
    return {"targets": [{"id": "t", "simulated": {"mean": vessels, "ci95": [vessels, vessels], "p_met": p},
                         "optimised": {}, "met": p >= 0.9}], "run": {"seed": seed, "replications": n}}


def coin_report(scenario: Path, overrides: list[str], seed: int, replications: int | None) -> dict:
    """P(met) exactly 0.9 at every value: never clear of a 0.9 level."""
    n = replications or 6
    return {"targets": [{"id": "t", "simulated": {"mean": 1.0, "ci95": [1.0, 1.0], "p_met": round(0.9 * n) / n},
                         "optimised": {}, "met": True}], "run": {"seed": seed, "replications": n}}


def test_wilson_interval_matches_its_closed_forms():
    z2 = 1.959964 ** 2
    assert wilson(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    assert wilson(10, 10) == pytest.approx((10 / (10 + z2), 1.0))
    assert wilson(50, 100) == pytest.approx((0.4038, 0.5962), abs=5e-5)  # the textbook example


def test_threshold_search_finds_a_step(tmp_path):
    res = sweep(MINIMAL, vary=["fleets.ferries.vessels=5..40"], find="fleets.ferries.vessels", target="t",
                level="0.9", out=tmp_path / "f", evaluate_point=step_report, replications=6)
    assert res.answer == 17
    misses, meets = res.bracket
    assert (misses.value, meets.value) == (16, 17) and meets.clear and misses.clear
    # a point that meets in all of n replications is clear of 90% once n / (n + z^2) >= 0.9: n >= 35
    assert meets.replications == 48 and misses.replications == 6
    doc = json.loads((tmp_path / "f" / "find.json").read_text())
    assert doc["answer"] == 17 and (tmp_path / "f" / "find.md").exists()


def test_threshold_search_resumes_from_its_log(tmp_path):
    kw = dict(vary=["fleets.ferries.vessels=5..40"], find="fleets.ferries.vessels", target="t", out=tmp_path / "f",
              evaluate_point=step_report, replications=6)
    first = sweep(MINIMAL, **kw)
    lines = (tmp_path / "f" / LOG).read_bytes()
    again = sweep(MINIMAL, resume=True, **kw)
    assert (tmp_path / "f" / LOG).read_bytes() == lines  # every evaluation came from the log
    assert again.answer == first.answer == 17
    with pytest.raises(CorridorError, match="different sweep"):
        sweep(MINIMAL, resume=True, seed=1, **kw)


def test_threshold_search_stops_at_the_replication_cap(tmp_path):
    res = sweep(MINIMAL, vary=["fleets.ferries.vessels=5..40"], find="fleets.ferries.vessels", target="t",
                out=tmp_path / "f", evaluate_point=coin_report, replications=6,
                overrides=["simulation.max_replications=30"])
    assert all(p.replications == 30 and not p.clear for p in res.probes)
    assert res.answer is None and "not crossed" in res.note


def test_threshold_search_input_errors(tmp_path):
    with pytest.raises(CorridorError, match="--vary"):
        sweep(MINIMAL, find="fleets.ferries.vessels", target="t", out=tmp_path)
    with pytest.raises(CorridorError, match="did you mean"):
        sweep(MINIMAL, vary=["fleets.ferries.vessels=5..40"], find="fleets.ferries.vessels", target="tt",
              out=tmp_path)
    with pytest.raises(CorridorError, match="--target"):
        sweep(MINIMAL, vary=["fleets.ferries.vessels=5..40"], find="fleets.ferries.vessels", out=tmp_path)


def test_real_threshold_matches_the_hand_computed_capacity(tmp_path):
    """No failures: delivered = min(1.5 GW, capacity x efficiency); efficiency = (1 - 3% x 1000/1000)
    x (1 - 1%)^2, so the 1.2 GW firm target needs capacity 1.2 / 0.950697 = 1.2622 GW."""
    need = 1.2 / ((1 - 0.03) * (1 - 0.01) ** 2)
    res = sweep(POWER, vary=["links.cable.capacity=1 GW..2 GW"], find="links.cable.capacity", target="firm",
                level=0.9, overrides=["links.cable.reliability.failure_rate=0 /yr"], out=tmp_path / "f", workers=1)
    misses, meets = res.bracket
    assert misses.value < need <= meets.value
    assert meets.value - misses.value <= (2 - 1) / 100 + 1e-12
    assert meets.p_met == 1.0 and misses.p_met == 0.0 and meets.clear and misses.clear
