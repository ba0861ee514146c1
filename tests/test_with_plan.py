"""Runs simulate the scenario as written; `--with-plan` builds the optimiser's plan first and the
report says so on its first line (sim/run.py, sim/report).

tests/scenarios/honest_power.yaml: a 1 GW cable that never fails, too small for its 1.2 GW firm
target, with a candidate expansion the optimiser builds. Delivered power is min(rate, capacity x
efficiency) in every hour, so the firm figure is known by hand from the capacity simulated.
"""

from __future__ import annotations

import json

import pytest
from support import SCENARIOS

from sim.run import evaluate, rerun, run

HONEST = SCENARIOS / "honest_power.yaml"
EFFICIENCY = (1 - 0.03) * (1 - 0.01) ** 2  # 3% per 1000 km over 1000 km, 1% at each converter
RATE = 1.5  # GW asked for


def _cable(data: dict) -> dict:
    return next(link for link in data["links"] if link["id"] == "cable")


def test_run_simulates_the_scenario_as_written_though_the_optimiser_plans():
    ev = evaluate(HONEST)
    assert ev.plan.plan.expansions and ev.plan.plan.expansions[0].amount > 0  # the optimiser would build
    assert ev.data["plan_applied"] is False and "built" not in ev.data
    assert ev.simulated is ev.scenario
    assert _cable(ev.data)["nameplate"] == 1.0  # the cable as written
    firm = ev.data["targets"][0]["simulated"]
    assert firm["mean"] == pytest.approx(1.0 * EFFICIENCY, rel=1e-6) and firm["p_met"] == 0.0
    assert ev.data["plan"]["expansions"][0]["id"] == "cable_more"  # the plan is still reported


def test_with_plan_simulates_the_built_network_and_says_so_first(tmp_path):
    report = run(HONEST, out=tmp_path / "r", with_plan=True)
    data = report.data
    assert data["plan_applied"] is True and [e["id"] for e in data["built"]] == ["cable_more"]
    built = data["built"][0]["amount"]
    assert 0 < built <= 1.0
    assert _cable(data)["nameplate"] == pytest.approx(1.0 + built)
    firm = data["targets"][0]["simulated"]["mean"]
    assert firm == pytest.approx(min(RATE, (1.0 + built) * EFFICIENCY), rel=1e-6)
    first = (tmp_path / "r" / "report.md").read_text().splitlines()[0]
    assert first.startswith("# honest-power (2030), with the optimiser's plan: +cable_more ")
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["with_plan"] is True
    text = (tmp_path / "r" / "report.json").read_text()
    assert text.index('"plan_applied": true') < text.index('"scenario"')  # at the top of report.json


def test_an_empty_plan_is_said_to_be_empty():
    from sim.report.render import headline, summary_table
    from sim.report.document import as_document

    ev = evaluate(HONEST, overrides=["links.cable.capacity=2 GW"], with_plan=True)
    assert ev.data["plan_applied"] is True and ev.data["built"] == []
    assert headline(as_document(ev.data)).endswith("with the optimiser's plan (nothing to build)")
    assert "(nothing to build)" in str(summary_table(ev.data).title)
    assert ev.data["targets"][0]["simulated"]["mean"] == pytest.approx(min(RATE, 2.0 * EFFICIENCY), rel=1e-6)


def test_rerun_repeats_the_choice(tmp_path):
    first = run(HONEST, out=tmp_path / "r", with_plan=True)
    again, differences = rerun(tmp_path / "r")
    assert differences == [] and again.data["plan_applied"] is True
    assert again.data["built"] == first.data["built"]
    run(HONEST, out=tmp_path / "p")
    again, differences = rerun(tmp_path / "p")
    assert differences == [] and again.data["plan_applied"] is False


def test_a_folder_written_before_the_choice_reruns_with_the_plan_it_built(tmp_path):
    run(HONEST, out=tmp_path / "old", with_plan=True)
    manifest = tmp_path / "old" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["with_plan"]  # as written before runs simulated as written: every run built the plan
    manifest.write_text(json.dumps(data))
    again, differences = rerun(tmp_path / "old")
    assert again.data["plan_applied"] is True and differences == []


def test_the_terminal_summary_says_as_written_or_with_the_plan(cli, tmp_path):
    plain = cli("run", HONEST, "-o", tmp_path / "a")
    assert plain.exit_code == 0 and "as written" in plain.output and "optimiser's plan" not in plain.output
    planned = cli("run", HONEST, "--with-plan", "-o", tmp_path / "b")
    assert planned.exit_code == 0 and "with the optimiser's plan: +cable_more" in planned.output
