"""The backtest report folder: backtest.json, backtest.md, backtest.png (model against observed,
one row per item), the resolved scenario and manifest.json."""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.backtest.score import NOT_MEASURED, SCORED, Score
from sim.io import write_bytes, write_text
from sim.report.page import markdown_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SCHEMA_VERSION = 1
FLOOR = 0.02  # ratios below this (a model figure of 0) are drawn at the left edge, labelled


def summary(scores: list[Score]) -> dict[str, int]:
    scored = [s for s in scores if s.status == SCORED]
    return {"items": len(scores), "scored": len(scored), "passed": sum(s.passed for s in scored),
            "missed": sum(s.missed for s in scored), "covered": sum(s.covered for s in scored),
            "not_measured": sum(s.status == NOT_MEASURED for s in scores),
            "not_scored": sum(s.status not in (SCORED, NOT_MEASURED) for s in scores)}


def fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    a = abs(x)
    return f"{x:,.0f}" if a >= 1000 else f"{x:.3g}" if a >= 0.01 or a == 0 else f"{x:.2e}"


def observed_text(s: Score) -> str:
    it = s.item
    return f"{fmt(it.low)}-{fmt(it.high)}" if it.range else fmt(it.low)


def rows(scores: list[Score]) -> list[list[str]]:
    """One table row per item: ref, window, unit, observed, model mean, CI, error, covered, verdict."""
    out = []
    for s in scores:
        it = s.item
        if s.status == SCORED:
            out.append([it.ref, str(it.window), it.unit, observed_text(s), fmt(s.mean),
                        f"[{fmt(s.lo)}, {fmt(s.hi)}]", f"{s.rel_error:+.0%}", "yes" if s.covered else "no",
                        f"{'pass' if s.passed else 'MISS'} (±{it.tolerance:.0%})"])
        else:
            out.append([it.ref, str(it.window or "-"), it.unit or "-", observed_text(s) if it.scored else "-",
                        "-", "-", "-", "-", s.status])
    return out


HEADER = ["observation", "window", "unit", "observed", "model mean", "95% CI", "error", "covered", "verdict"]


def markdown(doc: dict[str, Any], scores: list[Score]) -> str:
    bt, sm = doc["backtest"], doc["summary"]
    lines = [f"# Backtest {bt['name']} ({bt['year']})", "",
             f"Scenario `{bt['scenario']}` with {len(bt['changes'])} change(s); {doc['run']['replications']} "
             f"replications, seed {doc['run']['seed']}. {bt['description']}".rstrip(), "",
             f"**{sm['passed']} of {sm['scored']} scored items pass**, {sm['missed']} missed, "
             f"{sm['covered']} covered by the 95% CI; {sm['not_measured']} not measured by the model, "
             f"{sm['not_scored']} not scorable.", ""]
    if doc["plan_expansions"]:
        lines += [f"Warning: the optimiser's plan built {doc['plan_expansions']} before simulating.", ""]
    lines += markdown_table(HEADER, rows(scores))
    lines += ["", "## How each figure was obtained, and why some are not scored", ""]
    for s in scores:
        text = s.basis if s.status == SCORED else s.reason
        note = f" Note: {s.item.note}" if s.item.note and s.status == SCORED else ""
        lines.append(f"- `{s.item.ref}` ({s.item.measure}{' at ' + ', '.join(s.item.where) if s.item.where else ''}): "
                     f"{text}.{note}")
    lines += ["", "## Changes to the scenario", ""]
    for c in bt["changes"]:
        lines.append(f"- `{c['set']}` (source: {c['source']}){': ' + c['note'] if c['note'] else ''}")
    lines += ["", "Pass: |model mean - observed| <= tolerance x observed (a range: the mean within the range "
              "widened by the tolerance, or the CI overlapping it). Covered: the 95% CI holds the observed "
              "value. Windows of months are pro-rata shares of the simulated year.", ""]
    return "\n".join(lines)


def figure(scores: list[Score], title: str) -> Figure:
    """Model mean and 95% CI as a ratio to the observed value, one row per item; the tolerance
    band shaded; not-measured items listed with their status."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [s for s in scores if s.item.scored]
    fig, ax = plt.subplots(figsize=(9, 0.42 * max(len(shown), 3) + 1.2))
    for y, s in enumerate(reversed(shown)):
        it = s.item
        lo_o, hi_o = it.low, it.high
        ax.fill_betweenx([y - 0.35, y + 0.35], lo_o * (1 - it.tolerance) / lo_o, hi_o * (1 + it.tolerance) / lo_o,
                         color="#dddddd", lw=0)
        ax.plot([1, hi_o / lo_o], [y, y], color="black", lw=3)
        if s.status == SCORED:
            colour = "#2ca02c" if s.passed else "#d62728"
            mid, low, high = (max(v / lo_o, FLOOR) for v in (s.mean, s.lo, s.hi))
            ax.errorbar([mid], [y], xerr=[[mid - low], [high - mid]], fmt="o", color=colour, capsize=3)
            if s.mean / lo_o < FLOOR:
                ax.text(mid * 1.1, y, f"model {fmt(s.mean)} {it.unit}", va="center", fontsize=8, color=colour)
        else:
            ax.text(1.02, y, s.status, va="center", fontsize=8, color="#555555")
    ax.set_yticks(range(len(shown)), [s.item.ref.removeprefix("obs:") for s in reversed(shown)], fontsize=8)
    ax.axvline(1, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("model / observed (log scale); grey: tolerance; green pass, red miss")
    ax.set_title(title)
    return fig


def manifest(doc: dict[str, Any]) -> dict[str, Any]:
    from sim import __version__

    return {"corridor": __version__, "kind": "backtest", "python": sys.version.split()[0],
            "platform": platform.platform(), "file": doc["backtest"]["file"], "seed": doc["run"]["seed"],
            "replications": doc["run"]["replications"], "argv": sys.argv}


def write(folder: Path, doc: dict[str, Any], scores: list[Score], resolved: str) -> None:
    """Every file of the backtest folder (the caller stages the folder atomically)."""
    from sim.report.plots import png

    write_text(folder / "backtest.json", json.dumps(doc, indent=2, default=float) + "\n")
    write_text(folder / "backtest.md", markdown(doc, scores))
    write_bytes(folder / "backtest.png", png(figure(scores, f"Backtest {doc['backtest']['name']}")))
    write_text(folder / "scenario.resolved.yaml", resolved)
    write_text(folder / "manifest.json", json.dumps(manifest(doc), indent=2) + "\n")
