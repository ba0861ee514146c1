"""The `corridor` command line: parses arguments and calls the library, nothing more.

Exit codes: 0 done; 1 internal error; 2 bad input (nothing written); 3 a target not met or
at risk (with --fail-on-unmet), or `plan` found no plan meeting --p (the best one written); 4 an
observation missed (backtest --fail-on-miss).
"""

from __future__ import annotations

import errno
import functools
import gc
import signal
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, Literal
from collections.abc import Callable

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.errors import CorridorError
from sim.io import results_folder
from sim.processes import Interrupted, stop_on_signals

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Simulate and optimise the Trans-Caspian (Middle Corridor) network.")
out = Console(width=None if sys.stdout.isatty() else 150)  # piped tables stay unwrapped
err = Console(stderr=True)
_state = {"debug": False, "program": False}  # program: run as `corridor` (`main`), the process ends with the command


SetOpt = Annotated[list[str] | None, typer.Option("--set", help="PATH=VALUE override (repeatable), units allowed.")]
MAX_REPLICATIONS = 10_000  # as sim.scenario.schema's, without importing pint and pydantic for --help
SeedOpt = Annotated[int | None, typer.Option(min=0, max=2**63 - 1, help="Random seed (default: the scenario's).")]
RepsOpt = Annotated[int | None, typer.Option("--replications", "-r", min=1, max=MAX_REPLICATIONS,
                                             help="Replications (default: the scenario's).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or tables.")]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", help="table | json")]
CompareFormatOpt = Annotated[Literal["table", "md", "json", "html", "parquet"], typer.Option(
    "--format", help="table | md | json | html | parquet (a file: needs --out)")]
RunFormatOpt = Annotated[Literal["table", "json", "parquet", "netcdf"], typer.Option(
    "--format", help="table | json; or table and the data for notebooks in the report folder: parquet (the "
                     "report's tables, one .parquet each) | netcdf (the daily and hourly series, series.nc)")]
SolverOpt = Annotated[Literal["highs", "cbc"] | None, typer.Option(help="highs | cbc")]


USER_IO_ERRORS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn bad input into one message and exit 2; anything else into exit 1 (trace with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CorridorError as exc:
            for problem in exc.problems:
                err.print(f"[bold red]error[/]: {escape(str(problem))}", highlight=False, markup=True,
                          soft_wrap=True)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort):
            raise
        except (KeyboardInterrupt, Interrupted) as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            err.print(f"interrupted ({signal.Signals(signum).name}): stopped cleanly; no partial output was kept",
                      markup=False)
            raise typer.Exit(128 + signum) from None
        except OSError as exc:
            if _state["debug"] or (exc.filename is None and exc.errno not in USER_IO_ERRORS):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            err.print(f"error: {where}{exc.strerror or exc}", markup=False)
            raise typer.Exit(2) from None
        except Exception as exc:
            if _state["debug"]:
                traceback.print_exc()
            else:
                err.print(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the trace)",
                          markup=False)
            raise typer.Exit(1) from None

    return wrapper


def imported() -> None:
    """Called by a command that simulates once its modules are imported: in the `corridor`
    program (not where `app` is called in a longer-lived process, such as a test runner's), the
    garbage collector stops scanning what exists now (modules, classes, pydantic's schemas: most of
    the heap), which it would otherwise walk again at every full collection (about 0.15 s of CPU in
    `run baseline-2023 -r 10`). What the command makes later is collected as usual; forked workers
    inherit the frozen part."""
    if _state["program"]:
        gc.freeze()


def _print_version(value: bool) -> None:
    if value:
        from sim import __version__

        out.print(f"corridor {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
          version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
          verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, show_default=False,
                                               help="Log what runs: -v stages and files, -vv details.")] = 0,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log errors only (no progress lines).")] = False,
          ) -> None:
    from sim.progress import configure_logging

    _state["debug"] = debug
    configure_logging(-1 if quiet else verbose)


def _resolve(scenario: str) -> Path:
    """A scenario path, or the name of a bundled scenario (`baseline-2023`)."""
    from sim import bundled

    return bundled.resolve(scenario)


@app.command()
@handles_errors
def validate(scenarios: Annotated[list[str], typer.Argument(help="Scenario files.")],
             set_: SetOpt = None) -> None:
    """Check scenario files without running: every problem with file, key path and line."""
    from sim.scenario.loading import load_scenario

    problems = []
    for name in scenarios:
        try:
            load_scenario(_resolve(name), set_ or [])
            out.print(f"[green]ok[/] {escape(name)}")
        except CorridorError as exc:
            problems += exc.problems
    if problems:
        raise CorridorError(problems)


