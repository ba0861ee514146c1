"""A figure: a number from a scenario file in its canonical unit, with the text and source behind it.

A figure is written as a quantity (`15 Mt/yr`) or as `{value: 15 Mt/yr, source: s1_025, note: ...}`.
`parse_figure` reads either form for one or more kinds of number (see `units.CANONICAL`), checks
its lower bound, and raises ValueError with a message fit to show the user.

An assumed figure may be marked for `corridor calibrate`:
`{value: 0.6 Mt/yr, source: assumption, note: ..., calibrate: {range: [0.3 Mt/yr, 1.2 Mt/yr]}}`.
The range ends are quantities of the value's own kind (units converted like the value), inside
the figure's valid domain (its lower bound; a share at most 1; a count a whole number), with
low < high. Only an assumption is fitted: a figure taken from a source is not tuned to outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sim.scenario import units
from sim.scenario.units import Kind

# The lower bound of a figure: > 0, >= 0, or none. A share with a bound is also at most 1.
Minimum = Literal["positive", "nonneg"] | None
# A count (vessels, berths, an expansion's vessels) is at most this: fleets and quays count in
# tens, and each counted thing becomes a process in the simulation.
MAX_COUNT = 10_000


@dataclass(frozen=True)
class Figure:
    """A number from a scenario file in its canonical unit, with the text and source behind it."""

    value: float
    unit: str
    kind: Kind
    text: str
    source: str | None = None
    note: str | None = None
    calibrate: tuple[float, float] | None = None  # (low, high) in the canonical unit: fitted by calibrate

    def __float__(self) -> float:
        return self.value

    def to_spec(self) -> str | int | dict[str, Any]:
        """The file form of this figure, for the resolved scenario."""
        text: str | int = int(self.value) if self.kind == "count" else self.text
        if self.source or self.note or self.calibrate:
            out: dict[str, Any] = {"value": text, "source": self.source}
            out |= {"note": self.note} if self.note else {}
            if self.calibrate is not None:
                out["calibrate"] = {"range": [quantity_text(v, self.kind) for v in self.calibrate]}
            return out
        return text


def quantity_text(value: float, kind: Kind) -> str | int | float:
    """A value in `kind`'s canonical unit as a file writes it: a whole number for a count, a plain
    number for a share, else the number with its unit; it reads back to the same value."""
    if kind == "count":
        return int(value)
    if kind == "fraction":
        return float(f"{value:.15g}")
    return f"{value:.15g} {units.CANONICAL[kind]}"


def fraction(value: float, text: str) -> Figure:
    """A share figure, for a default (`fraction(0.95, "95 %")`)."""
    return Figure(value, "dimensionless", "fraction", text)


def parse_figure(raw: Any, kinds: tuple[Kind, ...], minimum: Minimum = "nonneg") -> Figure:
    """A figure of one of `kinds` from its file form (or a Figure, returned as it is)."""
    if isinstance(raw, Figure):
        return raw
    raw, source, note, calibrate = _unwrap(raw)
    if isinstance(raw, bool) or raw is None or not isinstance(raw, (str, int, float)):
        raise ValueError(f"expected a quantity in {' or '.join(units.CANONICAL[k] for k in kinds)}, "
                         f"got {raw!r}")
    kind: Kind
    if kinds == ("count",):
        if isinstance(raw, str) or isinstance(raw, float) and not raw.is_integer():
            raise ValueError(f"expected a whole number, got {raw!r}")
        if not -MAX_COUNT <= raw <= MAX_COUNT:
            raise ValueError(f"expected a whole number from 0 to {MAX_COUNT:,}")
        value, kind, text = float(raw), "count", str(raw)
    else:
        value, kind = _convert(raw, kinds)
        text = str(raw)
    _check_bounds(value, kind, raw, text, minimum)
    if kind == "count" and value > MAX_COUNT:
        raise ValueError(f"expected at most {MAX_COUNT:,}, got {text!r}")
    unit = "1" if kind == "count" else units.CANONICAL[kind]
    bounds = None if calibrate is None else _calibrate_range(calibrate, kind, source, minimum)
    return Figure(value, unit, kind, text, source, note, bounds)


def parser(kinds: tuple[Kind, ...], minimum: Minimum) -> Callable[[Any], Figure]:
    """`parse_figure` with its kinds and bound fixed, for a pydantic validator."""
    return lambda raw: parse_figure(raw, kinds, minimum)


def _unwrap(raw: Any) -> tuple[Any, str | None, str | None, Any]:
    """(value, source, note, calibrate) of a figure written as a mapping; a bare value has none
    of the last three."""
    if not isinstance(raw, dict):
        return raw, None, None, None
    extra = set(raw) - {"value", "source", "note", "calibrate"}
    if "value" not in raw or extra:
        raise ValueError(
            "expected a quantity ('15 Mt/yr') or {value: 15 Mt/yr, source: s1_025}"
            + (f"; unknown key(s): {', '.join(sorted(map(str, extra)))}" if extra else "")
        )
    source, note = raw.get("source"), raw.get("note")
    if source is not None and not isinstance(source, str):
        raise ValueError("source: expected a row id such as s1_025 or article:P2")
    if note is not None and not isinstance(note, str):
        raise ValueError("note: expected text")
    return raw["value"], source, note, raw.get("calibrate")


CALIBRATE_FORM = "expected {range: [low, high]}, e.g. calibrate: {range: [0.3 Mt/yr, 1.2 Mt/yr]}"


def _calibrate_range(raw: Any, kind: Kind, source: str | None, minimum: Minimum) -> tuple[float, float]:
    """(low, high) of a `calibrate: {range: [low, high]}` in `kind`'s canonical unit; ValueError
    (its message starting `calibrate: `, so the loader points at that key) when it is not one."""
    if source != "assumption":
        why = f"this figure's source is {source}" if source else "this figure has no source"
        raise ValueError(f"calibrate: only an assumption is fitted to observations ({why}; a sourced figure "
                         "stays as its source says). Mark it source: assumption, with a note saying why")
    if not isinstance(raw, dict) or set(raw) != {"range"}:
        raise ValueError(f"calibrate: {CALIBRATE_FORM}")
    ends = raw["range"]
    if not isinstance(ends, list) or len(ends) != 2:
        raise ValueError(f"calibrate: range: {CALIBRATE_FORM}")
    values = []
    for end in ends:
        try:
            values.append(_range_end(end, kind, minimum))
        except ValueError as exc:
            raise ValueError(f"calibrate: range: {exc}") from None
    low, high = values
    if not low < high:
        raise ValueError(f"calibrate: range: expected low < high, got [{ends[0]}, {ends[1]}]")
    return low, high


def _range_end(raw: Any, kind: Kind, minimum: Minimum) -> float:
    """One end of a calibrate range: a quantity of `kind` (a whole number for a count), in the
    figure's valid domain."""
    if isinstance(raw, bool) or raw is None or not isinstance(raw, (str, int, float)):
        raise ValueError(f"expected a quantity in {units.CANONICAL[kind]}, got {raw!r}")
    if kind == "count":
        if isinstance(raw, str) or isinstance(raw, float) and not raw.is_integer():
            raise ValueError(f"a count is fitted as a whole number: expected whole-number ends, got {raw!r}")
        value = float(raw)
        if value > MAX_COUNT:
            raise ValueError(f"expected at most {MAX_COUNT:,}, got {raw!r}")
    else:
        value = units.to_canonical(raw, kind)
    _check_bounds(value, kind, raw, str(raw), minimum)
    return value


def _convert(raw: str | int | float, kinds: tuple[Kind, ...]) -> tuple[float, Kind]:
    """The value in the canonical unit of the first of `kinds` it converts to, and that kind."""
    for kind in kinds:
        value = units.known(raw, units.CANONICAL[kind])
        if value is not None:
            return value, kind
    q = units.parse(raw)
    errors = []
    for kind in kinds:
        try:
            return units.convert(q, units.CANONICAL[kind]), kind
        except ValueError as exc:
            errors.append(str(exc))
    if len(kinds) == 1:
        raise ValueError(errors[0])
    wanted = " or ".join(units.CANONICAL[k] for k in kinds)
    raise ValueError(f"expected a quantity in {wanted}, got {raw!r}")


def _check_bounds(value: float, kind: Kind, raw: Any, text: str, minimum: Minimum) -> None:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"expected a finite quantity, got {raw!r}")
    if minimum == "positive" and not value > 0:
        raise ValueError(f"must be > 0, got {text!r}")
    if minimum == "nonneg" and value < 0:
        raise ValueError(f"must be >= 0, got {text!r}")
    if kind == "fraction" and minimum is not None and value > 1:
        raise ValueError(f"must be a share between 0 and 1 (or 0-100 %), got {text!r}")
