"""The report document: report.json validates against its JSON Schema, reads back into the typed
document unchanged, and every figure in it is the run's own."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from pydantic import ValidationError

from sim.report import document
from sim.report.document import FlowRow, ReportDocument, as_document, build_document, target_sources
from sim.run import evaluate
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
SCHEMA = json.loads((Path(document.__file__).parent / "schema.json").read_text())
EXAMPLES = sorted((ROOT / "results" / "examples").glob("*/report.json"))
SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="module")
def evaluation():
    return evaluate(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=3, seed=5)


@pytest.fixture(scope="module")
def built(evaluation) -> ReportDocument:
    meta = {k: evaluation.data["scenario"][k] for k in ("file", "sha256", "resolved_sha256", "overrides", "files")}
    return build_document(evaluation.scenario, evaluation.planned, evaluation.plan, evaluation.result,
                          meta | {"wall_s": 1.5})


def test_report_json_validates_against_its_schema(runs):
    for r in runs:
        jsonschema.validate(json.loads((r.folder / "report.json").read_text()), SCHEMA)
    for example in EXAMPLES:
        jsonschema.validate(json.loads(example.read_text()), SCHEMA)


def test_the_schema_requires_what_the_models_require():
    """A framing and a firm plan's simulated judgement: the schema's required keys are the models'."""
    def required(model: type) -> set[str]:
        return {name for name, f in model.model_fields.items() if f.is_required()}

    framing = SCHEMA["properties"]["targets"]["items"]["properties"]["framings"]["patternProperties"]
    assert set(framing["^(transmission|energy|firm)$"]["required"]) == required(document.FramingRow)
    firm = SCHEMA["properties"]["firm_supply"]["items"]["properties"]["simulated"]
    assert set(firm["required"]) == required(document.FirmSupplySimulated)


def test_report_json_has_the_passages_of_each_route_and_reads_without_them(runs):
    """Every ordered node pair of the cargo route, with days and consignments; a report
    written before passages existed (none) still validates and reads back, same version."""
    data = json.loads((runs[0].folder / "report.json").read_text())
    jsonschema.validate(data, SCHEMA)
    pairs = {(p["from"], p["to"]) for p in data["passages"]}
    flow = next(f for f in data["flows"] if f["carrier"] == "cargo")
    assert (flow["origin"], flow["destination"]) in pairs
    for p in data["passages"]:
        assert p["days"]["p50"] <= p["days"]["p95"] and p["n"] > 0
    od = next(p for p in data["passages"] if (p["from"], p["to"]) == (flow["origin"], flow["destination"]))
    assert od["days"]["mean"] == pytest.approx(flow["transit_days"]["mean"])
    assert od["n"] == pytest.approx(flow["consignments_delivered"])
    old = {k: v for k, v in data.items() if k != "passages"}
    jsonschema.validate(old, SCHEMA)
    assert ReportDocument.model_validate(old).to_json() == old
    assert data["schema_version"] == document.SCHEMA_VERSION == "1.0"


def test_report_json_reads_back_into_the_document_unchanged(runs):
    for r in runs:
        text = (r.folder / "report.json").read_text()
        data = json.loads(text)
        doc = ReportDocument.model_validate(data)
        assert doc.to_json() == data == r.data
        assert json.dumps(doc.to_json(), indent=2) == text, "report.json is the document's JSON, byte for byte"
    for example in EXAMPLES:
        data = json.loads(example.read_text())
        assert ReportDocument.model_validate(data).to_json() == data


def test_the_evaluation_carries_the_documents_json(evaluation, built):
    assert as_document(evaluation.data).model_dump(exclude={"run"}) == built.model_dump(exclude={"run"})
    assert as_document(built) is built


def test_every_figure_is_the_runs_own(evaluation, built):
    result, plan = evaluation.result, evaluation.plan.to_dict()
    assert built.run.replications == len(result.replications) == 3
    assert (built.run.horizon_days, built.run.warmup_days) == (90.0, 10.0)
    for t in built.targets:
        assert t.simulated.replications == result.values[t.id]
        assert t.simulated.mean == pytest.approx(np.mean(result.values[t.id]), rel=1e-12)
        lo, hi = t.simulated.ci95
        assert lo <= t.simulated.mean <= hi
        bounds = plan["targets"][t.id]  # simulated as written: the bound of the network as written
        together = bounds.get("max_together")
        assert t.optimised.max_deliverable == (together if together is not None else bounds["max_deliverable"])
        assert t.met == (t.simulated.mean >= t.target * (1 - t.tolerance) - 1e-9)
    for f in built.flows:
        delivered = [rep.flows[f.id].delivered for rep in result.replications]
        assert f.delivered is not None and f.delivered.replications == delivered
    for link in built.links:
        assert link.firm <= link.nameplate + 1e-12
        assert 0 <= (link.availability or 0) <= 1


def test_a_target_cites_the_sources_of_what_carries_it(built):
    scenario = load_scenario(SCENARIOS / "minimal.yaml")
    # the cargo target: its own figure, the border crossing's capacity, the ferry fleet, the payload
    assert set(target_sources(scenario, "t")) == {"article:P2", "s3_059", "s2_042", "s2_045", "assumption"}
    # the power target: the cable's failure rate (and the payload, cited by every target)
    assert set(target_sources(scenario, "pt")) == {"s5_100", "assumption"}
    assert set(built.sources) == {s for t in built.targets for s in t.sources}
    assert all(text for text in built.sources.values())


def test_keys_a_run_did_not_measure_stay_absent():
    row = FlowRow.model_validate({"id": "f", "carrier": "cargo", "unit": "Mt/yr", "origin": "a",
                                  "destination": "c", "demand": 2.8, "region": None})
    assert row.model_dump(by_alias=True, exclude_unset=True) == {
        "id": "f", "carrier": "cargo", "unit": "Mt/yr", "origin": "a", "destination": "c", "demand": 2.8,
        "region": None}


def test_measured_rows_keep_every_statistic_the_run_reported(runs):
    data = runs[0].data
    doc = as_document(data)
    for row, raw in zip(doc.links, data["links"]):
        assert row.model_extra is not None
        assert list(raw)[:11] == ["id", "carrier", "mode", "unit", "from", "to", "nameplate", "firm",
                                  "utilisation", "availability", "availability_analytic"]
        assert row.model_extra == {k: raw[k] for k in list(raw)[11:]}
    with pytest.raises(ValidationError):
        FlowRow.model_validate(data["flows"][0] | {"queue_mean": "long"})


def test_a_misspelt_or_missing_key_is_refused(runs):
    data = copy.deepcopy(runs[0].data)
    data["targets"][0]["simulated"]["means"] = data["targets"][0]["simulated"].pop("mean")
    with pytest.raises(ValidationError, match="targets.0.simulated"):
        ReportDocument.model_validate(data)
    data = copy.deepcopy(runs[0].data)
    del data["run"]
    with pytest.raises(ValidationError, match="run"):
        ReportDocument.model_validate(data)


def test_same_scenario_and_seed_give_the_same_figures(runs):
    a, b = (json.loads((r.folder / "report.json").read_text()) for r in runs[:2])
    assert [t["simulated"] for t in a["targets"]] == [t["simulated"] for t in b["targets"]]
    assert a["flows"] == b["flows"]
