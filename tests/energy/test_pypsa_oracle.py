"""The hourly power dispatch against PyPSA: the same year of the same network, written with
PyPSA's own components and solved by its `optimize()` (`pypsa_oracle`), delivers the same power
hour by hour.

Without storage, on the power part of targets-2030 (four flows, eight buses, a replication's
outages): the path rule (`fill_paths`) and the exact LP (`dispatch_lp`). With a battery and a gas
plant, on a 5-bus version of it: `dispatch_storage` as the simulation runs it (the battery's group
by its exact one-store rule, the plant's by the rolling-window LP) and with the whole year as one
window, and the rolling-window LP holding every flow (`dispatch_windows`).
"""

from __future__ import annotations

import numpy as np
import pytest

from energy.pypsa_oracle import Case, Solution, corridor_case, solve, storage_case
from sim.energy.dispatch import dispatch_lp, fill_paths
from sim.energy.storage import (LOOKAHEAD_H, TIME_PREFERENCE, WINDOW_H, StorageDispatch, dispatch_storage,
                                dispatch_windows, initial_carry)

RTOL = 1e-6


def _same(ours: np.ndarray, theirs: np.ndarray, scale: float) -> None:
    """Equal hour by hour within RTOL relative (to the value, or to the flow's rate near zero)."""
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * scale)


@pytest.fixture(scope="module")
def corridor() -> tuple[Case, Solution, dict[str, np.ndarray]]:
    case = corridor_case()
    oracle = case.pypsa()
    solution = solve(oracle.network(case.n_hours))
    return case, solution, oracle.delivered(solution)


@pytest.mark.parametrize("dispatch", [fill_paths, dispatch_lp], ids=["path rule", "lp"])
def test_dispatch_without_storage_delivers_what_pypsa_delivers_hour_by_hour(corridor, dispatch):
    case, solution, theirs = corridor
    ours = dispatch(case.paths, case.rates, case.caps, case.supply, case.n_hours)
    for fid, rate in case.rates.items():
        _same(ours.delivered[fid], theirs[fid], rate)
    for bus, delivered in solution.delivered.items():  # each destination's load, met less shed
        into = sum(ours.delivered[f] for f, d in case.destinations.items() if d == bus)
        _same(into, delivered, max(case.rates.values()))


def test_the_corridor_case_has_outages_shared_bottlenecks_and_every_flow_delivering(corridor):
    """What makes the comparison above worth something: not a trivial year."""
    case, solution, theirs = corridor
    assert (case.caps["link:black_sea_cable"] < 1.0 - 1e-9).sum() > 24  # a day or more of outage
    shared = solution.link_in["link:az_ge_transmission"]
    assert (shared > 1.0 - 1e-6).mean() > 0.1  # the line three flows share is full in many hours
    assert all(theirs[f].sum() > 0 for f in case.rates)
    assert len(solution.delivered) == 2  # hungary and turkiye_grid


@pytest.fixture(scope="module")
def storage() -> tuple[Case, Solution, dict[str, np.ndarray], StorageDispatch, StorageDispatch, StorageDispatch]:
    case = storage_case()
    oracle = case.pypsa()
    solution = solve(oracle.network(case.n_hours), oracle.storage)
    n = case.n_hours
    year = dispatch_storage(case.paths, case.rates, case.caps, case.supply, case.stores, case.plants, n,
                            window=n, lookahead=0)
    rolling = dispatch_storage(case.paths, case.rates, case.caps, case.supply, case.stores, case.plants, n)
    # every flow in one rolling-window LP (the battery's group too, which dispatch_storage solves by its exact rule)
    ranks = {f: len(case.paths) - 1 - i for i, f in enumerate(case.paths)}
    windows = dispatch_windows(case.paths, case.rates, case.caps, case.supply, case.stores, case.plants, n, 0, n,
                               WINDOW_H, LOOKAHEAD_H, 1000.0, initial_carry(case.stores, case.plants), ranks)
    return case, solution, oracle.delivered(solution), year, rolling, windows


def test_storage_dispatch_delivers_pypsas_energy_in_the_year(storage):
    """The year's delivered energy per flow, the plant's energy and the energy charged: the same
    optimum (the rolling windows too: the 4-hour battery is shorter than their look-ahead)."""
    case, solution, theirs, year, rolling, windows = storage
    for ours in (year, rolling, windows):
        for fid in case.rates:
            assert ours.delivered[fid].sum() == pytest.approx(theirs[fid].sum(), rel=RTOL)
        assert ours.output["nakhchivan.gas"].sum() == pytest.approx(
            solution.output["plant:nakhchivan.gas"].sum(), rel=RTOL)
        assert ours.charge["az_wind.battery"].sum() == pytest.approx(
            solution.charge["az_wind.battery"].sum(), rel=RTOL)
    battery = solution.state["az_wind.battery"]
    assert battery.min() >= 0.1 * 4.0 - 1e-6 and battery.max() <= 0.95 * 4.0 + 1e-6  # PyPSA's band shifted back
    assert solution.charge["az_wind.battery"].sum() > 10.0  # the battery works: not a trivial year
    ramp = np.abs(np.diff(solution.output["plant:nakhchivan.gas"]))
    assert ramp.max() == pytest.approx(0.25 * 0.5, rel=1e-6)  # the plant's ramp limit binds somewhere


def test_storage_dispatch_delivers_what_pypsa_delivers_hour_by_hour(storage):
    """Hours a store could fill equally are told apart by the time preference alone: an hour
    earlier must weigh well above HiGHS' dual tolerance (1e-7), or each solver stops at a
    different one of the tied optima and fills different hours (at 1e-6 over the year, 14 hours
    of this year differed by up to 0.6 GW)."""
    assert TIME_PREFERENCE / 8760 > 3e-7
    case, solution, theirs, year, rolling, windows = storage
    for ours in (year, rolling, windows):
        for fid, rate in case.rates.items():
            _same(ours.delivered[fid], theirs[fid], rate)
        _same(ours.output["nakhchivan.gas"], solution.output["plant:nakhchivan.gas"], 0.5)
