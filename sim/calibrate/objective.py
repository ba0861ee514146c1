"""What a calibration minimises: the backtest's error, as one number per trial.

A trial is the backtest's scenario, with the backtest's changes and the trial's parameter
values as `--set` overrides, run by the same library function as `corridor run` and scored
item by item by `sim.backtest.score` (the same mean, CI and relative error as `corridor
backtest`). The loss is

    L = (1/m) * sum over the m measured items of e_i ** 2

where e_i is the item's relative error: (model mean - observed) / observed for a value; for a
range, the distance from the model mean to the nearest end over that end, 0 inside. Items the
model does not measure, and rows kept only as notes, are left out (m counts the rest). Squared
relative errors weigh every item alike whatever its unit, and a far-off item weighs much more
than several near ones: an item the model cannot come near dominates the loss, and the fit
report shows it.

Every trial runs with the same seed and replications (common random numbers): replication i
of every trial draws the same storms, failures and arrivals, so two trials differ by their
parameters, not by their luck. The loss's own noise has two parts, both from the replications:
- its jackknife standard error (the loss recomputed leaving out each replication in turn);
- its floor, (1/m) * sum of (standard error of the item's model mean / observed) ** 2: the loss a
  perfect fit shows from the replications' noise alone. The jackknife misses it when the fit is
  close (the square of an error near 0 hardly moves when a replication is left out).
`sim.calibrate.fit` counts a trial near-equally good when its loss is within both of the best's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.backtest.observations import Item
from sim.backtest.score import SCORED, Score, judge, score
from sim.errors import CorridorError


@dataclass(frozen=True)
class TrialTask:
    """What a worker needs to run one trial (small and picklable)."""

    number: int
    scenario: str
    overrides: tuple[str, ...]  # the backtest's changes, then the trial's parameter values
    seed: int
    replications: int
    items: tuple[Item, ...]


@dataclass
class ItemResult:
    """One item in one trial: the model's value per replication, or why it was not measured."""

    ref: str
    status: str
    values: list[float] = field(default_factory=list)
    mean: float = math.nan
    lo: float = math.nan
    hi: float = math.nan
    rel_error: float = math.nan
    reason: str = ""

    @classmethod
    def of(cls, s: Score) -> ItemResult:
        return cls(s.item.ref, s.status, list(s.values), s.mean, s.lo, s.hi, s.rel_error, s.reason)

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "status": self.status, "values": self.values, "mean": _json(self.mean),
                "lo": _json(self.lo), "hi": _json(self.hi), "rel_error": _json(self.rel_error),
                "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ItemResult:
        return cls(d["ref"], d["status"], list(d.get("values") or []), _num(d.get("mean")), _num(d.get("lo")),
                   _num(d.get("hi")), _num(d.get("rel_error")), d.get("reason") or "")


@dataclass
class TrialOutcome:
    """A finished trial: its loss and standard error, every item's result; or its error."""

    number: int
    loss: float = math.nan
    loss_se: float = math.nan
    loss_floor: float = math.nan
    items: list[ItemResult] = field(default_factory=list)
    error: str | None = None
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and math.isfinite(self.loss)


def run_trial(task: TrialTask) -> TrialOutcome:
    """Run one trial and score it; a failure (a combination the model refuses) becomes its error."""
    from sim.run import evaluate

    start = time.perf_counter()
    outcome = TrialOutcome(task.number)
    try:
        ev = evaluate(Path(task.scenario), overrides=list(task.overrides), seed=task.seed,
                      replications=task.replications)
        scores = [score(item, ev.planned, ev.result.replications) for item in task.items]
        outcome.items = [ItemResult.of(s) for s in scores]
        outcome.loss, outcome.loss_se, outcome.loss_floor = loss(scores)
        if not math.isfinite(outcome.loss):
            outcome.error = "no scored item is measured by the model"
    except Exception as exc:
        message = str(exc) if isinstance(exc, CorridorError) else f"{type(exc).__name__}: {exc}"
        outcome.error = message.strip() or type(exc).__name__
    outcome.wall_s = round(time.perf_counter() - start, 3)
    return outcome


def loss(scores: list[Score]) -> tuple[float, float, float]:
    """(L, its jackknife standard error, its noise floor) over the measured items; nan for what
    cannot be had (no item measured: all three; one replication: the last two)."""
    measured = [s for s in scores if s.status == SCORED]
    if not measured:
        return math.nan, math.nan, math.nan
    value = _mean_square([s.rel_error for s in measured])
    n = min(len(s.values) for s in measured)
    if n < 2:
        return value, math.nan, math.nan
    leave_one_out = [_mean_square([judge(s.item, s.values[:j] + s.values[j + 1:]).rel_error for s in measured])
                     for j in range(n)]
    centre = sum(leave_one_out) / n
    se = math.sqrt((n - 1) / n * sum((x - centre) ** 2 for x in leave_one_out))
    floor = _mean_square([_sd(s.values) / math.sqrt(len(s.values)) / _reference(s) for s in measured])
    return value, se, floor


def _sd(x: list[float]) -> float:
    centre = sum(x) / len(x)
    return math.sqrt(sum((v - centre) ** 2 for v in x) / (len(x) - 1))


def _reference(s: Score) -> float:
    """What an item's error is relative to: the observed value, or the nearer end of the range."""
    lo, hi = s.item.low, s.item.high
    return abs(hi if s.mean > hi else lo) or 1.0


def _mean_square(errors: list[float]) -> float:
    return sum(e * e for e in errors) / len(errors)


def _json(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)
