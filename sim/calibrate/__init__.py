"""`corridor calibrate`: fit a scenario's uncertain figures to a backtest's observations.

The figures fitted are the assumptions a scenario marks `calibrate: {range: [low, high]}`
(`sim.scenario.figure`). Each trial runs the backtest with one set of their values and scores it
as `corridor backtest` does, reduced to one loss (objective.py); an Optuna study proposes the
values, in fixed batches run in parallel through the sweep executors and told in order, stored
in a journal file so that rerunning the same command resumes it (study.py, folder.py). The
finished study gives the fitted values, the range of near-equally good fits and what each
observation can tell (fit.py); the folder gets a scenario that extends the original with the
fitted values, and the fit report (report.py).

The package, in the order data flows through it:

    parameters  the marked figures of the backtest's scenario -> Parameters; a trial's --set overrides
    objective   one trial: run, score, loss and its standard error over the replications
    folder      the output folder and the calibration's identity (what may resume)
    study       the Optuna study: seeded TPE, batches asked and told in order, journal storage
    fit         best trial, near-equal fits, identification, sensitivity, warnings
    report      calibrated.yaml, fit.json, fit.md
"""

from __future__ import annotations

import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import CorridorError, Problem

__all__ = ["CalibrationResult", "calibrate"]

MAX_TRIALS = 10_000
MAX_BATCH = 256
DEFAULT_TRIALS = 60
DEFAULT_BATCH = 4
BEFORE = "before"  # the study's user attribute holding the scenario-as-written outcome, when not trial 0


@dataclass
class CalibrationResult:
    """What a finished calibration reports on the terminal."""

    folder: Path
    data: dict[str, Any]
    resumed: int  # trials found finished in the folder
    wall_s: float
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        loss = self.data["loss"]
        out = [f"{self.data['run']['trials']} trials ({self.resumed} from a previous run), "
               f"{self.wall_s:.1f} s; loss {loss['before']:.4g} as written -> {loss['after']:.4g} fitted"
               if loss["before"] is not None else
               f"{self.data['run']['trials']} trials ({self.resumed} from a previous run), {self.wall_s:.1f} s; "
               f"loss {loss['after']:.4g} fitted"]
        for p in self.data["parameters"]:
            lo, hi = p["near_equal"]
            unit = f" {p['unit']}" if p["unit"] else ""
            out.append(f"  {p['path']}: {p['before']:.4g} -> {p['fitted']:.4g}{unit} "
                       f"(near-equal fits {lo:.4g} to {hi:.4g}{'' if p['identified'] else ', NOT identified'})")
        out += [f"WARNING: {w}" for w in self.warnings]
        out.append(f"written to {self.folder}")
        return out


