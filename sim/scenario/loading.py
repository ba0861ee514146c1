"""Scenario files to a validated `Scenario`: safe YAML with line numbers, `extends:`, `--set`.

Every problem found is collected (not just the first) and raised together as a ScenarioError
whose entries name the file, the key path and the line.

Input is bounded before it is believed: a scenario file is a regular file (a folder, a FIFO, a
device or a socket is refused without being read) of at most `MAX_BYTES`; its YAML is plain
(mappings, lists, text, numbers, true/false, null: no tags such as `!!python/object`), nested at
most `MAX_DEPTH` levels; and a whole scenario (every file of its `extends:` chain, at most
`MAX_EXTENDS` files) holds at most `MAX_NODES` YAML nodes with every alias counted as expanded,
so an alias bomb is refused after reading at most that many. `--set` values follow the same rules.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any, NoReturn, cast

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim import bundled
from sim.errors import Problem, ScenarioError, dotted
from sim.scenario import sources
from sim.scenario.checks import references
from sim.scenario.schema import Scenario, figures

Path_ = tuple[Any, ...]

MAX_BYTES = 2_000_000  # one scenario file; the bundled ones are under 50 kB
MAX_NODES = 50_000  # YAML nodes in a whole scenario, aliases counted expanded (bundled: under 5,000)
MAX_DEPTH = 64  # levels of nested mappings and lists (the bundled scenarios use 7)
MAX_EXTENDS = 16  # files in one extends chain
MAX_PROBLEMS = 100  # problems listed before "and N more"


@dataclass
class Raw:
    """A scenario as merged plain data, with where each key came from (file, line)."""

    data: dict[str, Any]
    origins: dict[Path_, tuple[str, int | None]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # entries a later file replaced whole (its `dist`, `kind` or `value` changed): why, for messages
    replaced: dict[Path_, str] = field(default_factory=dict)

    def where(self, path: Path_) -> tuple[str, int | None]:
        for n in range(len(path), -1, -1):
            if path[:n] in self.origins:
                return self.origins[path[:n]]
        return (self.files[-1] if self.files else "<scenario>", None)


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file. Raises ScenarioError."""
    return validate(read_raw(path, overrides))


def read_raw(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Raw:
    raw = _read_with_extends(Path(path), (), _Budget(), None)
    for text in overrides:
        apply_override(raw, text)
    return raw


def with_overrides(raw: Raw, overrides: list[str] | tuple[str, ...]) -> Raw:
    """`raw` with `--set` overrides applied, as `read_raw(path, overrides)` gives it, leaving `raw`
    as it was: only the mappings and lists along each override's path are copied, the rest is
    shared (validation only reads it). A sweep worker reads its scenario once and takes every
    point from it this way."""
    out = Raw(dict(raw.data), dict(raw.origins), list(raw.files), dict(raw.replaced))
    for text in overrides:
        node: Any = out.data
        for part in parse_override(text)[0][:-1]:
            found = part in node if isinstance(node, dict) else isinstance(part, int) and part < len(node)
            child = node[part] if found else None
            if not isinstance(child, (dict, list)):
                break  # apply_override refuses what cannot be set, as read_raw would
            child = dict(child) if isinstance(child, dict) else list(child)
            node[part] = child
            node = child
        apply_override(out, text)
    return out


def validate(raw: Raw) -> Scenario:
    data = {k: v for k, v in raw.data.items() if k != "extends"}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_capped([_problem(raw, err) for err in exc.errors()])) from None
    problems = [_at(raw, p, m) for p, m in references(scenario)]
    problems += [_at(raw, p, m) for p, m in sources.check(figures(scenario))]
    if problems:
        raise ScenarioError(_capped(problems))
    for nid, node in scenario.nodes.items():  # a profile file is read beside the scenario file naming it
        named_in = Path(raw.where(("nodes", nid, "generation", "file"))[0])
        if node.generation is not None and node.generation.file and named_in.is_file():
            node.generation.read_beside(named_in.parent)
    return scenario


def _at(raw: Raw, path: Path_, message: str) -> Problem:
    file, line = raw.where(path)
    return Problem(file, path, line, message)


