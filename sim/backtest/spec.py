"""A backtest file (`backtests/<year>.yaml`): a scenario, sourced changes to it, and the
observations to score.

    name: backtest-2023
    year: 2023                       # the calendar year the scenario's measured year stands for
    scenario: baseline-2023          # bundled name, or a path relative to this file
    observed: ../seeds/observed.yaml # optional; the bundled file by default
    changes:                         # `--set`-style, each with where it comes from
      - {set: "fleets.caspian_ferries.vessels.value=14", source: s2_042}
      - {set: "year=2022", source: assumption, note: "..."}
    replications: 10
    seed: 2023
    score: [obs:o_titr_volume.2023, obs:o_kuryk_jan_oct_2023]   # a row (all its items) or one item

Everything is checked before anything runs: unknown keys, sources, observation ids, and that
every scored item's measure, ids and window make sense for the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import bundled
from sim.backtest.observations import MEASURES, Item, Observed, load_observed
from sim.errors import CorridorError, Problem
from sim.scenario import sources
from sim.scenario.loading import read_raw, validate
from sim.scenario.schema import MASS_CARRIERS, Scenario

KEYS = {"name", "description", "year", "scenario", "observed", "changes", "replications", "seed", "score", "note"}
CHANGE_KEYS = {"set", "source", "note"}


@dataclass(frozen=True)
class Change:
    set: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class Backtest:
    """A backtest file, read and checked against its scenario and observations."""

    file: str
    name: str
    description: str
    year: int
    scenario_path: Path
    changes: tuple[Change, ...]
    replications: int
    seed: int
    items: tuple[Item, ...]  # in the order scored (not-scored `measure: none` items included)
    observed: Observed
    scenario: Scenario

    @property
    def overrides(self) -> list[str]:
        return [c.set for c in self.changes]


def load_backtest(path: str | Path) -> Backtest:
    """Read a backtest file and everything it names; CorridorError listing every problem."""
    path = Path(path)
    raw = read_raw(path)
    file = raw.files[-1] if raw.files else str(path)
    data = raw.data
    problems: list[Problem] = []

    def bad(key: tuple[Any, ...], message: str) -> None:
        f, line = raw.where(key)
        problems.append(Problem(f, key, line, message))

    def stop() -> None:
        if problems:
            raise CorridorError(problems)

    for k in sorted(set(data) - KEYS):
        bad((k,), f"unknown key (expected one of {', '.join(sorted(KEYS))})")
    name = data.get("name") or path.stem
    if not isinstance(name, str):
        bad(("name",), "expected text")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        bad(("year",), f"expected the calendar year the run stands for (1990-2100), got {year!r}")
    replications = data.get("replications", 10)
    if not isinstance(replications, int) or isinstance(replications, bool) or not 1 <= replications <= 10_000:
        bad(("replications",), f"expected 1 to 10,000, got {replications!r}")
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        bad(("seed",), f"expected a whole number >= 0, got {seed!r}")
    scenario_text = data.get("scenario")
    scenario_path = Path()
    if not isinstance(scenario_text, str) or not scenario_text:
        bad(("scenario",), "expected a bundled scenario name or a path to a scenario file")
    else:
        scenario_path = _scenario_path(path, scenario_text)
        if not scenario_path.is_file():
            bad(("scenario",), f"no scenario file or bundled scenario {scenario_text!r}")
    changes = _changes(data.get("changes", []), bad)
    observed_text = data.get("observed")
    if observed_text is not None and not isinstance(observed_text, str):
        bad(("observed",), "expected the path of an observed-outcomes file")
        observed_text = None
    stop()
    observed = load_observed(path.parent / observed_text if observed_text else None)
    for i, c in enumerate(changes):
        _check_source(c, observed, ("changes", i), bad)
    items = _score_items(data.get("score"), observed, bad)
    stop()
    scenario = validate(read_raw(scenario_path, [c.set for c in changes]))
    for ref_key, item in items:
        for message in check_item(item, scenario, int(str(year))):
            bad(ref_key, f"{item.ref} ({item.file}:{item.line}): {message}")
    stop()
    return Backtest(file, str(name), str(data.get("description") or ""), int(str(year)), scenario_path,
                    tuple(changes), int(str(replications)), int(str(seed)), tuple(i for _, i in items),
                    observed, scenario)


def _scenario_path(backtest: Path, text: str) -> Path:
    """A path beside the backtest file, a path from here, or a bundled scenario name."""
    beside = backtest.parent / text
    if beside.is_file():
        return beside
    return bundled.resolve(text)


def _changes(data: Any, bad: Any) -> list[Change]:
    if not isinstance(data, list):
        bad(("changes",), "expected a list of {set: PATH=VALUE, source: ..., note: ...}")
        return []
    out = []
    for i, c in enumerate(data):
        key = ("changes", i)
        if not isinstance(c, dict):
            bad(key, "expected {set: PATH=VALUE, source: ..., note: ...}")
            continue
        for k in sorted(set(c) - CHANGE_KEYS):
            bad(key + (k,), "unknown key (expected set, source, note)")
        text, source = c.get("set"), c.get("source")
        if not isinstance(text, str) or "=" not in text:
            bad(key + ("set",), f"expected PATH=VALUE, got {text!r}")
            continue
        if not isinstance(source, str) or not source:
            bad(key + ("source",), "every change needs its source: a reference row id, obs:<id>, or assumption")
            continue
        out.append(Change(text, source, str(c.get("note") or "")))
    return out


def _check_source(c: Change, observed: Observed, key: tuple[Any, ...], bad: Any) -> None:
    if c.source == "assumption":
        if not c.note:
            bad(key + ("note",), "an assumption needs a note saying why")
    elif c.source.startswith("obs:"):
        if c.source[4:].split(".")[0] not in observed.rows:
            bad(key + ("source",), f"no observation {c.source!r} in {observed.file}")
    elif not sources.ARTICLE.match(c.source):
        rows = sources.reference_rows()
        if rows and c.source not in rows:
            bad(key + ("source",), f"no reference row {c.source!r} (expected a row id such as s2_042, "
                                   "article:P2, obs:<id>, or assumption)")


def _score_items(data: Any, observed: Observed, bad: Any) -> list[tuple[tuple[Any, ...], Item]]:
    """The items named by `score:` (a row names all its items), with the key that names each."""
    if not isinstance(data, list) or not data:
        bad(("score",), "expected a list of observations to score: obs:<id> or obs:<id>.<item>")
        return []
    out: list[tuple[tuple[Any, ...], Item]] = []
    for i, ref in enumerate(data):
        key = ("score", i)
        if not isinstance(ref, str) or not ref.startswith("obs:"):
            bad(key, f"expected obs:<id> or obs:<id>.<item>, got {ref!r}")
            continue
        row_id, _, item_id = ref[4:].partition(".")
        row = observed.rows.get(row_id)
        if row is None:
            bad(key, f"unknown observation {ref!r}: no row {row_id!r} in {observed.file}")
            continue
        if item_id:
            item = observed.item(row_id, item_id)
            if item is None:
                bad(key, f"unknown observation {ref!r}: row {row_id} has items "
                         f"{', '.join(x.id for x in row.items)}")
                continue
            chosen = [item]
        else:
            chosen = list(row.items)
        for item in chosen:
            if any(x.ref == item.ref for _, x in out):
                bad(key, f"{item.ref} is scored twice")
            else:
                out.append((key, item))
    return out


def check_item(item: Item, scenario: Scenario, year: int) -> list[str]:
    """Why the model cannot be compared with this item at all (bad input), or nothing."""
    if not item.scored:
        return []
    assert item.window is not None  # internal: a scored item always has its window
    problems = []
    if item.window.year != year:
        problems.append(f"window {item.window} is not in the backtest's year {year}: the model measures one year")
    kind, _ = MEASURES[item.measure]
    table: dict[str, Any] = getattr(scenario, kind)
    for ident in item.where:
        if ident not in table:
            problems.append(f"no {kind[:-1]} {ident!r} in scenario {scenario.name}")
        elif item.measure == "flow_delivered" and table[ident].carrier not in MASS_CARRIERS:
            problems.append(f"flow {ident!r} carries {table[ident].carrier}, not tonnes")
        elif item.measure == "pipeline_flow" and table[ident].carrier not in MASS_CARRIERS:
            problems.append(f"link {ident!r} carries {table[ident].carrier}, not tonnes")
    return problems
