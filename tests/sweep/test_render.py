"""What a sweep found: crossings against hand-computed interpolations, frontiers against a table
built by hand, and the documents (sweep.md to HTML, find.json and find.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.sweep.designs import parse_vary
from sim.sweep.plan import plan_sweep
from sim.sweep.render import crossing, crossings, curve, frontier, to_html, write_threshold
from sim.sweep.threshold import End, Probe, Threshold

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


def test_crossing_interpolates_between_neighbours_or_takes_the_first_whole_number():
    xs, ps = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.2, 0.5, 0.7, 1.0])
    assert crossing(xs, ps, 0.6, integer=False) == (pytest.approx(2.5), 2)
    assert crossing(xs, ps, 0.6, integer=True) == (3.0, 2)
    assert crossing(xs, ps[::-1].copy(), 0.6, integer=True) == (2.0, 1)  # falling: the meeting side is lower
    assert crossing(xs, ps, 0.1, integer=False) is None


def _grid():
    plan = plan_sweep(MINIMAL, [parse_vary("fleets.ferries.vessels=1..3"), parse_vary("links.gd.capacity=1 GW, 2 GW")])
    rows = [{"point": i, "id": p.id, "status": "ok", "fleets.ferries.vessels": v, "links.gd.capacity": g,
             "t.p_met": min(v * g / 4, 1.0), "t.mean": v * g}
            for i, (p, (v, g)) in enumerate(zip(plan.points, [(v, g) for v in (1, 2, 3) for g in (1.0, 2.0)]))]
    return plan, pd.DataFrame(rows)


def test_curve_averages_over_the_other_parameters():
    plan, df = _grid()
    c = curve(df, plan.design.params[0], "t.p_met", grid=True)
    assert list(c["x"]) == [1.0, 2.0, 3.0]
    assert list(c["y"]) == pytest.approx([(0.25 + 0.5) / 2, (0.5 + 1.0) / 2, (0.75 + 1.0) / 2])


def test_crossings_say_where_the_level_is_met():
    plan, df = _grid()
    plan.targets = {"t": "1 Mt/yr"}
    found = {c.path: c for c in crossings(df, plan, 0.7)}
    vessels = found["fleets.ferries.vessels"]
    assert vessels.value == 2 and vessels.below == (1.0, 0.375) and vessels.above == (2.0, 0.75)
    assert "P(met) >= 70% for fleets.ferries.vessels at least 2" in vessels.text


def test_frontier_is_the_least_value_that_meets_for_each_other_value():
    plan, df = _grid()
    plan.targets = {"t": "1 Mt/yr"}
    table = frontier(df, plan, 0.7)["t"]
    assert list(table.columns) == ["links.gd.capacity", "least fleets.ferries.vessels", "P(met) there"]
    assert table.to_dict("list") == {"links.gd.capacity": [1.0, 2.0], "least fleets.ferries.vessels": [3.0, 2.0],
                                     "P(met) there": [0.75, 1.0]}


def test_html_keeps_tables_headings_lists_and_inline_pictures():
    md = "# Sweep of x\n\nDesign **grid**, `a`\n\n- one\n\n| a | b |\n|---|---|\n| 1 | <2> |\n\n![p.png](p.png)\n"
    page = to_html(md, {"p.png": b"\x89PNG"}, "x & y")
    assert "<title>x &amp; y</title>" in page and "<h1>Sweep of x</h1>" in page
    assert "<b>grid</b>, <code>a</code>" in page and "<li>one</li>" in page
    assert "<tr><th>a</th><th>b</th></tr><tr><td>1</td><td>&lt;2&gt;</td></tr>" in page
    assert 'src="data:image/png;base64,iVBORw=="' in page


def test_find_files_hold_the_probes_in_value_order(tmp_path):
    hi = Probe(17.0, "17", [True] * 48, [1.0] * 48)
    lo = Probe(16.0, "16", [False] * 6, [0.0] * 6)
    ends = End(lo, False, lo.sure(0.9)), End(hi, True, hi.sure(0.9))
    write_threshold(Threshold(tmp_path, "v", "t", 0.9, "", "found", *ends, 16.5, [hi, lo], "t is met from 17",
                              54, 800, 1.0))
    doc = json.loads((tmp_path / "find.json").read_text())
    assert doc["bracket"]["hi"]["value"] == 17.0 and [p["text"] for p in doc["probes"]] == ["16", "17"]
    assert doc["bracket"]["lo"]["side"] == "below" and doc["crossing"] == 16.5
    md = (tmp_path / "find.md").read_text()
    assert md.startswith("# Threshold of t against v\n\nt is met from 17\n") and "| 17 | 48 | 48 | 100% |" in md
