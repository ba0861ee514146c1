"""`corridor compare`: every figure lined up, tested against scipy's own tests on fixed data,
Holm-corrected by hand, Newcombe's interval on the published cases, "no change" for identical
runs, rows aligned when ids differ, and reports written before per-replication values."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from sim.errors import CorridorError
from sim.report.compare import (CHANGED, NO_CHANGE, NOISE, NOT_TESTED, Comparison, Row, align, compare, load_report,
                                render)
from sim.report.significance import WILCOXON_MIN_PAIRS, holm, newcombe, paired_test, proportion_test, welch_test


def edited(src: Path, dest: Path, report: Callable[[dict[str, Any]], None] | None = None,
           resolved: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A copy of report folder `src` at `dest`, report.json and scenario.resolved.yaml edited in place."""
    shutil.copytree(src, dest)
    if report is not None:
        data = json.loads((dest / "report.json").read_text())
        report(data)
        (dest / "report.json").write_text(json.dumps(data))
    if resolved is not None:
        spec = yaml.safe_load((dest / "scenario.resolved.yaml").read_text())
        resolved(spec)
        (dest / "scenario.resolved.yaml").write_text(yaml.safe_dump(spec))
    return dest


def row(c: Comparison, label: str) -> Row:
    return next(r for r in c.rows if r.label == label)


def mean(values: list[float | None]) -> float:
    """The mean of a per-replication list (replications that measured the figure)."""
    return float(np.mean([v for v in values if v is not None]))


def with_values(target: list[float], transit_p95: list[float], seed: int = 11) -> Callable[[dict[str, Any]], None]:
    """An edit giving target t and flow f's transit days p95 these per-replication values."""
    def edit(data: dict[str, Any]) -> None:
        data["run"]["seed"], data["run"]["replications"] = seed, len(target)
        t = next(t for t in data["targets"] if t["id"] == "t")
        t["simulated"]["replications"], t["simulated"]["mean"] = target, float(np.mean(target))
        f = next(f for f in data["flows"] if f["id"] == "f")
        f["transit_days"]["p95"] = float(np.mean(transit_p95))
        data["per_replication"]["flows"]["f"]["transit_days.p95"] = transit_p95
    return edit


A10 = [1.80, 1.85, 1.90, 1.83, 1.88, 1.79, 1.86, 1.91, 1.84, 1.87]
B10 = [1.70, 1.80, 1.86, 1.70, 1.85, 1.75, 1.80, 1.88, 1.70, 1.85]  # differences roughly normal
P95_A = [30.0, 31.5, 29.0, 33.0, 30.5, 32.0, 31.0, 29.5, 30.0, 32.5]
P95_B = [30.0, 31.5, 29.0, 33.0, 30.5, 32.0, 31.0, 29.5, 30.0, 40.5]  # one replication moved: far from normal


def test_identical_reports_say_no_change_everywhere(runs):
    c = compare([runs[0].folder, runs[1].folder])
    assert c.input_changes == [] and c.only_in == [] and c.tested == 0
    assert {r.verdicts[1] for r in c.rows} == {NO_CHANGE}
    assert {r.section for r in c.rows} >= {"target", "flow", "port", "node", "link", "fleet", "passage", "plan"}
    md = render(c, "md")
    assert "(noise)" not in md and "within noise" not in md
    assert "0 changed significantly" in c.summary and f"{len(c.rows)} show no change" in c.summary


def test_a_real_change_is_changed_in_every_section_it_touches(runs):
    c = compare([runs[0].folder, runs[2].folder])  # 13 ferries, then 2: same seed and replications
    change = next(ch for ch in c.input_changes if ch.path == "fleets.ferries.vessels")
    assert (change.before, change.after) == (13, 2) and str(change) == "B (minimal): fleets.ferries.vessels: 13 → 2"
    assert c.reports[1].pairing.startswith("paired")
    for label in ("target t: simulated", "flow f: delivered", "flow f: transit days p95", "port b: vessel calls",
                  "fleet ferries: utilisation", "link bc: utilisation"):
        r = row(c, label)
        assert r.verdicts[1] == CHANGED and r.p_holm[1] is not None and r.p_holm[1] < 0.05, r
    t = row(c, "target t: simulated")
    delta, before = t.deltas[1], t.values[0]
    assert delta is not None and before is not None
    assert delta < 0 and t.relative[1] == pytest.approx(delta / before)
    assert row(c, "target t: optimiser bound").verdicts[1] == CHANGED  # no noise: changed without a test
    assert row(c, "target pt: simulated").verdicts[1] == NO_CHANGE  # the power cable shares no ferry
    changed = sum(r.verdicts[1] == CHANGED and r.p_values[1] is not None for r in c.rows)
    assert c.summary.startswith("B (minimal) against A (minimal), 1 input changed")
    assert f"{changed} changed significantly after Holm's correction over {c.tested} tests" in c.summary
    assert "Biggest changes: " in c.summary


