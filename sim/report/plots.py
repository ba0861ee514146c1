"""Report pictures, each drawn from a run's report document and simulation result.

Each `*_figure` function takes data and returns the matplotlib figure (None when there is
nothing to show), so a test can read back what it plots; `png` turns a finished figure into PNG
bytes and `all_plots` draws every picture the report shows.

Drawing. Figures are made with matplotlib's object API on the Agg canvas (`new_figure`), not
pyplot, and each fixes its margins once (`_fit`): the widest y tick label and the y label are
measured on the canvas's renderer, the other margins are set in inches, so a figure is laid out
and drawn in one pass instead of `tight_layout`'s extra pass over every text (a quarter of a
plot's CPU). PNG files are written at zlib level `PNG_COMPRESSION`. The same data gives the same
bytes.

Time. Every picture over time (daily series, queues, storage, port closures, hourly power and
data) shares one axis, `TimeAxis`: days from 1 January 00:00 (day 0), running to the horizon.
A value of day d (the mean over [d, d+1)) is drawn at its middle, an hourly value at its hour's
middle. The warm-up [0, warmup] (simulated, not measured) is shaded grey; a spin-up (simulated
before 1 January, from day -spinup, and not recorded) is shaded purple left of day 0, at most a
third of the horizon of it (a longer one shows its last part and the label gives its length).
The spans carry the gids "warm-up" and "spin-up".

Shares of a target. The target charts have one share axis ending at `CAP_PERCENT` of each
target's figure. Anything beyond it (an optimiser bound at 500%, a mean or interval above the
cap) stops at the cap, where a zig-zag (gid "break") marks the cut and a label (gid
"beyond-cap") gives the true value, in % and in the target's unit.

Outages. A target's panel of hourly delivery shades only the outages of what its own flows
depend on: the links and limiting stations of their paths (`sim.energy.paths`) and their
origins' generation, so a power-cable outage never shades a fibre panel. Shading deepens with
the share of capacity lost.

Closures. Port closures are a calendar heat map: one row per port, one column per day, the
colour the share of that day the port was closed, averaged over the replications
(`closure_shares`, from each replication's `closed:<port>` hours per day).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.calendar import DAY_H

if TYPE_CHECKING:
    from sim.network import Network
    from sim.replications import Replication, SeriesSummary
    from sim.report.document import Gap, ReportDocument, TargetRow
    from sim.scenario.schema import Scenario
    from sim.simulate import SimulationResult

CARRIER_COLOURS = {
    "cargo": "#1f77b4", "oil": "#3b3b3b", "power": "#d62728", "data": "#2ca02c",
    "hydrogen": "#9467bd", "ammonia": "#8c564b",
}
VERDICT_COLOURS = {"met": "#2ca02c", "at risk": "#ff7f0e", "not met": "#d62728"}
CAP_PERCENT = 300.0  # the target charts' share axis ends here; beyond it a marked break and the value
SPINUP_SHOWN = 1 / 3  # at most this share of the horizon of a spin-up is drawn left of day 0
MAX_SERIES = 8  # lines in one daily chart


PNG_COMPRESSION = 3  # zlib level of the PNG files: twice as fast as the default 6, files about 3% larger


def png(fig: Figure, dpi: float | None = 100) -> bytes:
    """A finished figure as PNG bytes (a pyplot figure is closed); `dpi=None` keeps the figure's
    own. A figure without margins of its own is laid out with `tight_layout` first (one more pass
    over every text); this module's figures fix theirs when drawn (`_fit`)."""
    buf = io.BytesIO()
    if fig not in _FITTED:
        fig.tight_layout()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": PNG_COMPRESSION})
    if fig.canvas.manager is not None:  # made by pyplot, which holds it until closed
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


