"""The bundled observations and backtests: every shared row present, every scored item in the
fixed vocabulary naming ids that exist in the scenarios its backtests use; and one end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sim import bundled
from sim.backtest import load_backtest
from sim.backtest.observations import MEASURES, NONE, load_observed
from sim.backtest.spec import check_item
from support import ROOT

SHARED = Path("/work/shared/reference/observed_to_2023.yaml")
BACKTESTS = sorted((ROOT / "backtests").glob("*.yaml"))


def test_bundled_backtests_are_2022_and_2023():
    assert [p.stem for p in BACKTESTS] == ["2022", "2023"]
    assert bundled.folder("backtests") == ROOT / "backtests"


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared reference folder is not beside this checkout")
def test_every_shared_row_is_present_with_its_id_and_wording():
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
    ours = load_observed()
    assert list(ours.rows) == [r["id"] for r in shared]
    for r in shared:
        published = ours.rows[r["id"]].published
        assert published.get("quantity") == r["quantity"]
        for key in ("value", "values"):
            if key in r:
                expected = {str(k): v for k, v in r[key].items()} if isinstance(r[key], dict) else r[key]
                assert published[key] == expected, (r["id"], key)  # the reader keys mappings by text


def test_every_item_uses_the_vocabulary():
    for row in load_observed().rows.values():
        assert row.items, row.id
        for item in row.items:
            assert item.measure in MEASURES or item.measure == NONE
            if item.scored:
                assert item.where and item.window is not None and item.unit in MEASURES[item.measure][1]
                assert (item.value is None) != (item.range is None)
                assert 0 < item.tolerance < 1
            else:
                assert item.note


@pytest.mark.parametrize("path", BACKTESTS, ids=lambda p: p.stem)
def test_backtest_loads_and_its_items_name_ids_of_its_scenario(path):
    bt = load_backtest(path)
    assert bt.year == int(path.stem) == bt.scenario.year
    assert bt.items
    for item in bt.items:
        assert check_item(item, bt.scenario, bt.year) == []
    for change in bt.changes:
        assert change.source and (change.source != "assumption" or change.note)


def test_2022_does_not_set_demand_from_the_observation():
    bt = load_backtest(ROOT / "backtests" / "2022.yaml")
    total = sum(bt.scenario.flows[f].rate.value for f in ("china_transit", "kz_export_europe", "kz_export_turkiye"))
    assert total != pytest.approx(1.485, rel=0.02)
    assert not any(c.source.startswith("obs:") for c in bt.changes if "rate" in c.set)


@pytest.mark.timeout(60)
def test_end_to_end_2023(cli, tmp_path):
    out = tmp_path / "bt"
    r = cli("backtest", ROOT / "backtests" / "2023.yaml", "-r", "2", "--out", out)
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "backtest.json").read_text())
    by_ref = {i["ref"]: i for i in doc["items"]}
    titr = by_ref["obs:o_titr_volume.2023"]
    assert titr["status"] == "scored" and len(titr["model"]["replications"]) == 2
    trucks = by_ref["obs:o_baku_port_2023.trucks"]  # the Ro-Ro fleet lands them
    assert trucks["status"] == "scored" and trucks["model"]["mean"] > 0
    kuryk = by_ref["obs:o_kuryk_jan_oct_2023.cargo"]
    assert kuryk["basis"] == "the model's months 1-10 of the measured year"  # spin-up, no warm-up: whole months
    assert (out / "backtest.png").read_bytes()[:4] == b"\x89PNG"
