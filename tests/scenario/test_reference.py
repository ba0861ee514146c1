"""The scenario reference: generated docs up to date, every field described with an example that
the field itself accepts, and a JSON Schema that accepts every scenario we ship and refuses typos."""

from __future__ import annotations

import typing
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, TypeAdapter
from support import MINIMAL, ROOT, SCENARIOS

from sim import bundled
from sim.scenario import schema
from sim.scenario.reference import EXAMPLE, SCHEMA_ID, field_docs, json_schema, markdown

MODELS = [m for m in vars(schema).values()
          if isinstance(m, type) and issubclass(m, schema.Strict) and m is not schema.Strict]
FIELDS = [(m, name) for m in MODELS for name in m.model_fields]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    found = json_schema()
    jsonschema.Draft202012Validator.check_schema(found)
    return jsonschema.Draft202012Validator(found)


def test_the_committed_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/scenario-reference.md is stale: run corridor schema --markdown " \
                                    "--out docs/scenario-reference.md"


@pytest.mark.parametrize("model, name", FIELDS, ids=[f"{m.__name__}.{n}" for m, n in FIELDS])
def test_every_field_is_described_and_its_example_is_accepted(model: type[BaseModel], name: str) -> None:
    info = model.model_fields[name]
    doc = field_docs().get(model.__name__, {}).get(name, "")
    assert len(doc) > 10, f"{model.__name__}.{name} has no description (a docstring under the field)"
    m = EXAMPLE.search(doc)
    if m is None:  # the example is then the default or the first allowed value
        section = "$ref" in str(TypeAdapter(info.annotation).json_schema()) if info.default is None else False
        assert info.default is not None or section or typing.get_origin(info.annotation) is typing.Literal \
            or info.default_factory is not None, f"{model.__name__}.{name}: no example"
        return
    value = yaml.safe_load(m.group("yaml"))
    adapter = TypeAdapter(typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)
    adapter.validate_python(value)


def test_every_leaf_field_has_an_example_in_the_schema() -> None:
    found = json_schema()["$defs"]
    for model in MODELS:
        for key, prop in found[model.__name__]["properties"].items():
            refs = "$ref" in str(prop)
            assert prop.get("description"), f"{model.__name__}.{key}"
            assert refs or prop.get("examples") or "default" in prop or "enum" in str(prop), f"{model.__name__}.{key}"


@pytest.mark.parametrize("path", bundled.scenarios() + sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_the_schema_accepts_every_scenario_we_ship(validator, path: Path) -> None:
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert not errors, [e.message[:200] for e in errors[:3]]


def _minimal() -> dict:
    return yaml.safe_load(MINIMAL.read_text())


@pytest.mark.parametrize("edit", [
    lambda d: d["links"]["ab"].update(capcity=d["links"]["ab"].pop("capacity")),  # a typo'd key
    lambda d: d["fleets"]["ferries"].update(vessels="13 h"),  # a count with a unit
    lambda d: d["fleets"]["ferries"].update(load={"dist": "triangular", "mean": "12 h"}),  # params of another dist
    lambda d: d["targets"]["t"].update(value={"value": "2.8 Mt/yr", "sauce": "x"}),  # a figure's keys
    lambda d: d["links"]["ab"].update(mode="rial"),
    lambda d: d.pop("nodes"),  # required in a file that extends nothing
], ids=["typo", "count with unit", "dist params", "figure keys", "literal", "missing nodes"])
def test_the_schema_refuses_what_the_loader_refuses(validator, edit) -> None:
    data = _minimal()
    edit(data)
    assert list(validator.iter_errors(data))


def test_a_child_file_needs_nothing_and_may_delete_and_mark_new(validator) -> None:
    child = {"extends": "baseline-2023", "targets": {"t": None}, "fleets": {"+ferries_2": {"vessels": 3}},
             "links": {"ab": {"transit": {"mean": "30 h"}}}}
    assert not list(validator.iter_errors(child))
    child["links"]["ab"]["capcity"] = "3 Mt/yr"
    assert list(validator.iter_errors(child))


def test_figures_are_described_with_their_units() -> None:
    props = json_schema()["$defs"]["Link"]["properties"]
    assert props["length"]["anyOf"][0]["x-unit"] == "km"
    assert "Mt/yr" in props["capacity"]["anyOf"][0]["x-unit"] and "train/d" in props["capacity"]["anyOf"][0]["x-unit"]
    assert props["capacity"]["examples"] == [{"value": "20 trains/d", "source": "s3_060"}]


def test_corridor_schema_writes_the_schema_and_the_reference(cli, tmp_path: Path) -> None:
    result = cli("schema", "--out", tmp_path / "s.json")
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((tmp_path / "s.json").read_text())
    assert written["$id"] == SCHEMA_ID and written["title"] == "corridor scenario"
    result = cli("schema", "--markdown", "--out", tmp_path / "ref.md")
    assert (tmp_path / "ref.md").read_text() == markdown()
    assert "yaml-language-server: $schema=" in markdown()