def test_the_paired_p_values_are_scipys(runs, tmp_path):
    a = edited(runs[0].folder, tmp_path / "a", with_values(A10, P95_A))
    b = edited(runs[0].folder, tmp_path / "b", with_values(B10, P95_B))
    c = compare([a, b])
    t = row(c, "target t: simulated")
    assert t.tests[1] == "paired t"
    assert t.p_values[1] == pytest.approx(stats.ttest_rel(B10, A10).pvalue, rel=1e-12)
    # below WILCOXON_MIN_PAIRS the t-test stands even for differences Shapiro-Wilk rejects
    d = np.subtract(P95_B, P95_A)
    assert stats.shapiro(d).pvalue < 0.05 and len(d) < WILCOXON_MIN_PAIRS
    p95 = row(c, "flow f: transit days p95")
    assert p95.tests[1] == "paired t" and p95.p_values[1] == pytest.approx(stats.ttest_rel(P95_B, P95_A).pvalue)


def test_wilcoxon_takes_over_when_many_differences_are_far_from_normal(runs, tmp_path):
    rng = np.random.default_rng(3)
    a = list(np.round(rng.normal(30, 1, 20), 3))
    b = [x + (8.0 if i % 5 == 0 else 0.01 * i) for i, x in enumerate(a)]
    d = np.subtract(b, a)
    assert stats.shapiro(d).pvalue < 0.05 and len(d) >= WILCOXON_MIN_PAIRS
    left = edited(runs[0].folder, tmp_path / "a", with_values(a, a))
    right = edited(runs[0].folder, tmp_path / "b", with_values(a, b))
    p95 = row(compare([left, right]), "flow f: transit days p95")
    assert p95.tests[1] == "Wilcoxon signed-rank" and p95.p_values[1] == pytest.approx(stats.wilcoxon(d).pvalue)


def test_seeds_that_differ_get_welchs_test(runs, tmp_path):
    a = edited(runs[0].folder, tmp_path / "a", with_values(A10, P95_A))
    b = edited(runs[0].folder, tmp_path / "b", with_values(B10, P95_B, seed=12))
    c = compare([a, b])
    assert c.reports[1].pairing.startswith("Welch") and "seeds or replications differ" in c.summary
    t = row(c, "target t: simulated")
    assert t.tests[1] == "Welch t"
    assert t.p_values[1] == pytest.approx(stats.ttest_ind(B10, A10, equal_var=False).pvalue, rel=1e-12)


def test_holm_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04: x4 = 0.02, x3 = 0.03, x2 = 0.06, x1 = 0.04 -> kept at 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0] and holm([]) == []


def test_every_p_value_of_a_comparison_is_holm_adjusted_together(runs, tmp_path):
    a = edited(runs[0].folder, tmp_path / "a", with_values(A10, P95_A))
    b = edited(runs[0].folder, tmp_path / "b", with_values(B10, P95_B))
    c = compare([a, b, runs[2].folder])  # B paired with A, C (4 replications) by Welch
    raw = [(r, i, p) for r in c.rows for i, p in enumerate(r.p_values) if p is not None]
    ps = sorted(p for _, _, p in raw)
    m = len(ps)
    for r, i, p in raw:  # the definition: the largest (m - j) p_(j) over the p_(j) <= p, at most 1
        hand = max(min(1.0, (m - j) * q) for j, q in enumerate(ps) if q <= p)
        assert r.p_holm[i] == pytest.approx(hand), r.label
        assert (r.verdicts[i] == CHANGED) == (hand < 0.05)


@pytest.mark.parametrize("a, b, interval", [
    ((48, 80), (56, 70), (0.0524, 0.3339)),  # Newcombe 1998, table II, method 10: 56/70 - 48/80
    ((3, 10), (9, 10), (0.1705, 0.8090)),  # 9/10 - 3/10
    ((0, 29), (5, 56), (-0.0381, 0.1926)),  # 5/56 - 0/29
    ((0, 20), (0, 10), (-0.1611, 0.2775)),  # 0/10 - 0/20
    ((0, 10), (10, 10), (0.6075, 1.0)),  # 10/10 - 0/10
])
def test_newcombes_interval_matches_the_paper(a, b, interval):
    assert newcombe(*a, *b) == pytest.approx(interval, abs=6e-5)


