"""The scripts in examples/ run as a user runs them (a fresh interpreter, small overrides) and
print what the files they wrote say."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from support import MINIMAL, ROOT

SHORT = ["--set", "simulation.horizon=40 d", "--set", "simulation.warmup=5 d"]


def example(name: str, *args: object, cwd: Path) -> str:
    """Run examples/<name>.py with `args` in `cwd`; its standard output (a failure shows stderr)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_job_has_an_example_with_its_usage():
    names = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    assert names == ["backtest", "compare", "run", "sweep"]
    for name in names:
        text = (ROOT / "examples" / f"{name}.py").read_text()
        assert f"python examples/{name}.py" in text  # the docstring shows how to run it


def test_run_example_writes_and_reads_the_data(tmp_path):
    out = tmp_path / "run"
    printed = example("run", MINIMAL, "-r", "2", *SHORT, "--out", out, cwd=tmp_path)
    assert printed.startswith("<Evaluation minimal: 2 replications")
    targets = pd.read_parquet(out / "targets.parquet")
    per_rep = pd.read_parquet(out / "target_replications.parquet")
    for t in targets.to_dict("records"):
        values = per_rep[per_rep["id"] == t["id"]]["value"]
        assert f"{t['id']} {t['simulated_mean']:.3g} {t['unit']} {t['verdict']}" in printed.splitlines()[0]
        assert re.search(rf"^\s*{t['id']}\s+{re.escape(t['unit'])}\s.*{t['verdict']}$", printed, re.M), printed
        assert f"{t['id']}: replications from {values.min():.3g} to {values.max():.3g}" in printed
    # The month it names is the one the series file says, computed here without xarray's groupby.
    found = re.search(r"least in month (\d+) \(([\d,]+) t\)", printed)
    assert found is not None, printed
    month, tonnes = found.groups()
    with xr.open_dataset(out / "series.nc", engine="scipy") as ds:
        daily = ds.delivered_cargo.values.sum(axis=1).mean(axis=0)
        months = pd.DatetimeIndex(ds.date.values).month
    measured = np.arange(len(daily)) >= 5
    totals = {m: daily[measured & (months == m)].sum() for m in sorted(set(months[measured]))}
    assert int(month) == min(totals, key=totals.__getitem__)
    assert tonnes == f"{totals[int(month)]:,.0f}"
    assert f"11 data files written to {out}" in printed  # ten frames and the series


@pytest.mark.slow  # two runs of the scenario
def test_compare_example_lists_what_moved(tmp_path):
    out = tmp_path / "cmp"
    printed = example("compare", MINIMAL, "-r", "2", *SHORT, "--change", "nodes.b.port.berths.ferry.count=2",
                      "--out", out, cwd=tmp_path)
    table = pd.read_parquet(out / "comparison.parquet")
    variant = table[table["report_path"] == str(out / "variant" / "report.json")]
    moved = variant[variant["delta"].fillna(0) != 0]
    assert f"changed: nodes.b.port.berths.ferry.count=2; {len(moved)} figures moved" in printed
    report = json.loads((out / "variant" / "report.json").read_text())
    mean = report["targets"][0]["simulated"]["mean"]
    row = variant[(variant["section"] == "target") & (variant["id"] == "t")].iloc[0]
    assert row["value"] == mean
    base = json.loads((out / "base" / "report.json").read_text())["targets"][0]["simulated"]["mean"]
    assert row["delta"] == pytest.approx(mean - base)


def test_sweep_example_pivots_the_sweep_table(tmp_path):
    out = tmp_path / "sweep"
    printed = example("sweep", MINIMAL, "-r", "1", *SHORT, "--vary", "fleets.ferries.vessels=4,13", "--out", out,
                      cwd=tmp_path)
    table = pd.read_parquet(out / "sweep.parquet")
    assert len(table) == 2 * 2  # points x targets
    assert "p_met by fleets.ferries.vessels:" in printed and "2 points, 0 failed" in printed
    means = printed.split("mean by fleets.ferries.vessels:")[1]
    for vessels in (4, 13):
        row = table[(table["fleets.ferries.vessels"] == vessels) & (table["target"] == "t")].iloc[0]
        assert re.search(rf"^{vessels}\s+\S+\s+{row['mean']:.3g}$", means, re.M), means


def test_backtest_example_tabulates_the_scores(tmp_path):
    observed = {"observations": [{"id": "o_total", "items": [
        {"id": "total", "measure": "flow_delivered", "where": ["f"], "window": 2023, "value": 1.85, "unit": "Mt",
         "tolerance": "10%", "source": "test"}]}]}
    (tmp_path / "observed.yaml").write_text(yaml.safe_dump(observed))
    fast = [{"set": s, "source": "assumption", "note": "a short run for tests"} for s in SHORT[1::2]]
    spec = {"name": "bt-example", "year": 2023, "scenario": str(MINIMAL), "observed": "observed.yaml",
            "changes": fast, "replications": 2, "seed": 1, "score": ["obs:o_total"]}
    (tmp_path / "bt.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    out = tmp_path / "bt"
    printed = example("backtest", tmp_path / "bt.yaml", "-r", "2", "--out", out, cwd=tmp_path)
    doc = json.loads((out / "backtest.json").read_text())
    item = doc["items"][0]
    assert re.search(rf"obs:o_total.total\s+Mt\s+1.85\s+{item['model']['mean']:.3g}\s", printed), printed
    sm = doc["summary"]
    assert f"{sm['passed']} of {sm['scored']} scored items pass; backtest written to {out}" in printed
