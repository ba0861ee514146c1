"""Observed outcomes as data: `seeds/observed.yaml`, each row a list of measurable items.

A row keeps the published wording (`published:`) and its id (cited as `obs:<id>`); each item
says what the model must measure to be compared with it: a `measure` from `MEASURES`, `where`
(node, flow or link ids), a `window` (a calendar year, or months of one year), a `value` or a
`range`, its `unit` and a relative `tolerance`. Items with `measure: none` are kept, with a
note saying why they cannot be scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import bundled
from sim.errors import CorridorError, Problem
from sim.scenario.loading import Raw, read_raw

# measure -> (what `where` names, the units an observation of it may be given in)
MASS_UNITS = {"t": 1e-6, "kt": 1e-3, "Mt": 1.0}  # to Mt
MEASURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "flow_delivered": ("flows", tuple(MASS_UNITS)),
    "flow_trains": ("flows", ("trains",)),
    "transit_days": ("flows", ("days",)),
    "port_throughput": ("nodes", tuple(MASS_UNITS)),
    "port_calls": ("nodes", ("calls",)),
    "port_wagons": ("nodes", ("wagons",)),
    "port_teu": ("nodes", ("TEU",)),
    "port_trucks": ("nodes", ("trucks",)),
    "pipeline_flow": ("links", tuple(MASS_UNITS)),
}
NONE = "none"
ITEM_KEYS = {"id", "measure", "where", "window", "value", "range", "unit", "tolerance", "source", "note", "statistic"}
ROW_KEYS = {"id", "published", "source", "items", "note"}
_WINDOW = re.compile(r"^(?P<y1>\d{4})(-(?P<m1>\d{2})\.\.(?P<y2>\d{4})-(?P<m2>\d{2}))?$")


@dataclass(frozen=True)
class Window:
    """A calendar year, or months `first..last` of one year."""

    year: int
    first: int = 1
    last: int = 12

    @property
    def share(self) -> float:
        """The share of a year the window covers (1 for a calendar year)."""
        return (self.last - self.first + 1) / 12

    @property
    def whole_year(self) -> bool:
        return self.first == 1 and self.last == 12

    def __str__(self) -> str:
        return str(self.year) if self.whole_year else f"{self.year}-{self.first:02d}..{self.year}-{self.last:02d}"


@dataclass(frozen=True)
class Item:
    """One measurable observation: `obs:<row>.<id>`."""

    row: str
    id: str
    measure: str
    where: tuple[str, ...] = ()
    window: Window | None = None
    value: float | None = None
    range: tuple[float, float] | None = None
    unit: str = ""
    tolerance: float = 0.0
    source: str = ""
    note: str = ""
    statistic: str = "mean"
    file: str = ""
    line: int | None = None

    @property
    def ref(self) -> str:
        return f"obs:{self.row}.{self.id}"

    @property
    def scored(self) -> bool:
        return self.measure != NONE

    @property
    def low(self) -> float:
        """The observed value, or the low end of the observed range."""
        return self.range[0] if self.range is not None else float(self.value or 0.0)

    @property
    def high(self) -> float:
        return self.range[1] if self.range is not None else float(self.value or 0.0)


@dataclass(frozen=True)
class Row:
    id: str
    items: tuple[Item, ...]
    published: dict[str, Any]
    source: str
    line: int | None


@dataclass(frozen=True)
class Observed:
    """Every row of an observed-outcomes file, by id."""

    file: str
    rows: dict[str, Row]

    def item(self, row: str, item: str) -> Item | None:
        r = self.rows.get(row)
        return next((i for i in r.items if i.id == item), None) if r else None


def default_file() -> Path:
    """The bundled `seeds/observed.yaml`."""
    return bundled.folder("seeds") / "observed.yaml"


def load_observed(path: str | Path | None = None) -> Observed:
    """Read and check an observed-outcomes file; every problem at once, with file, key path and line."""
    raw = read_raw(Path(path) if path is not None else default_file())
    file = raw.files[-1] if raw.files else str(path)
    problems: list[Problem] = []

    def bad(key: tuple[Any, ...], message: str) -> None:
        where_file, line = raw.where(key)
        problems.append(Problem(where_file, key, line, message))

    rows_data = raw.data.get("observations")
    extra = sorted(set(raw.data) - {"observations"})
    for k in extra:
        bad((k,), "unknown key; an observed-outcomes file holds `observations:` only")
    if not isinstance(rows_data, list):
        bad(("observations",), "expected a list of observation rows")
        raise CorridorError(problems)
    rows: dict[str, Row] = {}
    for i, data in enumerate(rows_data):
        key: tuple[Any, ...] = ("observations", i)
        if not isinstance(data, dict):
            bad(key, "expected a mapping with id, published, source and items")
            continue
        for k in sorted(set(data) - ROW_KEYS):
            bad(key + (k,), f"unknown key (expected one of {', '.join(sorted(ROW_KEYS))})")
        rid = data.get("id")
        if not isinstance(rid, str) or not rid:
            bad(key + ("id",), "expected the row's id (text)")
            continue
        if rid in rows:
            bad(key + ("id",), f"duplicate row id {rid!r}")
        items_data = data.get("items")
        if not isinstance(items_data, list) or not items_data:
            bad(key + ("items",), "expected a list of one or more items")
            items_data = []
        items: list[Item] = []
        for j, it in enumerate(items_data):
            item = _item(raw, rid, key + ("items", j), it, bad)
            if item is not None:
                if any(x.id == item.id for x in items):
                    bad(key + ("items", j, "id"), f"duplicate item id {item.id!r} in row {rid}")
                items.append(item)
        published = data.get("published")
        rows[rid] = Row(rid, tuple(items), published if isinstance(published, dict) else {},
                        str(data.get("source") or ""), raw.where(key)[1])
    if problems:
        raise CorridorError(problems)
    return Observed(file, rows)


def _item(raw: Raw, row: str, key: tuple[Any, ...], data: Any, bad: Any) -> Item | None:
    """One item, or None after reporting why it cannot be read."""
    if not isinstance(data, dict):
        bad(key, "expected a mapping (id, measure, where, window, value or range, unit, tolerance)")
        return None
    for k in sorted(set(data) - ITEM_KEYS):
        bad(key + (k,), f"unknown key (expected one of {', '.join(sorted(ITEM_KEYS))})")
    iid = data.get("id")
    if not isinstance(iid, (str, int)) or isinstance(iid, bool) or str(iid) == "":
        bad(key + ("id",), "expected the item's id")
        return None
    measure = data.get("measure")
    file, line = raw.where(key)
    source, note = str(data.get("source") or ""), str(data.get("note") or "")
    if measure == NONE:
        if not note:
            bad(key + ("note",), "an item that is not scored needs a note saying why")
        return Item(row, str(iid), NONE, source=source, note=note, file=file, line=line)
    if measure not in MEASURES:
        bad(key + ("measure",), f"unknown measure {measure!r}; expected one of {', '.join([*MEASURES, NONE])}")
        return None
    _, units = MEASURES[str(measure)]
    where = data.get("where")
    where = [where] if isinstance(where, str) else where
    if not isinstance(where, list) or not where or not all(isinstance(w, str) and w for w in where):
        bad(key + ("where",), "expected one id or a list of ids")
        where = []
    window = parse_window(data.get("window"))
    if window is None:
        bad(key + ("window",), f"expected a calendar year (2023) or months of one year (2023-01..2023-10), "
                               f"got {data.get('window')!r}")
    value, rng = data.get("value"), data.get("range")
    if (value is None) == (rng is None):
        bad(key, "expected either `value` or `range: [low, high]`")
    if value is not None and not _positive(value):
        bad(key + ("value",), f"expected a number > 0, got {value!r}")
        value = None
    if rng is not None and not (isinstance(rng, list) and len(rng) == 2 and all(_positive(v) for v in rng)
                                and rng[0] <= rng[1]):
        bad(key + ("range",), f"expected [low, high], two numbers > 0 with low <= high, got {rng!r}")
        rng = None
    unit = data.get("unit")
    if unit not in units:
        bad(key + ("unit",), f"{measure} is given in {' | '.join(units)}, got {unit!r}")
    tolerance = parse_share(data.get("tolerance"))
    if tolerance is None:
        bad(key + ("tolerance",), f"expected a relative tolerance such as 10%, got {data.get('tolerance')!r}")
    statistic = data.get("statistic", "mean")
    if statistic not in ("mean", "p50", "p95") or (statistic != "mean" and measure != "transit_days"):
        bad(key + ("statistic",), "only transit_days takes a statistic: mean | p50 | p95")
    return Item(row, str(iid), str(measure), where=tuple(where), window=window,
                value=float(value) if value is not None else None,
                range=(float(rng[0]), float(rng[1])) if rng is not None else None,
                unit=str(unit), tolerance=tolerance or 0.0, statistic=str(statistic), source=source, note=note,
                file=file, line=line)


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and v == v and v != float("inf")


def parse_window(text: Any) -> Window | None:
    """`2023` or `2023-01..2023-10` -> Window; None when it is neither (or spans years)."""
    if isinstance(text, bool):
        return None
    m = _WINDOW.match(str(text).strip()) if isinstance(text, (int, str)) else None
    if m is None:
        return None
    year = int(m["y1"])
    if m["m1"] is None:
        return Window(year)
    first, last = int(m["m1"]), int(m["m2"])
    if int(m["y2"]) != year or not 1 <= first <= last <= 12:
        return None
    return Window(year, first, last)


def parse_share(text: Any) -> float | None:
    """`10%`, `10 %` or 0.1 -> 0.1; None when it is not a share in [0, 1)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, str):
        t = text.strip()
        try:
            share = float(t[:-1]) / 100 if t.endswith("%") else float(t)
        except ValueError:
            return None
    elif isinstance(text, (int, float)):
        share = float(text)
    else:
        return None
    return share if 0 <= share < 1 else None
