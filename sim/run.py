"""`corridor run`: optimise, apply the plan, simulate, and write the report folder."""

from __future__ import annotations

import hashlib
import time
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
    from sim.optimiser.result import OptimiseResult
    from sim.scenario.schema import Scenario
    from sim.simulate import SimulationResult


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
    """One scenario run in memory: the scenario as written and with the plan built, the
    optimiser's result, the simulation, the report document (as JSON data) and the resolved YAML."""

    scenario: Scenario
    planned: Scenario
    plan: OptimiseResult
    result: SimulationResult
    data: dict[str, Any]
    resolved: str


def evaluate(path: str | Path, *, overrides: list[str] | tuple[str, ...] = (), seed: int | None = None,
             replications: int | None = None, precision: str | float | None = None,
             solver: str | None = None, workers: int = 1, progress: bool = False,
             trace_to: Path | None = None) -> Evaluation:
    """Optimise, apply the plan, simulate: everything `corridor run` does except writing files.

    Sweeps call this for each point; `run` calls it and writes the report folder. With
    `simulation.trace` set, replication 0's cargo events stream to `trace_to`.
    """
    raw = read_raw(Path(path), overrides)
    return _evaluate(Path(path), raw, validate(raw), overrides=overrides, seed=seed, replications=replications,
                     precision=precision, solver=solver, workers=workers, progress=progress, trace_to=trace_to)


def _evaluate(path: Path, raw: Raw, scenario: Scenario, *, overrides: list[str] | tuple[str, ...],
              seed: int | None, replications: int | None, precision: str | float | None,
              solver: str | None, workers: int, progress: bool, trace_to: Path | None) -> Evaluation:
    """`evaluate` of a scenario already read and validated."""
    from sim.optimiser.lp import check_solver
    from sim.optimiser.optimise import apply_plan, optimise
    from sim.report.document import build_report

    start = time.perf_counter()
    share = parse_precision(precision)
    if solver is not None:
        check_solver(solver, "--solver")
    plan = optimise(scenario, solver=solver)
    planned = apply_plan(scenario, plan)
    with progress_bar(progress, "replications", replications or scenario.simulation.replications) as tick:
        result = simulate(planned, replications=replications, seed=seed, precision=share,
                          workers=workers, progress=tick,
                          trace_to=trace_to if scenario.simulation.trace else None)
    resolved = resolved_yaml(scenario)
    meta = {
        "file": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "resolved_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "overrides": list(overrides),
        "files": raw.files,
        "wall_s": time.perf_counter() - start,
    }
    data = build_report(scenario, planned, plan, result, meta)
    return Evaluation(scenario, planned, plan, result, data, resolved)


def run(path: str | Path, *, overrides: list[str] | tuple[str, ...] = (), seed: int | None = None,
        replications: int | None = None, precision: str | float | None = None, out: Path | None = None,
        solver: str | None = None, workers: int = 1, progress: bool = False) -> RunReport:
    """Run a scenario file end to end and write its report folder atomically."""
    from sim.report.render import write_report

    raw = read_raw(Path(path), overrides)
    scenario = validate(raw)  # bad input fails here, read once, before any folder exists
    parse_precision(precision)
    folder = Path(out) if out is not None else results_folder(scenario.name)
    with staged_folder(folder) as tmp:
        ev = _evaluate(Path(path), raw, scenario, overrides=overrides, seed=seed, replications=replications,
                       precision=precision, solver=solver, workers=workers, progress=progress,
                       trace_to=tmp / "trace.jsonl")
        write_report(tmp, ev.data, scenario=ev.scenario, planned=ev.planned, plan=ev.plan, result=ev.result,
                     resolved=ev.resolved)
    return RunReport(folder, ev.data)


RESULT_SECTIONS = ("targets", "flows", "passages", "links", "nodes", "fleets", "plan", "n_minus_1", "shadow_prices")


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
    again = run(resolved, seed=seed, replications=replications, solver=solver,
                out=out or folder.with_name(folder.name + "-rerun"))
    after = json.loads(json.dumps(again.data, default=float))
    return again, differences({k: before.get(k) for k in RESULT_SECTIONS},
                              {k: after.get(k) for k in RESULT_SECTIONS})


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
