"""`corridor calibrate` under bad input: a calibrate range outside its figure's domain, empty or
reversed, on a sourced figure, a backtest whose scenario marks nothing, bad options and output
folders. Each exits 2 naming the file, key path and line, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support import MINIMAL

FAST = [{"set": "simulation.horizon=40 d", "source": "assumption", "note": "a short run for tests"},
        {"set": "simulation.warmup=5 d", "source": "assumption", "note": "a short run for tests"}]
GOOD = "vessels: {value: 6, source: assumption, note: a guess, calibrate: {range: [2, 6]}}"


def write_case(folder: Path, old: str = "vessels: {value: 13, source: s2_042}", new: str = GOOD) -> Path:
    text = MINIMAL.read_text()
    assert old in text, old
    (folder / "scen.yaml").write_text(text.replace(old, new, 1))
    (folder / "observed.yaml").write_text(yaml.safe_dump({"observations": [
        {"id": "o_total", "items": [{"id": "total", "measure": "flow_delivered", "where": ["f"], "window": 2023,
                                     "value": 1.0, "unit": "Mt", "tolerance": "10%", "source": "test"}]}]}))
    (folder / "bt.yaml").write_text(yaml.safe_dump(
        {"name": "bt-test", "year": 2023, "scenario": "scen.yaml", "observed": "observed.yaml", "changes": FAST,
         "replications": 2, "seed": 1, "score": ["obs:o_total"]}, sort_keys=False))
    return folder / "bt.yaml"


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("capacity_factor: 35 %",
     "capacity_factor: {value: 35 %, source: assumption, note: a guess, calibrate: {range: [0.5, 1.5]}}",
     "nodes.g.generation.capacity_factor.calibrate", "must be a share between 0 and 1"),
    ("  wagon: 47 t", "  wagon: {value: 47 t, source: assumption, note: a guess, calibrate: {range: [-5 t, 60 t]}}",
     "payload.wagon.calibrate", "must be > 0"),
    ("vessels: {value: 13, source: s2_042}",
     "vessels: {value: 13, source: assumption, note: a guess, calibrate: {range: [-2, 20]}}",
     "fleets.ferries.vessels.calibrate", "must be >= 0"),
    ("  wagon: 47 t", "  wagon: {value: 47 t, source: assumption, note: a guess, calibrate: {range: [60 t, 30 t]}}",
     "payload.wagon.calibrate", "expected low < high"),
    ("  wagon: 47 t", "  wagon: {value: 47 t, source: assumption, note: a guess, calibrate: {range: [47 t, 47 t]}}",
     "payload.wagon.calibrate", "expected low < high"),
    ("vessels: {value: 13, source: s2_042}", "vessels: {value: 13, source: s2_042, calibrate: {range: [8, 20]}}",
     "fleets.ferries.vessels.calibrate", "only an assumption is fitted"),
    ("vessels: {value: 13, source: s2_042}",
     "vessels: {value: 13, source: assumption, note: a guess, calibrate: {range: [8, 20.5]}}",
     "fleets.ferries.vessels.calibrate", "whole number"),
])
def test_a_bad_calibrate_range_is_refused_at_its_line(refused, workdir, old, new, key, words):
    bt = write_case(workdir, old, new)
    line = line_of(workdir / "scen.yaml", "calibrate:")
    result = refused("calibrate", bt, "--trials", 4, "--workers", 1, place=f"scen.yaml:{line}: {key}")
    assert words in result.output


def test_a_backtest_whose_scenario_marks_nothing_is_refused(refused, workdir):
    bt = write_case(workdir, new="vessels: {value: 13, source: s2_042}")
    line = line_of(bt, "scenario:")
    result = refused("calibrate", bt, "--trials", 4, "--workers", 1, place=f"bt.yaml:{line}: scenario")
    assert "marks no figure to calibrate" in result.output


@pytest.mark.parametrize(("args", "place"), [
    (["--trials", "0"], "--trials"),
    (["--batch", "0"], "--batch"),
    (["--replications", "0"], "--replications"),
    (["--workers", "0"], "--workers"),
    (["--seed", "-1"], "--seed"),
])
def test_bad_options_are_refused(refused, workdir, args, place):
    bt = write_case(workdir)
    refused("calibrate", bt, *args, place=place)


def test_a_users_folder_is_never_written_to(refused, workdir):
    bt = write_case(workdir)
    refused("calibrate", bt, "--trials", 4, "--workers", 1, "--out", "notes", place="notes")
    (workdir / "a-file").write_text("mine")
    refused("calibrate", bt, "--trials", 4, "--workers", 1, "--out", "a-file", place="a-file")


def test_a_missing_backtest_is_refused(refused, workdir):
    refused("calibrate", "nothing.yaml", "--trials", 4, place="nothing.yaml")