def _capped(problems: list[Problem]) -> list[Problem]:
    """The first MAX_PROBLEMS problems, and a line saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    last = problems[MAX_PROBLEMS]
    return problems[:MAX_PROBLEMS] + [Problem(last.file, (), None,
                                              f"... and {len(problems) - MAX_PROBLEMS:,} more problems")]


def _refuse(file: str, line: int | None, message: str, path: Path_ = ()) -> NoReturn:
    raise ScenarioError([Problem(file, path, line, message)])


# --- reading a file: a regular file, bounded in size ---------------------------------------


class _Unreadable(Exception):
    """A scenario path that is not a readable regular file of a sensible size (the reason)."""


class _Missing(_Unreadable):
    """A scenario path where there is no file at all."""


def _read_bytes(file: Path) -> bytes:
    """The bytes of `file`, a regular file of at most MAX_BYTES; anything else is refused
    without reading it (a FIFO would block, /dev/zero never ends)."""
    try:
        info = os.stat(file)
        if not stat.S_ISREG(info.st_mode):
            raise _Unreadable(f"not a regular file ({_kind(info.st_mode)}); expected a YAML scenario file")
        _check_size(info.st_size)
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise _Missing("cannot read the file: no such file") from None
    except OSError as exc:
        raise _Unreadable(f"cannot read the file: {exc.strerror}") from None
    except ValueError:  # a NUL byte in the path
        raise _Unreadable("not a file name (it holds a NUL byte)") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())  # it may have been swapped since the stat above
        if not stat.S_ISREG(info.st_mode):
            raise _Unreadable(f"not a regular file ({_kind(info.st_mode)}); expected a YAML scenario file")
        try:
            blob = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise _Unreadable(f"cannot read the file: {exc.strerror}") from None
    _check_size(len(blob))
    return blob


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise _Unreadable(f"the file is {size / 1e6:.1f} MB; a scenario file may be at most "
                          f"{MAX_BYTES / 1e6:g} MB (the bundled ones are under 50 kB)")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a plain file"


# --- YAML with line numbers, bounded -------------------------------------------------------

_YAML = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR = _YAML + "map", _YAML + "seq", _YAML + "str"
_SCALAR_TAGS = {_YAML + t for t in ("null", "bool", "int", "float", "str", "merge")}
_AS_TEXT = {_YAML + "timestamp", _YAML + "value"}  # no scenario field is a date: keep the text


@dataclass
class _Budget:
    """YAML nodes read so far for one scenario (all its files), each alias counted as expanded."""

    used: int = 0

    def spend(self, n: int, file: str, line: int) -> None:
        self.used += n
        if self.used > MAX_NODES:
            _refuse(file, line, f"more than {MAX_NODES:,} YAML nodes (each alias counted as expanded); "
                                "a scenario needs a few thousand")


class _Open:
    """A mapping or list being read: its node, anchor, the budget used before it, its height."""

    __slots__ = ("node", "mapping", "anchor", "start", "height", "key")

    def __init__(self, node: yaml.MappingNode | yaml.SequenceNode, mapping: bool, anchor: str | None,
                 start: int) -> None:
        self.node, self.mapping, self.anchor, self.start = node, mapping, anchor, start
        self.height = 0
        self.key: yaml.Node | None = None


def _compose(text: str, name: str, budget: _Budget) -> yaml.Node | None:
    """The YAML node tree of `text` (None when it holds no document), read event by event so
    that depth, node count (aliases expanded) and tags are checked before anything is built.
    Raises ScenarioError for a bound or a tag, yaml.YAMLError for malformed YAML."""
    try:
        return _compose_events(text, name, budget)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):
            raise
        mark = exc.problem_mark or exc.context_mark
        _refuse(name, mark.line + 1 if mark else None, f"nested more than {MAX_DEPTH} levels deep")


def _compose_events(text: str, name: str, budget: _Budget) -> yaml.Node | None:
    """`_compose`, without the translation of libyaml's own depth limit (1,000 levels)."""
    resolve = yaml.resolver.Resolver().resolve
    anchors: dict[str, tuple[yaml.Node, int, int]] = {}  # anchor -> (node, expanded size, height)
    stack: list[_Open] = []
    roots: list[yaml.Node] = []

    def place(line: int, node: yaml.Node, height: int) -> None:
        if len(stack) + height > MAX_DEPTH:
            _refuse(name, line, f"nested more than {MAX_DEPTH} levels deep (aliases expanded)")
        if not stack:
            roots.append(node)
            return
        top = stack[-1]
        if height > top.height:
            top.height = height
        if top.mapping:
            if top.key is None:
                top.key = node
                return
            top.node.value.append((top.key, node))
            top.key = None
            return
        top.node.value.append(node)

    documents = 0
    node: yaml.Node
    event: Any  # the attributes differ by the kind of event, told apart below
    for event in yaml.parse(text, Loader=sources.YAML_LOADER):
        kind = type(event)
        mark = cast(yaml.Mark, event.start_mark)  # libyaml's mark type has the same fields
        line = mark.line + 1
        if kind is yaml.ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag in _AS_TEXT:
                tag = _STR
            elif tag not in _SCALAR_TAGS:
                _refuse(name, line, _bad_tag(tag))
            budget.spend(1, name, line)
            node = yaml.ScalarNode(tag, event.value, mark, None, event.style)
            if event.anchor is not None:
                anchors[event.anchor] = (node, 1, 1)
            place(line, node, 1)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            mapping = kind is yaml.MappingStartEvent
            node_kind, want = (yaml.MappingNode, _MAP) if mapping else (yaml.SequenceNode, _SEQ)
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(node_kind, None, event.implicit)
            if tag != want:
                _refuse(name, line, _bad_tag(tag))
            if len(stack) + 1 > MAX_DEPTH:
                _refuse(name, line, f"nested more than {MAX_DEPTH} levels deep")
            begin = budget.used
            budget.spend(1, name, line)
            stack.append(_Open(node_kind(tag, [], mark, None, event.flow_style), mapping, event.anchor, begin))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            top = stack.pop()
            size, height = budget.used - top.start, top.height + 1
            if top.anchor is not None:
                anchors[top.anchor] = (top.node, size, height)
            place(line, top.node, height)
        elif kind is yaml.AliasEvent:
            if event.anchor not in anchors:
                inside = any(o.anchor == event.anchor for o in stack)
                _refuse(name, line, f"the alias *{event.anchor} " + (
                    "is inside the node it names (a recursive structure)" if inside
                    else "names no anchor defined before it"))
            node, size, height = anchors[event.anchor]
            budget.spend(size, name, line)
            place(line, node, height)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                _refuse(name, line, "a second YAML document (---): a scenario file holds one mapping")
    return roots[0] if roots else None


