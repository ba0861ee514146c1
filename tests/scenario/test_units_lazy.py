"""The unit registry is built on first use: importing the units module (and the scenario schema)
imports no pint, nor does a quantity in a unit of `unit_factors.FACTORS`; the first other quantity
read builds the one registry every later read shares."""

from __future__ import annotations

import subprocess
import sys


def test_importing_units_does_not_import_pint_until_a_quantity_is_read():
    code = ("import sys\n"
            "from sim.scenario import units\n"
            "import sim.scenario.schema\n"
            "assert 'pint' not in sys.modules, 'pint imported at import time'\n"
            "print(units.to_canonical('4 GW', 'power'), units.to_canonical('1.5 Mt/yr', 'mass_rate'))\n"
            "assert 'pint' not in sys.modules, 'a unit in the table imported pint'\n"
            "print(units.to_canonical('4000000 kW', 'power'))\n"
            "assert 'pint' in sys.modules\n"
            "assert units.ureg is units.registry() and units.Q_ is units.registry().Quantity\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4.0", "1.5", "4.0"]


def test_the_lazy_registry_has_the_corridors_units():
    from sim.scenario import units

    def through_pint(text: str, unit: str) -> float:  # not `to_canonical`: these units are in its table
        return units.convert(units.parse(text), unit)

    assert through_pint("28 trains/d", "train/d") == 28.0
    assert through_pint("2 kt", "t") == 2000.0
    assert through_pint("1 MEUR", "MUSD") == 1.08
    assert through_pint("0.1 /100km/yr", "1/km/yr") == 0.001
