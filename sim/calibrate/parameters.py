"""The parameters a calibration fits: the figures of a scenario marked `calibrate: {range: [low, high]}`.

Each is found by its key path in the validated scenario (`sim.scenario.schema.figures`), fitted in
its canonical unit between the range's ends (a count as a whole number), and handed to a trial
as a `--set PATH.value=VALUE` override. Setting `.value` keeps the figure's source, note and
range, so a trial's scenario differs from the original only by the number. An assumed
distribution marked `calibrate: {scale: [low, high]}` is fitted by its scale factor
(`--set PATH.scale=FACTOR`, `sim.scenario.distributions.Scaled`). A route's share may be
marked (one route per flow): the flow's other routes keep their proportions and fill the rest,
so the shares still sum to 1 in every trial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.scenario.distributions import Scaled
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
    field: str = "value"  # what a trial sets: a figure's value, or a distribution's scale factor
    # a route share's sibling routes (their share paths and written shares): they keep their
    # proportions and fill what the fitted share leaves, so a flow's shares still sum to 1
    siblings: tuple[tuple[tuple[str | int, ...], float], ...] = ()

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

    def override(self, value: float) -> list[str]:
        """`--set` texts giving the figure this value and keeping its source, note and range (and,
        for a route share, its sibling routes the rest in their written proportions)."""
        text = self.file_value(value)
        out = [f"{self.name}.{self.field}={text}"]
        for path, share in self.sibling_shares(value):
            out.append(f"{'.'.join(str(p) for p in path)}.value={share}")
        return out

    def sibling_shares(self, value: float) -> list[tuple[tuple[str | int, ...], float]]:
        """The sibling routes' shares when this share is `value`: what is left, in proportion."""
        rest = sum(v for _, v in self.siblings)
        return [(path, float(f"{(1 - self.rounded(value)) * v / rest if rest > 0 else 0.0:.15g}"))
                for path, v in self.siblings]

    def describe(self) -> dict[str, Any]:
        return {"path": self.name, "kind": self.kind, "unit": self.unit, "integer": self.integer,
                "range": [self.low, self.high], "start": self.start}


def find_parameters(scenario: Scenario) -> list[Parameter]:
    """Every figure marked for calibration, in the order the scenario lists them."""
    out = []
    for path, fig in figures(scenario):
        if isinstance(fig, Figure) and fig.calibrate is not None:
            low, high = fig.calibrate
            out.append(Parameter(tuple(path), fig.kind, low, high, fig.value, fig.text, fig.note or "",
                                 siblings=_siblings(scenario, tuple(path))))
        elif isinstance(fig, Scaled) and fig.calibrate is not None:  # an assumed time, stretched
            low, high = fig.calibrate
            out.append(Parameter(tuple(path), "fraction", low, high, fig.factor, f"scale {fig.factor:g}",
                                 fig.note or "", field="scale"))
    return out


def _siblings(scenario: Scenario, path: tuple[str | int, ...]) -> tuple[tuple[tuple[str | int, ...], float], ...]:
    """For a route's share (`flows.F.routes.R.share`), the other routes' shares of flow F."""
    if len(path) != 5 or path[0] != "flows" or path[2] != "routes" or path[4] != "share":
        return ()
    routes = scenario.flows[str(path[1])].routes or {}
    return tuple((("flows", path[1], "routes", rid, "share"), r.share.value) for rid, r in routes.items()
                 if rid != path[3] and r.share is not None)


def overrides(params: list[Parameter], values: dict[str, float]) -> list[str]:
    """The `--set` overrides of one trial, parameter by parameter."""
    return [text for p in params for text in p.override(values[p.name])]
