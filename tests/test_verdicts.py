"""Risk-aware verdicts (`sim.targets`): "met" when P(met) reaches the probability required, "at
risk" when only the mean reaches the figure less tolerance, "not met" otherwise; hand cases at
each boundary, the Wilson interval against scipy, the scenario default and a target's own
probability, and report.json, report.md and `--fail-on-unmet` carrying the verdict."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from scipy import stats
from support import MINIMAL
from typer.testing import CliRunner

from sim.cli import app
from sim.report import document
from sim.report.document import as_document
from sim.report.render import markdown, percent, summary_table
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Target
from sim.targets import judge, required_probability, verdict, wilson

SCHEMA = json.loads((Path(document.__file__).parent / "schema.json").read_text())
SHORT = ["--set", "simulation.horizon=40 d", "--set", "simulation.warmup=5 d", "-r", "3"]


def target(**fields) -> Target:
    return Target.model_validate({"carrier": "cargo", "value": "4 Mt/yr", "flows": ["f"]} | fields)


def corridor(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code != 1 and "Traceback" not in result.output, result.output
    return result.exit_code, result.output


# --- the rule on hand cases ---------------------------------------------------------------------


def test_met_when_the_share_of_replications_is_exactly_the_probability():
    assert verdict(9, 10, False, 0.9) == "met"
    assert verdict(7, 10, False, 0.7) == "met"  # 0.7 x 10 is 7.000000000000001 in floating point
    assert verdict(10, 10, False, 1.0) == "met"
    assert verdict(8, 10, True, 0.9) == "at risk"  # one replication short of 90%, the mean reaches it
    assert verdict(8, 10, False, 0.9) == "not met"
    assert verdict(9, 10, True, 1.0) == "at risk"


def test_a_mean_exactly_at_the_figure_less_tolerance_is_at_risk_not_met():
    t = target(tolerance="10 %")  # a replication reaches it at 4 x 0.9 = 3.6
    j = judge(t, [3.0, 4.2], 0.9)  # mean 3.6 exactly; one of two replications reach it
    assert (j.reached, j.replications, j.verdict) == (1, 2, "at risk")
    assert judge(t, [3.0, 4.19], 0.9).verdict == "not met"  # mean 3.595
    assert judge(t, [3.6, 3.6, 3.59], 0.6).verdict == "met"  # 2 of 3 reach 3.6 exactly, 67% >= 60%


def test_with_no_tolerance_the_figure_itself_must_be_reached():
    t = target()
    values = [4.0] * 9 + [3.999]
    assert judge(t, values, 0.9).verdict == "met"
    assert judge(t, values, 0.95).verdict == "not met"  # 90% < 95% and the mean 3.9999 < 4
    assert judge(t, [3.9, 4.2], 1.0).verdict == "at risk"  # mean 4.05 reaches 4; half the years do not


def test_the_issue_s_case_is_at_risk_not_met():
    """A 4 Mt/yr target with 5% tolerance, a mean of 3.83 Mt/yr met in 60% of replications."""
    j = judge(target(tolerance="5 %"), [4.0] * 6 + [3.575] * 4, 0.9)
    assert j.mean == pytest.approx(3.83) and j.p_met == pytest.approx(0.6)
    assert j.verdict == "at risk"


@pytest.mark.parametrize(("k", "n"), [(0, 3), (1, 3), (6, 10), (10, 10), (37, 50)])
def test_the_p_met_interval_is_wilson_s(k, n):
    want = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((want.low, want.high), abs=1e-9)


# --- where the probability comes from ----------------------------------------------------------


def test_the_scenario_default_is_90_percent_and_a_target_s_own_beats_it():
    s = load_scenario(MINIMAL)
    assert required_probability(s, "t") == required_probability(s, "pt") == 0.9
    s = load_scenario(MINIMAL, ["verdicts.probability=80 %", "targets.t.probability=0.5"])
    assert required_probability(s, "t") == 0.5 and required_probability(s, "pt") == 0.8


# --- the report and the command line -------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("verdicts") / "run"
    code, output = corridor("run", MINIMAL, *SHORT, "-o", out)
    assert code == 0, output
    return json.loads((out / "report.json").read_text()) | {"_folder": str(out)}


def expected(t: dict) -> str:
    """The rule, from the report's own numbers."""
    reps = t["simulated"]["replications"]
    floor = t["target"] * (1 - t["tolerance"])
    k = sum(v >= floor - 1e-9 for v in reps)
    return verdict(k, len(reps), t["simulated"]["mean"] >= floor - 1e-9, t["probability"])