def _bad_tag(tag: str) -> str:
    shown = "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag
    return (f"the YAML tag {shown} is not allowed: a scenario file holds plain mappings, lists, text, "
            "numbers, true/false and null")


def _read_yaml(file: Path, text: str, budget: _Budget) -> tuple[dict[str, Any], dict[Path_, tuple[str, int | None]],
                                                                set[Path_]]:
    """A file's text (already read) as plain data, the line of every key path, and the key paths
    marked new (`+id:`, the `+` removed)."""
    name = str(file)
    try:
        node = _compose(text, name, budget)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        _refuse(name, line, f"malformed YAML: {exc.problem}")
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at an offset
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        _refuse(name, line, f"malformed YAML: {exc.reason} (character U+{char:04X})")
    except yaml.YAMLError as exc:
        _refuse(name, None, f"malformed YAML: {exc}")
    if node is None:
        _refuse(name, None, "the file is empty: expected a scenario mapping")
    if not isinstance(node, yaml.MappingNode):
        got = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        _refuse(name, node.start_mark.line + 1, f"expected a mapping of scenario keys at the top level, got {got}")
    origins: dict[Path_, tuple[str, int | None]] = {}
    problems: list[Problem] = []
    marks: set[Path_] = set()
    data = _construct(node, (), name, origins, problems, yaml.constructor.SafeConstructor(), marks)
    problems += [Problem(name, path, origins[path][1], message) for path, message in _misplaced(marks)]
    if problems:
        raise ScenarioError(_capped(problems))
    return data, origins, marks


def _decode(blob: bytes) -> str:
    """The text of a file's bytes; ValueError (the reason) when it is not UTF-8 text."""
    if b"\x00" in blob:
        raise ValueError("not a text file (it holds binary data)")
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None


