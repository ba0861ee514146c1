"""The calibration's outputs, beside its study: `calibrated.yaml`, `fit.json` and `fit.md`.

`calibrated.yaml` `extends:` the original scenario (its path relative to the folder) and sets each
fitted figure, keeping `source: assumption` with a note saying it was calibrated, against what,
in which range, and how well it is pinned down; its calibrate range stays, so it can be fitted
again. The backtest's own changes are not part of it (they describe the backtest's year, not the
corridor): the file says which they were, to apply with `--set` when reproducing the fit.

`fit.json` holds everything `fit.md` shows and every trial; each file is written whole or not at all.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.backtest.observations import Item
from sim.backtest.report import fmt
from sim.calibrate.fit import IDENTIFIED_SHARE, INFORM_FLOOR, Fit, Trial, quantity
from sim.calibrate.parameters import Parameter
from sim.io import write_text
from sim.report.page import markdown_table

if TYPE_CHECKING:
    from sim.backtest.spec import Backtest

SCHEMA_VERSION = "1.0"
LOSS = ("mean over the measured observations of the squared relative error of the model mean (for a range: "
        "the distance to its nearest end, 0 inside)")
CALIBRATED, FIT_JSON, FIT_MD = "calibrated.yaml", "fit.json", "fit.md"


def document(bt: Backtest, params: list[Parameter], fit: Fit, trials: list[Trial],
             run: dict[str, Any]) -> dict[str, Any]:
    """fit.json: the run, the loss before and after, each parameter, each observation, warnings, trials."""
    items = [i for i in bt.items if i.scored]
    return {
        "schema_version": SCHEMA_VERSION,
        "backtest": {"name": bt.name, "file": bt.file, "year": bt.year, "scenario": str(bt.scenario_path),
                     "observed": bt.observed.file, "changes": bt.overrides},
        "run": run,
        "loss": {"definition": LOSS, "before": fit.before.loss, "before_se": fit.before.loss_se,
                 "after": fit.best.loss, "after_se": fit.best.loss_se, "after_floor": fit.best.loss_floor,
                 "near_equal_below": fit.band,
                 "best_trial": fit.best.number, "near_equal_trials": [t.number for t in fit.near]},
        "parameters": [{**p.describe(), "before": p.start, "fitted": fit.best.values[p.name],
                        "near_equal": list(fit.ranges[p.name]), "identified": fit.identified[p.name]}
                       for p in params],
        "observations": [_observation(i, fit) for i in items],
        "sensitivity": fit.sensitivity,
        "warnings": fit.warnings,
        "trials": [{"number": t.number, "state": "failed" if t.loss is None else "complete", "values": t.values,
                    "loss": t.loss, "loss_se": t.loss_se, "loss_floor": t.loss_floor, "error": t.error}
                   for t in trials],
    }


def _observation(item: Item, fit: Fit) -> dict[str, Any]:
    def side(t: Trial) -> dict[str, Any] | None:
        r = t.items.get(item.ref)
        if r is None:
            return None
        return {"status": r["status"], "mean": r.get("mean"), "ci95": [r.get("lo"), r.get("hi")],
                "rel_error": r.get("rel_error"), "reason": r.get("reason") or None}

    return {"ref": item.ref, "measure": item.measure, "where": list(item.where), "window": str(item.window),
            "unit": item.unit, "observed": {"value": item.value} if item.range is None else {"range": list(item.range)},
            "before": side(fit.before), "after": side(fit.best)}


def write(folder: Path, bt: Backtest, params: list[Parameter], fit: Fit, doc: dict[str, Any]) -> None:
    """The three output files, each atomically."""
    write_text(folder / CALIBRATED, calibrated_yaml(folder, bt, params, fit, doc["run"]))
    write_text(folder / FIT_JSON, json.dumps(doc, indent=1, default=float))
    write_text(folder / FIT_MD, markdown(bt, params, fit, doc))


def calibrated_yaml(folder: Path, bt: Backtest, params: list[Parameter], fit: Fit, run: dict[str, Any]) -> str:
    """A scenario extending the original with the fitted figures (see the module docstring)."""
    from sim.scenario.loading import read_raw

    original = read_raw(bt.scenario_path).data  # lists are replaced whole by extends: copied from here
    top: dict[str, Any] = {
        "extends": os.path.relpath(Path(bt.scenario_path).resolve(), Path(folder).resolve()),
        "name": (bt.scenario.name[:89] + "-calibrated"),
        "description": f"{bt.scenario.description.rstrip()} Calibrated by corridor calibrate against {bt.name}.",
    }
    for p in params:
        lo, hi = fit.ranges[p.name]
        value = fit.best.values[p.name]
        note = (f"calibrated by corridor calibrate against backtest {bt.name} ({bt.file}): {quantity(value, p.unit)} "
                f"in the range [{quantity(p.low, p.unit)}, {quantity(p.high, p.unit)}], near-equally good fits "
                f"{quantity(lo, p.unit)} to {quantity(hi, p.unit)}"
                + ("" if fit.identified[p.name] else " (not identified by the observations)")
                + f"; written as {p.text}" + (f". Before: {p.note}" if p.note else ""))
        if p.field == "scale":  # merged key by key into the distribution it stretches
            spec = {"scale": p.file_value(value), "note": note,
                    "calibrate": {"scale": [p.file_value(p.low), p.file_value(p.high)]}}
        else:
            spec = {"value": p.file_value(value), "source": "assumption", "note": note,
                    "calibrate": {"range": [p.file_value(p.low), p.file_value(p.high)]}}
        _place(top, original, p.path, spec)
        for path, share in p.sibling_shares(value):  # the flow's other routes fill the rest
            _place(top, original, path, {"value": share, "note": f"rescaled with {p.name} by corridor calibrate "
                                                                 "(the routes keep their proportions)"})
    changes = ", ".join(f"--set {c!r}" for c in bt.overrides) or "none"
    head = (f"# Written by corridor calibrate: {bt.scenario.name} fitted to the observations of {bt.file}\n"
            f"# ({run['trials']} trials, seed {run['seed']}, {run['replications']} replications; see fit.md).\n"
            f"# The fit was made with the backtest's changes: {changes}.\n")
    return head + yaml.safe_dump(top, sort_keys=False, allow_unicode=True, width=100)


def _place(top: dict[str, Any], original: dict[str, Any], path: tuple[str | int, ...], spec: dict[str, Any]) -> None:
    """Put `spec` at `path` in `top`; a list on the way is copied whole from `original` (extends
    replaces a list, it does not merge it)."""
    node: Any = top
    source: Any = original
    for i, part in enumerate(path[:-1]):
        source = source[part]
        if isinstance(node, dict) and part not in node:
            node[part] = json.loads(json.dumps(source)) if isinstance(path[i + 1], int) else {}
        node = node[part]
    node[path[-1]] = spec


def markdown(bt: Backtest, params: list[Parameter], fit: Fit, doc: dict[str, Any]) -> str:
    run = doc["run"]
    lines = [f"# Calibration of {bt.scenario.name} against {bt.name}", "",
             f"{run['trials']} trials in batches of {run['batch']} ({fit.completed} completed, {fit.failed} failed), "
             f"seed {run['seed']}, {run['replications']} replications per trial (the same for every trial: common "
             f"random numbers); sampler: {run['sampler']}.", "",
             f"Loss: {LOSS}. Before: {_loss(fit.before)}; after: {_loss(fit.best)} (trial {fit.best.number}). "
             f"Near-equally good: the {len(fit.near)} trial(s) with a loss at most {fmt(fit.band)} (the best plus its "
             "noise: its standard error and the loss the replications' noise alone gives).", ""]
    if fit.warnings:
        lines += ["## Warnings", ""] + [f"- WARNING: {w}" for w in fit.warnings] + [""]
    lines += ["## Fitted parameters", ""]
    lines += markdown_table(["parameter", "unit", "range", "as written", "fitted", "near-equal fits", "identified"],
                            [[p.name, p.unit or "-", f"{fmt(p.low)} - {fmt(p.high)}", fmt(p.start),
                              fmt(fit.best.values[p.name]),
                              f"{fmt(fit.ranges[p.name][0])} - {fmt(fit.ranges[p.name][1])}",
                              "yes" if fit.identified[p.name] else f"NO (> {IDENTIFIED_SHARE:.0%} of the range)"]
                             for p in params])
    lines += ["", "## Error per observation, before and after", ""]
    rows = []
    for o in doc["observations"]:
        obs = o["observed"]
        observed = fmt(obs["value"]) if "value" in obs else f"{fmt(obs['range'][0])}-{fmt(obs['range'][1])}"
        rows.append([o["ref"], o["window"], o["unit"], observed, *_side(o["before"]), *_side(o["after"])])
    lines += markdown_table(["observation", "window", "unit", "observed", "before: model", "before: error",
                             "after: model", "after: error"], rows)
    lines += ["", "## What each observation can tell", "",
              "Change of the model's figure when one parameter moves across its whole range, as a share of the "
              f"observed value (a plane fitted through the completed trials); below {INFORM_FLOOR:.0%} the "
              "observation cannot inform the parameter (marked !).", ""]
    sens_rows = [[ref, *(_share(row.get(p.name)) for p in params)] for ref, row in fit.sensitivity.items()]
    lines += markdown_table(["observation", *(p.name for p in params)], sens_rows)
    lines += ["", "## Files", "",
              f"- `{CALIBRATED}`: the scenario with the fitted values (it extends {bt.scenario_path.name}); the fit "
              f"was made with the backtest's changes ({', '.join(bt.overrides) or 'none'}).",
              f"- `{FIT_JSON}`: this page as data, with every trial.",
              "- `study.journal`: the Optuna study; rerunning the same command continues it.", ""]
    return "\n".join(lines)


def _loss(t: Trial) -> str:
    if t.loss is None:
        return f"failed ({t.error})"
    return fmt(t.loss) + (f" ± {fmt(t.loss_se)}" if t.loss_se is not None else "")


def _side(r: dict[str, Any] | None) -> list[str]:
    if r is None or r["status"] != "scored":
        return ["-", r["status"] if r else "-"]
    err = r.get("rel_error")
    return [fmt(r["mean"]), "-" if err is None or not math.isfinite(err) else f"{err:+.0%}"]


def _share(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1%}" + (" !" if x < INFORM_FLOOR else "")

