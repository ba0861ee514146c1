"""Bundled scenarios and seeds are found by name from anywhere."""

from __future__ import annotations

import os
from pathlib import Path

from sim import bundled


def test_every_bundled_scenario_is_found_by_its_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    names = [p.stem for p in bundled.scenarios()]
    assert {"baseline-2023", "plan-2024", "targets-2030"} <= set(names)
    for name in names:
        assert bundled.resolve(name) == bundled.scenario(name)
        assert bundled.resolve(name).is_file()


def test_a_file_of_the_same_name_wins_over_the_bundled_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline-2023").write_text("name: mine\n")
    assert bundled.resolve("baseline-2023") == Path("baseline-2023")
    assert bundled.resolve("nowhere.yaml") == Path("nowhere.yaml")
    assert bundled.scenario("no-such-scenario") is None


def test_the_seeds_hold_the_reference_rows() -> None:
    seeds = bundled.folder("seeds")
    assert (seeds / "reference.yaml").is_file()
    assert os.access(seeds / "targets.yaml", os.R_OK)


def test_the_public_names_are_the_lazy_ones() -> None:
    import sim

    assert set(sim.__all__) <= set(dir(sim))
    for name in sim.__all__:
        assert getattr(sim, name) is not None
