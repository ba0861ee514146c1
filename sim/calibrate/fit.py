"""What a finished study says: the fitted values, how well they are pinned down, and what each
observation can tell.

- Fitted values: the trial with the least loss (ties: the earlier trial).
- Near-equally good fits: every completed trial whose loss is within the best trial's loss plus
  its noise (its standard error and its floor, `sim.calibrate.objective`: a difference the
  replications' own noise could make); each parameter's range of near-equal fits is the least and
  greatest value among them (among the trials run: more trials can only widen it). With one
  replication the noise is unknown and the band is the best trial alone (said so).
- A parameter is *not identified* when its near-equal fits span more than `IDENTIFIED_SHARE`
  of its calibrate range: the observations cannot tell its values apart.
- Sensitivity: for each measured observation, a least-squares plane through the completed
  trials (model mean against every parameter scaled to 0..1 across its range) gives how much
  moving one parameter across its whole range changes the model's figure, as a share of the
  observed value. Below `INFORM_FLOOR` the observation cannot inform that parameter: a warning.
  A parameter no observation informs is warned about on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.backtest.observations import Item
from sim.calibrate.parameters import Parameter

IDENTIFIED_SHARE = 0.5  # near-equal fits spanning more than this share of the range: not identified
INFORM_FLOOR = 0.01  # an effect across the whole range below 1% of the observed value informs nothing
EDGE = 0.02  # a fit within 2% of the range from an end is at that end


@dataclass
class Trial:
    """A finished trial as the fit sees it."""

    number: int
    values: dict[str, float]
    loss: float | None  # None: failed
    loss_se: float | None
    loss_floor: float | None
    items: dict[str, dict[str, Any]]  # ref -> ItemResult as a dict
    error: str | None = None

    @classmethod
    def of(cls, number: int, record: dict[str, Any]) -> Trial:
        return cls(number, dict(record.get("values") or {}), record.get("loss"), record.get("loss_se"),
                   record.get("loss_floor"), {i["ref"]: i for i in record.get("items") or []}, record.get("error"))


@dataclass
class Fit:
    best: Trial
    before: Trial
    band: float  # the loss below which a fit is near-equally good
    near: list[Trial]
    completed: int
    failed: int
    ranges: dict[str, tuple[float, float]]  # parameter -> least and greatest near-equal value
    identified: dict[str, bool]
    sensitivity: dict[str, dict[str, float | None]]  # item ref -> parameter -> effect share
    warnings: list[str] = field(default_factory=list)


def analyse(params: list[Parameter], items: list[Item], trials: list[Trial], before: Trial) -> Fit:
    """The fit a list of finished trials gives (at least one completed)."""
    done = [t for t in trials if t.loss is not None]
    best = min(done, key=lambda t: (t.loss, t.number))
    assert best.loss is not None  # internal: done trials have a loss
    band = best.loss + (best.loss_se or 0.0) + (best.loss_floor or 0.0)
    near = [t for t in done if t.loss is not None and t.loss <= band]
    ranges = {p.name: (min(t.values[p.name] for t in near), max(t.values[p.name] for t in near)) for p in params}
    identified = {p.name: (ranges[p.name][1] - ranges[p.name][0]) <= IDENTIFIED_SHARE * p.width for p in params}
    sens = sensitivity(params, items, done)
    fit = Fit(best, before, band, near, len(done), len(trials) - len(done), ranges, identified, sens)
    fit.warnings = _warnings(params, items, fit)
    return fit


def sensitivity(params: list[Parameter], items: list[Item], done: list[Trial]) -> dict[str, dict[str, float | None]]:
    """Item ref -> parameter -> |change of the model's figure across the parameter's range| / observed
    (None: too few trials to fit the plane)."""
    out: dict[str, dict[str, float | None]] = {}
    for item in items:
        rows = [t for t in done if t.items.get(item.ref, {}).get("status") == "scored"
                and t.items[item.ref].get("mean") is not None]
        if not rows:
            continue
        if len(rows) < len(params) + 2:
            out[item.ref] = {p.name: None for p in params}
            continue
        x = np.array([[(t.values[p.name] - p.low) / p.width for p in params] + [1.0] for t in rows])
        y = np.array([t.items[item.ref]["mean"] for t in rows])
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        scale = abs(item.low + item.high) / 2 or 1.0
        out[item.ref] = {p.name: float(abs(coef[k]) / scale) for k, p in enumerate(params)}
    return out


def _warnings(params: list[Parameter], items: list[Item], fit: Fit) -> list[str]:
    out = []
    if fit.best.loss_se is None:
        out.append("one replication: the loss's noise is unknown, so the near-equal fits are the best trial alone; "
                   "run with --replications 2 or more")
    for p in params:
        lo, hi = fit.ranges[p.name]
        if not fit.identified[p.name]:
            out.append(f"{p.name} is not identified: fits within the noise of the best span {_num(lo)}-"
                       f"{quantity(hi, p.unit)}, {(hi - lo) / p.width:.0%} of its range "
                       f"[{_num(p.low)}, {quantity(p.high, p.unit)}]")
        value = fit.best.values[p.name]
        for end, name in ((p.low, "low"), (p.high, "high")):
            if abs(value - end) <= EDGE * p.width:
                out.append(f"{p.name} is fitted at the {name} end of its range ({quantity(value, p.unit)}): the "
                           "observations may want a value beyond it")
    judged = {ref: row for ref, row in fit.sensitivity.items() if all(v is not None for v in row.values())}
    if fit.sensitivity and not judged:
        out.append(f"too few completed trials ({fit.completed}) to judge which observation informs which parameter "
                   f"(needs {len(params) + 2})")
    for ref, row in judged.items():
        blind = [name for name, v in row.items() if v is not None and v < INFORM_FLOOR]
        if blind:
            out.append(f"{ref} cannot inform {', '.join(blind)}: across the whole range each moves the model's "
                       f"figure by less than {INFORM_FLOOR:.0%} of the observed value")
    if judged:
        for p in params:
            if all((row[p.name] or 0.0) < INFORM_FLOOR for row in judged.values()):
                out.append(f"no observation informs {p.name}: its fitted value rests on the start and the range alone")
    if fit.failed:
        out.append(f"{fit.failed} trial(s) failed (see fit.json): their values were refused by the model")
    return out


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:.4g}"


def quantity(x: float, unit: str) -> str:
    """A value with its unit, for messages and tables."""
    return f"{_num(x)} {unit}" if unit else _num(x)
