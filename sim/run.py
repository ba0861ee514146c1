"""`corridor run`: optimise, simulate the scenario as written, and write the report folder.

The optimiser always runs (its bounds and plan go in the report), but its plan is built only
when asked: `with_plan` (`corridor run --with-plan`, `corridor sweep --replan`) simulates the
scenario with the plan's expansions built, and the report says so on its first line. Without
it the simulation answers the question as written, never a silently improved network. A run's
manifest records the choice, so `corridor rerun` repeats it.

`formats` (`corridor run --format parquet|netcdf`) adds the data for notebooks to the folder,
beside the usual files: the report's tables as Parquet files, or the simulation's daily and
hourly series as one netCDF file (`write_data`, `sim.report.frames`).

What a run spends goes to the simulation: the scenario is read and validated once, pandas and
xarray are imported only for `formats`, and the pictures are drawn in a worker process while
the other files are written (`sim.report.render.drawing`), or skipped with `plots=False`
(`corridor run --no-plots`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Collection
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import CorridorError
from sim.io import results_folder, staged_folder
from sim.progress import progress_bar
from sim.scenario import units
from sim.scenario.loading import Raw, read_raw, resolved_yaml, validate
from sim.scenario.schema import MAX_REPLICATIONS
from sim.simulate import simulate

if TYPE_CHECKING:
    import xarray as xr

    from sim.optimiser.result import OptimiseResult
    from sim.replications import SeriesMode
    from sim.report.frames import Frames
    from sim.scenario.schema import Scenario
    from sim.simulate import SimulationResult

log = logging.getLogger("corridor.run")


@dataclass
class RunReport:
    folder: Path
    data: dict[str, Any]


def parse_precision(text: str | float | None) -> float | None:
    """`5%` or `0.05` -> 0.05; anything else is bad input."""
    if text is None:
        return None
    try:
        share = units.to_canonical(text, "fraction") if isinstance(text, str) else float(text)
    except ValueError as exc:
        raise CorridorError(f"--precision: {exc}") from None
    if not 0 < share < 1:
        raise CorridorError(f"--precision: expected a share between 0 and 100 %, got {text!r}")
    return share


@dataclass
class Evaluation:
    """One scenario run in memory: the scenario as written, the scenario simulated (the same one,
    or with the optimiser's plan built when `plan_applied`), the optimiser's result, the
    simulation, the report document (as JSON data) and the resolved YAML."""

    scenario: Scenario
    simulated: Scenario
    plan: OptimiseResult
    result: SimulationResult
    data: dict[str, Any]
    resolved: str
    plan_applied: bool = False

    @property
    def planned(self) -> Scenario:
        """The scenario simulated (named before runs simulated the scenario as written)."""
        return self.simulated

    def frames(self) -> Frames:
        """The report's tables as tidy pandas DataFrames (`sim.report.frames`)."""
        from sim.report.frames import frames

        return frames(self.data, [r.index for r in self.result.replications])

    def to_xarray(self, *, hourly: bool = True) -> xr.Dataset:
        """The simulation's daily (and hourly) series as an xarray Dataset (`sim.report.frames`)."""
        return self.result.to_xarray(hourly=hourly)

    def __repr__(self) -> str:
        from sim.report.document import as_document
        from sim.report.frames import summary

        doc = as_document(self.data)
        plan = ", with the optimiser's plan" if self.plan_applied else ""
        return summary("Evaluation", self.scenario.name + plan, doc.run.replications, doc.run.seed,
                       [(t.id, t.simulated.mean, t.unit, t.judged) for t in doc.targets])


def check_with_plan(scenario: Scenario, flag: str = "--with-plan") -> None:
    """Building the optimiser's plan needs candidates to build: a scenario without `expansions`
    is bad input for `flag`."""
    if not scenario.expansions:
        raise CorridorError(f"{flag}: scenario {scenario.name!r} has no expansions (candidate investments), so "
                            f"the optimiser has nothing to build; drop {flag}, or list candidates under "
                            "`expansions:`")


def evaluate(path: str | Path, *, overrides: list[str] | tuple[str, ...] = (), seed: int | None = None,
             replications: int | None = None, precision: str | float | None = None,
             solver: str | None = None, workers: int = 1, progress: bool = False,
             trace_to: Path | None = None, with_plan: bool = False, first_replication: int = 0,
             series: SeriesMode = "summary") -> Evaluation:
    """Optimise and simulate: everything `corridor run` does except writing files.

    The scenario is simulated as written; `with_plan` builds the optimiser's plan first (bad
    input when the scenario has no expansions to build). Sweeps call this for each point; `run`
    calls it and writes the report folder. With `simulation.trace` set, replication 0's cargo
    events stream to `trace_to`. `first_replication` runs replication indices from there on
    (a threshold search adding replications to a point it has already run). `series`: what the
    result keeps of the daily and hourly arrays (`sim.simulate.simulate`; "all" for `to_xarray`
    by replication).
    """
    raw = read_raw(Path(path), overrides)
    scenario = validate(raw)
    if with_plan:
        check_with_plan(scenario)
    return _evaluate(Path(path), raw, scenario, overrides=overrides, seed=seed, replications=replications,
                     precision=precision, solver=solver, workers=workers, progress=progress, trace_to=trace_to,
                     with_plan=with_plan, first_replication=first_replication, series=series)


def _evaluate(path: Path, raw: Raw, scenario: Scenario, *, overrides: list[str] | tuple[str, ...],
              seed: int | None, replications: int | None, precision: str | float | None,
              solver: str | None, workers: int, progress: bool, trace_to: Path | None,
              with_plan: bool, first_replication: int = 0, series: SeriesMode = "summary") -> Evaluation:
    """`evaluate` of a scenario already read and validated."""
    from sim.optimiser.lp import check_solver
    from sim.optimiser.optimise import apply_plan, optimise
    from sim.report.document import build_report

    start = time.perf_counter()
    share = parse_precision(precision)
    if solver is not None:
        check_solver(solver, "--solver")
    log.info("optimising %s", scenario.name)
    plan = optimise(scenario, solver=solver)
    simulated = apply_plan(scenario, plan) if with_plan else scenario
    log.info("simulating %s %s: %s replications, seed %s, %d worker(s)", scenario.name,
             "with the optimiser's plan" if with_plan else "as written",
             replications or scenario.simulation.replications, scenario.simulation.seed if seed is None else seed,
             workers)
    with progress_bar(progress, "replications", replications or scenario.simulation.replications) as tick:
        result = simulate(simulated, replications=replications, seed=seed, precision=share,
                          workers=workers, progress=tick,
                          trace_to=trace_to if scenario.simulation.trace else None, first=first_replication,
                          series=series)
    resolved = resolved_yaml(scenario)
    meta = {
        "file": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "resolved_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "overrides": list(overrides),
        "files": raw.files,
        "wall_s": time.perf_counter() - start,
    }
    firm: list[dict[str, Any]] = []
    if plan.firm_supply:  # what makes each power target firm, judged over the run's replications
        from sim.planning import check_firm_plans

        log.info("simulating the firm power plans")
        firm = [c.to_dict() for c in check_firm_plans(scenario, plan.firm_supply, replications=len(result.replications),
                                                      seed=result.seed)]
    data = build_report(scenario, simulated, plan, result, meta, plan_applied=with_plan, firm_supply=firm)
    log.info("simulated %d replications in %.1f s", len(result.replications), result.wall_s)
    return Evaluation(scenario, simulated, plan, result, data, resolved, with_plan)


def evaluate_point(scenario: Scenario, *, seed: int | None = None, replications: int | None = None,
                   workers: int = 1, with_plan: bool = False, first_replication: int = 0,
                   optimised: OptimiseResult | None = None) -> dict[str, Any]:
    """`evaluate` of a scenario already validated (and, `with_plan`, checked by `check_with_plan`),
    for a sweep point: the same optimisation (`optimised`, when the caller already holds it for
    this very scenario) and simulation, but of the report only what a point keeps
    (`sim.report.document.point_report`, each key equal to the full report's): no resolved YAML,
    file hashes, tables or pictures."""
    from sim.optimiser.optimise import apply_plan, optimise
    from sim.report.document import point_report

    plan = optimised if optimised is not None else optimise(scenario)
    simulated = apply_plan(scenario, plan) if with_plan else scenario
    result = simulate(simulated, replications=replications, seed=seed, workers=workers, first=first_replication)
    return point_report(scenario, simulated, plan, result, plan_applied=with_plan)


def run(path: str | Path, *, overrides: list[str] | tuple[str, ...] = (), seed: int | None = None,
        replications: int | None = None, precision: str | float | None = None, out: Path | None = None,
        solver: str | None = None, workers: int = 1, progress: bool = False,
        with_plan: bool = False, gaps: int | None = None, formats: Collection[str] = (),
        plots: bool = True) -> RunReport:
    """Run a scenario file end to end and write its report folder atomically (`with_plan`: the
    optimiser's plan built before simulating; `gaps`: each target's gap split into causes,
    `sim.attribution`, with that many replications per combination of causes; `formats`: the
    data for notebooks written beside the report, `write_data`; `plots`: the map and the plots,
    drawn in a worker process while the other files are written, `sim.report.render.drawing`)."""
    from sim.attribution import check_gaps, run_gaps
    from sim.report.document import as_document
    from sim.report.render import drawing, picture_job, write_report

    check_formats(formats)
    raw = read_raw(Path(path), overrides)
    scenario = validate(raw)  # bad input fails here, read once, before any folder exists
    if with_plan:
        check_with_plan(scenario)
    parse_precision(precision)
    if gaps is not None:
        check_gaps(scenario, gaps)
    folder = Path(out) if out is not None else results_folder(scenario.name)
    with staged_folder(folder) as tmp:
        ev = _evaluate(Path(path), raw, scenario, overrides=overrides, seed=seed, replications=replications,
                       precision=precision, solver=solver, workers=workers, progress=progress,
                       trace_to=tmp / "trace.jsonl", with_plan=with_plan,
                       series="all" if "netcdf" in formats else "summary")  # series.nc: by replication
        if gaps is not None:
            ev.data = run_gaps(ev, gaps, workers=workers, progress=progress)
        doc = as_document(ev.data)  # checked once, for the pictures and the files
        with ExitStack() as stack:
            pictures = stack.enter_context(drawing(picture_job(doc, scenario=ev.scenario, planned=ev.simulated,
                                                               result=ev.result))) if plots else None
            write_data(tmp, ev, formats)
            write_report(tmp, doc, scenario=ev.scenario, planned=ev.simulated, plan=ev.plan, result=ev.result,
                         resolved=ev.resolved, plots=plots, pictures=pictures)
    log.info("report written to %s", folder)
    return RunReport(folder, ev.data)


DATA_FORMATS = ("parquet", "netcdf")


def check_formats(formats: Collection[str]) -> None:
    """Only the data formats `write_data` knows are asked for."""
    unknown = [f for f in formats if f not in DATA_FORMATS]
    if unknown:
        raise CorridorError(f"--format: expected {' or '.join(DATA_FORMATS)} for the data files, got {unknown[0]!r}")


def write_data(folder: Path, ev: Evaluation, formats: Collection[str]) -> list[Path]:
    """The run's data for notebooks, beside the report's files, each written atomically:
    `parquet`, one `<frame>.parquet` per table of `Evaluation.frames()` (targets.parquet,
    target_replications.parquet, flows.parquet, ...); `netcdf`, the daily and hourly series
    as `series.nc` (netCDF3, `sim.report.frames.series`). The paths written. pandas and
    xarray are imported only when a format is asked for."""
    check_formats(formats)
    written = []
    if "parquet" in formats:
        written += ev.frames().write_parquet(folder)
    if "netcdf" in formats:
        from sim.report.frames import write_netcdf

        written.append(write_netcdf(ev.to_xarray(), folder / "series.nc"))
    return written


RESULT_SECTIONS = ("plan_applied", "built", "targets", "flows", "passages", "links", "nodes", "fleets", "plan",
                   "n_minus_1", "shadow_prices")


def rerun(folder: Path, *, out: Path | None = None) -> tuple[RunReport, list[str]]:
    """Repeat a run from its folder's resolved scenario and manifest; list every figure that differs."""
    import json

    folder = Path(folder)
    resolved, manifest_file, report_file = (folder / n for n in
                                            ("scenario.resolved.yaml", "manifest.json", "report.json"))
    for f in (resolved, manifest_file, report_file):
        if not f.is_file():
            raise CorridorError(f"{f}: missing; a report folder holds it (was the run interrupted?)")
    manifest, before = _json_object(manifest_file), _json_object(report_file)
    seed, replications, solver = manifest.get("seed"), manifest.get("replications"), manifest.get("solver")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise CorridorError(f"{manifest_file}: seed: expected a whole number >= 0, got {seed!r}")
    if not isinstance(replications, int) or isinstance(replications, bool) or not 1 <= replications <= MAX_REPLICATIONS:
        raise CorridorError(f"{manifest_file}: replications: expected 1 to {MAX_REPLICATIONS:,}, got {replications!r}")
    if solver not in (None, "highs", "cbc"):
        raise CorridorError(f"{manifest_file}: solver: expected highs or cbc, got {solver!r}")
    with_plan = manifest.get("with_plan")
    if with_plan is None:  # written before runs simulated as written: the plan was built, if any
        with_plan = bool(read_raw(resolved).data.get("expansions"))
    if not isinstance(with_plan, bool):
        raise CorridorError(f"{manifest_file}: with_plan: expected true or false, got {with_plan!r}")
    gaps = manifest.get("gaps")  # replications per combination of causes, when the run had --gaps
    if gaps is not None and (not isinstance(gaps, int) or isinstance(gaps, bool) or not 1 <= gaps <= MAX_REPLICATIONS):
        raise CorridorError(f"{manifest_file}: gaps: expected 1 to {MAX_REPLICATIONS:,}, got {gaps!r}")
    plots = manifest.get("plots", True)  # false when the run had --no-plots
    if not isinstance(plots, bool):
        raise CorridorError(f"{manifest_file}: plots: expected true or false, got {plots!r}")
    again = run(resolved, seed=seed, replications=replications, solver=solver, with_plan=with_plan,
                out=out or folder.with_name(folder.name + "-rerun"), gaps=gaps, plots=plots)
    after = json.loads(json.dumps(again.data, default=float))
    # A report written before runs simulated as written has no plan_applied: not a difference.
    sections = [k for k in RESULT_SECTIONS if k != "plan_applied" or k in before]
    return again, differences({k: before.get(k) for k in sections}, {k: after.get(k) for k in sections})


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a report folder, or bad input naming the file."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorridorError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorridorError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Every figure that differs between two JSON documents, as `key.path: old -> new`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path.lstrip('.')}: {a!r} -> {b!r}"]
