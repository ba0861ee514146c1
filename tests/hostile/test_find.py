"""`corridor sweep --find` used carelessly: bad levels and ranges are refused before anything is
written; a range the level is never crossed in is said so, with the bracket at the range's end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import FAST, MINIMAL

FIND = ["--find", "fleets.ferries.vessels", "--target", "t", "--workers", "1", "-q"]


@pytest.fixture
def scenario(workdir: Path) -> Path:
    (workdir / "m.yaml").write_text(MINIMAL.read_text())
    return workdir / "m.yaml"


@pytest.mark.parametrize("level", ["1.5", "0", "100%", "nan", "abc", "-0.2"])
def test_a_bad_level_is_refused(refused, scenario: Path, level: str) -> None:
    refused("sweep", "m.yaml", *FAST, "--vary", "fleets.ferries.vessels=2..4", *FIND, "--p", level,
            "--out", "f", place="--level")


BAD_RANGES = [("4..4", "fleets.ferries.vessels"), ("4", "LOW below HIGH"), ("2,3,x", "fleets.ferries.vessels"),
              ("4..2", "fleets.ferries.vessels")]


@pytest.mark.parametrize(("spec", "place"), BAD_RANGES)
def test_a_range_that_cannot_be_searched_is_refused(refused, scenario: Path, spec: str, place: str) -> None:
    refused("sweep", "m.yaml", *FAST, "--vary", f"fleets.ferries.vessels={spec}", *FIND, "--out", "f", place=place)


def test_a_level_never_crossed_is_said_with_the_bracket_at_the_range_end(corridor, scenario: Path,
                                                                         workdir: Path) -> None:
    # 40 days with 5 of warm-up cannot deliver 2.8 Mt/yr of a 1-2 ferry chain: P(met) 0 at both ends
    result = corridor("sweep", "m.yaml", *FAST, "--set", "targets.t.value=1000 Mt/yr", "--vary",
                      "fleets.ferries.vessels=1..2", *FIND[:-1], "--p", "0.8", "--out", "f")
    assert result.exit_code == 0, result.output
    assert "not crossed in this range" in result.output and "bracket ends at 2" in result.output
    doc = json.loads((workdir / "f" / "find.json").read_text())
    assert doc["outcome"] == "not crossed" and doc["bracket"]["lo"]["value"] == 2 and doc["bracket"]["hi"] is None
    assert doc["bracket"]["lo"]["side"] == "below" and doc["bracket"]["lo"]["probability"] >= 0.95
