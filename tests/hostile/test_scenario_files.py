"""Scenario files and overrides as a hostile user writes them (issue 14: bounded input).

Every case is refused with exit 2, the place named (file:line, or the `--set` text) and nothing
written: files that are not regular files (never read), files too big, YAML too deep, too many
nodes once aliases are expanded, tags, bad bytes, bad `extends:`, bad `--set`, names that are not
slugs, out-of-range settings, NaN/inf, a measured window too short, a flow with no path.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import MINIMAL, ROOT

from sim import bundled

TEXT = MINIMAL.read_text()
MEMORY = 1536 * 2**20  # 1.5 GB of address space for the subprocess cases


def edit(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def bomb(levels: int = 9) -> str:
    """The "billion laughs": each level a list of ten aliases to the level below (10**9 leaves)."""
    rows = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(rows) + "\n"


def keys(n: int) -> str:
    return "".join(f"key{i}: {i}\n" for i in range(n))


def line_of(text: str, words: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if words in row)


ISLAND = edit("  d: {kind: demand", "  z: {kind: demand, country: RO, lon: 1, lat: 1}\n  d: {kind: demand")

# --- one file: (its content, the words the message must name) --------------------------------
# `place` "{f}:N" stands for the file name and line N; "{f}" for the file name alone.

FILES: dict[str, tuple[str | bytes, str]] = {
    # size
    "5 MB of keys": (keys(300_000), "{f}: the file is 5."),
    "1.7 MB of keys": (keys(105_000), "more than 50,000 YAML nodes"),
    "just over 2 MB": ("name: x\n" + "#" * 2_000_000 + "\n", "at most 2 MB"),
    # structure: nodes, depth, aliases
    "billion laughs": (bomb(), "{f}:5: more than 50,000 YAML nodes"),
    "alias bomb in a scenario": (TEXT + "extra:\n" + "".join(f"  {row}\n" for row in bomb(8).splitlines()),
                                 "YAML nodes"),
    "50001 items in one list": ("name: x\nitems: [" + "1," * 50_001 + "]\n", "{f}:2"),
    "5000-deep flow lists": ("name: x\nv: " + "[" * 5000 + "]" * 5000 + "\n", "{f}:2"),
    "5000-deep block lists": ("name: x\nv:\n" + "- " * 5000 + "x\n", "{f}:3"),
    "5000-deep flow mappings": ("v: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "{f}:1"),
    "100-deep block mappings": ("".join(" " * i + f"k{i}:\n" for i in range(100)) + " " * 100 + "x\n",
                                "nested more than"),
    "aliases nest deeper than the text": (
        "a0: &a0 " + "[" * 40 + "]" * 40 + "\n" + "".join(f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 + "\n"
                                                     for i in range(1, 4)), "nested more than"),
    "recursive alias": ("name: x\nloop: &a [1, *a]\n", "{f}:2"),
    "undefined alias": ("name: x\nv: *nowhere\n", "{f}:2"),
    # tags
    "python object tag": ("name: !!python/object:os.system {}\n", "{f}:1"),
    "python apply tag": ("name: x\nrun: !!python/object/apply:os.system [echo owned]\n", "{f}:2"),
    "python name tag": ("name: !!python/name:os.system x\n", "!!python/name:os.system"),
    "local tag": (edit("name: minimal", "name: !foo minimal"), "{f}:2"),
    "verbatim tag": ("name: !<tag:example.com,2000:app/x> y\n", "{f}:1"),
    "binary tag": ("name: !!binary aGVsbG8=\n", "!!binary"),
    "set tag": ("name: x\nv: !!set {a, b}\n", "!!set"),
    "omap tag": ("name: x\nv: !!omap [a: 1]\n", "!!omap"),
    "tag on the top mapping": ("!!python/object:os.system\nname: x\n", "{f}:1"),
    "tag on a key": ("name: x\n!foo k: 1\n", "{f}:2"),
    "int tag on text": ("name: x\nyear: !!int twenty\n", "{f}:2"),
    # bytes and shape
    "latin-1 bytes": ("name: café\n".encode("latin-1"), "not UTF-8"),
    "a NUL byte": (b"name: x\x00\n", "binary"),
    "an empty file": (b"", "empty"),
    "only comments": ("# nothing here\n# at all\n", "empty"),
    "only blank lines": ("\n\n   \n", "empty"),
    "a top-level list": ("- name: x\n- year: 2023\n", "{f}:1"),
    "a top-level scalar": ("\n\njust some words\n", "{f}:3"),
    "a top-level number": ("42\n", "{f}:1"),
    "two documents": ("name: x\n---\nname: y\n", "{f}:2"),
    "a control character": ("name: x\nv: x\x07y\n", "{f}:2: malformed YAML"),
    "unclosed flow list": ("name: x\nnodes: {a: [1, 2}\n", "{f}:2"),
    "a tab for indentation": ("name: x\nnodes:\n\ta: 1\n", "{f}:3"),
    "a 5000-digit integer": ("name: x\nyear: " + "9" * 5000 + "\n", "{f}:2"),
    "duplicate key": (TEXT + "name: again\n", "duplicate key"),
    "merge key": ("a: &x {b: 1}\nc:\n  <<: *x\n", "{f}:3"),
    "a list as a key": ("? [a, b]\n: 1\nname: x\n", "keys must be text"),
    # settings and schema checks
    "name with a slash": (edit("name: minimal", "name: ../outside"), "{f}:2: name"),
    "name dot": (edit("name: minimal", "name: ."), "{f}:2: name"),
    "name dot-dot inside": (edit("name: minimal", "name: a..b"), "{f}:2: name"),
    "name 101 characters": (edit("name: minimal", "name: " + "x" * 101), "{f}:2: name"),
    "name empty": (edit("name: minimal", "name: ''"), "{f}:2: name"),
    "replications 0": (TEXT + "simulation: {replications: 0}\n", "simulation.replications"),
    "replications 10001": (TEXT + "simulation: {replications: 10001}\n", "simulation.replications"),
    "max_replications 1e8": (TEXT + "simulation: {max_replications: 100000000}\n", "simulation.max_replications"),
    "max_replications 0": (TEXT + "simulation: {max_replications: 0}\n", "simulation.max_replications"),
    "seed -1": (TEXT + "simulation: {seed: -1}\n", "simulation.seed"),
    "seed 2**64": (TEXT + f"simulation: {{seed: {2**64}}}\n", "simulation.seed"),
    "warm-up 99.99 of 100 days": (TEXT + "simulation: {horizon: 100 d, warmup: 99.99 d}\n", "simulation.warmup"),
    "warm-up 60 of 100 days": (TEXT + "simulation: {horizon: 100 d, warmup: 60 d}\n", "half the horizon"),
    "horizon 3 days": (TEXT + "simulation: {horizon: 3 d}\n", "simulation.horizon"),
    "spin-up 2 years": (TEXT + "simulation: {spinup: 2 yr}\n", "simulation.spinup"),
    "negative spin-up": (TEXT + "simulation: {spinup: -5 d}\n", "simulation.spinup"),
    "previous_rate in GW for cargo": (edit("rate: 2.8 Mt/yr,", "rate: 2.8 Mt/yr, previous_rate: 1 GW,"),
                                      "flows.f"),
    "horizon 200 years": (TEXT + "simulation: {horizon: 200 yr}\n", "simulation.horizon"),
    "NaN longitude": (edit("lon: 80", "lon: .nan"), "nodes.a.lon"),
    "inf latitude": (edit("lat: 45", "lat: -.inf"), "nodes.a.lat"),
    "NaN in a mix": (edit("consignment: train}", "consignment: train, mix: {train: .nan}}"), "flows.f.mix"),
    "inf in seasonality": (edit("consignment: train}", "consignment: train, seasonality: [.inf"
                                + ", 1" * 11 + "]}"), "flows.f.seasonality"),
    "NaN capacity text": (edit("capacity: 1 GW", "capacity: nan GW"), "links.gd.capacity"),
    "inf vessels": (edit("vessels: {value: 13, source: s2_042}", "vessels: .inf"), "fleets.ferries.vessels"),
    "a 400-digit vessel count": (edit("vessels: {value: 13, source: s2_042}", "vessels: " + "9" * 400),
                                 "fleets.ferries.vessels"),
    "a million vessels": (edit("vessels: {value: 13, source: s2_042}", "vessels: 1000000"), "from 0 to 10,000"),
    "a million cable units": (edit("units: 2", "units: 1000000"), "links.gd.reliability.units"),
    "NaN weight": (edit("load: 12 h", "load: {dist: empirical, values: [1 h, 2 h], weights: [.nan, 1]}"),
                   "fleets.ferries.load"),
    "inf in a distribution": (edit("mean: 60 d", "mean: inf d"), "links.gd.reliability.repair"),
    "a power that never ends": (edit("rate: 2.8 Mt/yr,", "rate: '9**9**9 Mt/yr',"), "flows.f.rate"),
    "a 300-character quantity": (edit("rate: 2.8 Mt/yr,", "rate: '" + "1" * 300 + " Mt/yr',"), "flows.f.rate"),
    "a number past a float": (edit("rate: 2.8 Mt/yr,", "rate: " + "1" * 400 + ","), "flows.f.rate"),
    # reachability
    "a flow against the links": (edit("origin: a, destination: c", "origin: c, destination: a"), "flows.f"),
    "a flow to an island": (edit("origin: g, destination: d", "origin: g, destination: z", ISLAND), "flows.p"),
    "a flow over another carrier": (edit("origin: a, destination: c", "origin: g, destination: d"), "flows.f"),
}

# Cases also refused by `run`: one or more of each class.
RUN = {"5 MB of keys", "billion laughs", "5000-deep flow lists", "python object tag", "local tag", "a NUL byte",
       "an empty file", "a top-level list", "name with a slash", "max_replications 1e8", "warm-up 99.99 of 100 days",
       "NaN capacity text", "a power that never ends", "a flow against the links", "recursive alias"}


def _place(place: str, name: str) -> str:
    return place.replace("{f}", name)


@pytest.mark.parametrize("case", list(FILES))
def test_validate_refuses_a_bad_file(refused, workdir: Path, case: str) -> None:
    content, place = FILES[case]
    path = workdir / "s.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    start = time.monotonic()
    refused("validate", "s.yaml", place=_place(place, "s.yaml"))
    assert time.monotonic() - start < 10, "a refusal must be quick"


@pytest.mark.parametrize("case", sorted(RUN))
def test_run_refuses_a_bad_file(refused, workdir: Path, case: str) -> None:
    content, place = FILES[case]
    (workdir / "s.yaml").write_bytes(content if isinstance(content, bytes) else content.encode())
    refused("run", "s.yaml", "--out", "r", place=_place(place, "s.yaml"))


def test_the_flow_with_no_path_is_named_at_its_line(refused, workdir: Path) -> None:
    text = edit("origin: a, destination: c", "origin: c, destination: a")
    (workdir / "s.yaml").write_text(text)
    result = refused("validate", "s.yaml", place=f"s.yaml:{line_of(text, 'origin: c')}: flows.f")
    assert "no cargo path from 'c' to 'a'" in result.output


# --- things that are not regular files: refused without being opened -------------------------


def _special(kind: str, folder: Path) -> Path:
    if kind == "a FIFO":
        os.mkfifo(folder / "s.yaml")
    elif kind == "a socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(folder / "s.yaml"))
        sock.close()
    elif kind == "a folder":
        (folder / "s.yaml").mkdir()
    elif kind == "a character device":
        (folder / "s.yaml").symlink_to("/dev/zero")
    elif kind == "a link to a folder":
        (folder / "s.yaml").symlink_to(folder, target_is_directory=True)
    return folder / "s.yaml"


SPECIAL = ["a FIFO", "a socket", "a folder", "a character device", "a link to a folder"]


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_only_a_regular_file_is_read(refused, tmp_path_factory: pytest.TempPathFactory, kind: str,
                                     command: str) -> None:
    # outside the working folder: the snapshot of the disk would itself block on a FIFO
    path = _special(kind, tmp_path_factory.mktemp("special"))
    expected = "a folder" if kind == "a link to a folder" else kind
    out = ["--out", "r"] if command == "run" else []
    result = refused(command, path, *out, place=str(path))
    assert f"not a regular file ({expected})" in result.output


@pytest.mark.parametrize("name", ["/dev/zero", "/dev/null", "/dev/full", "/", ".", ""])
def test_devices_and_folders_named_directly(refused, name: str) -> None:
    refused("validate", name, place="not a regular file")


def test_a_missing_file(refused) -> None:
    refused("validate", "nowhere.yaml", place="nowhere.yaml: cannot read the file: no such file")


# --- extends ----------------------------------------------------------------------------------

CHILD = "extends: {parent}\nname: child\ndescription: a child\n"

EXTENDS: dict[str, tuple[dict[str, str | bytes], str]] = {
    "a loop of two": ({"s.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: s.yaml\nname: b\n"},
                      "b.yaml:1: extends: 's.yaml': extends loops"),
    "itself": ({"s.yaml": "extends: s.yaml\nname: a\n"}, "s.yaml:1: extends"),
    "itself by another path": ({"s.yaml": "extends: ./sub/../s.yaml\nname: a\n"}, "extends loops"),
    "a missing file": ({"s.yaml": CHILD.format(parent="nowhere.yaml")}, "s.yaml:1: extends: 'nowhere.yaml'"),
    "a folder": ({"s.yaml": CHILD.format(parent="notes")}, "s.yaml:1: extends: 'notes': not a regular file"),
    "the folder itself": ({"s.yaml": CHILD.format(parent=".")}, "not a regular file (a folder)"),
    "/dev/zero": ({"s.yaml": CHILD.format(parent="/dev/zero")}, "s.yaml:1: extends: '/dev/zero'"),
    "an empty path": ({"s.yaml": CHILD.format(parent="''")}, "s.yaml:1: extends"),
    "a list": ({"s.yaml": CHILD.format(parent="[a.yaml, b.yaml]")}, "s.yaml:1: extends"),
    "a NUL in the path": ({"s.yaml": CHILD.format(parent='"a\\0b.yaml"')}, "s.yaml:1: extends"),
    "a chain of 20": ({**{f"p{i}.yaml": f"extends: p{i + 1}.yaml\n" for i in range(20)},
                       "s.yaml": "extends: p0.yaml\n", "p20.yaml": TEXT}, "extends chain"),
    "a parent too big": ({"s.yaml": CHILD.format(parent="big.yaml"), "big.yaml": keys(300_000)},
                         "s.yaml:1: extends: 'big.yaml': the file is"),
    "a parent alias bomb": ({"s.yaml": CHILD.format(parent="p.yaml"), "p.yaml": bomb()}, "p.yaml:5"),
    "a parent with a tag": ({"s.yaml": CHILD.format(parent="p.yaml"), "p.yaml": "name: !!python/object:x {}\n"},
                            "p.yaml:1"),
    "a parent that is a list": ({"s.yaml": CHILD.format(parent="p.yaml"), "p.yaml": "- 1\n"}, "p.yaml:1"),
    "a parent in latin-1": ({"s.yaml": CHILD.format(parent="p.yaml"), "p.yaml": "name: café\n".encode("latin-1")},
                            "p.yaml: not UTF-8"),
    "a parent with 5000-deep lists": ({"s.yaml": CHILD.format(parent="p.yaml"), "p.yaml": "v: " + "[" * 5000},
                                      "p.yaml:1"),
    "parent and child share the node budget": (
        {"s.yaml": "extends: p.yaml\nb: [" + "1, " * 30_000 + "]\n", "p.yaml": "a: [" + "1, " * 30_000 + "]\n"},
        "p.yaml:1: more than 50,000 YAML nodes"),
}


@pytest.mark.parametrize("case", list(EXTENDS))
def test_extends_to_something_bad_is_refused(refused, workdir: Path, case: str) -> None:
    files, place = EXTENDS[case]
    (workdir / "sub").mkdir()
    for name, content in files.items():
        (workdir / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    refused("validate", "s.yaml", place=place)


@pytest.mark.parametrize("case", ["a loop of two", "a folder", "a parent alias bomb"])
def test_run_refuses_a_bad_extends(refused, workdir: Path, case: str) -> None:
    files, place = EXTENDS[case]
    for name, content in files.items():
        (workdir / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    refused("run", "s.yaml", "--out", "r", place=place)


# --- overrides --------------------------------------------------------------------------------

OVERRIDES: dict[str, tuple[str, str]] = {
    "delete a missing key": ("links.ab.capacty=null", "did you mean 'capacity'?"),
    "delete a missing link": ("links.abx=null", "no key 'abx' to delete here; did you mean 'ab'?"),
    "delete an unset section": ("simulation.warmup=null", "nothing to delete"),
    "delete a misspelt section": ("simulaton.seed=null", "did you mean 'simulation'?"),
    "delete below a value": ("name.x=null", "--set name.x=null"),
    "delete a list item": ("targets.t.flows[0]=null", "to change a list, set the whole list"),
    "delete with ~": ("links.nowhere=~", "no key 'nowhere' to delete"),
    "empty path": ("=3", "--set"),
    "a double dot": ("a..b=1", "empty key in path 'a..b'"),
    "a leading dot": (".name=x", "empty key"),
    "a trailing dot": ("name.=x", "empty key"),
    "a path 100 keys deep": (".".join(["simulation"] * 100) + "=1", "keys deep"),
    "a space in the path": ("links.a b.capacity=1", "expected PATH=VALUE"),
    "markup in a value": ("links.ab.capacity=[/x]", "links.ab.capacity"),
    "markup in a key": ("links.[/x].capacity=1", "--set"),
    "markup name": ("name=[bold]x[/bold]", "name"),
    "an alias bomb as a value": ("description=" + bomb().replace("\n", ", ").join("{}"), "YAML nodes"),
    "5000-deep value": ("description=" + "[" * 5000 + "]" * 5000, "--set description"),
    "a tag in a value": ("description=!!python/object/apply:os.system [ls]", "!!python/object/apply:os.system"),
    "a duplicate key in a value": ("simulation={seed: 1, seed: 2}", "duplicate key"),
    "max replications 1e8": ("simulation.max_replications=100000000", "simulation.max_replications"),
    "name with a slash": ("name=a/b", "name"),
    "NaN seasonality": ("flows.f.seasonality=[.nan, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "flows.f.seasonality"),
}


@pytest.mark.parametrize("case", list(OVERRIDES))
def test_a_bad_override_is_refused(refused, case: str) -> None:
    text, place = OVERRIDES[case]
    refused("validate", MINIMAL, "--set", text, place=place)


@pytest.mark.parametrize("case", ["delete a missing key", "markup in a value", "an alias bomb as a value",
                                  "delete an unset section"])
def test_run_refuses_a_bad_override(refused, case: str) -> None:
    text, place = OVERRIDES[case]
    refused("run", MINIMAL, "--out", "r", "--set", text, place=place)


def test_markup_in_a_description_is_printed_as_text(corridor, workdir: Path) -> None:
    result = corridor("show", MINIMAL, "--set", "description='[/x] [bold]not bold'", "--out", "m")
    assert result.exit_code == 0, result.output
    assert "[/x] [bold]not bold" in result.output


# --- what stays accepted ------------------------------------------------------------------


@pytest.mark.parametrize("path", bundled.scenarios() + sorted((ROOT / "tests" / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_bundled_and_test_scenario_still_validates(corridor, path: Path) -> None:
    result = corridor("validate", path)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text", [
    "\ufeff" + TEXT,  # a byte-order mark
    TEXT.replace("name: minimal", "name: 2024-01-01"),  # a date is text
    TEXT + "simulation: {horizon: 14 d, warmup: 7 d}\n",  # the shortest window allowed
    TEXT + "simulation: {replications: 10000, max_replications: 10000, seed: 0}\n",
    TEXT.replace("payload:\n", "payload: &p\n"),  # an anchor and no alias
], ids=["BOM", "date name", "shortest window", "upper bounds", "anchor"])
def test_plain_yaml_within_the_bounds_is_accepted(corridor, workdir: Path, text: str) -> None:
    (workdir / "s.yaml").write_text(text, encoding="utf-8")
    result = corridor("validate", "s.yaml")
    assert result.exit_code == 0, result.output


def test_a_deletion_of_a_key_that_is_there_still_works(corridor) -> None:
    assert corridor("validate", MINIMAL, "--set", "targets.pt=null").exit_code == 0


# --- memory and time: the worst files, in a subprocess with 1.5 GB of address space ---------


def _bounded(args: list[str], cwd: Path) -> tuple[int, float, str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, preexec_fn=limit,
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, time.monotonic() - start, proc.stdout + proc.stderr


WORST: dict[str, Callable[[Path], list[str]]] = {
    "billion laughs": lambda d: ["validate", _write(d, bomb())],
    "5 MB of keys": lambda d: ["validate", _write(d, keys(300_000))],
    "an alias bomb in --set": lambda d: ["validate", str(MINIMAL), "--set",
                                         "description=" + bomb().replace("\n", ", ").join("{}")],
}


def _write(folder: Path, text: str) -> str:
    (folder / "s.yaml").write_text(text)
    return "s.yaml"


@pytest.mark.parametrize("case", list(WORST))
def test_the_worst_files_are_refused_fast_in_bounded_memory(tmp_path: Path, case: str) -> None:
    code, seconds, output = _bounded(WORST[case](tmp_path), tmp_path)
    assert code == 2, output
    assert "Traceback" not in output and "MemoryError" not in output, output
    assert seconds < 10, f"took {seconds:.1f} s"
    assert not (tmp_path / "r").exists()
