"""`corridor backtest`: score a scenario against observed outcomes.

Observations live in `seeds/observed.yaml` (observations.py); a backtest file names a scenario,
its sourced changes and the observations to score (spec.py); each item is measured in every
replication and judged (score.py); the report folder is written whole or not at all (report.py).
All bad input is found before anything runs or is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.backtest.score import Score, score
from sim.backtest.spec import Backtest, load_backtest

__all__ = ["BacktestResult", "Backtest", "Score", "load_backtest", "run_backtest"]


@dataclass
class BacktestResult:
    folder: Path
    scores: list[Score]
    data: dict[str, Any]

    @property
    def missed(self) -> bool:
        return any(s.missed for s in self.scores)


def run_backtest(path: str | Path, *, replications: int | None = None, seed: int | None = None,
                 out: Path | None = None, progress: bool = False) -> BacktestResult:
    """Load and check the backtest, simulate its scenario, score every item, write the folder."""
    from sim.backtest import report
    from sim.io import check_replaceable, results_folder, staged_folder
    from sim.run import evaluate

    bt = load_backtest(path)
    folder = Path(out) if out is not None else results_folder(f"backtest-{bt.year}")
    check_replaceable(folder)  # before the (long) run, so a bad --out costs nothing
    reps = replications if replications is not None else bt.replications
    seed = seed if seed is not None else bt.seed
    ev = evaluate(bt.scenario_path, overrides=bt.overrides, seed=seed, replications=reps, progress=progress)
    scores = [score(item, ev.planned, ev.result.replications) for item in bt.items]
    expansions = {k: v for k, v in ev.plan.plan.amounts().items() if v}
    doc = {
        "schema_version": report.SCHEMA_VERSION,
        "backtest": {"name": bt.name, "file": bt.file, "year": bt.year, "description": bt.description,
                     "scenario": str(bt.scenario_path), "observed": bt.observed.file,
                     "changes": [{"set": c.set, "source": c.source, "note": c.note} for c in bt.changes]},
        "run": {"seed": seed, "replications": reps,
                "horizon_days": ev.planned.simulation.horizon.value / 24,
                "warmup_days": ev.planned.simulation.warmup.value / 24},
        "plan_expansions": expansions,
        "summary": report.summary(scores),
        "items": [s.to_dict() for s in scores],
    }
    with staged_folder(folder) as tmp:
        report.write(tmp, doc, scores, ev.resolved)
    return BacktestResult(folder, scores, doc)
