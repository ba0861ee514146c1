"""Sweeps end to end (`sim.sweep.sweep`): designs run point by point, durably, the same with any
number of workers, resumable after a kill, failures recorded.

The machinery tests inject a point function (fast, known answers); the end-to-end tests run the
real `evaluate` on the small scenarios in tests/scenarios/sweep_*.yaml.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from sim.sweep.designs import parse_vary
from sim.errors import CorridorError
from sim.sweep import run_sweep, sweep
from sim.sweep.plan import plan_sweep
from sim.sweep.points import LOG, read_log

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
POWER = TESTS / "scenarios" / "sweep_power.yaml"
CARGO = TESTS / "scenarios" / "sweep_cargo.yaml"
MINIMAL = TESTS / "scenarios" / "minimal.yaml"


# --- a point function with known answers ------------------------------------------------------


def _values(overrides: list[str]) -> dict[str, str]:
    return dict(o.split("=", 1) for o in overrides)


def fake_report(scenario: Path, overrides: list[str], seed: int, replications: int | None) -> dict:
    """P(met) of target `t` rises with the vessels (0 at 10, 1 at 20); `pt` is met from 1.5 GW.
    13 vessels with 2 GW is a 'bad combination' that raises."""
    v = _values(overrides)
    vessels = float(v.get("fleets.ferries.vessels", "13"))
    gw = float(v.get("links.gd.capacity", "1 GW").split()[0])
    if vessels == 13 and gw == 2.0:
        raise RuntimeError("solver failed: infeasible")
    n = replications or 10
    p = min(max((vessels - 10) / 10, 0.0), 1.0)
    many = int(v.get("targets", "2"))
    extra = [{"id": f"x{i}", "simulated": {"mean": i * vessels, "ci95": [0.0, 1.0], "p_met": 0.5},
              "optimised": {"max_deliverable": 1.0, "binding": ["ab", "bc"]}, "met": False} for i in range(many - 2)]
    return {"targets": [
        {"id": "t", "simulated": {"mean": 0.2 * vessels, "ci95": [0.2 * vessels - 0.1, 0.2 * vessels + 0.1],
                                  "p_met": round(p * n) / n, "replications": [0.0] * n},
         "optimised": {"max_deliverable": 0.25 * vessels, "binding": ["bc"]}, "met": p >= 0.5},
        {"id": "pt", "simulated": {"mean": gw, "ci95": [gw, gw], "p_met": float(gw >= 1.5)},
         "optimised": {"max_deliverable": gw, "binding": []}, "met": gw >= 1.5}, *extra],
        "plan": {"feasible": True, "cost": 10.0 * vessels}, "run": {"seed": seed, "replications": n}}


VARY = ["fleets.ferries.vessels=8..16 step 1", "links.gd.capacity=1 GW, 2 GW"]


def _fake_sweep(out: Path, **kw) -> object:
    args = dict(vary=VARY, out=out, workers=1, evaluate_point=fake_report, replications=20)
    args.update(kw)
    return sweep(MINIMAL, **args)


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> tuple[object, Path]:
    """One finished sweep of the fake point function (read, never changed, by several tests)."""
    folder = tmp_path_factory.mktemp("sweep") / "s"
    return _fake_sweep(folder), folder


# --- machinery ---------------------------------------------------------------------------------


def test_a_sweep_writes_one_row_per_point_and_target_in_design_order(done):
    res, folder = done
    df = pd.read_parquet(folder / "sweep.parquet")
    assert res.points == 9 * 2 and len(df) == 9 * 2 * 2  # points x targets
    assert list(df["point"]) == [i for i in range(18) for _ in range(2)]
    assert list(df["target"]) == ["t", "pt"] * 18
    assert list(df["fleets.ferries.vessels"]) == [v for v in range(8, 17) for _ in range(4)]
    assert list(df["links.gd.capacity"]) == [1.0, 1.0, 2.0, 2.0] * 9
    ok = df[(df["status"] == "ok") & (df["target"] == "t")]
    assert (ok["mean"] == 0.2 * ok["fleets.ferries.vessels"]).all()
    assert (ok["p_met"] == ((ok["fleets.ferries.vessels"] - 10).clip(0, 10) / 10).round(2)).all()
    assert (ok["optimiser_bound"] == 0.25 * ok["fleets.ferries.vessels"]).all()
    assert set(df.columns) >= {"ci_lo", "ci_hi", "verdict", "unit", "plan.cost", "seed"}
    assert (df["seed"] == 2024).all()  # every point uses the sweep seed (the scenario's here)
    csv = pd.read_csv(folder / "sweep.csv")
    assert csv.shape == df.shape
    for name in ("sweep.md", "sweep.html", "sweep.json", "pmet_1.png", "heatmap_1.png", "measured_1.png"):
        assert (folder / name).stat().st_size > 0


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(done):
    res, folder = done
    df = pd.read_csv(folder / "sweep.csv")
    bad = df[df["status"] != "ok"]
    assert res.failed == 1 and len(bad) == 2 and set(bad["target"]) == {"t", "pt"}  # a row per target
    assert bad.iloc[0]["fleets.ferries.vessels"] == 13 and bad.iloc[0]["links.gd.capacity"] == 2.0
    assert "solver failed" in bad.iloc[0]["error"] and bad["mean"].isna().all()
    assert (df["status"] == "ok").sum() == 17 * 2
    assert "1 of 18 points failed" in "\n".join(res.lines())


def test_thresholds_read_from_the_table(done, tmp_path):
    text = "\n".join(done[0].lines())
    # P(met) of t is (v - 10) / 10: 90% is first reached at 19 vessels, beyond 8..16
    assert "t: P(met) stays below 90% over fleets.ferries.vessels" in text
    res = _fake_sweep(tmp_path / "s2", level="60%")
    assert "t: P(met) >= 60% for fleets.ferries.vessels at least 16 (15: 50%, 16: 60%)" in "\n".join(res.lines())
    assert "pt: P(met) >= 60% for links.gd.capacity at least 2 GW" in "\n".join(res.lines())


def test_target_focuses_the_findings_not_the_table(done, tmp_path):
    res = _fake_sweep(tmp_path / "s", target="pt")
    assert res.findings and all(line.startswith("pt") for line in res.findings if "failed" not in line)
    assert (tmp_path / "s" / "sweep.csv").read_bytes() == (done[1] / "sweep.csv").read_bytes()
    with pytest.raises(CorridorError, match="did you mean 'pt'"):
        _fake_sweep(tmp_path / "s", target="ptt")


def test_same_table_with_one_and_two_workers(done, tmp_path):
    _fake_sweep(tmp_path / "two", workers=2)
    assert (done[1] / "sweep.csv").read_bytes() == (tmp_path / "two" / "sweep.csv").read_bytes()


def test_resume_runs_only_the_missing_points_and_equals_an_uninterrupted_run(done, tmp_path):
    full = done[1]
    part = tmp_path / "part"
    part.mkdir()
    shutil.copy(full / "sweep.json", part / "sweep.json")
    lines = (full / LOG).read_bytes().splitlines(keepends=True)
    # 7 finished points, then one written twice (first wins), then a line cut by a kill mid-write
    (part / LOG).write_bytes(b"".join(lines[:7]) + lines[3] + lines[7][: len(lines[7]) // 2])
    res = _fake_sweep(part, resume=True)
    assert res.resumed == 7 and res.done == 11
    assert (part / "sweep.csv").read_bytes() == (full / "sweep.csv").read_bytes()
    assert (pd.read_parquet(part / "sweep.parquet")).equals(pd.read_parquet(full / "sweep.parquet"))
    ids = [r.id for _, r in read_log(part / LOG)]
    assert len(ids) == 18 + 1 and len(set(ids)) == 18  # the duplicate stays in the log, once in the table


def test_resume_refuses_a_different_sweep(done, tmp_path):
    shutil.copytree(done[1], tmp_path / "s")
    with pytest.raises(CorridorError, match="different sweep"):
        _fake_sweep(tmp_path / "s", resume=True, vary=["fleets.ferries.vessels=8..12"])
    with pytest.raises(CorridorError, match="seed"):
        _fake_sweep(tmp_path / "s", resume=True, seed=99)


def test_without_resume_a_sweep_starts_over(done, tmp_path):
    shutil.copytree(done[1], tmp_path / "s")
    res = _fake_sweep(tmp_path / "s")
    assert res.resumed == 0 and len(list(read_log(tmp_path / "s" / LOG))) == 18


def test_memory_stays_flat_as_points_grow(tmp_path, monkeypatch):
    """Results are written as they come, never gathered: ten times the points (each a 40-target
    summary) must grow memory by far less than holding those extra results would take.
    (The tables are then rebuilt from the log in batches; the report is left out here.)"""
    import sim.sweep.render as sweep_report

    monkeypatch.setattr(sweep_report, "write_outputs", lambda *args: [])
    peaks = {}
    for n in (50, 500):
        plan = plan_sweep(MINIMAL, [parse_vary(f"fleets.ferries.vessels=1..{n}"), parse_vary("targets=40")])
        tracemalloc.start()
        run_sweep(plan, tmp_path / str(n), workers=1, evaluate_point=fake_report)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    lines = (tmp_path / "500" / LOG).read_bytes().splitlines()[:450]
    tracemalloc.start()
    held = [json.loads(line) for line in lines]  # what keeping the 450 extra results would cost
    holding = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(held) == 450
    assert peaks[500] - peaks[50] < 0.25 * holding, (peaks, holding)


def test_sweep_file_with_flags_winning(tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text(f"scenario: {MINIMAL}\nvary:\n  fleets.ferries.vessels: 8..10\n  links.gd.capacity: [1 GW, 2 GW]\n"
                    "replications: 20\nseed: 3\nout: out\n")
    res = sweep(file=file, vary=["links.gd.capacity=1 GW"], workers=1, evaluate_point=fake_report)
    df = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert res.points == 3 and list(df["links.gd.capacity"]) == [1.0] * 6 and (df["seed"] == 3).all()
    file.write_text("scenario: x.yaml\nvarry: {}\n")
    with pytest.raises(CorridorError, match="did you mean 'vary'"):
        sweep(file=file)


def test_bad_input_writes_nothing(tmp_path, cli):
    for vary in ("fleets.ferries.vessels=10..2", "fleets.ferrys.vessels=1..3", "no-equals"):
        result = cli("sweep", MINIMAL, "--vary", vary, "-o", tmp_path / "o", "-q")
        assert result.exit_code == 2, result.output
    assert not (tmp_path / "o").exists()


# --- end to end, with the real simulator -------------------------------------------------------


def test_real_sweep_same_table_with_one_and_two_workers_and_each_point_is_a_run(tmp_path):
    from sim.run import evaluate

    vary = ["links.cable.capacity=1.4 GW..2.8 GW step 0.2 GW"]  # from 2.6 GW one pole alone carries 1.2 GW
    one = sweep(POWER, vary=vary, out=tmp_path / "one", workers=1, overrides=["simulation.horizon=365 d"],
                replications=12)
    two = sweep(POWER, vary=vary, out=tmp_path / "two", workers=2, overrides=["simulation.horizon=365 d"],
                replications=12)
    assert one.failed == two.failed == 0 and one.points == 8
    assert (tmp_path / "one" / "sweep.csv").read_bytes() == (tmp_path / "two" / "sweep.csv").read_bytes()
    df = pd.read_parquet(tmp_path / "one" / "sweep.parquet")
    assert list(df["target"]) == ["firm"] * 8 and (df["unit"] == "GW").all() and (df["measure"] == "firm").all()
    ev = evaluate(POWER, overrides=["simulation.horizon=365 d", "links.cable.capacity=1.6 GW"], seed=11,
                  replications=12).data["targets"][0]
    row = df[df["links.cable.capacity"] == 1.6].iloc[0]
    assert (row["mean"], row["p_met"]) == (ev["simulated"]["mean"], ev["simulated"]["p_met"])
    assert (row["ci_lo"], row["ci_hi"]) == tuple(ev["simulated"]["ci95"])
    # Common random numbers: every point sees the same failures, so a bigger cable can only help
    # in every replication, and P(met) and the mean never fall as the capacity grows.
    assert df["p_met"].is_monotonic_increasing and df["mean"].is_monotonic_increasing
    assert df["p_met"].iloc[0] < df["p_met"].iloc[-1]
    # As written: the cable never carries more than its swept capacity (x its efficiency, 0.97 x 0.9801).
    assert (df["mean"] <= df["links.cable.capacity"] * 0.97 * 0.9801 + 1e-9).all()


def _log_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_killed_sweep_resumed_equals_an_uninterrupted_one(tmp_path):
    vary = ["fleets.ferries.vessels=3..12"]
    args = [sys.executable, "-m", "sim", "sweep", str(CARGO), "--vary", vary[0], "-r", "3", "--workers", "2",
            "-q", "-o", str(tmp_path / "killed")]
    proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    log = tmp_path / "killed" / LOG
    deadline = time.monotonic() + 120
    while _log_lines(log) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, mid-run
    proc.wait()
    written = _log_lines(log)
    assert 3 <= written < 10, f"killed after {written} of 10 points"
    assert not (tmp_path / "killed" / "sweep.csv").exists()
    resumed = subprocess.run(args + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    sweep(CARGO, vary=vary, replications=3, workers=1, out=tmp_path / "whole")
    assert (tmp_path / "killed" / "sweep.csv").read_bytes() == (tmp_path / "whole" / "sweep.csv").read_bytes()
    ids = [r.id for _, r in read_log(log)]
    assert len(ids) == len(set(ids)) == 10  # no point lost, none run twice


@pytest.mark.slow
def test_local_dask_cluster_gives_the_same_table(tmp_path):
    vary = ["links.cable.capacity=1.4 GW..2 GW step 0.2 GW", "links.cable.reliability.repair.mean=10 d, 40 d"]
    sweep(POWER, vary=vary, out=tmp_path / "pool", workers=2)
    res = sweep(POWER, vary=vary, out=tmp_path / "dask", workers=2, scheduler="local")
    assert res.points == 8 and res.failed == 0
    assert (tmp_path / "pool" / "sweep.csv").read_bytes() == (tmp_path / "dask" / "sweep.csv").read_bytes()
