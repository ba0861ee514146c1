"""The parameters a calibration fits: the figures of a scenario marked `calibrate: {range: [low, high]}`.

Each is found by its key path in the validated scenario (`sim.scenario.schema.figures`), fitted in
its canonical unit between the range's ends (a count as a whole number), and handed to a trial
as a `--set PATH.value=VALUE` override. Setting `.value` keeps the figure's source, note and
range, so a trial's scenario differs from the original only by the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.scenario.figure import Figure, quantity_text
from sim.scenario.schema import Scenario, figures
from sim.scenario.units import CANONICAL, Kind

SIGNIFICANT = 6  # digits a fitted float keeps: what a trial runs is what calibrated.yaml says


@dataclass(frozen=True)
class Parameter:
    """A figure to fit: where it is, its range and start (canonical unit), and whether it is whole."""

    path: tuple[str | int, ...]
    kind: Kind
    low: float
    high: float
    start: float  # the value as the scenario writes it
    text: str  # the value's text as written
    note: str

    @property
    def name(self) -> str:
        """The dotted key path (`fleets.ferries.vessels`), as `--set` and the study name it."""
        return ".".join(str(p) for p in self.path)

    @property
    def integer(self) -> bool:
        return self.kind == "count"

    @property
    def unit(self) -> str:
        return "" if CANONICAL[self.kind] == "dimensionless" else CANONICAL[self.kind]

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def rounded(self, value: float) -> float:
        """The value a trial runs: a whole number for a count, else SIGNIFICANT digits, in range."""
        x = float(round(value)) if self.integer else float(f"{value:.{SIGNIFICANT}g}")
        return min(max(x, self.low), self.high)

    def file_value(self, value: float) -> str | int | float:
        """The value as a scenario file writes it (reads back to the same number)."""
        return quantity_text(self.rounded(value), self.kind)

    def override(self, value: float) -> str:
        """`--set` text giving the figure this value and keeping its source, note and range."""
        text = self.file_value(value)
        return f"{self.name}.value={text}"

    def describe(self) -> dict[str, Any]:
        return {"path": self.name, "kind": self.kind, "unit": self.unit, "integer": self.integer,
                "range": [self.low, self.high], "start": self.start}


def find_parameters(scenario: Scenario) -> list[Parameter]:
    """Every figure marked for calibration, in the order the scenario lists them."""
    out = []
    for path, fig in figures(scenario):
        if isinstance(fig, Figure) and fig.calibrate is not None:
            low, high = fig.calibrate
            out.append(Parameter(tuple(path), fig.kind, low, high, fig.value, fig.text, fig.note or ""))
    return out


def overrides(params: list[Parameter], values: dict[str, float]) -> list[str]:
    """The `--set` overrides of one trial, parameter by parameter."""
    return [p.override(values[p.name]) for p in params]
