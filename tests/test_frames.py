"""Data out for notebooks (`sim.report.frames`): tidy frames of a run, its series as an xarray
Dataset, Parquet and netCDF files, `--format parquet|netcdf`, and a short repr."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from sim.calendar import HOURS_PER_YEAR
from sim.errors import CorridorError
from sim.report.document import as_document
from sim.report.frames import Frames, comparison_frame, summary, write_comparison, write_netcdf
from support import MINIMAL

SHORT = ["simulation.horizon=40 d", "simulation.warmup=5 d"]
FAST = ["--set", SHORT[0], "--set", SHORT[1]]
REPS = 3


@pytest.fixture(scope="module")
def ev():
    from sim.run import evaluate

    return evaluate(MINIMAL, overrides=SHORT, replications=REPS, seed=7, series="all")  # series by replication


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Two `corridor run`s of the minimal scenario: one with --format parquet, one with netcdf."""
    from sim.cli import app

    root = tmp_path_factory.mktemp("runs")
    runner = CliRunner()
    for fmt, seed in (("parquet", "7"), ("netcdf", "8")):
        r = runner.invoke(app, ["run", str(MINIMAL), *FAST, "-r", "2", "--seed", seed, "--format", fmt,
                                "-o", str(root / fmt)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    return root


# --- frames ------------------------------------------------------------------------------------


def test_targets_frame_has_a_row_per_target_and_per_target_and_replication(ev):
    f = ev.frames()
    report = ev.data["targets"]
    assert list(f.targets["id"]) == [t["id"] for t in report] == ["t", "pt"]
    assert {"unit", "target", "simulated_mean", "simulated_ci95_lo", "simulated_ci95_hi", "simulated_p_met",
            "verdict", "optimised_max_deliverable", "sources"} <= set(f.targets.columns)
    assert len(f.target_replications) == len(report) * REPS
    assert list(f.target_replications.columns) == ["id", "replication", "value", "unit"]
    for t in report:
        row = f.targets.set_index("id").loc[t["id"]]
        assert row["simulated_mean"] == t["simulated"]["mean"]
        assert [row["simulated_ci95_lo"], row["simulated_ci95_hi"]] == t["simulated"]["ci95"]
        assert row["verdict"] == t["verdict"] and row["unit"] == t["unit"]
        reps = f.target_replications[f.target_replications["id"] == t["id"]]
        assert list(reps["replication"]) == list(range(REPS))
        assert list(reps["value"]) == t["simulated"]["replications"]
        assert reps["value"].mean() == pytest.approx(row["simulated_mean"], rel=1e-12)
    assert f.targets.attrs == {"scenario": "minimal", "seed": 7, "replications": REPS}


def test_flows_links_nodes_fleets_and_months_hold_the_reports_figures(ev):
    f = ev.frames()
    flows = f.flows.set_index("id")
    for flow in ev.data["flows"]:
        assert flows.loc[flow["id"], "delivered_mean"] == flow["delivered"]["mean"]
        got = f.flow_replications[f.flow_replications["id"] == flow["id"]]["delivered"]
        assert list(got) == flow["delivered"]["replications"]
    assert flows.loc["f", "transit_days_p95"] == ev.data["flows"][0]["transit_days"]["p95"]
    assert list(f.links["id"]) == [l["id"] for l in ev.data["links"]]
    assert f.links.set_index("id").loc["bc", "utilisation"] == ev.data["links"][1]["utilisation"]
    assert list(f.fleets["id"]) == ["ferries"] and list(f.passages[["from", "to"]].itertuples(index=False, name=None))
    # A port's twelve months add up to its measured total (sim.cargo.model), in both frames.
    months, nodes = f.port_months, f.nodes.set_index("id")
    assert set(months.groupby("port").size()) == {12}
    for port, rows in months.groupby("port"):
        assert rows["tonnes_out_mean"].sum() == pytest.approx(nodes.loc[port, "tonnes_out"], rel=1e-9)
        assert rows["calls_mean"].sum() == pytest.approx(nodes.loc[port, "calls"], rel=1e-9)


def test_a_simulation_in_memory_gives_the_reports_numbers(ev):
    mine, theirs = ev.result.frames(), as_document(ev.data).frames()
    assert ev.result.to_frame().equals(mine.targets) and ev.result.to_frame("flows").equals(mine.flows)
    for name, df in mine.items():
        other = theirs[name]
        assert len(df) == len(other), name
        # a report puts a link's analytic availability where none was simulated; a simulation has none
        common = [c for c in df.columns if c in other.columns and (name, c) != ("links", "availability")]
        assert len(common) >= min(len(df.columns), 2), name
        pd.testing.assert_frame_equal(df[common], other[common], check_dtype=False, obj=name)
    assert "optimised_max_deliverable" not in mine.targets  # the optimiser's, not the simulation's
    with pytest.raises(KeyError, match="no such frame"):
        mine["target"]


def test_parquet_files_are_written_atomically_and_read_back_equal(ev, tmp_path, monkeypatch):
    f = ev.frames()
    written = f.write_parquet(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.parquet" for n, _ in f.items())
    for path in written:
        back = pd.read_parquet(path)
        pd.testing.assert_frame_equal(back, f[path.stem], obj=path.name)
    before = (tmp_path / "targets.parquet").read_bytes()

    def half_then_fail(self, path, **kw):
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        f.write_parquet(tmp_path)
    assert (tmp_path / "targets.parquet").read_bytes() == before  # the old file, whole
    assert not [p for p in os.listdir(tmp_path) if not p.endswith(".parquet")]  # no temporary left


# --- series ------------------------------------------------------------------------------------


def test_series_dims_coords_and_attrs(ev):
    ds = ev.result.to_xarray()
    assert ds.sizes["replication"] == REPS and list(ds.replication.values) == list(range(REPS))
    assert ds.sizes["day"] == 40 and ds.day.values[0] == 0  # day 0 = 1 January, the warm-up included
    assert str(ds.date.values[0])[:10] == "2023-01-01" and str(ds.date.values[-1])[:10] == "2023-02-09"
    assert ds.delivered_cargo.dims == ("replication", "cargo_flow", "day")
    assert list(ds.cargo_flow.values) == ["f"] and ds.delivered_cargo.attrs["units"] == "t/d"
    assert ds.delivered_power.attrs["units"] == "GW" and list(ds.power_flow.values) == ["p"]
    assert ds.queue.dims == ("replication", "queue_node", "day") and set(ds.queue_node.values) == {"a", "b", "c"}
    assert ds.port_calls.dims == ("replication", "port", "month") and list(ds.month.values) == list(range(1, 13))
    assert ds.hourly_power.dims == ("replication", "power_flow", "hour")
    assert (ds.hour.values[0], ds.hour.values[-1]) == (5 * 24, 40 * 24 - 1)  # the measured hours
    assert ds.attrs["scenario"] == "minimal" and ds.attrs["seed"] == 7 and ds.attrs["warmup_days"] == 5
    assert "hourly_power" not in ev.result.to_xarray(hourly=False)


def test_series_add_up_to_the_replications_figures(ev):
    ds = ev.result.to_xarray()
    span_h = 35 * 24
    for i, rep in enumerate(ev.result.replications):
        cargo = rep.flows["f"]
        measured = ds.delivered_cargo.isel(replication=i).sel(cargo_flow="f", day=slice(5, 39)).sum()
        # tonnes delivered in the measured days = the annualised Mt/yr over the measured span
        assert float(measured) == pytest.approx(cargo.delivered * 1e6 * span_h / HOURS_PER_YEAR, rel=1e-9)
        power = ds.hourly_power.isel(replication=i).sel(power_flow="p").mean()
        assert float(power) == pytest.approx(rep.flows["p"].delivered, rel=1e-6)
        months = ds.port_calls.isel(replication=i).sel(port="b").sum()
        assert float(months) == rep.nodes["b"]["calls"]


def test_a_value_round_trips_through_netcdf(ev, tmp_path):
    ds = ev.result.to_xarray()
    path = write_netcdf(ds, tmp_path / "series.nc")
    assert [p.name for p in tmp_path.iterdir()] == ["series.nc"]
    with xr.open_dataset(path, engine="scipy") as back:
        xr.testing.assert_allclose(back.delivered_cargo, ds.delivered_cargo)
        np.testing.assert_array_equal(back.hourly_power.values, ds.hourly_power.values)
        assert back.attrs["scenario"] == "minimal" and back.attrs["seed"] == 7
        assert back.delivered_power.attrs["units"] == "GW"
        assert list(back.queue_node.values) == list(ds.queue_node.values)
        assert str(back.date.values[31])[:10] == "2023-02-01"


# --- command line ------------------------------------------------------------------------------


def test_run_format_parquet_writes_the_frames_beside_the_report(folders):
    folder = folders / "parquet"
    report = json.loads((folder / "report.json").read_text())
    for name in ("report.json", "report.html", "targets.csv", "targets.parquet", "target_replications.parquet",
                 "flows.parquet", "links.parquet", "nodes.parquet", "fleets.parquet", "port_months.parquet"):
        assert (folder / name).is_file(), name
    assert not (folder / "series.nc").exists()
    targets = pd.read_parquet(folder / "targets.parquet")
    assert list(targets["simulated_mean"]) == [t["simulated"]["mean"] for t in report["targets"]]
    per_rep = pd.read_parquet(folder / "target_replications.parquet")
    assert len(per_rep) == len(report["targets"]) * 2
    assert not [p for p in os.listdir(folder) if p.startswith(".")]  # no temporary files


def test_run_format_netcdf_writes_the_series(folders):
    folder = folders / "netcdf"
    assert not (folder / "targets.parquet").exists()
    with xr.open_dataset(folder / "series.nc", engine="scipy") as ds:
        assert ds.attrs["seed"] == 8 and ds.sizes["replication"] == 2
        report = json.loads((folder / "report.json").read_text())
        f = next(x for x in report["flows"] if x["id"] == "f")
        for i, rate in enumerate(f["delivered"]["replications"]):
            tonnes = float(ds.delivered_cargo.isel(replication=i).sel(cargo_flow="f", day=slice(5, 39)).sum())
            assert tonnes == pytest.approx(rate * 1e6 * 35 * 24 / HOURS_PER_YEAR, rel=1e-9)


def test_compare_format_parquet_writes_the_table_long(folders, tmp_path):
    from sim.cli import app

    runner = CliRunner()
    out = tmp_path / "cmp.parquet"
    r = runner.invoke(app, ["compare", str(folders / "parquet"), str(folders / "netcdf"), "--format", "parquet",
                            "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out)
    from sim.report.compare import compare

    rows = compare([folders / "parquet", folders / "netcdf"]).to_dict()["rows"]
    assert len(df) == 2 * len(rows) and list(df["report_path"][:2]) == [str(folders / n / "report.json")
                                                                          for n in ("parquet", "netcdf")]
    assert list(df["value"][::2]) == [row["values"][0] for row in rows]
    assert list(df["value"][1::2]) == [row["values"][1] for row in rows]


def test_comparison_frame_takes_each_reports_element_and_flattens_records():
    data = {"reports": [{"name": "a", "path": "a/report.json"}, {"name": "b", "path": "b/report.json"}],
            "rows": [{"section": "target", "id": "t", "unit": "Mt/yr", "values": [1.0, 2.0], "deltas": [0.0, 1.0],
                      "p_values": [None, 0.01], "intervals": [None, {"ci95": [0.5, 1.5]}],
                      "verdicts": ["reference", "changed"], "notes": ["x"]}]}
    df = comparison_frame(data)
    assert list(df["report"]) == ["a", "b"] and list(df["value"]) == [1.0, 2.0] and list(df["delta"]) == [0.0, 1.0]
    assert df["p_value"].iloc[1] == 0.01 and math.isnan(df["p_value"].iloc[0])
    assert list(df["verdict"]) == ["reference", "changed"] and list(df["section"]) == ["target", "target"]
    assert df["interval_ci95_lo"].iloc[1] == 0.5 and df["interval_ci95_hi"].iloc[1] == 1.5
    assert "notes" not in df and "note" not in df  # a list that is not one per report


def test_write_comparison_is_atomic(tmp_path):
    data = {"reports": [{"name": "a", "path": "p"}], "rows": [{"id": "t", "values": [1.0]}]}
    path = write_comparison(data, tmp_path / "c.parquet")
    assert pd.read_parquet(path)["value"].tolist() == [1.0] and os.listdir(tmp_path) == ["c.parquet"]


# --- repr --------------------------------------------------------------------------------------


def test_repr_is_short_and_says_what_ran(ev):
    doc = as_document(ev.data)
    for obj, kind in ((ev.result, "SimulationResult"), (doc, "ReportDocument"), (ev, "Evaluation")):
        text = repr(obj)
        assert len(text) < 1024 and "\n" not in text, text
        assert text.startswith(f"<{kind} minimal") and f"{REPS} replications, seed 7" in text
        for t in ev.data["targets"]:
            assert f"{t['id']} {t['simulated']['mean']:.3g} {t['unit']} {t['verdict']}" in text
    assert str(doc) == repr(doc)
    assert repr(ev.frames()).startswith("Frames(targets: 2x")


def test_summary_names_at_most_six_targets():
    rows = [(f"target_{i:02d}", 1000.0 * i, "Mt/yr", "at risk") for i in range(40)]
    text = summary("SimulationResult", "x" * 100, 10_000, 2**63 - 1, rows)
    assert len(text) < 1024 and "+34 more" in text and "target_06" not in text and "target_05" in text


def test_an_unknown_data_format_is_refused_before_anything_runs(tmp_path):
    from sim.run import run

    with pytest.raises(CorridorError, match="--format: expected parquet or netcdf"):
        run(MINIMAL, overrides=SHORT, replications=1, out=tmp_path / "o", formats=["csv"])
    assert not (tmp_path / "o").exists()


def test_frames_of_an_old_report_without_months_or_passages():
    data = {"scenario": {"name": "old"}, "run": {"seed": 1, "replications": 2},
            "targets": [{"id": "t", "unit": "Mt/yr", "simulated": {"mean": 1.5, "ci95": [1, 2], "replications": [1, 2]},
                         "met": True}], "flows": [], "links": [], "nodes": [], "fleets": []}
    from sim.report.frames import frames

    f = frames(data)
    assert isinstance(f, Frames) and f.port_months.empty and f.passages.empty and f.flow_replications.empty
    assert f.target_replications["value"].tolist() == [1, 2] and f.targets["met"].tolist() == [True]


def test_a_report_written_before_verdicts_has_them_in_its_frame(ev):
    old = json.loads(json.dumps(ev.data))
    for t in old["targets"]:
        del t["verdict"]
    f = as_document(old).frames()
    assert f.targets["verdict"].tolist() == ["met" if t["met"] else "not met" for t in old["targets"]]