def _construct(node: yaml.Node, path: Path_, name: str, origins: dict[Path_, tuple[str, int | None]],
               problems: list[Problem], constructor: yaml.constructor.SafeConstructor,
               marks: set[Path_]) -> Any:
    """Plain data from a node tree that `_compose` bounded (depth and expanded size); a key
    written `+id` is read as `id` and its path added to `marks` (a new entry, see `NEW`)."""
    origins[path] = (name, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _YAML + "merge":
                problems.append(Problem(name, path, line, "YAML merge keys (<<) are not supported: use extends"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                got = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                problems.append(Problem(name, path, line, f"keys must be text, got {got}"))
                continue
            try:
                key = _scalar(key_node, constructor)
            except ValueError as exc:
                problems.append(Problem(name, path, line, str(exc)))
                continue
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(Problem(name, path, line, f"keys must be text, got {_short(key)}"))
                continue
            key = str(key)
            if key.startswith(NEW) and len(key) > 1:
                key = key[1:]
                marks.add(path + (key,))
            if key in out:
                problems.append(Problem(name, path + (key,), line, "duplicate key (an earlier line sets it too)"))
            out[key] = _construct(value_node, path + (key,), name, origins, problems, constructor, marks)
            origins[path + (key,)] = (name, line)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, path + (i,), name, origins, problems, constructor, marks)
                for i, v in enumerate(node.value)]
    try:
        return _scalar(node, constructor)
    except ValueError as exc:
        problems.append(Problem(name, path, node.start_mark.line + 1, str(exc)))
        return None


def _scalar(node: yaml.Node, constructor: yaml.constructor.SafeConstructor) -> Any:
    """The value of a scalar node; ValueError (fit to show) when its text does not fit its tag."""
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(f"cannot read {_short(node.value)} as {node.tag.removeprefix(_YAML)}: {problem}") from None


# --- extends and overrides -------------------------------------------------------------------


def _read_with_extends(file: Path, chain: tuple[Path, ...], budget: _Budget,
                       referrer: tuple[str, int | None, str] | None) -> Raw:
    """A file and the files it extends, merged; `referrer` is (file, line, text) of the
    `extends:` that names this one, where problems with reaching it are reported."""

    def unreachable(message: str) -> NoReturn:
        if referrer is None:
            _refuse(str(file), None, message)
        _refuse(referrer[0], referrer[1], f"{referrer[2]!r}: {message}", ("extends",))

    try:
        resolved = file.resolve()
    except (OSError, ValueError, RuntimeError):
        unreachable("cannot resolve the path")
    if resolved in chain:
        cycle = " -> ".join(p.name for p in chain + (resolved,))
        unreachable(f"extends loops: {cycle}")
    if len(chain) >= MAX_EXTENDS:
        unreachable(f"more than {MAX_EXTENDS} files in the extends chain")
    try:
        text = _decode(_read_bytes(file))
    except _Unreadable as exc:
        if referrer is not None and isinstance(exc, _Missing):
            hint = f"; the bundled scenario is `extends: {Path(referrer[2]).stem}`" if (
                bundled.scenario(Path(referrer[2]).stem) and Path(referrer[2]).name == referrer[2]) else ""
            unreachable(f"no scenario file {referrer[2]!r} next to this one" + hint)
        unreachable(str(exc))
    except ValueError as exc:
        _refuse(str(file), None, str(exc))
    data, origins, marks = _read_yaml(file, text, budget)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return Raw(data, origins, [str(file)])
    line = origins[("extends",)][1]
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        _refuse(str(file), line, "expected the path of another scenario file or a bundled scenario's name",
                ("extends",))
    parent = _read_with_extends(_parent_path(file, parent_ref), chain + (resolved,), budget,
                                (str(file), line, parent_ref))
    merge = _Merge(str(file), origins, marks, parent)
    merged = merge.mappings(parent.data, {k: v for k, v in data.items() if k != "extends"}, ())
    if merge.problems:
        raise ScenarioError(_capped(merge.problems))
    kept = {p: o for p, o in parent.origins.items()
            if not any(len(p) > len(r) and p[: len(r)] == r for r in merge.replaced)}
    return Raw(merged, {**kept, **origins}, parent.files + [str(file)], {**parent.replaced, **merge.why})


def _parent_path(file: Path, ref: str) -> Path:
    """The file an `extends:` names: a path from the file's folder, or the name of a bundled scenario
    (`baseline-2023`) when there is no such file, as the command line takes scenario arguments."""
    path = file.parent / ref
    if Path(ref).suffix in (".yaml", ".yml") or Path(ref).name != ref or "\0" in ref or os.path.lexists(path):
        return path
    return bundled.scenario(ref) or path


# A key written with this prefix (`+caspian_ferries_2:` in a file, `--set +fleets.x=...`) adds a new
# entry to a table of ids; without it, an id one typo away from an existing one is refused.
NEW = "+"
NEAR_MISS = 0.8  # difflib ratio at or above which a new id is taken for a typo of an existing one
NEAR_MISS_LENGTH = 5  # shorter ids are never taken for typos
KIND_KEYS = ("dist", "kind")  # a mapping that changes one of these is a different thing: replaced whole
FIGURE_KEYS = frozenset({"value", "source", "note", "calibrate"})


class _Merge:
    """A child file's data over its parent's: mappings merge key by key, anything else replaces,
    null deletes. A mapping whose `dist` or `kind` changes, or a figure (`{value:, source:}`) whose
    value changes, is replaced whole: the parent's parameters, blocks and source belong to what it
    was. A new id in a table of ids that is a near miss of an existing one is a problem unless the
    child marks it new (`+id`). Both sides are fresh from `_construct`: the result may share parts."""

    def __init__(self, name: str, origins: dict[Path_, tuple[str, int | None]], marks: set[Path_],
                 parent: Raw) -> None:
        self.name, self.origins, self.marks, self.parent = name, origins, marks, parent
        self.problems: list[Problem] = []
        self.replaced: list[Path_] = []  # paths whose parent value was dropped (replaced or deleted)
        self.why: dict[Path_, str] = {}

    def mappings(self, base: dict[str, Any], top: dict[str, Any], path: Path_) -> dict[str, Any]:
        out = dict(base)
        for key, value in top.items():
            here = path + (key,)
            self._check_new(key, here, base)
            old = out.get(key)
            change = _changed_kind(old, value) if isinstance(old, dict) and isinstance(value, dict) else None
            if value is None:
                out.pop(key, None)
                self.replaced.append(here)
            elif change is None and isinstance(value, dict) and isinstance(old, dict):
                out[key] = self.mappings(old, value, here)
            else:
                out[key] = value
                self.replaced.append(here)
                if change is not None:
                    self.why[here] = change
        return out

    def _check_new(self, key: str, here: Path_, base: dict[str, Any]) -> None:
        marked = here in self.marks
        if marked and key in base:
            file, line = self.parent.where(here)
            self._problem(here, f"{NEW}{key} marks a new entry, but {key!r} is already in {_at_line(file, line)}; "
                                f"drop the {NEW} to change it")
        elif not marked and key not in base and _is_id_table(here[:-1]):
            match = _near_miss(key, list(base))
            if match is not None:
                file, line = self.parent.where(here[:-1] + (match,))
                self._problem(here, f"no {key!r} in the scenario this file extends; did you mean {match!r} "
                                    f"({_at_line(file, line)})? To add a new entry, write it {NEW}{key}")

    def _problem(self, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.name, path, self.origins.get(path, (self.name, None))[1], message))


