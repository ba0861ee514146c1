"""Scenario files to a validated `Scenario`: safe YAML with line numbers, `extends:`, `--set`.

Every problem found is collected (not just the first) and raised together as a ScenarioError
whose entries name the file, the key path and the line.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.errors import Problem, ScenarioError
from sim.scenario import sources
from sim.scenario.checks import references
from sim.scenario.schema import Scenario, figures

Path_ = tuple[Any, ...]


@dataclass
class Raw:
    """A scenario as merged plain data, with where each key came from (file, line)."""

    data: dict[str, Any]
    origins: dict[Path_, tuple[str, int | None]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def where(self, path: Path_) -> tuple[str, int | None]:
        for n in range(len(path), -1, -1):
            if path[:n] in self.origins:
                return self.origins[path[:n]]
        return (self.files[-1] if self.files else "<scenario>", None)


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file. Raises ScenarioError."""
    return validate(read_raw(path, overrides))


def read_raw(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Raw:
    raw = _read_with_extends(Path(path), ())
    for text in overrides:
        apply_override(raw, text)
    return raw


def validate(raw: Raw) -> Scenario:
    data = {k: v for k, v in raw.data.items() if k != "extends"}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_problem(raw, err) for err in exc.errors()]) from None
    problems = [_at(raw, p, m) for p, m in references(scenario)]
    problems += [_at(raw, p, m) for p, m in sources.check(figures(scenario))]
    if problems:
        raise ScenarioError(problems)
    return scenario


def _at(raw: Raw, path: Path_, message: str) -> Problem:
    file, line = raw.where(path)
    return Problem(file, path, line, message)


# --- YAML with line numbers ------------------------------------------------------------------


