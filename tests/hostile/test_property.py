"""A property over the command line: random edits of a scenario and random options (issue 14).

Whatever the edit and the options, `validate` and `run` end with exit 0, 2 or 3 (never 1, never a
traceback); a refused command (exit 2) changes nothing on disk, so an earlier report is kept
byte for byte; no staging folder is left behind; and memory stays under a cap.

The examples run in-process through the `corridor` fixture, not one subprocess each: a fresh
interpreter costs 1-2 s of imports, which would allow a handful of examples in the time budget
instead of forty. The memory cap is still a real limit, not a measurement: the test lowers the
process's own soft RLIMIT_AS to its current size plus 1.5 GB for the examples and restores it
after, so an input that made memory grow without bound ends in a MemoryError (exit 1, a failure)
instead of taking the machine down.
"""

from __future__ import annotations

import copy
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import FAST, MINIMAL, key_paths, snapshot

HEADROOM = 1536 * 2**20  # 1.5 GB above what the test process already maps
BASE = yaml.safe_load(MINIMAL.read_text())

TRICKY = ["", " ", "[/x]", "[bold]x", "4 GW", "-3 Mt/yr", "nan GW", "inf h", "1e308 t", "9**9 h", "0 h",
          "12 trains/d", "3 %", "200 %", "a", "b", "ferries", "triangular", "exponential", "null", "~",
          "..", "/tmp", "1 /100km/yr", "2.8 Mt/yr", "60 d", "*a", "!!python/object:os.system", "ä€😀"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 100), st.sampled_from([-1, 0, 10**6, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TRICKY), st.text(max_size=8),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4),
                   st.dictionaries(st.sampled_from(["dist", "mean", "value", "source", "x", "from"]), SCALARS,
                                   max_size=3))
SNIPPETS = ["!foo ", "&a ", "*a", "*nowhere", "---\n", ": ", "\t", "- ", "[", "{", "}", "<<: *a\n", "\x07",
            "? ", "%YAML 1.1\n", "'", '"', "#", "\n  extra: 1\n", "extends: nowhere.yaml\n", "extends: .\n"]




@st.composite
def scenario_texts(draw: st.DrawFn) -> str:
    """The minimal scenario after up to three edits of its data, then perhaps of its text (a
    quarter of the examples keep it valid, so that some runs write a report for later ones)."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        path = draw(st.sampled_from([p for p in key_paths(data) if p]))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.one_of(st.sampled_from(["extends", "x", "name", "capacity", "note"]),
                                  st.text(min_size=1, max_size=6)))] = draw(VALUES)
        else:
            parent[path[-1]] = draw(VALUES)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    lines = text.splitlines(keepends=True)
    if draw(st.integers(0, 3)) == 0:  # duplicate a line (a duplicate key, mostly)
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    text = "".join(lines)
    if draw(st.integers(0, 3)) == 0:  # insert text anywhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=10))) + text[at:]
    return text


OVERRIDES = st.one_of(
    st.sampled_from(["simulation.seed=-1", "simulation.seed=7", "simulation.replications=0", "name=.",
                     "name=other", "links.ab.capacity=null", "links.nowhere=null", "description='[/x]'",
                     "simulation.warmup=39 d", "simulation.max_replications=100000000", "=3", "a..b=1",
                     "flows.f.rate=nan Mt/yr", "fleets.ferries.vessels=2", "targets.t=null", "extends=x.yaml"]),
    st.builds(lambda p, v: f"{p}={v}", st.sampled_from(["links.ab.capacity", "name", "flows.f.rate", "year"]),
              st.sampled_from(TRICKY)),
)
# Options for `run`, valid ones more often than not (the runs stay short: FAST, one replication).
RUN_OPTIONS = st.lists(st.one_of(
    st.tuples(st.just("--seed"), st.sampled_from(["0", "1", "7", "-1", "x", str(2**64)])),
    st.tuples(st.just("-r"), st.sampled_from(["1", "1", "2", "0", "-1", "10001", "ten"])),
    st.tuples(st.just("--format"), st.sampled_from(["json", "table", "json", "xml", ""])),
    st.tuples(st.just("--workers"), st.sampled_from(["1", "1", "0", "-2"])),
    st.tuples(st.just("--solver"), st.sampled_from(["highs", "highs", "gurobi"])),
    st.tuples(st.just("--precision"), st.sampled_from(["0", "150%", "nan", "soon"])),
    st.tuples(st.just("--set"), OVERRIDES),
    st.just(("--fail-on-unmet",)), st.just(("-q",)),
), max_size=2)


def _vm_size() -> int:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmSize:"):
            return int(row.split()[1]) * 1024
    return 0


@contextmanager
def address_space_cap(extra: int) -> Iterator[None]:
    """Lower this process's soft RLIMIT_AS to its present size plus `extra`; restore it after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_size() + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=scenario_texts(), command=st.sampled_from(["validate"] * 2 + ["run"]), options=RUN_OPTIONS,
       overrides=st.lists(OVERRIDES, max_size=1))
def test_random_edits_and_options_never_crash_or_destroy(corridor, workdir: Path, text: str, command: str,
                                                          options: list[tuple[str, ...]], overrides: list[str]) -> None:
    (workdir / "s.yaml").write_text(text, encoding="utf-8")
    args: list[str] = [a for o in overrides for a in ("--set", o)]
    if command == "run":
        args = [*FAST, "--out", "r", *args, *(a for o in options for a in o)]
    before = snapshot(workdir)
    with address_space_cap(HEADROOM):
        result = corridor(command, "s.yaml", *args)
    assert result.exit_code in (0, 2, 3), f"exit {result.exit_code}:\n{result.output}"
    if result.exit_code == 2:
        assert snapshot(workdir) == before, "a refused command changed the disk"
    elif command == "run":
        assert (workdir / "r" / "manifest.json").is_file(), result.output
    assert (workdir / "notes" / "thesis.docx").read_text() == "years of work"
    assert not [p.name for p in workdir.iterdir() if p.name.startswith(".")], "a staging folder was left"
