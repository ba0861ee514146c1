"""`corridor compare`: inputs that changed, deltas, and the noise test (paired on common seeds)."""

from __future__ import annotations

import json
import shutil

import pytest

from sim.errors import CorridorError
from sim.report.compare import compare, load_report, p_value, render


def test_compare_identical_runs_shows_zero_deltas_and_no_significance(runs):
    c = compare([runs[0].folder, runs[1].folder])
    assert c.input_changes == []
    for row in c.rows:
        assert all(d in (None, 0.0) for d in row.deltas), row
        assert not any(row.significant), row


def test_compare_a_real_change_is_significant_and_its_input_listed(runs):
    c = compare([runs[0].folder, runs[2].folder])
    change = next(ch for ch in c.input_changes if ch.path == "fleets.ferries.vessels")
    assert (change.before, change.after) == (13, 2)
    assert str(change) == "minimal: fleets.ferries.vessels: 13 → 2"
    cargo = next(r for r in c.rows if r.id == "t")
    assert cargo.deltas[1] < 0 and cargo.significant[1] is True
    assert cargo.relative[1] == pytest.approx(cargo.deltas[1] / cargo.values[0])
    md = render(c, "md")
    assert "fleets.ferries.vessels" in md and " *" in md


def test_compare_tests_flow_deliveries_for_noise_too(runs):
    c = compare([runs[0].folder, runs[2].folder])
    flow = next(r for r in c.rows if r.id == "f delivered")
    assert flow.deltas[1] < 0 and flow.significant[1] is True
    same = compare([runs[0].folder, runs[1].folder])
    assert next(r for r in same.rows if r.id == "f delivered").significant[1] is False


def test_the_noise_test_is_paired_when_seeds_match():
    a = [1.0, 2.0, 3.0, 4.0]
    shifted = [x + 0.1 for x in a]
    # a constant shift is certain under pairing, invisible to Welch's test at this spread
    assert p_value(a, shifted, paired=True) == 0.0
    assert p_value(a, shifted, paired=False) > 0.5
    assert p_value(a, a, paired=True) == 1.0
    assert p_value([1.0], [2.0], paired=False) is None


def test_compare_json_is_the_comparison(runs):
    c = compare([runs[0].folder, runs[2].folder])
    data = json.loads(render(c, "json"))
    assert [r["name"] for r in data["reports"]] == ["minimal", "minimal"]
    assert {"report": "minimal", "path": "fleets.ferries.vessels", "from": 13, "to": 2} in data["input_changes"]
    assert [r["id"] for r in data["rows"]] == [r.id for r in c.rows]


def test_load_report_refuses_a_report_with_a_bad_field(runs, tmp_path):
    bad = tmp_path / "bad.json"
    data = json.loads((runs[0].folder / "report.json").read_text())
    data["targets"][0]["met"] = "perhaps"
    bad.write_text(json.dumps(data))
    with pytest.raises(CorridorError, match=r"targets\.0\.met"):
        load_report(bad)
    assert load_report(runs[0].folder).doc.scenario.name == "minimal"


def test_compare_refuses_corrupted_and_foreign_reports(runs, tmp_path, cli):
    bad = tmp_path / "bad"
    shutil.copytree(runs[0].folder, bad)
    text = (bad / "report.json").read_text()
    (bad / "report.json").write_text(text[: len(text) // 2])
    result = cli("compare", runs[0].folder, bad)
    assert result.exit_code == 2 and "corrupted or truncated" in result.output and "report.json" in result.output
    old = tmp_path / "old"
    shutil.copytree(runs[0].folder, old)
    data = json.loads((old / "report.json").read_text())
    data["schema_version"] = "0.3"
    (old / "report.json").write_text(json.dumps(data))
    result = cli("compare", runs[0].folder, old)
    assert result.exit_code == 2 and "schema 0.3" in result.output


def test_compare_writes_md_json_html(runs, tmp_path, cli):
    for fmt_ in ("md", "json", "html"):
        out = tmp_path / f"cmp.{fmt_}"
        result = cli("compare", runs[0].folder, runs[2].folder, "--format", fmt_, "--out", out)
        assert result.exit_code == 0, result.output
        text = out.read_text()
        assert "fleets.ferries.vessels" in text
    page = (tmp_path / "cmp.html").read_text()
    rows = compare([runs[0].folder, runs[2].folder]).rows
    assert page.startswith("<!doctype html>") and page.count("<tr>") == len(rows) + 1
