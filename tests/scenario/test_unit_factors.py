"""The units scenarios write are read without pint (`units.known`, from the factors in
`sim/scenario/unit_factors.py`): each factor is pint's, each figure read that way is the figure pint
reads, every unit a bundled scenario writes is in the table, and a reading that uses the table
builds no registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import units
from sim.scenario.unit_factors import FACTORS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))


def test_the_table_is_what_pint_gives_today():
    import unit_factors

    assert unit_factors.factors() == FACTORS


@settings(max_examples=300, deadline=None)
@given(unit=st.sampled_from(sorted(FACTORS)),
       number=st.one_of(st.integers(-10**6, 10**9),
                        st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False).map(lambda x: float(f"{x:.6g}"))))
def test_a_figure_read_from_the_table_is_the_figure_pint_reads(unit, number):
    text = f"{number} {unit}"
    for canonical in FACTORS[unit]:
        assert units.known(text, canonical) == units.convert(units.parse(text), canonical)


@pytest.mark.parametrize("text, unit", [
    ("4 GW", "Mt/yr"),       # another dimension: pint words the error
    ("4 kW", "GW"),          # a unit not in the table
    ("4 GW/yr", "GW"),
    ("5", "h"),              # a bare number is only a share or a count
    ("1e400 GW", "GW"),      # not finite
    ("4 * 2 GW", "GW"),
    (True, "dimensionless"),
    (10**400, "dimensionless"),
])
def test_what_the_table_does_not_cover_is_left_to_pint(text, unit):
    assert units.known(text, unit) is None


def test_numbers_and_shares():
    assert units.known(0.95, "dimensionless") == 0.95
    assert units.known("95 %", "dimensionless") == 0.95  # pint's 0.9500000000000001, rounded as convert rounds
    assert units.known(" 1.5e3  kt/yr ", "Mt/yr") == 1.5


def test_every_bundled_scenario_loads_without_pint():
    """Every unit the bundled scenarios write is in the table: none of them builds pint's registry
    (a unit missing from `scripts/unit_factors.py`'s list would, and cost each run half a second)."""
    code = ("import sys\n"
            "from sim.scenario.loading import load_scenario\n"
            "for path in sys.argv[1:]:\n"
            "    load_scenario(path)\n"
            "    assert 'pint' not in sys.modules, f'{path}: pint imported'\n")
    paths = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    done = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
