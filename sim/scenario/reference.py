"""The scenario file's reference, generated from the models: a JSON Schema for editors and
`docs/scenario-reference.md` for readers (`corridor schema`, `corridor schema --markdown`).

The schema is pydantic's `model_json_schema` of `Scenario`, with each number described as users
write it. A Figure field's validator is asked which kinds of quantity it takes (`1 h`, `1 GW`, a
whole number...) and its lower bound, so the schema says what the validator does: a quantity
such as "12 h", or {value: 12 h, source: s1_001, note: ...}. A time that varies takes a quantity
or a distribution ({dist: triangular, low: 18 h, mode: 20 h, high: 30 h}). Descriptions are the
fields' docstrings in `sim.scenario.schema`; a docstring ending in "Example: `...`" gives the
field's example, read as YAML (else the default, else the first allowed value); they are read
from the source, not at import. A child file
(one with `extends:`) is described by the same schema with nothing required and `null` allowed
(null deletes), and ids may carry the `+` that marks them new.

Editors: VS Code's YAML extension (redhat.vscode-yaml) validates and completes a scenario file
whose first line is `# yaml-language-server: $schema=<path or URL of the schema>`.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from sim import __version__
from sim.scenario import schema, units
from sim.scenario.distributions import KINDS, Distribution
from sim.scenario.figure import MAX_COUNT, Figure
from sim.scenario.schema import Scenario
from sim.scenario.units import Kind

SCHEMA_ID = "https://corridor.readthedocs.io/schema/scenario.schema.json"
TITLE = "corridor scenario"
EXAMPLE = re.compile(r"\s*Example:\s*`(?P<yaml>[^`]*)`\s*\.?\s*$", re.S)
OURS = ("Distribution", "Source", "Calibrate")  # definitions added to pydantic's
QUANTITY_KINDS = [k for k in units.CANONICAL if k not in ("count", "fraction")]


@functools.cache
def field_docs() -> dict[str, dict[str, str]]:
    """The docstring under each field of each model in `sim.scenario.schema`, by class and field name.
    Read from the source here rather than by pydantic at import (`use_attribute_docstrings`), which
    would cost every command over half a second."""
    source = inspect.getsourcefile(schema)
    tree = ast.parse(Path(source or "").read_text(encoding="utf-8"))
    docs: dict[str, dict[str, str]] = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for field, doc in zip(cls.body, cls.body[1:]):
            if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name) \
                    and isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) \
                    and isinstance(doc.value.value, str):
                docs.setdefault(cls.name, {})[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs


def _describe(defs: dict[str, Any]) -> None:
    """Each model's properties get their field's docstring as description."""
    for model in vars(schema).values():
        if isinstance(model, type) and issubclass(model, schema.Strict) and model.__name__ in defs:
            props = defs[model.__name__].get("properties", {})
            for name, info in model.model_fields.items():
                doc = field_docs().get(model.__name__, {}).get(name)
                if doc and (info.alias or name) in props:
                    props[info.alias or name]["description"] = doc


def _probe(fn: Any, raw: Any) -> Figure | Distribution | None:
    try:
        out = fn(raw)
    except (ValueError, TypeError):
        return None
    return out if isinstance(out, (Figure, Distribution)) else None


def _quantity(kinds: list[Kind], minimum: str | None) -> dict[str, Any]:
    """The schema of a bare quantity of `kinds` (canonical units) with its lower bound."""
    options: list[dict[str, Any]] = []
    names = [units.CANONICAL[k] for k in kinds if k in QUANTITY_KINDS]
    if names:
        options.append({"type": "string", "description": f"a quantity in {' or '.join(names)} (any unit of "
                                                          f"that dimension), e.g. '12 {names[0]}'"})
    if "count" in kinds:
        options.append({"type": "integer", "minimum": 1 if minimum == "positive" else 0, "maximum": MAX_COUNT})
    if "fraction" in kinds:
        options.append({"type": "number", "minimum": 0, "maximum": 1})
        options.append({"type": "string", "pattern": r"^\s*[0-9.eE+-]+\s*%\s*$",
                        "description": "a percentage, e.g. '95 %'"})
    return options[0] if len(options) == 1 else {"anyOf": options}


def figure_schema(fn: Any) -> dict[str, Any] | None:
    """The schema of a Figure or Distribution field, from what its validator `fn` accepts."""
    # a kind counts when the field reads its unit as that kind (GW and TWh/yr share a dimension)
    kinds = [k for k in QUANTITY_KINDS
             if isinstance(got := _probe(fn, f"1 {units.CANONICAL[k]}"), Figure) and got.kind == k]
    got = _probe(fn, 1)
    if isinstance(got, Figure) and got.kind in ("count", "fraction"):
        kinds.append(got.kind)
    if isinstance(got, Distribution) or isinstance(_probe(fn, "1 h"), Distribution):
        return {"anyOf": [{"type": "string", "description": "a fixed time, e.g. '12 h'"},
                          {"x-def": "Distribution"}], "x-unit": "h"}
    if not kinds:
        return None
    zero = "0" if kinds[0] in ("count", "fraction") else f"0 {units.CANONICAL[kinds[0]]}"
    minus = "-1" if kinds[0] in ("count", "fraction") else f"-1 {units.CANONICAL[kinds[0]]}"
    minimum = ("positive" if _probe(fn, int(zero) if kinds[0] in ("count", "fraction") else zero) is None else
               None if _probe(fn, int(minus) if kinds[0] in ("count", "fraction") else minus) is not None else "nonneg")
    bare = _quantity(kinds, minimum)
    sourced = {"type": "object", "additionalProperties": False, "required": ["value"],
               "description": "the figure with where it comes from",
               "properties": {"value": bare, "source": {"x-def": "Source"},
                              "note": {"type": "string", "description": "why, or what the source says"},
                              "calibrate": {"x-def": "Calibrate"}}}
    unit = " or ".join("whole number" if k == "count" else "share (0-1 or %)" if k == "fraction"
                       else units.CANONICAL[k] for k in kinds)
    return {"anyOf": [bare, sourced], "x-unit": unit, "x-minimum": minimum or "none"}


class _ScenarioSchema(GenerateJsonSchema):
    """pydantic's generator, with Figures and Distributions as the text and mappings users write."""

    def function_plain_schema(self, schema: core_schema.PlainValidatorFunctionSchema) -> JsonSchemaValue:
        found = figure_schema(schema["function"]["function"])
        return found if found is not None else super().function_plain_schema(schema)

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, (Figure, Distribution)):
            return dft.to_spec()
        return super().encode_default(dft)


