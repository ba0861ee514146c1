"""Power dispatched a block of hours at a time gives, bit for bit, the figures of the whole
horizon dispatched at once (the path rule is hour by hour; the records keep each hour's values
and take their means, quantiles and daily means over the same arrays)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.energy import fibre, power
from sim.energy.model import simulate_continuous
from sim.energy.records import ExactMean, firm_level
from sim.network import Network
from sim.replications import Streams
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def records(path: Path, overrides: list[str]) -> tuple[dict, dict, dict]:
    sc = load_scenario(path, overrides)
    rep = simulate_continuous(sc, Network(sc), Streams(sc.simulation.seed, 0), 0, ("power", "data"))
    flows = {fid: (r.delivered, dict(r.extra), np.asarray(r.hourly).tobytes()) for fid, r in rep.flows.items()}
    series = {k: np.asarray(v).tobytes() for k, v in rep.series.items()}
    return flows, series, dict(rep.links)


@pytest.mark.parametrize("path, overrides", [
    (ROOT / "tests" / "scenarios" / "energy_chain.yaml", []),
    (ROOT / "tests" / "scenarios" / "energy_fibre.yaml", ["simulation.warmup=3 d"]),
    (ROOT / "tests" / "scenarios" / "energy_grid.yaml", []),
    (ROOT / "scenarios" / "targets-2030.yaml", ["simulation.horizon=400 d", "simulation.warmup=10 d"]),
])
@pytest.mark.parametrize("block", [24 * 7, 24 * 365])
def test_blocks_give_the_figures_of_the_whole_horizon(monkeypatch, path, overrides, block):
    for module in (power, fibre):
        monkeypatch.setattr(module, "BLOCK_HOURS", 10 ** 9)
    whole = records(path, overrides)
    for module in (power, fibre):
        monkeypatch.setattr(module, "BLOCK_HOURS", block)
    blocked = records(path, overrides)
    assert blocked == whole
    assert whole[0]  # something was dispatched


def test_firm_level_is_the_lower_five_percent_quantile():
    rng = np.random.default_rng(0)
    for n in (1, 7, 20, 101, 8760):
        x = rng.random(n)
        assert firm_level(x) == np.sort(x)[int(np.floor((n - 1) * 0.05))]


@pytest.mark.parametrize("n", [0, 1, 7, 8, 129, 300, 1000, 8761, 20000])
@pytest.mark.parametrize("chunk", [1, 24, 168, 10 ** 6])
def test_exact_mean_is_numpy_s_mean_bit_for_bit(n, chunk):
    rng = np.random.default_rng(n)
    x = rng.random(n) * rng.choice([1.0, 1e7, -3.0], n)
    mean = ExactMean(n)
    for lo in range(0, n, chunk):
        mean.add(x[lo:lo + chunk])
    assert np.isnan(mean.mean()) if n == 0 else mean.mean() == float(x.mean())
