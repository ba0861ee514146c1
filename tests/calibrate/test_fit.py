"""The fit on hand-made trials: the best, the near-equal band and ranges, identification, and the
warning when an observation cannot inform a parameter."""

from __future__ import annotations

import pytest

from sim.backtest.observations import Item, Window
from sim.calibrate.fit import Trial, analyse, sensitivity
from sim.calibrate.parameters import Parameter

A = Parameter(("a",), "mass_rate", 0.0, 10.0, 5.0, "5 Mt/yr", "")
B = Parameter(("b",), "count", 0.0, 10.0, 5.0, "5", "")
OBS = [Item(row="o", id=i, measure="flow_delivered", where=("f",), window=Window(2023), value=10.0, unit="Mt")
       for i in ("x", "y")]


def trial(n: int, a: float, b: float, loss: float, se: float = 0.0, floor: float = 0.0) -> Trial:
    # x follows a alone (x = a + 5); y follows nothing (always 10)
    items = {"obs:o.x": {"status": "scored", "mean": a + 5.0}, "obs:o.y": {"status": "scored", "mean": 10.0}}
    return Trial(n, {"a": a, "b": b}, loss, se, floor, items)


def test_best_band_and_near_equal_ranges():
    trials = [trial(0, 5, 5, 0.30), trial(1, 4, 2, 0.10, se=0.02, floor=0.01), trial(2, 3, 8, 0.12),
              trial(3, 6, 9, 0.14), trial(4, 1, 1, 0.50), Trial(5, {"a": 2, "b": 2}, None, None, None, {}, "refused")]
    fit = analyse([A, B], OBS, trials, trials[0])
    assert fit.best.number == 1
    assert fit.band == pytest.approx(0.13)  # 0.10 + SE 0.02 + floor 0.01
    assert [t.number for t in fit.near] == [1, 2]
    assert fit.ranges == {"a": (3, 4), "b": (2, 8)}
    assert fit.identified == {"a": True, "b": False}  # b's near-equal fits span 60 % of its range
    assert (fit.completed, fit.failed) == (5, 1)
    assert any("b is not identified" in w for w in fit.warnings)
    assert any("1 trial(s) failed" in w for w in fit.warnings)


def test_sensitivity_is_the_change_across_the_range_over_the_observed_value():
    trials = [trial(i, a, b, 1.0) for i, (a, b) in enumerate([(0, 0), (10, 3), (5, 10), (2, 7), (8, 1)])]
    sens = sensitivity([A, B], OBS, trials)
    assert sens["obs:o.x"]["a"] == pytest.approx(1.0)  # x goes 5 -> 15 across a's range: 10 / observed 10
    assert sens["obs:o.x"]["b"] == pytest.approx(0.0, abs=1e-9)
    assert sens["obs:o.y"] == pytest.approx({"a": 0.0, "b": 0.0}, abs=1e-9)
    fit = analyse([A, B], OBS, trials, trials[0])
    assert any(w.startswith("obs:o.y cannot inform a, b") for w in fit.warnings)
    assert any(w.startswith("obs:o.x cannot inform b") for w in fit.warnings)
    assert any(w.startswith("no observation informs b") for w in fit.warnings)
    assert not any(w.startswith("no observation informs a") for w in fit.warnings)


def test_too_few_trials_to_judge_sensitivity_is_said():
    trials = [trial(0, 1, 1, 0.2), trial(1, 2, 2, 0.1)]
    fit = analyse([A, B], OBS, trials, trials[0])
    assert any("too few completed trials (2)" in w for w in fit.warnings)


def test_a_fit_at_the_end_of_its_range_is_warned_about():
    trials = [trial(0, 10, 5, 0.1), trial(1, 5, 5, 0.5)]
    fit = analyse([A, B], OBS, trials, trials[1])
    assert any("a is fitted at the high end of its range (10 Mt/yr)" in w for w in fit.warnings)
