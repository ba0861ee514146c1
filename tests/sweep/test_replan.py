"""Sweeps simulate each point as written; `--replan` builds the optimiser's plan at each point and
says so; the table is long (a row per point and target) with the measured value and its CI.

tests/scenarios/honest_power.yaml: a cable that never fails, so a point's firm figure is
min(rate, capacity x efficiency) whatever the replication (tests/test_with_plan.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import SCENARIOS

from sim.sweep import sweep

HONEST = SCENARIOS / "honest_power.yaml"
EFFICIENCY = (1 - 0.03) * (1 - 0.01) ** 2
VARY = ["links.cable.capacity=0.6 GW, 1 GW, 1.8 GW"]


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> dict[str, tuple[object, Path]]:
    """The same sweep as written and with --replan."""
    root = tmp_path_factory.mktemp("replan")
    return {name: (sweep(HONEST, vary=VARY, out=root / name, workers=1, replan=replan), root / name)
            for name, replan in (("written", False), ("replan", True))}


def test_each_point_is_simulated_as_written(both):
    res, folder = both["written"]
    df = pd.read_parquet(folder / "sweep.parquet")
    capacity = df["links.cable.capacity"]
    assert list(df["mean"]) == pytest.approx(list((capacity * EFFICIENCY).clip(upper=1.5)), rel=1e-6)
    assert df["plan.built"].isna().all()
    assert "each point as written" in res.lines()[0]
    assert (folder / "sweep.md").read_text().splitlines()[0] == \
        "# Sweep of honest-power, each point simulated as written (the optimiser's plan not built)"
    assert json.loads((folder / "sweep.json").read_text())["with_plan"] is False


def test_replan_builds_the_plan_at_each_point_and_says_so(both):
    res, folder = both["replan"]
    df = pd.read_parquet(folder / "sweep.parquet")
    assert "with the optimiser's plan built at each point" in res.lines()[0]
    assert (folder / "sweep.md").read_text().startswith("# Sweep of honest-power, with the optimiser's plan built")
    built = list(df["plan.built"])
    assert built[0].startswith("cable_more ") and built[1].startswith("cable_more ") and built[2] == "nothing"
    assert (df["mean"] >= 1.2 - 1e-6).all()  # the plan meets the firm target at every point
    assert df["mean"].iloc[2] == pytest.approx(min(1.5, 1.8 * EFFICIENCY), rel=1e-6)  # nothing to build
    assert json.loads((folder / "sweep.json").read_text())["with_plan"] is True


def test_the_long_table_has_a_row_per_point_and_target_with_the_mean_inside_its_ci(both):
    _, folder = both["written"]
    df = pd.read_csv(folder / "sweep.csv")
    assert len(df) == 3 * 1 and list(df["target"]) == ["firm"] * 3
    assert (df["unit"] == "GW").all() and (df["measure"] == "firm").all() and (df["figure"] == 1.2).all()
    assert ((df["ci_lo"] <= df["mean"]) & (df["mean"] <= df["ci_hi"])).all()
    assert list(df["verdict"]) == ["not met", "not met", "met"] and list(df["p_met"]) == [0.0, 0.0, 1.0]
    md = (folder / "sweep.md").read_text()
    assert "| point | links.cable.capacity (GW) | target | measured | 95% CI | P(met) | verdict |" in md
    assert (folder / "measured_1.png").stat().st_size > 0 and (folder / "pmet_1.png").stat().st_size > 0


def test_a_sweep_file_may_say_replan(tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text(f"scenario: {HONEST}\nvary:\n  links.cable.capacity: [1 GW]\nreplan: true\nout: out\n")
    res = sweep(file=file, workers=1)
    assert res.with_plan and json.loads((tmp_path / "out" / "sweep.json").read_text())["with_plan"] is True
    res = sweep(file=file, workers=1, replan=False, out=tmp_path / "flag")  # a flag wins
    assert not res.with_plan
