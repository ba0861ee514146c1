"""Continuous carriers: reliability of links, hourly power dispatch, fibre, oil and other liquids."""

from __future__ import annotations

from typing import get_args

from sim.scenario.schema import Carrier

CARRIERS: frozenset[str] = frozenset(get_args(Carrier)) - {"cargo"}
"""The carriers that flow continuously, simulated by `sim.energy.model`: every carrier but cargo."""
