"""A small calibration case: the minimal scenario with two marked figures, observations generated
by the model itself at chosen true values, and a backtest naming both.

In the minimal scenario a rail-fed ferry carries flow f from port b; with few ferries the fleet
limits it (about 130 calls a year per vessel, one berth caps it near 730), and each call carries
54 wagons of `payload.wagon` tonnes. So the calls at b tell the vessels, and the tonnes delivered
over the calls tell the wagon payload: both are identifiable from these two observations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from support import MINIMAL

FAST = [{"set": "simulation.horizon=40 d", "source": "assumption", "note": "a short run for tests"},
        {"set": "simulation.warmup=5 d", "source": "assumption", "note": "a short run for tests"}]
VESSELS = "vessels: {value: 13, source: s2_042}"
WAGON = "  wagon: 47 t"


@dataclass
class Case:
    folder: Path
    backtest: Path
    scenario: Path
    observed: Path
    truth: dict[str, float]


def marked_scenario(vessels: str = "{value: 6, source: assumption, note: a guess, calibrate: {range: [2, 6]}}",
                    wagon: str = "{value: 55 t, source: assumption, note: a guess, calibrate: {range: [30 t, 60 t]}}"
                    ) -> str:
    text = MINIMAL.read_text()
    assert VESSELS in text and WAGON in text
    return text.replace(VESSELS, f"vessels: {vessels}").replace(WAGON, f"  wagon: {wagon}")


def observations(values: dict[str, float]) -> dict[str, object]:
    return {"observations": [
        {"id": "o_total", "items": [{"id": "total", "measure": "flow_delivered", "where": ["f"], "window": 2023,
                                     "value": values["total"], "unit": "Mt", "tolerance": "10%", "source": "test"}]},
        {"id": "o_calls", "items": [{"id": "b", "measure": "port_calls", "where": ["b"], "window": 2023,
                                     "value": values["calls"], "unit": "calls", "tolerance": "10%",
                                     "source": "test"}]},
        {"id": "o_trucks", "items": [{"id": "b", "measure": "port_trucks", "where": ["b"], "window": 2023,
                                      "value": 1000, "unit": "trucks", "tolerance": "10%"}]},  # not measured
    ]}


def write_backtest(folder: Path, scenario_text: str, values: dict[str, float], replications: int = 4,
                   seed: int = 1) -> Case:
    folder.mkdir(parents=True, exist_ok=True)
    scenario, observed, backtest = folder / "scen.yaml", folder / "observed.yaml", folder / "bt.yaml"
    scenario.write_text(scenario_text)
    observed.write_text(yaml.safe_dump(observations(values), sort_keys=False))
    backtest.write_text(yaml.safe_dump(
        {"name": "bt-test", "year": 2023, "scenario": "scen.yaml", "observed": "observed.yaml", "changes": FAST,
         "replications": replications, "seed": seed, "score": ["obs:o_total", "obs:o_calls", "obs:o_trucks"]},
        sort_keys=False))
    return Case(folder, backtest, scenario, observed, {})


def model_at(case: Case, truth: dict[str, str], seed: int, replications: int) -> dict[str, float]:
    """The model's mean of each observation with the marked figures at `truth` (PATH.value -> text)."""
    from sim.backtest import load_backtest
    from sim.backtest.score import score
    from sim.run import evaluate

    bt = load_backtest(case.backtest)
    ev = evaluate(bt.scenario_path, overrides=[*bt.overrides, *(f"{k}.value={v}" for k, v in truth.items())],
                  seed=seed, replications=replications)
    means = {s.item.ref: s.mean for s in (score(i, ev.planned, ev.result.replications) for i in bt.items)}
    return {"total": means["obs:o_total.total"], "calls": means["obs:o_calls.b"]}


@pytest.fixture
def scenario_text() -> str:
    """The minimal scenario with the ferry fleet's vessels (2-6) and the wagon payload (30-60 t) marked."""
    return marked_scenario()


@pytest.fixture
def case(tmp_path: Path) -> Callable[..., Case]:
    """`case(truth=..., obs_seed=..., obs_replications=...)`: the backtest with observations the model
    gives at `truth` under its own seed (a different world's noise from the calibration's)."""

    def make(truth: dict[str, str] | None = None, obs_seed: int = 99, obs_replications: int = 6,
             scenario_text: str | None = None, replications: int = 4) -> Case:
        truth = truth or {"fleets.ferries.vessels": "3", "payload.wagon": "42 t"}
        c = write_backtest(tmp_path / "case", scenario_text or marked_scenario(), {"total": 1.0, "calls": 100.0},
                           replications=replications)
        values = model_at(c, truth, obs_seed, obs_replications)
        c = write_backtest(tmp_path / "case", scenario_text or marked_scenario(), values, replications=replications)
        c.truth = {"fleets.ferries.vessels": float(truth["fleets.ferries.vessels"]),
                   "payload.wagon": float(truth["payload.wagon"].split()[0])}
        return c

    return make


@pytest.fixture
def builders() -> tuple[Callable[..., str], Callable[..., Case]]:
    """(marked_scenario, write_backtest), for tests that mark other figures."""
    return marked_scenario, write_backtest
