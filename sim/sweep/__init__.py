"""`corridor sweep`: a design over scenario parameters, run point by point, durably, in parallel.

Each point is the scenario with overrides, run by the same library function as `corridor run`
with the sweep seed (common random numbers: points differ only by their overrides, never by
which worker ran them or when). A point simulates the scenario as written; with `replan`
(`--replan`) it builds the optimiser's plan first, and the terminal summary, sweep.md and the
tables say so. Finished points go to the durable log as they finish; `resume`
skips the points already there (matched by content, not position). The tables, findings and
pictures are rebuilt from that log at the end. With `find`, a threshold search instead.

The package, in the order data flows through it:

    config      a sweep file merged with flags -> SweepConfig
    designs     --vary specs -> parameters -> design rows (grid, lhs, sobol, morris)
    plan        scenario + design, validated once -> SweepPlan and its manifest sweep.json
    folder      the output folder: checked first, started fresh whole, or continued on resume
    points      one point run -> its record; points.jsonl, the durable log of records
    executors   where points run: this process, local worker processes, a Dask cluster
    tables      the log -> sweep.parquet and sweep.csv: one row per (point, target), in design order
    threshold   a bracket of one parameter where a target's P(met) crosses a level, reusing replications
    render      thresholds, frontiers, sensitivity, pictures, sweep.md and sweep.html; find.*
"""

from __future__ import annotations

import difflib
import functools
import time
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sim.errors import CorridorError
from sim.io import results_folder
from sim.sweep.config import parse_level, read_config
from sim.progress import progress_bar
from sim.sweep.executors import check_workers, make_executor
from sim.sweep.folder import continues, start
from sim.sweep.plan import MANIFEST, SweepPlan, plan_sweep
from sim.sweep.points import (LOG, EvaluatePoint, PointLog, PointTask, evaluate_report, finished_ids,
                              prepare_worker, read_log, run_point)
from sim.sweep.threshold import Threshold, find_threshold

__all__ = ["SweepResult", "Threshold", "run_sweep", "sweep"]


@dataclass
class SweepResult:
    """What a finished sweep reports on the terminal."""

    folder: Path
    points: int
    done: int
    failed: int
    resumed: int
    wall_s: float
    findings: list[str] = field(default_factory=list)
    with_plan: bool = False  # each point built the optimiser's plan before simulating

    def lines(self) -> list[str]:
        """The terminal summary."""
        how = "with the optimiser's plan built at each point" if self.with_plan else "each point as written"
        head = (f"{self.points} points ({self.resumed} from a previous run), {how}, {self.failed} failed, "
                f"{self.wall_s:.1f} s; written to {self.folder}")
        return [head, *self.findings]


def sweep(scenario: Path | str | None = None, *, vary: Iterable[str] = (), overrides: Iterable[str] = (),
          seed: int | None = None, replications: int | None = None, out: Path | None = None,
          workers: int | None = None, scheduler: str | None = None, resume: bool = False,
          progress: bool = False, design: str | None = None, samples: int | None = None,
          level: float | str | None = None, find: str | None = None, target: str | None = None,
          file: Path | None = None, evaluate_point: EvaluatePoint = evaluate_report,
          replan: bool | None = None) -> SweepResult | Threshold:
    """Run a sweep (or, with `find`, a threshold search) and write its folder.

    Flags override a sweep file's keys; `vary` adds to (or replaces, by path) its `vary`. `level`
    is a probability as `--level` takes it: 0.9, "90%" or "90". `replan` builds the optimiser's
    plan at each point before simulating (None: as the sweep file says, else as written).
    """
    check_workers(workers)
    cfg = read_config(file, scenario=scenario, vary=list(vary), overrides=list(overrides), seed=seed,
                      replications=replications, out=out, design=design, samples=samples, level=level,
                      find=find, target=target, replan=replan)
    if cfg.find is not None and cfg.target is not None:
        from sim.sweep.render import write_threshold

        found = find_threshold(cfg.scenario, path=cfg.find, target=cfg.target, level=cfg.level, params=cfg.params,
                               overrides=cfg.overrides, seed=cfg.seed, replications=cfg.replications, out=cfg.out,
                               resume=resume, progress=progress, workers=workers, evaluate_point=evaluate_point)
        write_threshold(found)
        return found
    plan = plan_sweep(cfg.scenario, cfg.params, overrides=cfg.overrides, seed=cfg.seed,
                      replications=cfg.replications, design=cfg.design, samples=cfg.samples, with_plan=cfg.replan)
    folder = cfg.out if cfg.out is not None else results_folder(plan.name, "sweep")
    return run_sweep(plan, folder, workers=workers, scheduler=scheduler, resume=resume, progress=progress,
                     level=cfg.level, target=cfg.target, evaluate_point=evaluate_point)