def test_the_p_value_of_pmet_is_where_newcombes_interval_reaches_zero():
    t = proportion_test(48, 80, 56, 70)
    assert t.interval == pytest.approx((0.0524, 0.3339), abs=6e-5) and t.p < 0.05
    assert newcombe(48, 80, 56, 70, level=1 - t.p)[0] == pytest.approx(0.0, abs=1e-9)
    wide = proportion_test(0, 29, 5, 56)
    assert wide.p > 0.05 and wide.interval is not None and wide.interval[0] < 0 < wide.interval[1]
    assert proportion_test(3, 10, 3, 10).p == 1.0


def test_pmet_is_tested_with_newcombe(runs, tmp_path):
    def met(k: int) -> Callable[[dict[str, Any]], None]:
        def edit(data: dict[str, Any]) -> None:
            t = next(t for t in data["targets"] if t["id"] == "t")
            t["simulated"]["p_met"] = k / len(t["simulated"]["replications"])
        return edit

    c = compare([edited(runs[0].folder, tmp_path / "a", met(0)), edited(runs[0].folder, tmp_path / "b", met(4))])
    r = row(c, "target t: P(met)")
    assert r.tests[1] == "Newcombe" and r.intervals[1] == {"ci95": pytest.approx(list(newcombe(0, 4, 4, 4)))}
    assert r.p_values[1] == pytest.approx(proportion_test(0, 4, 4, 4).p)


def test_the_noise_tests_on_their_own():
    a = [1.0, 2.0, 3.0, 4.0]
    shifted = [x + 0.1 for x in a]
    # a constant shift is certain under pairing, invisible to Welch's test at this spread
    assert paired_test(a, shifted).p == 0.0  # type: ignore[union-attr]
    assert welch_test(a, shifted).p > 0.5  # type: ignore[union-attr]
    assert paired_test(a, a).p == 1.0  # type: ignore[union-attr]
    assert welch_test([1.0], [2.0]) is None and paired_test([1.0], [2.0]) is None


def test_rows_line_up_by_flow_when_target_and_flow_ids_differ(runs, tmp_path):
    def rename_report(data: dict[str, Any]) -> None:
        next(t for t in data["targets"] if t["id"] == "t")["id"] = "cargo_goal"
        data["targets"] = [t for t in data["targets"] if t["id"] != "pt"]
        next(f for f in data["flows"] if f["id"] == "f")["id"] = "grain"
        data["per_replication"]["flows"]["grain"] = data["per_replication"]["flows"].pop("f")

    def rename_resolved(spec: dict[str, Any]) -> None:
        spec["targets"]["cargo_goal"] = spec["targets"].pop("t") | {"flows": ["grain"]}
        del spec["targets"]["pt"]
        spec["flows"]["grain"] = spec["flows"].pop("f")

    b = edited(runs[0].folder, tmp_path / "b", rename_report, rename_resolved)
    c = compare([runs[0].folder, b])
    assert row(c, "target t = cargo_goal: simulated").verdicts[1] == NO_CHANGE
    assert row(c, "flow f = grain: transit days p95").verdicts[1] == NO_CHANGE
    assert [str(u) for u in c.only_in] == ["target pt: only in A"]
    assert not any(r.id == "pt" for r in c.rows)
    assert "target pt: only in A" in render(c, "md")


def test_align_prefers_the_first_key_that_matches_one_to_one():
    a = [("x", 1), ("y", 2)]
    b = [("z", 2), ("x", 9), ("w", 5)]
    groups = align([a, b], [lambda i, r: r[0], lambda i, r: r[1]])
    assert groups == [[("x", 1), ("x", 9)], [("y", 2), ("z", 2)], [None, ("w", 5)]]


def test_a_report_without_per_replication_values_still_compares(runs, tmp_path):
    old = edited(runs[2].folder, tmp_path / "old", lambda data: data.pop("per_replication"))
    c = compare([runs[0].folder, old])
    assert row(c, "flow f: transit days p95").verdicts[1] == NOT_TESTED
    assert row(c, "port b: vessel calls").verdicts[1] == NOT_TESTED
    assert row(c, "target t: simulated").verdicts[1] == CHANGED  # targets always kept their replications
    assert row(c, "target pt: simulated").verdicts[1] == NO_CHANGE
    assert "no per-replication values: not tested" in render(c, "md")
    assert "were not tested" in c.summary


