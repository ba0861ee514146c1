"""The study is reproducible: the same trials whatever the workers, and a calibration stopped after
some trials (between batches or in the middle of one) continues to the study an uninterrupted run
ends with. A folder holding a different calibration is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim.calibrate.study as study_module
from sim.calibrate import calibrate
from sim.calibrate.folder import JOURNAL
from sim.calibrate.study import open_study, whole_batches
from sim.errors import CorridorError
from support import snapshot

TRIALS = 12


def trials(folder: Path) -> list[tuple[int, str, dict[str, float], float | None]]:
    """Every trial of the stored study: number, state, parameter values, loss."""
    study, _ = open_study(folder / JOURNAL)
    return [(t.number, t.state.name, t.params, t.value) for t in study.get_trials(deepcopy=False)]


@pytest.fixture
def uninterrupted(case, tmp_path):
    c = case()
    out = tmp_path / "whole"
    calibrate(c.backtest, trials=TRIALS, batch=4, workers=1, out=out)
    return c, out


def test_the_same_study_with_one_worker_or_two(uninterrupted, tmp_path):
    c, whole = uninterrupted
    two = tmp_path / "two"
    calibrate(c.backtest, trials=TRIALS, batch=4, workers=2, out=two)
    assert trials(two) == trials(whole)
    assert (two / "fit.json").read_text() == (whole / "fit.json").read_text()


def test_more_trials_continue_the_study(uninterrupted, tmp_path):
    c, whole = uninterrupted
    part = tmp_path / "part"
    first = calibrate(c.backtest, trials=5, batch=4, workers=1, out=part)  # rounded up to 8
    assert first.data["run"]["trials"] == 8 and len(trials(part)) == 8
    again = calibrate(c.backtest, trials=TRIALS, batch=4, workers=1, out=part)
    assert again.resumed == 8
    assert trials(part) == trials(whole)
    assert (part / "fit.json").read_text() == (whole / "fit.json").read_text()


def test_a_calibration_stopped_mid_batch_resumes_to_the_same_study(uninterrupted, tmp_path, monkeypatch):
    c, whole = uninterrupted
    part = tmp_path / "part"
    real = study_module.run_trial
    calls = {"n": 0}

    def dies_on_the_sixth(task):
        calls["n"] += 1
        if calls["n"] == 6:  # trial 5, in the second batch: trials 4-7 asked, 4 run, 5 killed
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(study_module, "run_trial", dies_on_the_sixth)
    with pytest.raises(KeyboardInterrupt):
        calibrate(c.backtest, trials=TRIALS, batch=4, workers=1, out=part)
    states = [state for _, state, _, _ in trials(part)]
    assert states == ["COMPLETE"] * 4 + ["RUNNING"] * 4  # the second batch asked, none told
    assert not (part / "fit.json").exists()
    monkeypatch.setattr(study_module, "run_trial", real)
    calibrate(c.backtest, trials=TRIALS, batch=4, workers=1, out=part)
    assert trials(part) == trials(whole)


def test_trial_zero_is_the_scenario_as_written(uninterrupted):
    _, whole = uninterrupted
    doc = json.loads((whole / "fit.json").read_text())
    assert doc["trials"][0]["values"] == {p["path"]: p["start"] for p in doc["parameters"]}
    assert doc["trials"][0]["loss"] == doc["loss"]["before"]
    assert doc["loss"]["after"] == min(t["loss"] for t in doc["trials"])


@pytest.mark.parametrize(("change", "named"), [
    ({"seed": 7}, "seed"),
    ({"replications": 3}, "replications"),
    ({"batch": 2}, "batch"),
])
def test_a_different_calibration_in_the_folder_is_refused(uninterrupted, change, named):
    c, whole = uninterrupted
    before = snapshot(whole)
    args = {"trials": TRIALS, "batch": 4, "workers": 1, "out": whole} | change
    with pytest.raises(CorridorError, match=f"holds a different calibration.*{named}"):
        calibrate(c.backtest, **args)
    assert snapshot(whole) == before


def test_a_changed_scenario_file_is_refused_on_resume(uninterrupted):
    c, whole = uninterrupted
    c.scenario.write_text(c.scenario.read_text().replace("lon: 51.2", "lon: 51.3"))
    before = snapshot(whole)
    with pytest.raises(CorridorError, match="scen.yaml changed since"):
        calibrate(c.backtest, trials=TRIALS, batch=4, workers=1, out=whole)
    assert snapshot(whole) == before


@pytest.mark.parametrize(("asked", "batch", "run"), [(1, 4, 4), (4, 4, 4), (5, 4, 8), (7, 1, 7)])
def test_trials_are_run_in_whole_batches(asked, batch, run):
    assert whole_batches(asked, batch) == run
