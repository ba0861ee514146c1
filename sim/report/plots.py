"""Report pictures, each drawn from a run's report document and simulation result.

Each `*_figure` function returns the matplotlib figure (None when there is nothing to show), so
a test can read back what it plots; `png` turns a finished figure into PNG bytes and `all_plots`
draws every picture the report shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from sim.report.document import Gap, ReportDocument
    from sim.simulate import SimulationResult

CARRIER_COLOURS = {
    "cargo": "#1f77b4", "oil": "#3b3b3b", "power": "#d62728", "data": "#2ca02c",
    "hydrogen": "#9467bd", "ammonia": "#8c564b",
}
BOUND_CAP = 3  # an optimiser bound beyond 3x its target is drawn at 3x


def png(fig: Figure, dpi: float | None = 100) -> bytes:
    """A finished figure as PNG bytes (the figure is closed); `dpi=None` keeps the figure's own."""
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def targets_figure(doc: ReportDocument) -> Figure | None:
    """Each target's simulated mean (95% CI) and optimiser maximum, as a share of its figure."""
    rows = [t for t in doc.targets if t.target]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.4))
    y = np.arange(len(rows))
    for i, t in enumerate(rows):
        mean, (lo, hi) = t.simulated.mean / t.target, (c / t.target for c in t.simulated.ci95)
        colour = "#2ca02c" if t.met else "#d62728"
        ax.errorbar(mean * 100, i, xerr=[[max(mean - lo, 0) * 100], [max(hi - mean, 0) * 100]], fmt="o",
                    color=colour, capsize=4, label="simulated mean, 95% CI" if i == 0 else None)
        opt = t.optimised.max_deliverable
        if opt is not None:
            ax.plot(min(opt / t.target, BOUND_CAP) * 100, i, "|", color="#333", ms=14, mew=2,
                    label="optimiser maximum" if i == 0 else None)
    ax.axvline(100, color="#888", ls="--", lw=1)
    ax.set_yticks(y, [f"{t.id}\n({t.target:g} {t.unit})" for t in rows], fontsize=8)
    ax.set_xlabel("% of the target figure (dashed line = target)")
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Targets: simulated against the figure, and the optimiser's bound", fontsize=10)
    return fig


def daily_figure(result: SimulationResult, prefix: str, ylabel: str, title: str,
                 warmup_days: float = 0.0, spinup_days: float = 0.0) -> Figure | None:
    """Mean across replications (band: 10th-90th percentile) of every daily series `prefix:*`
    (the first eight by name), by day from 1 January. The warm-up, simulated but not measured,
    is shaded; a spin-up runs before 1 January, off the axis, and the label says so."""
    keys = sorted({k for r in result.replications for k in r.series if k.startswith(prefix + ":")})
    if not keys:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for k in keys[:8]:
        stack = np.array([r.series[k] for r in result.replications if k in r.series], dtype=float)
        days = np.arange(stack.shape[1])
        ax.plot(days, stack.mean(axis=0), lw=1.2, label=k.split(":", 1)[1])
        if len(stack) > 1:
            ax.fill_between(days, np.percentile(stack, 10, axis=0), np.percentile(stack, 90, axis=0), alpha=0.15)
    if warmup_days > 0:
        ax.axvspan(0, warmup_days, color="#888", alpha=0.15, label="warm-up (not measured)")
    spun = f" (after a {spinup_days:g}-day spin-up before it, not shown)" if spinup_days > 0 else ""
    ax.set_xlabel(f"day from 1 January{spun}")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return fig