def _distribution_def() -> dict[str, Any]:
    quantity = {"anyOf": [{"type": "string"}, {"type": "number"}], "description": "a time, e.g. '12 h'"}
    common = {"source": {"x-def": "Source"}, "note": {"type": "string"},
              "scale": {"type": "number", "exclusiveMinimum": 0, "description": "a factor the distribution is "
                                                                               "stretched by (for calibrate)"},
              "calibrate": {"type": "object", "properties": {"scale": {"type": "array", "minItems": 2,
                                                                       "maxItems": 2, "items": {"type": "number"}}}}}
    options = []
    for name, cls in KINDS.items():
        props: dict[str, Any] = {"dist": {"const": name}}
        for p in cls.params:
            props[p] = ({"type": "array", "items": {"type": "number", "minimum": 0}} if p == "weights" else
                        {"type": "array", "minItems": 1, "items": quantity} if p == "values" else quantity)
        options.append({"type": "object", "title": name, "properties": props | common, "additionalProperties": False,
                        "required": ["dist", *[p for p in cls.params if p != "weights"]]})
    return {"description": "a distribution of times: " + ", ".join(
        f"{n} ({', '.join(c.params)})" for n, c in KINDS.items()), "oneOf": options}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (a child with `extends:` included)."""
    full = Scenario.model_json_schema(schema_generator=_ScenarioSchema)
    defs = full.pop("$defs")
    defs["Scenario"] = full
    _describe(defs)
    defs["Distribution"] = _distribution_def()
    defs["Source"] = {"type": "string", "description": (
        "a reference row (s1_025), an article paragraph (article:P2), an observed outcome "
        "(obs:o_baku_port_2022.cargo), or assumption (with a note saying why)")}
    defs["Calibrate"] = {"type": "object", "additionalProperties": False, "required": ["range"],
                         "description": "the range an assumption is fitted in by corridor calibrate",
                         "properties": {"range": {"type": "array", "minItems": 2, "maxItems": 2}}}
    for d in defs.values():
        _tidy(d)
    full["properties"] = {"extends": {"type": "string", "description": "Another scenario this file changes: a "
                                      "path from this file's folder, or a bundled scenario's name (baseline-2023). "
                                      "Mappings merge key by key, null deletes, a mapping whose dist, kind or "
                                      "figure value changes is replaced whole; a new id is written +id.",
                                      "examples": ["baseline-2023"]}} | full["properties"]
    child = {f"{k}Change": _as_change(copy.deepcopy(v)) for k, v in defs.items() if "properties" in v or "oneOf" in v}
    for v in child.values():
        _retarget(v)
    defs |= child
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, "title": TITLE,
            "description": f"A scenario file of corridor {__version__}: the Trans-Caspian network, its flows, "
                           "targets and candidate investments. See docs/scenario-reference.md.",
            "if": {"required": ["extends"]}, "then": {"$ref": "#/$defs/ScenarioChange"},
            "else": {"$ref": "#/$defs/Scenario"}, "$defs": defs}


def _tidy(node: Any) -> None:
    """Examples out of descriptions, titles dropped (the key says it), ids allowed a `+`."""
    if isinstance(node, dict):
        if isinstance(node.get("title"), str) and "properties" not in node:
            del node["title"]
        desc = node.get("description")
        if isinstance(desc, str):
            m = EXAMPLE.search(desc)
            if m:
                node["description"] = desc[: m.start()].rstrip()
                node["examples"] = [yaml.safe_load(m.group("yaml"))]
        if "x-def" in node:  # a definition of ours, named while pydantic still checks its own references
            node["$ref"] = "#/$defs/" + node.pop("x-def")
        if "patternProperties" in node:
            node["patternProperties"] = {"^\\+?" + k.removeprefix("^"): v for k, v in node["patternProperties"].items()}
        for v in node.values():
            _tidy(v)
    elif isinstance(node, list):
        for v in node:
            _tidy(v)


def _as_change(node: Any) -> Any:
    """A model's schema as a child file may write it: nothing required, null deletes."""
    if isinstance(node, dict):
        if "properties" in node:
            node.pop("required", None)
        if "oneOf" in node:  # without `dist`, a change may fit several distributions
            node["anyOf"] = node.pop("oneOf")
        for sub in node.get("anyOf", []):
            _as_change(sub)
        for key in ("properties", "patternProperties"):
            for name, sub in node.get(key, {}).items():
                node[key][name] = {"anyOf": [_as_change(sub), {"type": "null"}]}
                node[key][name] |= {k: sub[k] for k in ("description", "examples") if k in sub}
    return node