def test_per_replication_values_average_to_the_reports_figures(runs):
    doc = load_report(runs[2].folder).doc
    per = doc.per_replication
    assert per is not None
    n = doc.run.replications
    for node in doc.nodes:
        for stat, values in per.nodes.get(node.id, {}).items():
            assert len(values) == n
            assert node.model_extra is not None and mean(values) == pytest.approx(node.model_extra[stat])
    for link in doc.links:
        if "utilisation" in per.links.get(link.id, {}):
            assert mean(per.links[link.id]["utilisation"]) == pytest.approx(link.utilisation)
    f = next(f for f in doc.flows if f.id == "f")
    assert f.transit_days is not None
    for k in ("mean", "p50", "p95"):
        assert mean(per.flows["f"][f"transit_days.{k}"]) == pytest.approx(f.transit_days[k])
    for p in doc.passages:
        assert mean(per.passages[f"{p.from_}→{p.to}"]["p95"]) == pytest.approx(p.days.p95)


def test_compare_json_is_the_comparison(runs):
    c = compare([runs[0].folder, runs[2].folder])
    data = json.loads(render(c, "json"))
    assert data["summary"] == c.summary
    assert [r["name"] for r in data["reports"]] == ["minimal", "minimal"]
    assert {"report": "B (minimal)", "path": "fleets.ferries.vessels", "from": 13, "to": 2} in data["input_changes"]
    assert [r["label"] for r in data["rows"]] == [r.label for r in c.rows]


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


def test_compare_writes_md_json_html_with_the_summary_first(runs, tmp_path, cli):
    for fmt_ in ("md", "json", "html"):
        out = tmp_path / f"cmp.{fmt_}"
        result = cli("compare", runs[0].folder, runs[2].folder, "--format", fmt_, "--out", out)
        assert result.exit_code == 0, result.output
        assert "fleets.ferries.vessels" in out.read_text()
    c = compare([runs[0].folder, runs[2].folder])
    md = (tmp_path / "cmp.md").read_text().splitlines()
    assert md[0].startswith("# Comparison") and md[2] == c.summary
    page = (tmp_path / "cmp.html").read_text()
    assert page.startswith("<!doctype html>") and page.count("<tr>") == len(c.rows) + 1
    assert page.index("Biggest changes") < page.index("<table>")
    result = cli("compare", runs[0].folder, runs[1].folder)
    assert result.exit_code == 0 and "no change" in result.output and "(noise)" not in result.output


def test_within_noise_is_said_of_differences_holm_does_not_keep(runs, tmp_path):
    a = edited(runs[0].folder, tmp_path / "a", with_values(A10, P95_A))
    jitter = [x + e for x, e in zip(A10, [0.01, -0.02, 0.015, -0.005, 0.0, 0.01, -0.01, 0.02, -0.015, 0.005])]
    b = edited(runs[0].folder, tmp_path / "b", with_values(jitter, P95_A))
    r = row(compare([a, b]), "target t: simulated")
    assert r.verdicts[1] == NOISE and r.p_holm[1] is not None and r.p_holm[1] >= 0.05


def test_a_power_target_is_compared_in_every_framing(tmp_path):
    """Two runs of a power chain, one with half its middle link: each framing's mean and P(met)
    are rows of the comparison, and the transmission row moves as the reports say."""
    from support import SCENARIOS

    from sim.run import run

    chain = SCENARIOS / "energy_chain.yaml"
    run(chain, replications=2, seed=3, out=tmp_path / "a", plots=False)
    run(chain, overrides=["links.l2.capacity=1.8 GW"], replications=2, seed=3, out=tmp_path / "b", plots=False)
    c = compare([tmp_path / "a", tmp_path / "b"])
    for framing in ("transmission", "energy", "firm"):
        got = row(c, f"target firm: {framing} (framing)")
        want = [json.loads((p / "report.json").read_text())["targets"][0]["framings"][framing]["mean"]
                for p in (tmp_path / "a", tmp_path / "b")]
        assert got.values == pytest.approx(want)
        assert row(c, f"target firm: {framing} P(met)").unit == "share"
    before, after = row(c, "target firm: transmission (framing)").values
    assert after is not None and before is not None and after < before
