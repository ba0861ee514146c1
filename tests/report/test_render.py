"""The report folder: every file there, Markdown and CSV equal to the JSON, HTML that renders, and
the terminal summary."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
from rich.console import Console

from sim.report.document import as_document
from sim.report.render import fmt, html_report, markdown, percent, summary_table
from support import browser_page


def test_report_folder_has_every_file(runs):
    folder = runs[0].folder
    for name in ("report.json", "report.md", "report.html", "scenario.resolved.yaml", "manifest.json",
                 "targets.csv", "links.csv", "flows.csv", "passages.csv", "plan.json", "plan.md", "map.png",
                 "targets.png"):
        assert (folder / name).is_file(), name
    assert not list(folder.parent.glob(".a.*")), "no staging folder left behind"


def test_every_number_in_the_markdown_tables_is_the_json_one(runs):
    data = json.loads((runs[0].folder / "report.json").read_text())
    md = (runs[0].folder / "report.md").read_text()
    assert md == markdown(as_document(data))
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| target")]
    for t in data["targets"]:
        row = next(r for r in rows if r.startswith(f"| {t['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == fmt(t["target"]) and cells[3] == percent(t["tolerance"])
        assert cells[5] == fmt(t["simulated"]["mean"])
        assert cells[6] == f"{fmt(t['simulated']['ci95'][0])} – {fmt(t['simulated']['ci95'][1])}"
        assert cells[7] == percent(t["simulated"]["p_met"]) and cells[9] == percent(t["probability"])
        assert cells[10] == fmt(t["optimised"]["max_deliverable"])
        assert cells[12] == {"met": "met", "at risk": "at risk", "not met": "NOT met"}[t["verdict"]]
    for f in data["flows"]:
        row = next(r for r in rows if r.startswith(f"| {f['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == fmt(f["demand"]) and cells[3] == fmt(f["delivered"]["mean"])
    for link in data["links"]:
        row = next(r for r in rows if r.startswith(f"| {link['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == f"{fmt(link['nameplate'])} {link['unit']}" and cells[4] == fmt(link["utilisation"])



def test_the_passages_table_and_csv_are_the_json_rows(runs):
    data = json.loads((runs[0].folder / "report.json").read_text())
    passages = data["passages"]
    assert passages and [(p["from"], p["to"]) for p in passages] == sorted((p["from"], p["to"]) for p in passages)
    md = (runs[0].folder / "report.md").read_text()
    table = md.split("## Passages", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| from")]
    assert len(rows) == len(passages)
    for row, p in zip(rows, passages):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells == [p["from"], p["to"], fmt(p["days"]["mean"]), fmt(p["days"]["p50"]),
                         fmt(p["days"]["p95"]), fmt(p["n"])]
    with (runs[0].folder / "passages.csv").open() as fh:
        got = list(csv.DictReader(fh))
    assert [(r["from"], r["to"], float(r["days.mean"]), float(r["days.p95"]), float(r["n"])) for r in got] == \
        [(p["from"], p["to"], p["days"]["mean"], p["days"]["p95"], p["n"]) for p in passages]


def test_fmt_prints_three_significant_digits_and_a_dash_for_nothing():
    assert fmt(None) == "—"
    assert fmt(2.84567) == "2.85"
    assert fmt(0.000123456) == "0.000123"
    assert fmt(12_345_678.9) == "1.235e+07"
    assert fmt(3) == "3"


def test_the_csv_tables_are_the_json_rows(runs):
    data = runs[0].data
    with (runs[0].folder / "targets.csv").open() as fh:
        targets = list(csv.DictReader(fh))
    assert [r["id"] for r in targets] == [t["id"] for t in data["targets"]]
    for row, t in zip(targets, data["targets"]):
        assert float(row["simulated.mean"]) == t["simulated"]["mean"]
        assert (float(row["simulated.ci95.lo"]), float(row["simulated.ci95.hi"])) == tuple(t["simulated"]["ci95"])
        assert row["optimised.binding"] == ";".join(t["optimised"]["binding"])
        assert "simulated.replications" not in row
    with (runs[0].folder / "links.csv").open() as fh:
        links = list(csv.DictReader(fh))
    assert [(r["id"], r["from"], r["to"]) for r in links] == [(l["id"], l["from"], l["to"]) for l in data["links"]]


def test_the_html_page_shows_every_verdict_and_needs_no_network(runs):
    doc = as_document(runs[0].data)
    page = (runs[0].folder / "report.html").read_text()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""src=["']?https?://|<link\b""", page), "the page must not need a network"
    for t in doc.targets:
        assert f"<td>{t.id}</td>" in page
        assert {"met": "met", "at risk": "at risk", "not met": "NOT met"}[t.judged] in page
    assert page.count("<img ") == len(list(runs[0].folder.glob("*.png")))
    assert "<img" not in html_report(doc, {}), "no pictures given, none shown"


def test_the_terminal_summary_has_a_row_per_target(runs):
    table = summary_table(runs[0].data)
    assert table.row_count == len(runs[0].data["targets"])
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    for t in runs[0].data["targets"]:
        assert t["id"] in text and fmt(t["simulated"]["mean"]) in text


def test_report_html_renders_in_a_browser_without_errors(runs, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium on this machine (make test installs it where apt-get can)")
    html = runs[0].folder / "report.html"
    with browser_page(chromium, html.as_uri()) as (page, errors):
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        page.screenshot(path=str(tmp_path / "report-screenshot.png"), full_page=True)
        page.locator("img[alt*='Natural Earth']").screenshot(path=str(tmp_path / "map-screenshot.png"))
    assert errors == []
    assert len(images) >= 3 and all(done and width > 0 for done, width in images)
    assert (tmp_path / "report-screenshot.png").stat().st_size > 20_000
    _assert_map_is_not_blank(tmp_path / "map-screenshot.png")


def _assert_map_is_not_blank(shot):
    """The map as the browser shows it: mostly not page-white, in many colours (land, sea, links)."""
    import matplotlib.image
    import numpy as np

    pixels = (matplotlib.image.imread(shot)[:, :, :3] * 255).round().astype(int)
    h, w, _ = pixels.shape
    assert h > 300 and w > 600
    inside = pixels[h // 4: h * 7 // 10, w // 5: w * 3 // 4]  # well inside the main map's frame
    colours = np.unique(inside.reshape(-1, 3), axis=0)
    white = (inside >= 250).all(axis=2).mean()
    assert len(colours) > 100, f"{len(colours)} colours: the map looks blank"
    assert white < 0.1, f"{white:.0%} of the map is page-white"


def test_the_report_says_how_its_year_began(runs):
    """A run without a spin-up starts empty on 1 January; one with says how long it ran before
    (the field is optional: a report written before it existed reads as no spin-up)."""
    data = json.loads((runs[0].folder / "report.json").read_text())
    assert data["run"]["spinup_days"] == 0 and data["run"]["warmup_days"] == 10
    assert "(starts empty on 1 January, warm-up 10 d)" in markdown(as_document(data))
    data["run"] |= {"spinup_days": 60.0, "warmup_days": 0.0}
    spun = "spin-up 60 d before 1 January (previous year's demand where given), warm-up 0 d"
    assert spun in markdown(as_document(data))
    assert spun.replace("'", "&#x27;") in html_report(as_document(data), {})
    del data["run"]["spinup_days"]
    assert as_document(data).run.spinup_days == 0