def new_figure(width: float, height: float, dpi: float = 100) -> Figure:
    """A figure on the Agg canvas, outside pyplot (nothing holds it once dropped)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


_FITTED: WeakSet[Figure] = WeakSet()  # figures whose margins `_fit` fixed
FIT_PAD_IN = 0.08  # clearance between the figure's edge and what is drawn next to it, inches
TICK_IN = 7.0 / 72  # a tick's length and its label's pad (3.5 pt each), inches


def _fit(fig: Figure, *, right: float = 0.15, bottom: float = 0.5, top: float = 0.3,
         legend_right: bool = False) -> None:
    """Fix the margins of the figure's panels (a column of subplots) once, in inches: left, the
    widest y tick label and the y label of any panel; right, `right` (or the legend placed right
    of the axes, measured); each panel `top` (its title) above it and `bottom` (the x tick labels
    and label) below it. What `tight_layout` finds by laying out every text of the figure once
    more before it is drawn, from a measure of only the texts beside the panels."""
    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    dpi = fig.dpi
    left = 0.0
    for ax in panels:
        if not ax.get_visible():
            continue
        widest = max((renderer.get_text_width_height_descent(line, t.get_fontproperties(), False)[0]
                      for t in ax.get_yticklabels() for line in t.get_text().split("\n") if line),
                     default=0.0) / dpi
        ylabel = ax.yaxis.label
        label = (float(ylabel.get_fontsize()) * 1.25 / 72 + 4 / 72) if ylabel.get_text() else 0.0
        left = max(left, widest + label + TICK_IN)
    if legend_right:  # at (1.01, 1) of the axes: its width and 1% of the axes' past the axes
        legends = [leg for ax in panels if (leg := ax.get_legend()) is not None]
        right = max([right, *(leg.get_window_extent(renderer).width / dpi + 0.01 * 0.8 * fig.get_figwidth()
                              for leg in legends)])
    width, height = fig.get_size_inches()
    rows = max(len(panels), 1)
    panel = (height - 2 * FIT_PAD_IN - rows * (top + bottom)) / rows
    fig.subplots_adjust(left=(left + FIT_PAD_IN) / width, right=1 - (right + FIT_PAD_IN) / width,
                        bottom=(bottom + FIT_PAD_IN) / height, top=1 - (top + FIT_PAD_IN) / height,
                        hspace=(top + bottom) / panel if rows > 1 else 0.2)
    _FITTED.add(fig)


# --- the time axis ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeAxis:
    """The one time axis of every picture over time, in days from 1 January 00:00."""

    horizon_days: float
    warmup_days: float = 0.0
    spinup_days: float = 0.0

    @classmethod
    def of(cls, scenario: Scenario) -> TimeAxis:
        """The axis of a run of `scenario` (its horizon, warm-up and spin-up)."""
        s = scenario.simulation
        return cls(s.horizon.value / DAY_H, s.warmup.value / DAY_H, s.spinup.value / DAY_H)

    @property
    def spinup_shown_days(self) -> float:
        """How much of the spin-up is drawn left of day 0."""
        return min(self.spinup_days, SPINUP_SHOWN * self.horizon_days)

    @property
    def limits(self) -> tuple[float, float]:
        return -self.spinup_shown_days, self.horizon_days

    def day_middles(self, days: int, width: int = 1) -> np.ndarray:
        """Where the values of days 0..days-1 are drawn: each day's middle (the last day may end
        early, at the horizon); with `width`, the middle of each point's `width` days."""
        starts = np.arange(days, dtype=float) * width
        return (starts + np.minimum(starts + width, max(self.horizon_days, float(starts[-1] if days else 0.0)))) / 2

    def draw(self, ax: Axes, hatched: bool = False) -> None:
        """Set the limits and label, and shade the spin-up and warm-up (`hatched`: over a
        picture whose colours must stay readable, such as a heat map)."""
        ax.set_xlim(*self.limits)
        ax.set_xlabel("day from 1 January (day 0 = 1 January 00:00)")
        spans: list[tuple[str, float, float, str, str]] = []
        if self.spinup_days > 0:
            shown = self.spinup_shown_days
            label = ("spin-up before 1 January (simulated, not recorded)" if shown == self.spinup_days else
                     f"spin-up: the last {shown:.3g} of its {self.spinup_days:g} days (simulated, not recorded)")
            spans.append(("spin-up", -shown, 0.0, label, "#9467bd"))
        if self.warmup_days > 0:
            spans.append(("warm-up", 0.0, min(self.warmup_days, self.horizon_days),
                          "warm-up (simulated, not measured)", "#777777"))
        for gid, a, b, label, colour in spans:
            if hatched:
                patch = ax.axvspan(a, b, facecolor="none", edgecolor=colour, hatch="///", lw=0.8, label=label)
            else:
                patch = ax.axvspan(a, b, color=colour, alpha=0.15, lw=0, label=label)
            patch.set_gid(gid)
            ax.text((a + b) / 2, 0.97, gid, transform=ax.get_xaxis_transform(), rotation=90, ha="center",
                    va="top", fontsize=7, color="#444", gid=gid,
                    bbox={"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1})


# --- shares of a target, with a marked cap ---------------------------------------------------


def _break(ax: Axes, y: float, half_height: float, cap: float) -> None:
    """A zig-zag across a bar or marker cut at `cap` (on a white ground so it reads on a bar)."""
    dx = cap * 0.012
    ys = np.linspace(y - half_height, y + half_height, 6)
    xs = cap + dx * np.array([0.0, 1, -1, 1, -1, 0])
    ax.plot(xs, ys, color="white", lw=4, zorder=5, gid="break-ground")
    ax.plot(xs, ys, color="#222", lw=1.2, zorder=6, gid="break")


def _beyond(ax: Axes, y: float, half_height: float, cap: float, what: Iterable[str]) -> None:
    """The break at the cap and the true value(s) written right of it."""
    _break(ax, y, half_height, cap)
    ax.annotate("; ".join(what), (cap, y), xytext=(7, 0), textcoords="offset points", va="center",
                fontsize=7, color="#222", gid="beyond-cap")


def _share_text(what: str, share_pct: float, value: float, t: TargetRow) -> str:
    return f"{what} {share_pct:.0f}% ({value:.3g} {t.unit})"


def _room_for_labels(ax: Axes, cut: bool) -> None:
    """With a value cut at the cap, the axis ends a little after it, room for the labels."""
    if cut:
        ax.set_xlim(min(0.0, ax.get_xlim()[0]), CAP_PERCENT * 1.4)


def targets_figure(doc: ReportDocument) -> Figure | None:
    """Each target's simulated mean (95% CI) and optimiser maximum, as a share of its figure."""
    rows = [t for t in doc.targets if t.target]
    if not rows:
        return None
    fig = new_figure(9, 0.55 * len(rows) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    cut, lowest, bound_label = False, 0.0, "optimiser maximum"
    for i, t in enumerate(rows):
        mean, lo, hi = (100 * v / t.target for v in (t.simulated.mean, *t.simulated.ci95))
        lowest = min(lowest, lo)
        beyond = []
        if mean > CAP_PERCENT:
            beyond.append(_share_text("mean", mean, t.simulated.mean, t))
        elif hi > CAP_PERCENT:
            beyond.append(_share_text("95% CI to", hi, t.simulated.ci95[1], t))
        shown = min(mean, CAP_PERCENT)
        colour = VERDICT_COLOURS.get(t.judged, "#d62728")
        ax.errorbar(shown, i, xerr=[[max(shown - min(lo, CAP_PERCENT), 0)], [max(min(hi, CAP_PERCENT) - shown, 0)]],
                    fmt="o", color=colour, capsize=4)
        opt = t.optimised.max_deliverable
        if opt is not None:
            share = 100 * opt / t.target
            if share > CAP_PERCENT:
                beyond.append(_share_text("optimiser maximum", share, opt, t))
            else:
                ax.plot(share, i, "|", color="#333", ms=14, mew=2, label=bound_label)
                bound_label = "_"  # one legend entry (matplotlib leaves out labels starting "_")
        if beyond:
            _beyond(ax, i, 0.3, CAP_PERCENT, beyond)
            cut = True
    ax.axvline(100, color="#888", ls="--", lw=1)
    ax.set_yticks(y, [f"{t.id}\n({t.target:g} {t.unit})" for t in rows], fontsize=8)
    ax.set_xlabel(f"% of the target figure (dashed line = target; axis cut at {CAP_PERCENT:.0f}%)" if cut
                  else "% of the target figure (dashed line = target)")
    _room_for_labels(ax, cut)
    ax.set_xlim(left=1.05 * lowest)  # shares from zero (or an interval below it)
    ax.invert_yaxis()
    verdicts = [Line2D([], [], marker="o", ls="-", color=VERDICT_COLOURS.get(v, "#d62728"),
                       label=f"simulated mean, 95% CI: {v}") for v in dict.fromkeys(t.judged for t in rows)]
    ax.legend(handles=verdicts + ax.get_legend_handles_labels()[0], fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Targets: simulated against the figure, and the optimiser's bound", fontsize=10)
    _fit(fig, legend_right=True)
    return fig


def gap_figure(doc: ReportDocument) -> Figure | None:
    """Optimiser bound against simulated mean per target: what queues, storms and outages cost."""
    rows = [(t, bound) for t in doc.targets if t.target and (bound := t.optimised.max_deliverable) is not None]
    if not rows:
        return None
    fig = new_figure(9, 0.5 * len(rows) + 1.5)
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    bounds = [100 * bound / t.target for t, bound in rows]
    simulated = [100 * t.simulated.mean / t.target for t, _ in rows]
    ax.barh(y - 0.2, np.minimum(bounds, CAP_PERCENT), height=0.4, color="#bbb", label="optimiser bound (steady state)")
    ax.barh(y + 0.2, np.minimum(simulated, CAP_PERCENT), height=0.4, color="#1f77b4", label="simulated mean")
    cut = False
    for i, (t, bound) in enumerate(rows):
        for offset, share, value, what in ((-0.2, bounds[i], bound, "bound"),
                                           (0.2, simulated[i], t.simulated.mean, "simulated")):
            if share > CAP_PERCENT:
                _beyond(ax, i + offset, 0.2, CAP_PERCENT, [_share_text(what, share, value, t)])
                cut = True
    ax.axvline(100, color="black", ls="--", lw=1)
    ax.set_yticks(y, [t.id for t, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"% of the target figure (axis cut at {CAP_PERCENT:.0f}%)" if cut else "% of the target figure")
    _room_for_labels(ax, cut)
    ax.set_title("The gap between the optimiser's bound and the simulation", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _fit(fig, legend_right=True)
    return fig


# --- over time -------------------------------------------------------------------------------


def daily_figure(result: SimulationResult, prefix: str, ylabel: str, title: str,
                 time: TimeAxis | None = None) -> Figure | None:
    """Mean across replications (band: 10th-90th percentile) of every daily series `prefix:*`
    (with more than eight, the eight highest on average, the title says so), by name, on the
    time axis (by default the result's scenario's). Drawn from the result's series summary
    (`sim.replications.SeriesSummary`): the band from its sample of replications, and a long
    horizon's days averaged into points."""
    time = time or TimeAxis.of(result.scenario)
    summary = result.series if result.series is not None else _summary(result.replications)
    keys = sorted(k for k in summary.names() if k.startswith(prefix + ":"))
    if not keys:
        return None
    means = {k: summary.mean(k) for k in keys}
    shown = sorted(sorted(keys, key=lambda k: -float(means[k].mean()) if means[k].size else 0.0)[:MAX_SERIES])
    fig = new_figure(9, 3.6)
    ax = fig.add_subplot()
    for k in shown:
        days = time.day_middles(len(means[k]), summary.width(k))
        (line,) = ax.plot(days, means[k], lw=1.2, label=k.split(":", 1)[1])
        if summary.counts[k] > 1:
            p10, p90 = np.percentile(summary.stack(k), [10, 90], axis=0)
            ax.fill_between(days, p10, p90, color=line.get_color(), alpha=0.15, lw=0)
    time.draw(ax)
    ax.set_ylabel(ylabel)
    more = f" (the {MAX_SERIES} highest of {len(keys)})" if len(keys) > MAX_SERIES else ""
    ax.set_title(f"{title}{more}: mean of {len(result.replications)} replications, band 10th-90th percentile"
                 if len(result.replications) > 1 else f"{title}{more}", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    _fit(fig)
    return fig


def target_components(scenario: Scenario, network: Network, flows: Iterable[str]) -> set[tuple[str, str]]:
    """(kind, id) of every link and node whose outage can lower these flows: the elements of
    their paths and their origins (a generation site's own outages and its plants')."""
    from sim.energy.paths import flow_paths
    from sim.energy.reliability import plant_id

    hit: set[tuple[str, str]] = set()
    for fid in flows:
        origin = scenario.flows[fid].origin
        hit.add(("node", origin))
        hit.update(("plant", plant_id(origin, pid)) for pid in scenario.nodes[origin].plants)
        for path in flow_paths(scenario, network, fid):
            hit.update((e.key.split(":", 1)[0], e.id) for e in path.elements)
    return hit


def _shade_outages(ax: Axes, outages: Iterable[Mapping[str, Any]], hit: set[tuple[str, str]],
                   time: TimeAxis) -> None:
    """Shade the outages of the components in `hit`, clipped to the time axis."""
    lo, hi = time.limits
    first = True
    for o in outages:
        if (o["kind"], o["component"]) not in hit:
            continue
        start, end = float(o["start_h"]) / DAY_H, float(o["end_h"]) / DAY_H
        if end <= lo or start >= hi:
            continue
        share = float(o.get("capacity_lost_share", 1.0))
        patch = ax.axvspan(max(start, lo), min(end, hi), color="#d62728", alpha=0.08 + 0.17 * min(share, 1.0), lw=0,
                           label="outages of its links and stations" if first else None)
        patch.set_gid("outage")
        first = False


HOURLY_LINE_MAX_H = 2 * 8760  # up to two years an hourly line; beyond, each day's range and mean


def delivered_figure(doc: ReportDocument, result: SimulationResult, carrier: str,
                     time: TimeAxis | None = None) -> Figure | None:
    """Hourly delivered rate of each target of `carrier` in replication 0, on the time axis, with
    the outages of that target's own links and stations shaded; over more than two years, each
    day's range and mean (more hours than pixels: the line would be a smear, and heavy)."""
    from sim.network import build_network

    time = time or TimeAxis.of(result.scenario)
    chosen = [t for t in doc.targets if t.carrier == carrier]
    rep = result.replications[0] if result.replications else None
    if not chosen or rep is None:
        return None
    scenario = result.scenario
    network = build_network(scenario)
    n_hours = math.ceil(scenario.simulation.horizon.value - 1e-9)
    fig = new_figure(9, 2.6 * len(chosen))
    axes = fig.subplots(len(chosen), 1, squeeze=False)
    drew = False
    for ax, t in zip(axes[:, 0], chosen):
        flows = scenario.targets[t.id].flows
        hourly = [record.hourly for f in flows
                  if (record := rep.flows.get(f)) is not None and record.hourly is not None]
        if not hourly:
            ax.set_visible(False)
            continue
        total = np.sum(hourly, axis=0)
        first = n_hours - len(total)  # the record holds the measured hours, up to the horizon
        colour = CARRIER_COLOURS[carrier]
        if len(total) <= HOURLY_LINE_MAX_H:
            days = (first + np.arange(len(total)) + 0.5) / DAY_H
            ax.plot(days, total, lw=0.4, color=colour, label="delivered (replication 0)")
        else:  # more hours than the picture has pixels: each day's range and mean
            per_day = int(DAY_H)
            by_day = total[:len(total) // per_day * per_day].reshape(-1, per_day)
            mid = (first + DAY_H * np.arange(len(by_day)) + DAY_H / 2) / DAY_H
            ax.fill_between(mid, by_day.min(axis=1), by_day.max(axis=1), color=colour, alpha=0.35, lw=0,
                            label="delivered (replication 0), each day's range")
            ax.plot(mid, by_day.mean(axis=1), lw=0.4, color=colour, label="daily mean")
        ax.axhline(t.target, color="black", ls="--", lw=1, label=f"target {t.target:g} {t.unit}")
        _shade_outages(ax, rep.outages, target_components(scenario, network, flows), time)
        time.draw(ax)
        ax.set_ylim(bottom=0.0)  # a rate against its target, from zero
        ax.set_ylabel(t.unit)
        ax.set_title(f"{t.id}: delivered against the target (red: outages of its own links and stations)",
                     fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
        drew = True
    if not drew:
        return None
    _fit(fig)
    return fig


def closure_shares(replications: Sequence[Replication] | SeriesSummary, horizon_h: float) -> dict[str, np.ndarray]:
    """Per port (sorted by id), the share of each day [0, horizon] it was closed, averaged over
    the replications (the last day may be short: its share is of the hours it has), from their
    series summary (or the replications themselves); with days averaged into points, each
    point's share of its days' hours."""
    from sim.replications import SeriesSummary

    summary = replications if isinstance(replications, SeriesSummary) else _summary(replications)
    out: dict[str, np.ndarray] = {}
    for key in sorted(k for k in summary.names() if k.startswith("closed:")):
        days = summary.days[key]
        hours = summary.binned(key, np.clip(horizon_h - DAY_H * np.arange(days), 0.0, DAY_H))
        out[key.split(":", 1)[1]] = summary.mean(key) / np.where(hours > 0, hours, DAY_H)
    return out


def _summary(replications: Sequence[Replication]) -> SeriesSummary:
    from sim.replications import SeriesSummary

    summary = SeriesSummary(0)
    for r in replications:
        summary.add(r.index, r.series)
    return summary


def closures_figure(shares: Mapping[str, np.ndarray], time: TimeAxis, labels: Mapping[str, str] | None = None,
                    replications: int | None = None) -> Figure | None:
    """Port closures as a calendar heat map: a row per port (in the order given, labelled by
    `labels`), a column per day from 1 January (per point of days averaged, over a horizon
    longer than `sim.replications.MAX_POINTS` days), the colour the share of the day closed."""
    from sim.replications import SeriesSummary

    if not shares:
        return None
    labels = labels or {}
    ports = list(shares)
    days = max(len(v) for v in shares.values())
    width = SeriesSummary.width_of(math.ceil(time.horizon_days - 1e-9)) if days < time.horizon_days else 1
    grid = np.zeros((len(ports), days))
    for i, nid in enumerate(ports):
        grid[i, :len(shares[nid])] = shares[nid]
    fig = new_figure(9, 0.4 * len(ports) + 1.9)
    ax = fig.add_subplot()
    image = ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest",
                      extent=(0.0, float(days * width), len(ports) - 0.5, -0.5))
    ax.set_yticks(range(len(ports)), [labels.get(nid, nid) for nid in ports], fontsize=8)
    time.draw(ax, hatched=True)
    _fit(fig, right=0.7)  # room for the colour bar's ticks and label, added next beside the heat map
    mean_of = f"mean of {replications} replications" if replications and replications > 1 else "one replication"
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.01).set_label(f"share of the day closed\n({mean_of})",
                                                                    fontsize=8)
    ax.set_title("Port closures by day (storms, ice)", fontsize=10)
    return fig


def port_labels(scenario: Scenario, ports: Iterable[str]) -> dict[str, str]:
    """A port's name (or id) with its country, for a picture's rows."""
    out = {}
    for nid in ports:
        node = scenario.nodes.get(nid)
        out[nid] = f"{node.name or nid} ({node.country})" if node is not None else nid
    return out


# --- other pictures --------------------------------------------------------------------------


def transit_figure(doc: ReportDocument, result: SimulationResult) -> Figure | None:
    """Per-replication mean transit days of each cargo/oil flow (box) with its mean p95 (x)."""
    flows = [f for f in doc.flows if f.transit_days]
    if not flows:
        return None
    fig = new_figure(9, 0.5 * len(flows) + 1.5)
    ax = fig.add_subplot()
    from sim.replications import Replications

    reps = result.replications
    samples = [[rec.transit_days.get("mean", np.nan)
                for rec in (reps.flow(f.id) if isinstance(reps, Replications) else
                            [r.flows[f.id] for r in reps if f.id in r.flows])] for f in flows]
    ax.boxplot(samples, orientation="horizontal", tick_labels=[f.id for f in flows])
    for i, f in enumerate(flows, 1):
        p95 = (f.transit_days or {}).get("p95")
        if p95 is not None:
            ax.plot(p95, i, "x", color="#d62728", label="p95 (mean)" if i == 1 else None)
    ax.set_xlabel("transit days, origin to destination")
    ax.set_title("Transit time per flow across replications", fontsize=10)
    ax.legend(fontsize=8)
    _fit(fig)
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
    fig = new_figure(max(6.0, 1.1 * (len(steps) + 2)), 4.2)
    ax = fig.add_subplot()
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
    are left out. Each figure is drawn and closed before the next. Every picture over time
    shares the scenario's time axis."""
    time = TimeAxis.of(result.scenario)
    shares = closure_shares(result.series if result.series is not None else result.replications,
                            result.scenario.simulation.horizon.value)
    drawings: dict[str, Callable[[], Figure | None]] = {
        "targets.png": lambda: targets_figure(doc),
        "gap.png": lambda: gap_figure(doc),
        "queues.png": lambda: daily_figure(result, "queue", "consignments waiting", "Queues at ports and crossings",
                                           time),
        "closures.png": lambda: closures_figure(shares, time, port_labels(result.scenario, shares),
                                                len(result.replications)),
        "storage.png": lambda: daily_figure(result, "storage", "tonnes in storage", "Oil storage levels", time),
        "power.png": lambda: delivered_figure(doc, result, "power", time),
        "data.png": lambda: delivered_figure(doc, result, "data", time),
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