def _retarget(node: Any) -> None:
    """References to models point at their change form."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] not in ("Source", "Calibrate"):
            node["$ref"] = ref + "Change"
        for v in node.values():
            _retarget(v)
    elif isinstance(node, list):
        for v in node:
            _retarget(v)


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --- the markdown reference -------------------------------------------------------------------

INTRO = """# Scenario file reference

Generated from the models in `sim/scenario/schema.py` by `corridor schema --markdown`; do not edit
(a test fails when it is stale). The JSON Schema (`corridor schema --out scenario.schema.json`)
says the same for editors.

## Writing numbers

A figure is a quantity with its unit, `15 Mt/yr`, `4 GW`, `28 trains/d`, `12 h`, `0.1 /100km/yr`
(any unit of the right dimension: `4000 MW` is `4 GW`), or the same with where it comes from:
`{value: 15 Mt/yr, source: s1_025, note: ...}`. A source is a reference row id (`s1_025`, see
`seeds/reference.yaml`), an article paragraph (`article:P2`), an observed outcome
(`obs:o_baku_port_2022.cargo`), or `assumption` with a `note` saying why; an assumption may carry
`calibrate: {range: [low, high]}` for `corridor calibrate`. Shares are `0.95` or `95 %`; counts are
whole numbers. A time that varies is a fixed time (`12 h`) or a distribution: {dists}.

## Files that extend others

