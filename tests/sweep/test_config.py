"""The sweep configuration: a sweep file merged with flags, flags winning; typos refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import bundled
from sim.errors import CorridorError
from sim.sweep.config import SweepConfig, parse_level, read_config, set_texts

TESTS = Path(__file__).resolve().parents[1]
MINIMAL = TESTS / "scenarios" / "minimal.yaml"


def test_level_parsing():
    assert parse_level("90%") == parse_level(0.9) == parse_level("90") == pytest.approx(0.9)
    assert parse_level("2.5%") == pytest.approx(0.025)
    for bad in ("abc", "0", "100%", "-5"):
        with pytest.raises(CorridorError):
            parse_level(bad)


def test_flags_alone_give_the_defaults():
    cfg = read_config(None, scenario=MINIMAL, vary=["fleets.ferries.vessels=8..10"])
    assert cfg == SweepConfig(scenario=MINIMAL, params=cfg.params, overrides=[])
    assert cfg.design == "grid" and cfg.level == 0.9 and cfg.out is None
    assert [p.path for p in cfg.params] == ["fleets.ferries.vessels"]


def test_a_sweep_file_merged_with_flags_flags_winning(tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text("scenario: minimal.yaml\nvary:\n  fleets.ferries.vessels: 8..10\n"
                    "  links.gd.capacity: [1 GW, 2 GW]\nset: {simulation.horizon: 200 d}\n"
                    "replications: 20\nseed: 3\nlevel: 80%\nout: out\n")
    (tmp_path / "minimal.yaml").write_text(MINIMAL.read_text())
    cfg = read_config(file, vary=["links.gd.capacity=1 GW"], overrides=["simulation.seed=4"], seed=5)
    assert cfg.scenario == tmp_path / "minimal.yaml"  # relative to the sweep file
    assert {p.path: p.spec for p in cfg.params} == {"fleets.ferries.vessels": "8..10", "links.gd.capacity": "1 GW"}
    assert cfg.overrides == ["simulation.horizon=200 d", "simulation.seed=4"]  # the file's set, then the flags
    assert (cfg.seed, cfg.replications, cfg.level, cfg.out) == (5, 20, pytest.approx(0.8), tmp_path / "out")


def test_a_sweep_file_names_a_bundled_scenario(tmp_path):
    name = bundled.scenarios()[0].stem
    file = tmp_path / "s.yaml"
    file.write_text(f"scenario: {name}\nvary:\n  simulation.seed: 1, 2\n")
    assert read_config(file).scenario == bundled.scenario(name)


def test_sweep_file_mistakes_are_named(tmp_path):
    file = tmp_path / "s.yaml"
    for text, message in (("scenario: x.yaml\nvarry: {}\n", "did you mean 'vary'"),
                          ("scenario: x.yaml\nvary: [a, b]\n", "vary: expected a mapping"),
                          ("scenario: x.yaml\nseed: 1.5\n", "seed: expected a whole number"),
                          ("- a\n", "expected a mapping"),
                          ("scenario: [\n", "malformed YAML"),
                          ("vary: {}\n", "name a scenario")):
        file.write_text(text)
        with pytest.raises(CorridorError, match=message):
            read_config(file)
    with pytest.raises(CorridorError, match="cannot read"):
        read_config(tmp_path / "missing.yaml")


def test_find_needs_a_target():
    with pytest.raises(CorridorError, match="--find needs --target"):
        read_config(None, scenario=MINIMAL, find="fleets.ferries.vessels")


def test_set_texts_from_a_mapping_or_a_list():
    assert set_texts({"a.b": 3, "c": "4 GW", "d": [1, 2]}) == ["a.b=3", "c=4 GW", "d=[1, 2]"]
    assert set_texts(["a=1"]) == ["a=1"] and set_texts(None) == []
    with pytest.raises(CorridorError):
        set_texts([1, 2])