@app.command("scenarios")
@handles_errors
def list_scenarios() -> None:
    """List the bundled scenarios with their one-line descriptions."""
    from sim import bundled
    from sim.scenario.loading import read_raw

    table = Table("scenario", "year", "description", box=None)
    for path in bundled.scenarios():
        data = read_raw(path).data
        table.add_row(path.stem, str(data.get("year", "")), str(data.get("description", "")))
    out.print(table)


@app.command()
@handles_errors
def show(scenario: str, set_: SetOpt = None, out_dir: OutOpt = None) -> None:
    """Network summary (nodes, links, capacities by carrier) and a map picture."""
    from sim.scenario.loading import load_scenario
    from sim.report.maps import draw_map
    from sim.network import build_network

    s = load_scenario(_resolve(scenario), set_ or [])
    net = build_network(s)
    kinds: dict[str, int] = {}
    for _, attrs in net.graph.nodes(data=True):
        kinds[attrs["kind"]] = kinds.get(attrs["kind"], 0) + 1
    out.print(f"[bold]{escape(s.name)}[/] ({s.year}): {escape(s.description)}")
    out.print(f"{net.graph.number_of_nodes()} nodes: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    table = Table("carrier", "links", "modes", "total capacity", box=None)
    for carrier, row in net.summary().items():
        table.add_row(carrier, str(row["links"]), ", ".join(sorted(row["modes"])),
                      f"{row['capacity']:.4g} {row['unit']}")
    out.print(table)
    links = Table("link", "carrier", "mode", "capacity", "firm", "availability", box=None)
    for v in net.links.values():
        links.add_row(v.id, v.carrier, v.mode, f"{v.capacity:.4g} {v.unit}", f"{v.firm:.4g}",
                      f"{v.availability:.4f}")
    out.print(links)
    folder = out_dir or results_folder(s.name)
    path = folder / "map.png"
    draw_map(net, path)
    out.print(f"map written to {path}")


@app.command()
@handles_errors
def optimise(scenario: str, set_: SetOpt = None, out_dir: OutOpt = None,
             solver: SolverOpt = None,
             save_lp: Annotated[Path | None, typer.Option("--save-lp", help="Write the LP and stop.")] = None,
             no_n_minus_1: Annotated[bool, typer.Option("--no-n-minus-1", help="Skip the N-1 check.")] = False,
             fmt: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """The optimiser alone: max deliverable per target, min-cost plan, N-1, shadow prices."""
    from sim.scenario.loading import load_scenario
    from sim.optimiser.optimise import optimise as run_optimiser
    from sim.optimiser.optimise import write_plan

    s = load_scenario(_resolve(scenario), set_ or [])
    result = run_optimiser(s, solver=solver, n_minus_1=not no_n_minus_1, save_lp=save_lp)
    if save_lp is not None:
        out.print(f"LP written to {save_lp} (not solved)")
        return
    folder = out_dir or results_folder(s.name, "optimise")
    write_plan(result, folder)
    if fmt == "json":
        import json

        out.print_json(json.dumps(result.to_dict()))
    elif not quiet:
        from sim.report.render import optimise_table

        out.print(optimise_table(s, result))
        out.print(f"plan written to {folder}")


PRECISION_HELP = ("Add replications until every target's 95% CI half-width is within this share of its mean, "
                  "e.g. 5%.")


GAPS_HELP = ("Split each target's gap (optimiser bound - simulated) into causes by counterfactual runs "
             "(Shapley values, 2^causes x --gap-replications runs); adds targets[].gap and a waterfall per target.")
GapRepsOpt = Annotated[int, typer.Option("--gap-replications", min=1, max=MAX_REPLICATIONS,
                                         help="Replications per combination of causes (with --gaps).")]


@app.command()
@handles_errors
def run(scenario: str, set_: SetOpt = None, seed: SeedOpt = None, replications: RepsOpt = None,
        out_dir: OutOpt = None, quiet: QuietOpt = False, fmt: RunFormatOpt = "table",
        precision: Annotated[str | None, typer.Option(help=PRECISION_HELP)] = None,
        solver: SolverOpt = None,
        workers: Annotated[int, typer.Option(
            min=1, max=256, help="Processes for the replications (results do not depend on it).")] = 1,
        fail_on_unmet: Annotated[bool, typer.Option(
            "--fail-on-unmet", help="Exit 3 when a target is not met or at risk.")] = False,
        with_plan: Annotated[bool, typer.Option(
            "--with-plan", help="Build the optimiser's plan before simulating (default: the scenario as "
                                "written); the report says so on its first line.")] = False,
        gaps: Annotated[bool, typer.Option("--gaps", help=GAPS_HELP)] = False,
        gap_replications: GapRepsOpt = 3,
        no_plots: Annotated[bool, typer.Option(
            "--no-plots", help="Skip the map and the plots (report.html says so); the figures are the same.")] = False,
        ) -> None:
    """Optimise, then simulate the scenario with replications; write a report folder and print the verdicts."""
    from sim.report.render import summary_table
    from sim.run import run as run_scenario

    imported()

    path = _resolve(scenario)
    report = run_scenario(path, overrides=set_ or [], seed=seed, replications=replications,
                          precision=precision, out=out_dir, solver=solver, workers=workers,
                          progress=not quiet, with_plan=with_plan,
                          gaps=gap_replications if gaps else None,
                          formats=[fmt] if fmt in ("parquet", "netcdf") else [], plots=not no_plots)
    if fmt == "json":
        import json

        out.print_json(json.dumps(report.data))
    elif not quiet:
        out.print(summary_table(report.data))
        if report.data.get("bottlenecks"):
            out.print(report.data["bottlenecks"]["headline"], markup=False, highlight=False)
        out.print(f"report written to {report.folder}")
    if fail_on_unmet and any(t["verdict"] != "met" for t in report.data["targets"]):
        raise typer.Exit(3)


@app.command()
@handles_errors
def gaps(scenario: str, set_: SetOpt = None, seed: SeedOpt = None,
         replications: Annotated[int, typer.Option(
             "--replications", "-r", min=1, max=MAX_REPLICATIONS,
             help="Replications per combination of causes (2^causes combinations are run).")] = 3,
         workers: Annotated[int, typer.Option(
             min=1, max=256, help="Processes for the replications (results do not depend on it).")] = 1,
         solver: SolverOpt = None, out_dir: OutOpt = None, quiet: QuietOpt = False) -> None:
    """Why the simulation falls short of the optimiser: each target's gap split into causes (Shapley values)."""
    from sim.attribution import gaps as attribute_gaps
    from sim.report.render import gaps_console_table

    imported()

    done = attribute_gaps(_resolve(scenario), overrides=set_ or [], replications=replications, seed=seed,
                          workers=workers, solver=solver, out=out_dir, progress=not quiet)
    if not quiet:
        found = done.attribution
        rows = found.targets
        played = ", ".join(found.causes) or "none"
        out.print(gaps_console_table(f"{found.scenario}: what each cause costs (causes present: {played})", rows))
        out.print(f"gaps written to {done.folder}", markup=False, highlight=False)


@app.command()
@handles_errors
def rerun(folder: Annotated[Path, typer.Argument(help="A report folder written by `corridor run`.")],
          out_dir: OutOpt = None) -> None:
    """Repeat a run from its resolved scenario and manifest; say whether the numbers are identical."""
    from sim.run import rerun as rerun_folder

    imported()

    again, differences = rerun_folder(folder, out=out_dir)
    if differences:
        out.print(f"[red]{len(differences)} figures differ[/] (new report in {again.folder}):")
        for d in differences[:40]:
            out.print(f"  {d}", markup=False)
        raise typer.Exit(1)
    out.print(f"[green]identical[/]: every figure of {folder} reproduced (new report in {again.folder})")


PLAN_P_HELP = ("Probability every target must be met with, strictly between 0 and 1 (0.9 or 90%); default: each "
               "target's own (`verdicts.probability`, or the target's `probability`).")


@app.command()
@handles_errors
def plan(scenario: str, p: Annotated[str | None, typer.Option("--p", help=PLAN_P_HELP)] = None,
         set_: SetOpt = None, seed: SeedOpt = None, replications: RepsOpt = None,
         iterations: Annotated[int, typer.Option(min=1, max=100, help="Most LP plans to simulate.")] = 8,
         workers: Annotated[int, typer.Option(
             min=1, max=256, help="Processes for the replications (results do not depend on it).")] = 1,
         solver: SolverOpt = None, out_dir: OutOpt = None, quiet: QuietOpt = False) -> None:
    """The cheapest plan the simulation believes: LP plans checked by simulation until each target's
    P(met) >= --p; exit 3 (best plan written) when out of reach or not converged."""
    from sim.io import check_replaceable
    from sim.planning import check_plannable, iteration_line, parse_level, plan_loop, write_plan_loop
    from sim.scenario.loading import load_scenario

    imported()

    level = parse_level(p) if p is not None else None
    s = load_scenario(_resolve(scenario), set_ or [])
    check_plannable(s)
    folder = out_dir or results_folder(s.name, "plan")
    check_replaceable(folder)

    def show(it: Any) -> None:
        if not quiet:
            err.print(iteration_line(it), markup=False, highlight=False, soft_wrap=True)

    result = plan_loop(s, p=level, replications=replications, seed=seed, iterations=iterations,
                       workers=workers, solver=solver, progress=show)
    write_plan_loop(result, folder)
    if not quiet:
        out.print(f"{'plan found' if result.success else 'no plan'}: {result.message}", markup=False,
                  highlight=False, soft_wrap=True)
        out.print(f"plan written to {folder}", markup=False, highlight=False)
    if not result.success:
        raise typer.Exit(3)


@app.command()
@handles_errors
def compare(reports: Annotated[list[Path], typer.Argument(help="report.json files or report folders.")],
            fmt: CompareFormatOpt = "table",
            out_file: Annotated[Path | None, typer.Option("--out", "-o")] = None) -> None:
    """Reports against the first: a summary, then every figure, its change, and whether it exceeds noise (Holm)."""
    from sim.report.compare import compare as compare_reports
    from sim.report.compare import render

    if len(reports) < 2:
        raise CorridorError("compare needs two or more reports")
    if fmt == "parquet" and out_file is None:
        raise CorridorError("--format parquet: writes a file; name it with --out (comparison.parquet)")
    result = compare_reports(reports)
    if fmt == "parquet" and out_file is not None:
        from sim.report.frames import write_comparison

        write_comparison(result.to_dict(), out_file)
        out.print(f"comparison written to {out_file}", markup=False, highlight=False)
    elif out_file is not None:
        from sim.io import write_text

        write_text(out_file, render(result, "md" if fmt == "table" else fmt))
        out.print(f"comparison written to {out_file}")
    else:
        out.print(render(result, fmt))


VARY_HELP = ("PATH=SPEC: a list 2,4,6; a range 1..4 step 0.5 (units allowed: 1GW..4GW step 0.5GW); or a "
             "distribution uniform(1 GW, 4 GW), triangular(a, mode, b), normal(mean, sd), lognormal(mean, sd) "
             "for sampled designs.")
SAMPLES_HELP = "Points of an lhs design; base samples of sobol (N x (k+2) points); trajectories of morris."
LEVEL_HELP = ("Probability a target must be met with: thresholds and heat maps (default 90%); with --find, "
              "the level searched for.")
FIND_HELP = ("Search this PATH (its range from --vary) for where --target's P(met) crosses --p, reusing every "
             "replication: a bracket, with the probability each end lies on its side.")
TARGET_HELP = ("Target id: the one --find searches; in a sweep, the one the findings and plots are about "
               "(the tables keep every target).")
FILE_HELP = ("A sweep file (YAML: scenario, vary, set, design, samples, seed, replications, level, find, "
             "target, replan, out); flags win.")
REPLAN_HELP = ("Build the optimiser's plan at each point before simulating (default: each point as written); "
               "the sweep's report says so.")


@app.command()
@handles_errors
def sweep(scenario: Annotated[str | None, typer.Argument(
              help="Scenario file or bundled name (or `scenario:` in --file).")] = None,
          vary: Annotated[list[str] | None, typer.Option("--vary", help=VARY_HELP)] = None,
          set_: SetOpt = None, seed: SeedOpt = None, replications: RepsOpt = None, out_dir: OutOpt = None,
          design: Annotated[Literal["grid", "lhs", "sobol", "morris"] | None, typer.Option(
              help="grid | lhs | sobol | morris (default grid).")] = None,
          samples: Annotated[int | None, typer.Option(min=1, max=100_000, help=SAMPLES_HELP)] = None,
          workers: Annotated[int | None, typer.Option(min=1, max=256,
                                                      help="Local worker processes (default: all cores).")] = None,
          scheduler: Annotated[str | None, typer.Option(help="Dask scheduler ADDRESS, or 'local'.")] = None,
          resume: Annotated[bool, typer.Option(
              help="Skip points already finished in --out (else the sweep starts over).")] = False,
          level: Annotated[str | None, typer.Option("--level", "--p", help=LEVEL_HELP)] = None,
          find: Annotated[str | None, typer.Option(help=FIND_HELP)] = None,
          target: Annotated[str | None, typer.Option(help=TARGET_HELP)] = None,
          file: Annotated[Path | None, typer.Option("--file", "-f", help=FILE_HELP)] = None,
          replan: Annotated[bool | None, typer.Option("--replan/--no-replan", help=REPLAN_HELP)] = None,
          quiet: QuietOpt = False) -> None:
    """Run a grid or sampled design over scenario parameters, in parallel and resumably; or find a threshold."""
    from sim.sweep import sweep as run_sweep

    imported()

    result = run_sweep(_resolve(scenario) if scenario is not None else None, vary=vary or [],
                       overrides=set_ or [], seed=seed, replications=replications, out=out_dir, workers=workers,
                       scheduler=scheduler, resume=resume, progress=not quiet,
                       design=design, samples=samples, level=level, find=find, target=target, file=file,
                       replan=replan)
    if not quiet:
        for line in result.lines():
            out.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def backtest(file: Annotated[Path, typer.Argument(help="A backtest file (backtests/2023.yaml).")],
             replications: RepsOpt = None, seed: SeedOpt = None, out_dir: OutOpt = None,
             fail_on_miss: Annotated[bool, typer.Option(
                 "--fail-on-miss", help="Exit 4 when a scored observation is missed.")] = False,
             fmt: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Score a scenario against observed outcomes: model mean, 95% CI, error, coverage, pass/fail."""
    from sim.backtest import run_backtest
    from sim.backtest.report import HEADER, rows

    imported()

    result = run_backtest(file, replications=replications, seed=seed, out=out_dir,
                          progress=not quiet)
    if fmt == "json":
        import json

        out.print_json(json.dumps(result.data, default=float))
    elif not quiet:
        table = Table(*HEADER, box=None)
        table.columns[0].overflow = "fold"
        table_rows = rows(result.scores)
        table.columns[0].min_width = max(len(r[0]) for r in table_rows)
        for row in table_rows:
            table.add_row(*(escape(c) for c in row))
        out.print(table)
        sm = result.data["summary"]
        out.print(f"{sm['passed']} of {sm['scored']} scored items pass; {sm['not_measured']} not measured; "
                  f"report written to {result.folder}", markup=False, highlight=False)
    if fail_on_miss and result.missed:
        raise typer.Exit(4)


CALIBRATE_TRIALS_HELP = "Trials (parameter sets tried), rounded up to whole batches; more continue a study in --out."
CALIBRATE_BATCH_HELP = ("Trials asked at once and run in parallel; fixed, so results do not depend on --workers "
                        "(part of what --out resumes).")


@app.command()
@handles_errors
def calibrate(file: Annotated[Path, typer.Argument(help="A backtest file whose scenario marks figures with "
                                                        "calibrate: {range: [low, high]}.")],
              trials: Annotated[int, typer.Option(min=1, max=10_000, help=CALIBRATE_TRIALS_HELP)] = 60,
              workers: Annotated[int | None, typer.Option(min=1, max=256,
                                                          help="Local worker processes (default: all cores).")] = None,
              seed: SeedOpt = None, out_dir: OutOpt = None, replications: RepsOpt = None,
              batch: Annotated[int, typer.Option(min=1, max=256, help=CALIBRATE_BATCH_HELP)] = 4,
              scheduler: Annotated[str | None, typer.Option(help="Dask scheduler ADDRESS, or 'local'.")] = None,
              quiet: QuietOpt = False) -> None:
    """Fit a scenario's assumed figures to a backtest's observations; rerun to resume."""
    from sim.calibrate import calibrate as run_calibration

    imported()

    try:
        result = run_calibration(file, trials=trials, workers=workers, seed=seed, out=out_dir,
                                 replications=replications, batch=batch, scheduler=scheduler,
                                 progress=not quiet)
    except (KeyboardInterrupt, Interrupted):
        err.print("the trials finished before the stop are kept in the output folder's study: rerun the same "
                  "command to continue", markup=False)
        raise
    if not quiet:
        for line in result.lines():
            out.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command("schema")
@handles_errors
def scenario_schema(
        out_file: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: print it).")] = None,
        markdown: Annotated[bool, typer.Option(
            "--markdown", help="The scenario reference in markdown (docs/scenario-reference.md) instead.")] = False,
) -> None:
    """The JSON Schema of a scenario file, for editors (VS Code: `# yaml-language-server: $schema=FILE`)."""
    from sim.io import write_text
    from sim.scenario.reference import markdown as reference, schema_text

    text = reference() if markdown else schema_text()
    if out_file is None:
        sys.stdout.write(text)
        return
    write_text(out_file, text)
    err.print(f"written to {out_file}", markup=False, highlight=False)


def main() -> None:
    stop_on_signals()
    _state["program"] = True
    app()


if __name__ == "__main__":
    main()