def _changed_kind(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why `new` replaces `old` instead of merging into it (None: it merges)."""
    for key in KIND_KEYS:
        if key in old and key in new and isinstance(old[key], str) and isinstance(new[key], str) \
                and old[key] != new[key]:
            return f"{key} changed from {old[key]} to {new[key]}"
    if "value" in old and "value" in new and set(old) <= FIGURE_KEYS and set(new) <= FIGURE_KEYS \
            and old["value"] != new["value"]:
        return f"value changed from {old['value']} to {new['value']}"
    return None


def _near_miss(key: str, existing: list[str]) -> str | None:
    """The existing id `key` is a typo of, if any: close by difflib, and not the same id numbered
    (`line_2` beside `line_1` or `line` is the next of a series, not a typo). Ids shorter than
    `NEAR_MISS_LENGTH` are never taken for typos: one letter more or less of a short id (`l2b`
    beside `l2`) is as likely a new name as a slip."""
    if len(key) < NEAR_MISS_LENGTH:
        return None
    for match in difflib.get_close_matches(key, existing, n=3, cutoff=NEAR_MISS):
        if _SERIES.sub("", match) != _SERIES.sub("", key):
            return match
    return None


_SERIES = re.compile(r"[\d_.-]")  # what numbers one of a series: digits and separators


def _misplaced(marks: set[Path_]) -> list[tuple[Path_, str]]:
    """Marks (`+key`) on keys that are not ids in a table of ids, where `+` means nothing."""
    return [(path, f"{NEW} marks a new entry of a table of ids (nodes, links, fleets...); "
                   f"{str(path[-1])!r} is not one") for path in sorted(marks, key=str) if not _is_id_table(path[:-1])]


def _at_line(file: str, line: int | None) -> str:
    return f"{file}:{line}" if line else file


_SET = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]+]+)\s*=(.*)$", re.S)


def parse_override(text: str) -> tuple[Path_, Any]:
    """`links.btc.capacity=60 Mt/yr` -> (("links", "btc", "capacity"), "60 Mt/yr")."""
    m = _SET.match(text)
    if not m:
        _refuse("--set", None, f"expected PATH=VALUE, got {text!r}")
    key, value_text = m.group(1), m.group(2).strip()
    path: list[Any] = []
    for part in key.removeprefix(NEW).replace("[", ".").replace("]", "").split("."):
        part = part.removeprefix(NEW)
        if not part:
            _refuse("--set", None, f"empty key in path {key!r}")
        path.append(int(part) if part.isdigit() else part)
    if len(path) > MAX_DEPTH:
        _refuse("--set", None, f"the path {key[:40]!r}... is more than {MAX_DEPTH} keys deep")
    return tuple(path), _override_value(value_text, f"--set {text.strip()}")


def _override_value(text: str, where: str) -> Any:
    """A `--set` value read as YAML by the scenario file rules (text when it is not YAML)."""
    if not text:
        return ""
    try:
        node = _compose(text, where, _Budget())
    except yaml.YAMLError:
        return text
    if node is None:
        return None
    problems: list[Problem] = []
    value = _construct(node, (), where, {}, problems, yaml.constructor.SafeConstructor(), set())
    if problems:
        raise ScenarioError([Problem(where, (), None, p.message) for p in problems])
    return value


def apply_override(raw: Raw, text: str) -> None:
    """One `--set PATH=VALUE`; `--set +PATH=VALUE` (or `+` before a key of the path) may add new ids."""
    path, value = parse_override(text)
    where = f"--set {text.strip()}"
    if value is None:  # null deletes, as in extends
        _delete(raw.data, path, where)
    else:
        _set(raw.data, path, value, where, adds=NEW in text.partition("=")[0], raw=raw)
    for p in [p for p in raw.origins if p[: len(path)] == path]:
        del raw.origins[p]
    raw.origins[path] = (where, None)


def _set(data: dict[str, Any], path: Path_, value: Any, where: str, adds: bool = False,
         raw: Raw | None = None) -> None:
    node: Any = data
    for i, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            if part not in node and i == 0 and part not in _fields_at(()):
                _refuse(where, None, f"no key {part!r} here" + _hint(part, _fields_at(())), path[:1])
            if not adds:
                _check_new_id(node, path[: i + 1], where, raw)
            node = node.setdefault(part, {})  # a section the file leaves to its defaults
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            _refuse(where, None, "cannot descend into a value here", path[: i + 1])
    last = path[-1]
    if isinstance(node, dict) and not adds:
        _check_new_id(node, path, where, raw)
    if isinstance(node, dict) or isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    else:
        _refuse(where, None, "cannot set a value here", path)


def _check_new_id(table: dict[str, Any], path: Path_, where: str, raw: Raw | None) -> None:
    """Refuse a `--set` that would add the id `path[-1]` to `table` when it is a near miss of an
    id already there (a typo), unless marked new."""
    key = path[-1]
    if key in table or not isinstance(key, str) or not _is_id_table(path[:-1]):
        return
    match = _near_miss(key, [str(k) for k in table])
    if match is not None:
        file, line = raw.where(path[:-1] + (match,)) if raw is not None else ("", None)
        found = f" ({_at_line(file, line)})" if file else ""
        _refuse(where, None, f"no {key!r} in the scenario; did you mean {match!r}{found}? To add a new entry, "
                             f"write --set {NEW}{dotted(path)}=...", path)


def _delete(data: dict[str, Any], path: Path_, where: str) -> None:
    """Remove the key at `path`; a key that is not there is a mistake (a typo), not a no-op."""
    node: Any = data
    for i, part in enumerate(path):
        if isinstance(node, list):
            _refuse(where, None, "null deletes a key of a mapping; to change a list, set the whole list",
                    path[: i + 1])
        if not isinstance(node, dict) or part not in node:
            fields = _fields_at(path[:i])
            if str(part) in fields:
                _refuse(where, None, "nothing to delete: the scenario does not set this key", path[: i + 1])
            known = sorted(set(map(str, node)) | set(fields)) if isinstance(node, dict) else []
            _refuse(where, None, f"no key {part!r} to delete here" + _hint(part, known), path[: i + 1])
        if i == len(path) - 1:
            del node[part]
        else:
            node = node[part]


def _hint(word: Any, options: list[str]) -> str:
    match = difflib.get_close_matches(str(word), options, n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


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
        why = next((raw.replaced[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in raw.replaced), None)
        if why is not None:
            msg += f" (the entry is replaced whole, not merged with its parent's: its {why})"
    elif loc and loc[-1] == "[key]":  # an id (a mapping's key) that is not plain text
        loc = loc[:-1]
        msg = (f"{str(loc[-1])!r} is not an id: use letters, digits, '_', '.', '-' (starting with a letter or "
               "digit), at most 100 characters")
    elif kind == "model_attributes_type" or kind == "dict_type":
        msg = f"expected a mapping, got {_short(err.get('input'))}"
    else:
        m = re.match(r"^([a-z_]+): ", msg)  # a model validator naming the key it is about
        if m and isinstance(_get(raw.data, loc), dict) and m.group(1) in _get(raw.data, loc):
            blamed = _later_change(raw, loc, loc + (m.group(1),))
            if blamed is not None:
                return blamed(msg[m.end():])
            loc, msg = loc + (m.group(1),), msg[m.end():]
        if kind == "literal_error" and isinstance(err.get("input"), str):
            options = re.findall(r"'([^']+)'", err.get("ctx", {}).get("expected", ""))
            hint = difflib.get_close_matches(err["input"], options, n=1)
            if hint:
                msg += f"; did you mean {hint[0]!r}?"
    file, line = raw.where(loc)
    return Problem(file, loc, line, msg)


def _later_change(raw: Raw, entry: Path_, named: Path_) -> Callable[[str], Problem] | None:
    """When an entry's check names a key that an earlier file set (`named`) but a later file or a
    `--set` changed another key of the entry, the mistake is the later change: a problem at that
    change's file and line, naming the key it conflicts with (None when there is no later change)."""
    file, line = raw.where(named)
    rank = {f: i for i, f in enumerate(raw.files)}
    mine = rank.get(file, len(raw.files))
    later = [(rank.get(o[0], len(raw.files)), len(p), o[1] or 0, p) for p, o in raw.origins.items()
             if len(p) > len(entry) and p[: len(entry)] == entry and rank.get(o[0], len(raw.files)) > mine]
    if not later:
        return None
    *_, path = min(later, key=lambda c: (-c[0], c[1], c[2]))
    where, at = raw.origins[path]
    return lambda msg: Problem(where, path, at, f"conflicts with {dotted(named[len(entry):])} "
                                                f"({_at_line(file, line)}): {msg}")


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


def _type_at(loc: Path_) -> Any:
    """The type the Scenario model gives the value at `loc` (None where it has none)."""
    t: Any = Scenario
    for part in loc:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            field_ = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if field_ is None:
                return None
            t = field_.annotation
        elif typing.get_origin(t) is dict:
            t = typing.get_args(t)[1]
        elif typing.get_origin(t) is list:
            t = typing.get_args(t)[0]
        else:
            return None
    return t


def _fields_at(loc: Path_) -> list[str]:
    """The keys allowed at `loc` in the Scenario model (for did-you-mean)."""
    t = _unwrap(_type_at(loc))
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or n for n, f in t.model_fields.items()]
    return []


def _is_id_table(loc: Path_) -> bool:
    """Whether the mapping at `loc` is a table of entries by id (nodes, links, a port's traffic...)."""
    t = _unwrap(_type_at(loc))
    return typing.get_origin(t) is dict and _unwrap(typing.get_args(t)[0]) is str


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
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when present: 4x faster
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