def delivered_figure(doc: ReportDocument, result: SimulationResult, carrier: str) -> Figure | None:
    """Hourly delivered rate of each target of `carrier` in replication 0, outages shaded."""
    chosen = [t for t in doc.targets if t.carrier == carrier]
    rep = result.replications[0] if result.replications else None
    if not chosen or rep is None:
        return None
    fig, axes = plt.subplots(len(chosen), 1, figsize=(9, 2.6 * len(chosen)), squeeze=False)
    drew = False
    for ax, t in zip(axes[:, 0], chosen):
        hourly = [record.hourly for f in result.scenario.targets[t.id].flows
                  if (record := rep.flows.get(f)) is not None and record.hourly is not None]
        if not hourly:
            ax.set_visible(False)
            continue
        total = np.sum(hourly, axis=0)
        days = np.arange(len(total)) / 24
        ax.plot(days, total, lw=0.4, color=CARRIER_COLOURS[carrier], label="delivered (replication 0)")
        ax.axhline(t.target, color="black", ls="--", lw=1, label=f"target {t.target:g} {t.unit}")
        warm = doc.run.warmup_days
        for o in rep.outages:
            start, end = (o["start_h"] / 24 - warm, o["end_h"] / 24 - warm)
            if end > 0:
                ax.axvspan(max(start, 0), end, color="#d62728", alpha=0.12)
        ax.set_ylabel(t.unit)
        ax.set_title(f"{t.id}: delivered against the target (red: outages)", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
        drew = True
    axes[-1, 0].set_xlabel("day of the measured period")
    if not drew:
        plt.close(fig)
        return None
    return fig


def transit_figure(doc: ReportDocument, result: SimulationResult) -> Figure | None:
    """Per-replication mean transit days of each cargo/oil flow (box) with its mean p95 (x)."""
    flows = [f for f in doc.flows if f.transit_days]
    if not flows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(flows) + 1.5))
    samples = [[r.flows[f.id].transit_days.get("mean", np.nan) for r in result.replications
                if f.id in r.flows] for f in flows]
    ax.boxplot(samples, orientation="horizontal", tick_labels=[f.id for f in flows])
    for i, f in enumerate(flows, 1):
        p95 = (f.transit_days or {}).get("p95")
        if p95 is not None:
            ax.plot(p95, i, "x", color="#d62728", label="p95 (mean)" if i == 1 else None)
    ax.set_xlabel("transit days, origin to destination")
    ax.set_title("Transit time per flow across replications", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def gap_figure(doc: ReportDocument) -> Figure | None:
    """Optimiser bound against simulated mean per target: what queues, storms and outages cost."""
    rows = [(t, bound) for t in doc.targets if (bound := t.optimised.max_deliverable) is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(rows) + 1.5))
    y = np.arange(len(rows))
    bounds = [min(bound, BOUND_CAP * t.target) / t.target * 100 for t, bound in rows]
    simulated = [t.simulated.mean / t.target * 100 for t, _ in rows]
    ax.barh(y - 0.2, bounds, height=0.4, color="#bbb", label="optimiser bound (steady state)")
    ax.barh(y + 0.2, simulated, height=0.4, color="#1f77b4", label="simulated mean")
    ax.axvline(100, color="black", ls="--", lw=1)
    ax.set_yticks(y, [t.id for t, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("% of the target figure")
    ax.set_title("The gap between the optimiser's bound and the simulation", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def waterfall_figure(target: str, gap: Gap) -> Figure:
    """A target's gap as a waterfall: the optimiser's bound, minus what each cause costs (its
    Shapley value, 95% interval as a whisker), minus the residual no cause explains, down to the
    simulated mean. Without a bound the fall starts from the value with every cause off."""
    from sim.attribution import LABELS

    steps = [(LABELS.get(c, c), v, gap.causes_ci95.get(c)) for c, v in gap.causes.items()]
    if gap.bound is not None and gap.residual is not None:
        start, first = gap.bound, f"optimiser bound\n({gap.bound_kind or 'bound'})"
        steps.append(("residual\n(no listed cause)", gap.residual, None))
    else:
        start, first = gap.all_off, "every cause\nswitched off"
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * (len(steps) + 2)), 4.2))
    ax.bar(0, start, color="#bbb")
    ax.annotate(f"{start:.3g}", (0, start), ha="center", va="bottom", fontsize=7)
    level, top = start, start
    for i, (_, cost, ci) in enumerate(steps, 1):
        # a cost lowers the level (red); a cause that helps (negative cost) raises it (green)
        ax.bar(i, -cost, bottom=level, color="#d62728" if cost >= 0 else "#2ca02c", alpha=0.85)
        if ci is not None and ci[1] > ci[0]:
            ax.errorbar(i, level - cost, yerr=[[ci[1] - cost], [cost - ci[0]]], color="#333", capsize=3, lw=1)
        ax.plot([i - 0.6, i - 0.4], [level, level], color="#666", lw=0.8)  # from the bar before
        ax.annotate(f"{0.0 - cost:+.3g}", (i, max(level, level - cost)), ha="center", va="bottom", fontsize=7)
        level -= cost
        top = max(top, level)
    end = len(steps) + 1
    lo, hi = gap.simulated_ci95
    ax.bar(end, gap.simulated, color="#1f77b4",
           yerr=[[max(gap.simulated - lo, 0.0)], [max(hi - gap.simulated, 0.0)]], capsize=4)
    ax.annotate(f"{gap.simulated:.3g}", (end, max(hi, gap.simulated)), ha="center", va="bottom", fontsize=7)
    ax.plot([end - 0.6, end - 0.4], [level, level], color="#666", lw=0.8)
    ax.set_xticks(range(end + 1), [first, *(label for label, _, _ in steps), "simulated"], fontsize=7,
                  rotation=30, ha="right")
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), max(top, hi, gap.simulated) * 1.08 or 1.0)
    ax.set_ylabel(gap.unit)
    ax.set_title(f"{target}: from the optimiser's bound to the simulation", fontsize=10)
    ax.text(1.0, -0.32, f"{gap.replications} replications x {gap.coalitions} combinations of causes; "
            "whiskers: 95% intervals", transform=ax.transAxes, ha="right", fontsize=7, color="#666")
    return fig


def all_plots(doc: ReportDocument, result: SimulationResult) -> dict[str, bytes]:
    """Every picture the report shows as PNG bytes, by file name; pictures with nothing to show
    are left out. Each figure is drawn and closed before the next."""
    start = (doc.run.warmup_days, doc.run.spinup_days)
    drawings: dict[str, Callable[[], Figure | None]] = {
        "targets.png": lambda: targets_figure(doc),
        "gap.png": lambda: gap_figure(doc),
        "queues.png": lambda: daily_figure(result, "queue", "consignments waiting", "Queues at ports and crossings",
                                           *start),
        "closures.png": lambda: daily_figure(result, "closed", "hours closed that day", "Port closures (storms, ice)",
                                             *start),
        "storage.png": lambda: daily_figure(result, "storage", "tonnes in storage", "Oil storage levels", *start),
        "power.png": lambda: delivered_figure(doc, result, "power"),
        "data.png": lambda: delivered_figure(doc, result, "data"),
        "transit.png": lambda: transit_figure(doc, result),
    }
    for t in doc.targets:
        if t.gap is not None:
            drawings[f"gap-{t.id}.png"] = partial(waterfall_figure, t.id, t.gap)
    pictures = {}
    for name, draw in drawings.items():
        fig = draw()
        if fig is not None:
            pictures[name] = png(fig)
    return pictures