def test_report_json_carries_each_target_s_verdict_and_validates(report):
    data = {k: v for k, v in report.items() if k != "_folder"}
    jsonschema.validate(data, SCHEMA)
    for t in data["targets"]:
        n = len(t["simulated"]["replications"])
        k = round(t["simulated"]["p_met"] * n)
        assert t["probability"] == 0.9 and t["tolerance"] == 0.0
        assert t["verdict"] == expected(t) and t["met"] == (t["verdict"] == "met")
        assert t["simulated"]["p_met_ci95"] == pytest.approx(list(wilson(k, n)))
        assert (t["share_of_time"] == 0.95) == (t["measure"] == "firm")
    bad = copy.deepcopy(data)
    bad["targets"][0] |= {"verdict": "at risk", "met": True}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_a_report_written_before_verdicts_still_reads(report):
    old = {k: v for k, v in copy.deepcopy(report).items() if k != "_folder"}
    for t in old["targets"]:
        for key in ("verdict", "probability"):
            del t[key]
        del t["simulated"]["p_met_ci95"]
        t["met"] = True
    jsonschema.validate(old, SCHEMA)
    doc = as_document(old)
    assert doc.to_json() == old
    assert all(t.judged == "met" for t in doc.targets)
    for t in old["targets"]:  # renders, with a dash for the interval and probability it lacks
        row = next(line for line in markdown(doc).splitlines() if line.startswith(f"| {t['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert (cells[8], cells[9], cells[12]) == ("—", "—", "met")
    assert summary_table(old).row_count == len(old["targets"])


def test_pages_show_figure_tolerance_probability_p_met_and_the_quantity_measured(report):
    folder = Path(report["_folder"])
    md = (folder / "report.md").read_text()
    html = (folder / "report.html").read_text()
    for t in report["targets"]:
        row = next(line for line in md.splitlines() if line.startswith(f"| {t['id']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        lo, hi = t["simulated"]["p_met_ci95"]
        assert cells[3] == percent(t["tolerance"]) and cells[9] == "90%"
        assert cells[8] == f"{100 * lo:.0f}–{100 * hi:.0f}%"
        measured = "firm at 95% of hours" if t["measure"] == "firm" else "simulated mean"
        assert cells[4] == measured and measured in html
    assert "P required" in html and "P(met) 95% CI" in html


def test_fail_on_unmet_exits_3_when_a_target_is_at_risk(report, tmp_path):
    """The cargo target's figure set between its worst replication and its mean, with every
    replication required: the mean reaches it, not all replications do."""
    reps = next(t for t in report["targets"] if t["id"] == "t")["simulated"]["replications"]
    assert min(reps) < max(reps), "the replications must differ for this case"
    figure = (min(reps) + sum(reps) / len(reps)) / 2
    args = ["run", MINIMAL, *SHORT, "--set", f"targets.t.value={figure!r} Mt/yr", "--set",
            "targets.t.probability=100 %", "--set", "targets.pt.value=0.001 GW", "--set",
            "targets.pt.probability=10 %", "--fail-on-unmet"]
    code, output = corridor(*args, "-o", tmp_path / "risk")
    data = json.loads((tmp_path / "risk" / "report.json").read_text())
    verdicts = {t["id"]: t["verdict"] for t in data["targets"]}
    assert verdicts == {"t": "at risk", "pt": "met"} and [expected(t) for t in data["targets"]] == ["at risk", "met"]
    assert code == 3, output
    assert "at risk" in output
