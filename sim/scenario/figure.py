"""A figure: a number from a scenario file in its canonical unit, with the text and source behind it.

A figure is written as a quantity (`15 Mt/yr`) or as `{value: 15 Mt/yr, source: s1_025, note: ...}`.
`parse_figure` reads either form for one or more kinds of number (see `units.CANONICAL`), checks
its lower bound, and raises ValueError with a message fit to show the user.
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

    def __float__(self) -> float:
        return self.value

    def to_spec(self) -> str | int | dict[str, Any]:
        """The file form of this figure, for the resolved scenario."""
        text: str | int = int(self.value) if self.kind == "count" else self.text
        if self.source or self.note:
            out: dict[str, Any] = {"value": text, "source": self.source}
            return out | ({"note": self.note} if self.note else {})
        return text


def fraction(value: float, text: str) -> Figure:
    """A share figure, for a default (`fraction(0.95, "95 %")`)."""
    return Figure(value, "dimensionless", "fraction", text)


def parse_figure(raw: Any, kinds: tuple[Kind, ...], minimum: Minimum = "nonneg") -> Figure:
    """A figure of one of `kinds` from its file form (or a Figure, returned as it is)."""
    if isinstance(raw, Figure):
        return raw
    raw, source, note = _unwrap(raw)
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
    return Figure(value, unit, kind, text, source, note)


def parser(kinds: tuple[Kind, ...], minimum: Minimum) -> Callable[[Any], Figure]:
    """`parse_figure` with its kinds and bound fixed, for a pydantic validator."""
    return lambda raw: parse_figure(raw, kinds, minimum)


def _unwrap(raw: Any) -> tuple[Any, str | None, str | None]:
    """(value, source, note) of a figure written as a mapping; a bare value has neither."""
    if not isinstance(raw, dict):
        return raw, None, None
    extra = set(raw) - {"value", "source", "note"}
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
    return raw["value"], source, note


def _convert(raw: str | int | float, kinds: tuple[Kind, ...]) -> tuple[float, Kind]:
    """The value in the canonical unit of the first of `kinds` it converts to, and that kind."""
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