def _read_yaml(file: Path) -> tuple[dict[str, Any], dict[Path_, tuple[str, int | None]]]:
    name = str(file)
    try:
        blob = file.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(name, (), None, f"cannot read the file: {exc.strerror}")]) from None
    if b"\x00" in blob:
        raise ScenarioError([Problem(name, (), None, "not a text file (it holds binary data)")])
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(name, (), None,
                                     f"not UTF-8 text (bad byte at offset {exc.start})")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError([Problem(name, (), line, f"malformed YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, (), None, f"malformed YAML: {exc}")]) from None
    if node is None:
        raise ScenarioError([Problem(name, (), None, "the file is empty: expected a scenario mapping")])
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError([Problem(name, (), node.start_mark.line + 1,
                                     "expected a mapping of scenario keys at the top level")])
    origins: dict[Path_, tuple[str, int | None]] = {}
    problems: list[Problem] = []
    data = _construct(node, (), name, origins, problems)
    if problems:
        raise ScenarioError(problems)
    return data, origins


def _construct(node: yaml.Node, path: Path_, name: str, origins: dict, problems: list[Problem]) -> Any:
    origins[path] = (name, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(name, path, key_node.start_mark.line + 1,
                                        "YAML merge keys (<<) are not supported: use extends"))
                continue
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(Problem(name, path, key_node.start_mark.line + 1,
                                        f"keys must be text, got {key!r}"))
                continue
            key = str(key)
            if key in out:
                problems.append(Problem(name, path + (key,), key_node.start_mark.line + 1,
                                        "duplicate key (an earlier line sets it too)"))
            out[key] = _construct(value_node, path + (key,), name, origins, problems)
            origins[path + (key,)] = (name, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, path + (i,), name, origins, problems) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


# --- extends and overrides -------------------------------------------------------------------


def _read_with_extends(file: Path, chain: tuple[Path, ...]) -> Raw:
    resolved = file.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in chain + (resolved,))
        raise ScenarioError([Problem(str(file), ("extends",), None, f"extends loops: {cycle}")])
    data, origins = _read_yaml(file)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return Raw(data, origins, [str(file)])
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(str(file), ("extends",), origins[("extends",)][1],
                                     "expected the path of another scenario file")])
    parent_file = (file.parent / parent_ref)
    if not parent_file.is_file():
        raise ScenarioError([Problem(str(file), ("extends",), origins[("extends",)][1],
                                     f"no scenario file {parent_ref!r} next to this one")])
    parent = _read_with_extends(parent_file, chain + (resolved,))
    merged = _deep_merge(parent.data, {k: v for k, v in data.items() if k != "extends"})
    return Raw(merged, {**parent.origins, **origins}, parent.files + [str(file)])


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`: mappings merge key by key, anything else replaces, null deletes."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


_SET = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*=(.*)$", re.S)


def parse_override(text: str) -> tuple[Path_, Any]:
    """`links.btc.capacity=60 Mt/yr` -> (("links", "btc", "capacity"), "60 Mt/yr")."""
    m = _SET.match(text)
    if not m:
        raise ScenarioError([Problem("--set", (), None, f"expected PATH=VALUE, got {text!r}")])
    key, value_text = m.group(1), m.group(2).strip()
    path: list[Any] = []
    for part in key.replace("[", ".").replace("]", "").split("."):
        if not part:
            raise ScenarioError([Problem("--set", (), None, f"empty key in path {key!r}")])
        path.append(int(part) if part.isdigit() else part)
    try:
        value = yaml.safe_load(value_text) if value_text else ""
    except yaml.YAMLError:
        value = value_text
    return tuple(path), value


def apply_override(raw: Raw, text: str) -> None:
    path, value = parse_override(text)
    where = f"--set {text.strip()}"
    node: Any = raw.data
    for i, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            if part not in node and i == 0 and part not in _fields_at(()):
                hint = difflib.get_close_matches(str(part), _fields_at(()), n=1)
                raise ScenarioError([Problem(where, path[:1], None, f"no key {part!r} here" +
                                             (f"; did you mean {hint[0]!r}?" if hint else ""))])
            node = node.setdefault(part, {})  # a section the file leaves to its defaults
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            raise ScenarioError([Problem(where, path[: i + 1], None, "cannot descend into a value here")])
    last = path[-1]
    if isinstance(node, dict) and value is None:
        node.pop(last, None)  # null deletes, as in extends
    elif isinstance(node, dict) or isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    else:
        raise ScenarioError([Problem(where, path, None, "cannot set a value here")])
    for p in [p for p in raw.origins if p[: len(path)] == path]:
        del raw.origins[p]
    raw.origins[path] = (where, None)


# --- pydantic errors to problems -------------------------------------------------------------


def _problem(raw: Raw, err: ErrorDetails) -> Problem:
    loc = tuple(err["loc"])
    kind, msg = err["type"], err["msg"]
    msg = msg.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        msg = f"unknown key {loc[-1]!r}" + (f"; did you mean {hint[0]!r}?" if hint else
                                            (f" (expected one of: {', '.join(allowed)})" if allowed else ""))
    elif kind == "missing":
        msg = f"missing key {loc[-1]!r}"
    elif kind == "model_attributes_type" or kind == "dict_type":
        msg = f"expected a mapping, got {_short(err.get('input'))}"
    else:
        m = re.match(r"^([a-z_]+): ", msg)  # a model validator naming the key it is about
        if m and isinstance(_get(raw.data, loc), dict) and m.group(1) in _get(raw.data, loc):
            loc, msg = loc + (m.group(1),), msg[m.end():]
        if kind == "literal_error" and isinstance(err.get("input"), str):
            options = re.findall(r"'([^']+)'", err.get("ctx", {}).get("expected", ""))
            hint = difflib.get_close_matches(err["input"], options, n=1)
            if hint:
                msg += f"; did you mean {hint[0]!r}?"
    file, line = raw.where(loc)
    return Problem(file, loc, line, msg)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _get(data: Any, path: Path_) -> Any:
    for p in path:
        try:
            data = data[p]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _fields_at(loc: Path_) -> list[str]:
    """The keys allowed at `loc` in the Scenario model (for did-you-mean)."""
    t: Any = Scenario
    for part in loc:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            field_ = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if field_ is None:
                return []
            t = field_.annotation
        elif typing.get_origin(t) is dict:
            t = typing.get_args(t)[1]
        elif typing.get_origin(t) is list:
            t = typing.get_args(t)[0]
        else:
            return []
    t = _unwrap(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or n for n, f in t.model_fields.items()]
    return []


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(t) if a is not type(None)]
            t = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), args[0])
        else:
            return t


def resolved_yaml(scenario: Scenario) -> str:
    """The scenario with every default filled in, as a file that loads to the same scenario."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
