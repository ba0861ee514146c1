"""The report folder: schema, Markdown equal to JSON, HTML that renders, compare and its noise test."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from sim.report import document as report_module
from sim.report.compare import compare, render
from sim.run import run

SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three short runs of the minimal scenario: two identical, one with two ferries instead of 13."""
    root = tmp_path_factory.mktemp("reports")
    minimal = Path(__file__).parent / "scenarios" / "minimal.yaml"
    a = run(minimal, overrides=SHORT, replications=4, seed=11, out=root / "a")
    b = run(minimal, overrides=SHORT, replications=4, seed=11, out=root / "b")
    c = run(minimal, overrides=SHORT + ["fleets.ferries.vessels=2"], replications=4, seed=11, out=root / "c")
    return a, b, c


def test_report_folder_has_every_file(runs):
    folder = runs[0].folder
    for name in ("report.json", "report.md", "report.html", "scenario.resolved.yaml", "manifest.json",
                 "targets.csv", "links.csv", "flows.csv", "plan.json", "plan.md", "map.png", "targets.png"):
        assert (folder / name).is_file(), name
    assert not list(folder.parent.glob(".a.*")), "no staging folder left behind"


def test_report_json_validates_against_its_schema(runs):
    schema = json.loads((Path(report_module.__file__).parent / "schema.json").read_text())
    for r in runs:
        jsonschema.validate(json.loads((r.folder / "report.json").read_text()), schema)


def test_every_number_in_the_markdown_targets_table_is_the_json_one(runs):
    data = json.loads((runs[0].folder / "report.json").read_text())
    md = (runs[0].folder / "report.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| target")]
    fmt = report_module.fmt
    for t in data["targets"]:
        row = next(r for r in rows if r.startswith(f"| {t['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == fmt(t["target"])
        assert cells[3] == fmt(t["simulated"]["mean"])
        assert cells[4] == f"{fmt(t['simulated']['ci95'][0])} – {fmt(t['simulated']['ci95'][1])}"
        assert cells[5] == fmt(t["simulated"]["p_met"])
        assert cells[6] == fmt(t["optimised"]["max_deliverable"])
        assert cells[8] == ("met" if t["met"] else "NOT met")
    for f in data["flows"]:
        row = next(r for r in rows if r.startswith(f"| {f['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == fmt(f["demand"]) and cells[3] == fmt(f["delivered"]["mean"])


def test_same_scenario_and_seed_give_the_same_figures(runs):
    a, b = (json.loads((r.folder / "report.json").read_text()) for r in runs[:2])
    assert [t["simulated"] for t in a["targets"]] == [t["simulated"] for t in b["targets"]]
    assert a["flows"] == b["flows"]


def test_compare_identical_runs_shows_zero_deltas_and_no_significance(runs):
    c = compare([runs[0].folder, runs[1].folder])
    assert c.input_changes == []
    for row in c.rows:
        assert all(d in (None, 0.0) for d in row.deltas), row
        assert not any(row.significant), row


def test_compare_a_real_change_is_significant_and_its_input_listed(runs):
    c = compare([runs[0].folder, runs[2].folder])
    assert any(ch["path"] == "fleets.ferries.vessels" and ch["to"] == 2 for ch in c.input_changes)
    cargo = next(r for r in c.rows if r.id == "t")
    assert cargo.deltas[1] < 0 and cargo.significant[1] is True
    md = render(c, "md")
    assert "fleets.ferries.vessels" in md and " *" in md


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


def test_report_html_renders_in_a_browser_without_errors(runs, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium on this machine (make test installs it where apt-get can)")
    from playwright.sync_api import sync_playwright

    html = runs[0].folder / "report.html"
    assert not re.search(r"""(src|href)=["']?https?://""", html.read_text()), "the page must not need a network"
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.as_uri())
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        page.screenshot(path=str(runs[0].folder / "report-screenshot.png"), full_page=True)
        browser.close()
    assert errors == []
    assert len(images) >= 3 and all(done and width > 0 for done, width in images)
    assert (runs[0].folder / "report-screenshot.png").stat().st_size > 20_000


def test_rerun_reproduces_every_figure(runs, tmp_path, cli):
    result = cli("rerun", runs[0].folder, "--out", tmp_path / "again")
    assert result.exit_code == 0, result.output
    assert "identical" in result.output


def test_rerun_notices_a_changed_figure(runs, tmp_path, cli):
    tampered = tmp_path / "tampered"
    shutil.copytree(runs[0].folder, tampered)
    data = json.loads((tampered / "report.json").read_text())
    data["targets"][0]["simulated"]["mean"] += 1.0
    (tampered / "report.json").write_text(json.dumps(data))
    result = cli("rerun", tampered, "--out", tmp_path / "again2")
    assert result.exit_code == 1 and "targets[0].simulated.mean" in result.output


def test_bad_input_to_run_writes_nothing(minimal, tmp_path, cli):
    out = tmp_path / "nested" / "report"
    result = cli("run", minimal, "--set", "links.ab.capacity=-3 Mt/yr", "--out", out)
    assert result.exit_code == 2 and "links.ab.capacity" in result.output
    result = cli("run", minimal, "--precision", "150%", "--out", out)
    assert result.exit_code == 2 and "--precision" in result.output
    assert not (tmp_path / "nested").exists()


def test_a_trace_is_streamed_only_when_asked(minimal, tmp_path):
    quiet = run(minimal, overrides=SHORT, replications=1, out=tmp_path / "quiet")
    assert not (quiet.folder / "trace.jsonl").exists()
    traced = run(minimal, overrides=SHORT + ["simulation.trace=true"], replications=1, out=tmp_path / "traced")
    events = [json.loads(line) for line in (traced.folder / "trace.jsonl").read_text().splitlines()]
    arrived = sum(e["t_cargo"] for e in events if e["event"] == "arrived")
    delivered = sum(e["t_cargo"] for e in events if e["event"] == "delivered")
    assert events and 0 < delivered <= arrived
    assert json.loads((traced.folder / "report.json").read_text())["targets"] == \
        json.loads((quiet.folder / "report.json").read_text())["targets"]


def test_compare_tests_flow_deliveries_for_noise_too(runs):
    c = compare([runs[0].folder, runs[2].folder])
    flow = next(r for r in c.rows if r.id == "f delivered")
    assert flow.deltas[1] < 0 and flow.significant[1] is True
    same = compare([runs[0].folder, runs[1].folder])
    assert next(r for r in same.rows if r.id == "f delivered").significant[1] is False