def calibrate(backtest_path: str | Path, *, trials: int = DEFAULT_TRIALS, workers: int | None = None,
              seed: int | None = None, out: Path | None = None, replications: int | None = None,
              batch: int = DEFAULT_BATCH, scheduler: str | None = None, progress: bool = False) -> CalibrationResult:
    """Fit the backtest scenario's calibrate-marked figures to its observations and write the folder.

    `trials` is rounded up to whole batches of `batch`; `seed` and `replications` default to the
    backtest's. Every input is checked before anything is written or run."""
    from sim.backtest import load_backtest
    from sim.calibrate import folder as place
    from sim.calibrate import report
    from sim.calibrate.fit import Trial, analyse
    from sim.calibrate.objective import TrialTask, run_trial
    from sim.calibrate.parameters import find_parameters
    from sim.calibrate.study import (OUTCOME, SAMPLER, enqueue_start, open_study, outcome_record, run_batches,
                                     whole_batches)
    from sim.io import results_folder
    from sim.progress import progress_bar
    from sim.scenario.loading import read_raw
    from sim.scenario.schema import MAX_REPLICATIONS, MAX_SEED
    from sim.sweep.executors import check_workers, make_executor
    from sim.sweep.points import warm_up

    began = time.perf_counter()
    _check_range("--trials", trials, 1, MAX_TRIALS)
    _check_range("--batch", batch, 1, MAX_BATCH)
    if replications is not None:
        _check_range("--replications", replications, 1, MAX_REPLICATIONS)
    if seed is not None:
        _check_range("--seed", seed, 0, MAX_SEED)
    check_workers(workers)
    bt = load_backtest(backtest_path)
    params = find_parameters(bt.scenario)
    if not params:
        raw = read_raw(Path(backtest_path))
        file, line = raw.where(("scenario",))
        raise CorridorError([Problem(file, ("scenario",), line, (
            f"scenario {bt.scenario.name} ({bt.scenario_path}) marks no figure to calibrate: give an assumed figure "
            "a range to fit in, e.g. {value: 0.6 Mt/yr, source: assumption, note: why, calibrate: {range: "
            "[0.3 Mt/yr, 1.2 Mt/yr]}}"))])
    reps = replications if replications is not None else bt.replications
    sim_seed = seed if seed is not None else bt.seed
    total = whole_batches(trials, batch)
    folder = Path(out) if out is not None else results_folder(f"calibrate-{bt.name}")
    ident = place.identity(bt, params, seed=sim_seed, replications=reps, batch=batch, sampler=SAMPLER)
    continuing = place.continues(folder, ident)

    def task(number: int, sets: list[str]) -> TrialTask:
        return TrialTask(number, str(bt.scenario_path), (*bt.overrides, *sets), sim_seed, reps, bt.items)

    with make_executor(workers, scheduler, warm_up) as executor:
        if not continuing:
            place.start(folder, ident)
        study, storage = open_study(folder / place.JOURNAL)
        enqueue_start(study, params)
        finished = [t for t in study.get_trials(deepcopy=False) if t.number < total and t.state.is_finished()]
        resumed = len(finished)
        with progress_bar(progress, "calibrate", total, failed=True, completed=resumed) as tick:
            def after_batch(done: int, failed: int) -> None:
                place.check_unchanged(ident)
                if tick is not None:
                    tick(done, failed=failed)

            try:
                run_batches(study, storage, params, total=total, batch=batch, seed=sim_seed, make_task=task,
                            executor=executor, after_batch=after_batch)
            except BrokenProcessPool:
                raise RuntimeError(f"a worker process died (out of memory?); the trials told so far are kept in "
                                   f"{folder}: rerun the same command to continue") from None
        records = {t.number: Trial.of(t.number, t.user_attrs.get(OUTCOME) or {"error": "no outcome recorded"})
                   for t in study.get_trials(deepcopy=False) if t.number < total and t.state.is_finished()}
        first = records.get(0)
        if first is not None and all(first.values.get(p.name) == p.start for p in params):
            before = first
        else:
            if BEFORE not in study.user_attrs:
                outcome = list(executor.run(run_trial, [task(-1, [])]))[0]
                study.set_user_attr(BEFORE, outcome_record(outcome, {p.name: p.start for p in params}))
            before = Trial.of(-1, study.user_attrs[BEFORE])
    trials_done = [records[n] for n in sorted(records)]
    if not any(t.loss is not None for t in trials_done):
        errors = sorted({t.error or "" for t in trials_done})
        raise CorridorError(f"every trial failed, so nothing was fitted (the study is kept in {folder}): "
                            + "; ".join(errors[:3]))
    fit = analyse(params, [i for i in bt.items if i.scored], trials_done, before)
    run = {"trials": total, "asked": trials, "batch": batch, "seed": sim_seed, "replications": reps,
           "sampler": SAMPLER, "completed": fit.completed, "failed": fit.failed}
    doc = report.document(bt, params, fit, trials_done, run)
    report.write(folder, bt, params, fit, doc)
    return CalibrationResult(folder, doc, resumed, time.perf_counter() - began, fit.warnings)


def _check_range(flag: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CorridorError(f"{flag}: expected a whole number from {low:,} to {high:,}, got {value!r}")