`extends: baseline-2023` (a bundled scenario's name) or `extends: ../base.yaml` (a path from the
file's folder) takes another scenario and changes it: mappings merge key by key, a list or a
value replaces, `null` deletes. A mapping whose `dist` or `kind` changes, or a figure whose
`value` changes, is replaced whole (the parent's parameters, blocks and source belong to what it
was). A new id that is one typo away from an existing one (`caspian_feries` beside
`caspian_ferries`) is an error with "did you mean"; to add it anyway, write it with a `+`:
`+caspian_ferries_2:` in the file, `--set +fleets.caspian_ferries_2=...` on the command line. Ids
that differ only in numbers (`line_2` beside `line_1`) are not taken for typos.

## Editor support

`corridor schema --out scenario.schema.json` writes the JSON Schema. With VS Code's YAML
extension (redhat.vscode-yaml), a first line
`# yaml-language-server: $schema=./scenario.schema.json` (a path or URL) gives completion,
descriptions on hover and errors as you type; or map it to every scenario in settings:
`"yaml.schemas": {"./scenario.schema.json": ["scenarios/*.yaml"]}`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yaml_inline(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000, sort_keys=False).strip()
    return text.removesuffix("...").strip()


def _main(p: dict[str, Any]) -> dict[str, Any]:
    """An optional property's schema without its `null` option."""
    options = [o for o in p.get("anyOf", []) if o.get("type") != "null"]
    return options[0] if len(options) == 1 and len(p["anyOf"]) == 2 else p


def _type(p: dict[str, Any]) -> str:
    """What a property takes, in words, from its schema."""
    p = _main(p)
    if "x-unit" in p:
        if "Distribution" in json.dumps(p):
            return "time or distribution"
        unit = str(p["x-unit"])
        return unit if unit in ("whole number", "share (0-1 or %)") else "quantity"
    if "$ref" in p:
        name = p["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in p:
        kinds = [_type(o) for o in p["anyOf"] if o.get("type") != "null"]
        return " or ".join(kinds)
    if "enum" in p:
        return "one of " + ", ".join(f"`{v}`" for v in p["enum"])
    if "const" in p:
        return f"`{p['const']}`"
    t = p.get("type")
    if t == "array":
        return f"list of {_type(p.get('items', {}))}"
    if t == "object":
        if "patternProperties" in p:
            return "ids → " + _type(next(iter(p["patternProperties"].values())))
        if "propertyNames" in p:
            keys = p["propertyNames"].get("enum", [])
            return "mapping of " + "/".join(map(str, keys)) + " → " + _type(p.get("additionalProperties") or {})
        return "mapping"
    bounds = [f">= {p['minimum']}" if "minimum" in p else "", f"<= {p['maximum']}" if "maximum" in p else ""]
    words = {"string": "text", "integer": "integer", "number": "number", "boolean": "true/false"}
    return " ".join([words.get(str(t), str(t or "any")), *[b for b in bounds if b]])


def _unit(p: dict[str, Any]) -> str:
    p = _main(p)
    if "x-unit" in p:
        unit = str(p["x-unit"])
        return "" if unit in ("whole number", "share (0-1 or %)") else unit
    return str(p.get("x-degrees", ""))


def example(p: dict[str, Any]) -> Any:
    """A property's example: its own, else its default, else its first allowed value (None: none)."""
    if p.get("examples"):
        return p["examples"][0]
    if p.get("default") not in (None, {}, []):
        return p["default"]
    for o in p.get("anyOf", []):
        if o.get("enum"):
            return o["enum"][0]
    return p["enum"][0] if p.get("enum") else None


def sections() -> list[tuple[str, list[str], dict[str, Any]]]:
    """(model name, the key paths it is found at, its schema), from the top of a scenario down."""
    defs = json_schema()["$defs"]
    order: list[str] = ["Scenario"]
    where: dict[str, list[str]] = {"Scenario": ["(top level)"]}
    i = 0
    while i < len(order):
        name = order[i]
        i += 1
        prefix = "" if name == "Scenario" else where[name][0] + "."
        for key, p in defs[name]["properties"].items():
            for ref, suffix in _refs(p):
                if ref in OURS:
                    continue
                where.setdefault(ref, []).append(prefix + key + suffix)
                if ref not in order:
                    order.append(ref)
    return [(n, where[n], defs[n]) for n in order]


def _refs(p: Any, suffix: str = "") -> list[tuple[str, str]]:
    if not isinstance(p, dict):
        return []
    if "$ref" in p:
        return [(p["$ref"].rsplit("/", 1)[-1], suffix)]
    out: list[tuple[str, str]] = []
    for o in p.get("anyOf", []):
        out += _refs(o, suffix)
    if "items" in p:
        out += _refs(p["items"], suffix + "[]")
    for v in p.get("patternProperties", {}).values():
        out += _refs(v, suffix + ".<id>")
    if isinstance(p.get("additionalProperties"), dict):
        out += _refs(p["additionalProperties"], suffix + ".<key>")
    return out


def markdown() -> str:
    """docs/scenario-reference.md: every section and field of a scenario file."""
    dists = "; ".join(f"`{{dist: {n}, {', '.join(f'{p}: ...' for p in c.params)}}}`" for n, c in KINDS.items())
    lines = [INTRO.replace("{dists}", dists)]
    for name, paths, d in sections():
        lines += [f"## {name}", "", "Found at: " + ", ".join(f"`{p}`" for p in paths) + ".", ""]
        if d.get("description"):
            lines += [d["description"].strip(), ""]
        lines += ["| key | type | unit | default | example | description |", "|---|---|---|---|---|---|"]
        required = set(d.get("required", []))
        for key, p in d["properties"].items():
            default = "required" if key in required else ("none" if p.get("default") is None else
                                                          f"`{_yaml_inline(p['default'])}`")
            ex = example(p)
            shown = (f"`{_yaml_inline(ex)}`" if ex is not None else
                     "see " + ", ".join(f"[{r}](#{r.lower()})" for r, _ in _refs(p)) if _refs(p) else "")
            cells = [f"`{key}`", _type(p), _unit(p), default, shown,
                     p.get("description", "")]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