def run_sweep(plan: SweepPlan, folder: Path, *, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, progress: bool = False, level: float = 0.9, target: str | None = None,
              evaluate_point: EvaluatePoint = evaluate_report) -> SweepResult:
    """Run the plan's unfinished points, appending each to the log as it finishes; then the tables
    (every target) and the findings and pictures (of `target` alone when one is named).

    Everything is checked before anything is written: a refused sweep leaves the folder as it was.
    A new sweep replaces an earlier folder of corridor's whole (never mixing tables); `resume`
    continues one only if it holds the same sweep."""
    from sim.sweep.render import write_outputs

    began = time.perf_counter()
    folder = Path(folder)
    check_workers(workers)
    level = parse_level(level)
    if target is not None and target not in plan.targets:
        hint = difflib.get_close_matches(target, list(plan.targets), n=1)
        raise CorridorError(f"--target: no target {target!r} in {plan.name}" +
                            (f"; did you mean {hint[0]!r}?" if hint else f" (it has {', '.join(plan.targets)})"))
    continuing = continues(folder, resume, plan.manifest(), MANIFEST)
    wanted = {p.id for p in plan.points}
    done: set[str] = set()
    failed = 0
    for _, record in read_log(folder / LOG) if continuing else ():
        if record.id in wanted and record.id not in done:
            done.add(record.id)
            failed += record.status != "ok"
    resumed = len(done)
    todo = (PointTask(str(plan.scenario), tuple(plan.base), p, i, plan.seed, plan.replications)
            for i, p in enumerate(plan.points) if p.id not in done)
    # the real point function's imports and the scenario's YAML, once where the points run
    prepare = functools.partial(prepare_worker, str(plan.scenario)) if evaluate_point is evaluate_report else None
    if plan.with_plan:  # a point function that builds the plan takes `with_plan`, as evaluate_report does
        evaluate_point = functools.partial(cast(Callable[..., dict[str, Any]], evaluate_point), with_plan=True)
    run = functools.partial(run_point, evaluate_point=evaluate_point)
    try:
        # The workers (or the Dask connection) first: a scheduler that cannot be reached is refused
        # before the folder is touched.
        with make_executor(workers, scheduler, prepare) as executor:
            start(folder, continuing, "sweep", MANIFEST, plan.manifest())
            with PointLog(folder / LOG, resume=True) as log, \
                    progress_bar(progress, "sweep", len(plan.points), failed=True, completed=resumed) as tick:
                for count, record in enumerate(executor.run(run, todo), start=resumed + 1):
                    log.append(record)
                    failed += record.status != "ok"
                    if tick is not None:
                        tick(count, failed=failed)
    except BrokenProcessPool:
        saved = len(finished_ids(folder / LOG))
        raise RuntimeError(f"a worker process died (out of memory?); {saved} finished points are saved in "
                           f"{folder / LOG}: rerun with --resume to continue") from None
    findings = write_outputs(folder, plan, level, target)
    return SweepResult(folder, len(plan.points), len(plan.points) - resumed, failed, resumed,
                       time.perf_counter() - began, findings, plan.with_plan)

