"""`corridor backtest` on the small test scenario: exit codes, the folder, and bad input (exit 2,
nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from support import MINIMAL, snapshot

FAST = [{"set": "simulation.horizon=40 d", "source": "assumption", "note": "a short run for tests"},
        {"set": "simulation.warmup=5 d", "source": "assumption", "note": "a short run for tests"}]


def observed(tmp_path: Path, value: float = 2.8, **item: object) -> Path:
    it = {"id": "total", "measure": "flow_delivered", "where": ["f"], "window": 2023, "value": value,
          "unit": "Mt", "tolerance": "10%", "source": "test"}
    it.update(item)
    rows = {"observations": [
        {"id": "o_total", "published": {"value": value}, "items": [it]},
        {"id": "o_trucks", "items": [{"id": "b", "measure": "port_trucks", "where": ["b"], "window": 2023,
                                      "value": 1000, "unit": "trucks", "tolerance": "10%"}]},
        {"id": "o_story", "items": [{"id": "waits", "measure": "none", "note": "anecdotal"}]},
    ]}
    path = tmp_path / "observed.yaml"
    path.write_text(yaml.safe_dump(rows, sort_keys=False))
    return path


def backtest_file(tmp_path: Path, score: list[str] | None = None, **over: object) -> Path:
    data = {"name": "bt-test", "year": 2023, "scenario": str(MINIMAL), "observed": "observed.yaml",
            "changes": FAST, "replications": 2, "seed": 1,
            "score": score or ["obs:o_total", "obs:o_trucks", "obs:o_story"]}
    data.update(over)
    path = tmp_path / "bt.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_pass_exits_0_and_writes_the_folder(cli, tmp_path):
    observed(tmp_path, value=1.85)  # the minimal scenario's ferry carries ~1.85 Mt/yr of its 2.8
    out = tmp_path / "out"
    r = cli("backtest", backtest_file(tmp_path), "--out", out, "--fail-on-miss")
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} == {"backtest.json", "backtest.md", "backtest.png", "manifest.json",
                                               "scenario.resolved.yaml"}
    doc = json.loads((out / "backtest.json").read_text())
    by_ref = {i["ref"]: i for i in doc["items"]}
    assert by_ref["obs:o_total.total"]["pass"] is True
    assert by_ref["obs:o_trucks.b"]["status"] == "not measured" and by_ref["obs:o_trucks.b"]["pass"] is None
    assert by_ref["obs:o_story.waits"]["status"] == "not scored"
    assert doc["summary"] == {"items": 3, "scored": 1, "passed": 1, "missed": 0, "covered": doc["summary"]["covered"],
                              "not_measured": 1, "not_scored": 1}
    assert "corridor" in json.loads((out / "manifest.json").read_text())
    assert "not measured" in r.output
    # written by corridor: a second run may replace it
    assert cli("backtest", backtest_file(tmp_path), "--out", out).exit_code == 0


def test_miss_exits_4_only_with_fail_on_miss(cli, tmp_path):
    observed(tmp_path, value=10.0)
    bt = backtest_file(tmp_path)
    assert cli("backtest", bt, "--out", tmp_path / "a").exit_code == 0
    r = cli("backtest", bt, "--out", tmp_path / "b", "--fail-on-miss")
    assert r.exit_code == 4
    assert (tmp_path / "b" / "backtest.json").is_file()  # the report is written all the same


def test_json_format(cli, tmp_path):
    observed(tmp_path)
    r = cli("backtest", backtest_file(tmp_path), "--out", tmp_path / "o", "--format", "json", "-r", "2", "--seed", "5")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)  # progress lines go to stderr
    assert doc["run"] == {"seed": 5, "replications": 2, "horizon_days": 40.0, "warmup_days": 5.0}


@pytest.mark.parametrize(("make", "message"), [
    (lambda t: (observed(t), backtest_file(t, score=["obs:o_nowhere"])), "unknown observation 'obs:o_nowhere'"),
    (lambda t: (observed(t), backtest_file(t, score=["obs:o_total.nope"])), "unknown observation"),
    (lambda t: (observed(t, measure="port_cranes"), backtest_file(t)), "unknown measure 'port_cranes'"),
    (lambda t: (observed(t, where=["no_such_flow"]), backtest_file(t)), "no flow 'no_such_flow'"),
    (lambda t: (observed(t, window=2022), backtest_file(t)), "not in the backtest's year 2023"),
    (lambda t: (observed(t, window="2023-11..2024-02"), backtest_file(t)), "window"),
    (lambda t: (observed(t, unit="bbl"), backtest_file(t)), "flow_delivered is given in"),
    (lambda t: (observed(t), backtest_file(t, changes=[{"set": "year=2023"}])), "needs its source"),
    (lambda t: (observed(t), backtest_file(t, changes=[{"set": "year=2023", "source": "assumption"}])),
     "needs a note"),
    (lambda t: (observed(t), backtest_file(t, changes=[{"set": "year=2023", "source": "s9_999"}])),
     "no reference row"),
    (lambda t: (observed(t), backtest_file(t, scenario="no-such-scenario")), "no scenario file"),
    (lambda t: (observed(t), backtest_file(t, extra_key=1)), "unknown key"),
    (lambda t: (observed(t), backtest_file(t, changes=[{"set": "links.ab.capacity=-3 trains/d",
                                                        "source": "assumption", "note": "bad"}])), "capacity"),
])
def test_bad_input_exits_2_and_writes_nothing(cli, tmp_path, make, message):
    make(tmp_path)
    before = snapshot(tmp_path)
    r = cli("backtest", tmp_path / "bt.yaml", "--out", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert snapshot(tmp_path) == before


def test_bad_input_names_file_and_line(cli, tmp_path):
    observed(tmp_path, measure="port_cranes")
    backtest_file(tmp_path)
    r = cli("backtest", tmp_path / "bt.yaml", "--out", tmp_path / "out")
    assert r.exit_code == 2
    assert "observed.yaml:" in r.output and "observations[0].items[0].measure" in r.output


def test_malformed_file_exits_2(cli, tmp_path):
    (tmp_path / "bt.yaml").write_text("name: [unclosed\n")
    r = cli("backtest", tmp_path / "bt.yaml", "--out", tmp_path / "out")
    assert r.exit_code == 2 and "malformed YAML" in r.output
    assert not (tmp_path / "out").exists()
