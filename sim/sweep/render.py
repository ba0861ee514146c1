"""What a sweep found: thresholds, frontiers, sensitivity indices, plots, `sweep.md` and `sweep.html`;
and `find.json` and `find.md` for a threshold search.

Read from the rebuilt `sweep.parquet` (one row per point and target, `sim.sweep.tables`), never
from results held in memory. The analyses read it `wide` (one row per point, a `<target>.<figure>`
column per target); the pictures show, per target, the measured value with its 95% CI against
each swept parameter beside the target's figure (`measured_<k>.png`), and P(met) on its own
(`pmet_<k>.png`, heat maps). sweep.md lists the points as the long table does.
"""

from __future__ import annotations

import html
import io
import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.io import write_bytes, write_text
from sim.report import page
from sim.report.plots import png
from sim.sweep.designs import SAMPLERS, Parameter, SensitivitySampler
from sim.sweep.plan import MANIFEST, SweepPlan
from sim.sweep.tables import TARGET_COLUMNS, write_tables
from sim.sweep.threshold import Threshold

Indices = dict[str, dict[str, float]]  # parameter -> index (S1, ST, mu_star, ...) -> value

MAX_MD_ROWS = 200
BINS = 8  # sampled designs: P(met) is averaged in this many bins of each parameter


@dataclass
class Crossing:
    """Where one target's P(met), against one parameter, crosses the level."""

    target: str
    path: str
    value: float | None  # interpolated crossing (the first value that meets, for whole numbers)
    below: tuple[float, float] | None  # (value, P(met)) on the missing side
    above: tuple[float, float] | None  # (value, P(met)) on the meeting side
    text: str


def _fmt(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{x:.{digits}g}"
    return str(x)


def _unit(p: Parameter) -> str:
    return f" {p.unit}" if p.unit else ""


# --- analysis --------------------------------------------------------------------------------


WIDE = ("mean", "ci_lo", "ci_hi", "p_met", "optimiser_bound", "figure")  # per-target columns of `wide`


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """The long table (a row per point and target) as one row per point: the point's columns,
    then `<target>.<figure>` for each figure in `WIDE` and `<target>.met` (bool)."""
    head = [c for c in long.columns if c not in TARGET_COLUMNS]
    points = long.drop_duplicates("point")[head].set_index("point")
    rows = long[long["target"].notna()]
    columns: dict[str, pd.Series] = {}
    for col in WIDE:
        table = rows.pivot(index="point", columns="target", values=col)
        columns.update({f"{tid}.{col}": table[tid] for tid in table.columns})
    verdicts = rows.pivot(index="point", columns="target", values="verdict")
    met = {"met": True, "at risk": False, "not met": False}
    columns.update({f"{tid}.met": verdicts[tid].map(met) for tid in verdicts.columns})
    return points.join(pd.DataFrame(columns)).reset_index()


def curve(df: pd.DataFrame, p: Parameter, column: str, grid: bool) -> pd.DataFrame:
    """Mean of `column` against parameter `p` (averaged over the other parameters): by value on a
    grid, in quantile bins for a sampled design."""
    ok = df[df["status"] == "ok"][[p.path, column]].dropna()
    if ok.empty:
        return pd.DataFrame({"x": [], "y": []})
    if grid or ok[p.path].nunique() <= BINS:
        means = ok.groupby(p.path)[column].mean()
        return pd.DataFrame({"x": means.index.astype(float), "y": means.values})
    bins = pd.qcut(ok[p.path], BINS, duplicates="drop")
    binned = ok.groupby(bins, observed=True).agg(x=(p.path, "mean"), y=(column, "mean"))
    return binned.reset_index(drop=True)


def crossing(xs: np.ndarray, ps: np.ndarray, level: float, integer: bool) -> tuple[float, int] | None:
    """The first place along `xs` where `ps` passes `level` (linear between neighbours; for whole
    numbers, the first value on the meeting side), and the index of the meeting neighbour; None
    when `ps` stays on one side."""
    meets = ps >= level
    for i in range(len(xs) - 1):
        if meets[i] != meets[i + 1]:
            j = i + 1 if meets[i + 1] else i
            if integer:
                return float(xs[j]), j
            x0, x1, p0, p1 = xs[i], xs[i + 1], ps[i], ps[i + 1]
            return float(x0 + (level - p0) * (x1 - x0) / (p1 - p0)), j
    return None


def crossings(df: pd.DataFrame, plan: SweepPlan, level: float) -> list[Crossing]:
    """For each target and numeric parameter: where P(met) crosses the level."""
    grid = plan.design.name == "grid"
    out = []
    for tid in plan.targets:
        for p in plan.design.params:
            col = f"{tid}.p_met"
            if not p.numeric or col not in df:
                continue
            c = curve(df, p, col, grid)
            if len(c) < 2:
                continue
            xs, ps = c["x"].to_numpy(float), c["y"].to_numpy(float)
            found = crossing(xs, ps, level, p.integer)
            if found is None:
                state = "above" if ps.min() >= level else "below" if ps.max() < level else "around"
                means = df.loc[df["status"] == "ok", f"{tid}.mean"].dropna()
                against = (f"; simulated mean {_fmt(means.min(), 3)}–{_fmt(means.max(), 3)} against "
                           f"{plan.targets[tid]}") if not means.empty else ""
                text = (f"{tid}: P(met) stays {state} {level:.0%} over {p.path} "
                        f"{_fmt(xs.min())}–{_fmt(xs.max())}{_unit(p)} ({ps.min():.0%}–{ps.max():.0%}{against})")
                out.append(Crossing(tid, p.path, None, None, None, text))
                continue
            x, j = found
            i = j - 1 if j > 0 and ps[j - 1] < level else j + 1
            below, above = (float(xs[i]), float(ps[i])), (float(xs[j]), float(ps[j]))
            side = "at least" if above[0] > below[0] else "at most"
            if grid:  # say what was run: the first value that meets, and the interpolation beside it
                between = "" if p.integer else f"; the level is crossed near {_fmt(x)}"
                text = (f"{tid}: P(met) >= {level:.0%} for {p.path} {side} {_fmt(above[0])}{_unit(p)} "
                        f"({_fmt(below[0])}: {below[1]:.0%}, {_fmt(above[0])}: {above[1]:.0%}{between})")
            else:
                text = (f"{tid}: P(met) >= {level:.0%} for {p.path} {side} about {_fmt(x)}{_unit(p)} "
                        f"(binned means: {_fmt(below[0])}: {below[1]:.0%}, {_fmt(above[0])}: {above[1]:.0%})")
            out.append(Crossing(tid, p.path, x, below, above, text))
    return out


def frontier(df: pd.DataFrame, plan: SweepPlan, level: float) -> dict[str, pd.DataFrame]:
    """Grid designs with two or more numeric parameters: for each value of the second, the
    least (or most) of the first that meets the level, per target."""
    params = [p for p in plan.design.params if p.numeric]
    if plan.design.name != "grid" or len(params) < 2:
        return {}
    a, b = params[0], params[1]
    ok = df[df["status"] == "ok"]
    out = {}
    for tid in plan.targets:
        col = f"{tid}.p_met"
        if col not in ok:
            continue
        table = ok.groupby([b.path, a.path])[col].mean().unstack(a.path).sort_index()
        rising = np.nanmean(np.diff(table.to_numpy(float), axis=1)) >= 0 if table.shape[1] > 1 else True
        rows = []
        for bv, row in table.iterrows():
            meeting = row[row >= level].index.to_numpy(float)
            best = (meeting.min() if rising else meeting.max()) if meeting.size else None
            rows.append({b.path: bv, f"{'least' if rising else 'most'} {a.path}": best,
                         "P(met) there": row.get(best) if best is not None else row.max()})
        out[tid] = pd.DataFrame(rows)
    return out


@dataclass
class Sensitivity:
    """The sensitivity indices of one output (`t.mean`, `t.p_met`), or why they were not computed."""

    output: str
    indices: Indices | None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.indices) if self.indices is not None else {"note": self.note}


def sensitivity(df: pd.DataFrame, plan: SweepPlan, manifest: dict[str, Any]) -> list[Sensitivity]:
    """Sobol or Morris indices per target, of the simulated mean and of P(met) (SALib)."""
    sampler = SAMPLERS[plan.design.name]
    if not issubclass(sampler, SensitivitySampler) or manifest.get("unit") is None:
        return []
    unit = np.asarray(manifest["unit"], float)
    by_id = df.set_index("id")
    out = []
    for tid in plan.targets:
        for key in ("mean", "p_met"):
            col = f"{tid}.{key}"
            if col not in by_id:
                continue
            y = by_id[col].reindex(manifest["rows"]).to_numpy(float)
            if np.isnan(y).any() or np.nanstd(y) == 0:
                out.append(Sensitivity(col, None, "failed points or no variation: indices not computed"))
            else:
                out.append(Sensitivity(col, sampler.analyse(plan.design.params, unit, y)))
    return out


# --- pictures --------------------------------------------------------------------------------


MEASURES = {"firm": "firm", "throughput": "delivered", "transmission": "transmission", "energy": "delivered"}
# how a target's measure labels its value


def measured_label(rows: pd.DataFrame) -> str:
    """What a target's rows measure, in its unit: `firm GW`, `delivered Mt/yr`."""
    measure = str(next(iter(rows["measure"].dropna()), "measured"))
    unit = str(next(iter(rows["unit"].dropna()), ""))
    return f"{MEASURES.get(measure, measure)} {unit}".strip()


def measured_plot(long: pd.DataFrame, plan: SweepPlan, tid: str) -> bytes | None:
    """One target's measured value (mean, 95% CI band) against each numeric parameter, one
    panel per parameter, with the target's figure as a horizontal line. On a grid of two
    parameters each panel has a line per value of the other; sampled designs and larger grids
    show every point with its CI and the mean over the other parameters."""
    numeric = [p for p in plan.design.params if p.numeric]
    rows = long[(long["target"] == tid) & (long["status"] == "ok")].dropna(subset=["mean", "ci_lo", "ci_hi"])
    if rows.empty or not numeric:
        return None
    label = measured_label(rows)
    grid = plan.design.name == "grid"
    fig, axes = plt.subplots(1, len(numeric), figsize=(max(4.8 * len(numeric) + 1, 7), 4.2), squeeze=False)
    for ax, p in zip(axes[0], numeric):
        others = [q for q in numeric if q is not p]
        if grid and len(others) <= 1:
            groups = list(rows.groupby(others[0].path)) if others else [(None, rows)]
            for k, (value, sub) in enumerate(groups):
                sub = sub.sort_values(p.path)
                x = sub[p.path].to_numpy(float)
                colour = plt.get_cmap("viridis")(k / max(len(groups) - 1, 1)) if others else "C0"
                name = f"{others[0].path} = {_fmt(value)}{_unit(others[0])}" if others else "mean, 95% CI"
                ax.plot(x, sub["mean"].to_numpy(float), "-o", ms=3, color=colour, label=name)
                ax.fill_between(x, sub["ci_lo"].to_numpy(float), sub["ci_hi"].to_numpy(float), color=colour,
                                alpha=0.2, lw=0)
        else:
            x, mean = rows[p.path].to_numpy(float), rows["mean"].to_numpy(float)
            spread = np.clip([mean - rows["ci_lo"].to_numpy(float), rows["ci_hi"].to_numpy(float) - mean], 0, None)
            ax.errorbar(x, mean, yerr=spread, fmt="o", ms=3, alpha=0.4, elinewidth=0.8, color="C0",
                        label="each point, 95% CI")
            c = curve(rows, p, "mean", grid)
            ax.plot(c["x"], c["y"], "-", color="k", lw=1.2, label="mean over the other parameters")
        figures = rows["figure"].dropna().unique()
        if len(figures) == 1:
            ax.axhline(figures[0], color="#c0392b", ls="--", lw=1, label=f"target {_fmt(figures[0])}")
        elif len(figures) > 1:
            ax.scatter(rows[p.path], rows["figure"], marker="_", s=80, color="#c0392b", label="target (varies)")
        ax.set_xlabel(f"{p.path}{' (' + p.unit + ')' if p.unit else ''}", fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.legend(fontsize=6, loc="best")
    fig.suptitle(f"{tid}: measured {label}, mean and 95% CI, against the swept parameters\n"
                 f"target {plan.targets.get(tid, '')}", fontsize=9)
    return png(fig)


def pmet_plot(df: pd.DataFrame, plan: SweepPlan, p: Parameter, level: float, found: list[Crossing]) -> bytes:
    """P(met) of every target against one parameter, the level, and where each crosses it."""
    grid = plan.design.name == "grid"
    fig, ax = plt.subplots(figsize=(8, 4))
    ok = df[df["status"] == "ok"]
    for k, tid in enumerate(plan.targets):
        col = f"{tid}.p_met"
        if col not in ok:
            continue
        colour = f"C{k % 10}"
        if not grid or len(plan.design.params) > 1:
            ax.scatter(ok[p.path], ok[col], s=10, alpha=0.35, color=colour)
        c = curve(df, p, col, grid)
        ax.plot(c["x"], c["y"], "-o", ms=3, color=colour, label=f"{tid} ({plan.targets[tid]})")
        for cr in found:
            if cr.target == tid and cr.path == p.path and cr.value is not None:
                ax.axvline(cr.value, color=colour, ls=":", lw=1)
    ax.axhline(level, color="#888", ls="--", lw=1, label=f"level {level:.0%}")
    ax.set_xlabel(f"{p.path}{' (' + p.unit + ')' if p.unit else ''}")
    ax.set_ylabel("probability target met")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"P(met) against {p.path}" + ("" if grid else " (binned means)"), fontsize=10)
    return png(fig)


def heat_map(df: pd.DataFrame, plan: SweepPlan, a: Parameter, b: Parameter, level: float) -> bytes | None:
    """P(met) over two parameters, one panel per target; cells at or above the level outlined."""
    ok = df[df["status"] == "ok"]
    tids = [t for t in plan.targets if f"{t}.p_met" in ok]
    if not tids or ok.empty:
        return None
    fig, axes = plt.subplots(1, len(tids), figsize=(4.6 * len(tids) + 0.6, 4), squeeze=False)
    for ax, tid in zip(axes[0], tids):
        col = f"{tid}.p_met"
        if plan.design.name == "grid":
            table = ok.groupby([b.path, a.path])[col].mean().unstack(a.path).sort_index()
            im = ax.imshow(table.to_numpy(float), origin="lower", aspect="auto", vmin=0, vmax=1, cmap="RdYlGn")
            ax.set_xticks(range(table.shape[1]), [_fmt(x, 3) for x in table.columns], fontsize=7, rotation=45)
            ax.set_yticks(range(table.shape[0]), [_fmt(y, 3) for y in table.index], fontsize=7)
            for (i, j), v in np.ndenumerate(table.to_numpy(float)):
                if not np.isnan(v):
                    ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6,
                            fontweight="bold" if v >= level else "normal")
        else:
            im = ax.scatter(ok[a.path], ok[b.path], c=ok[col], vmin=0, vmax=1, cmap="RdYlGn", s=18)
        ax.set_xlabel(f"{a.path}{' (' + a.unit + ')' if a.unit else ''}", fontsize=8)
        ax.set_ylabel(f"{b.path}{' (' + b.unit + ')' if b.unit else ''}", fontsize=8)
        ax.set_title(f"{tid}: P(met) (bold >= {level:.0%})", fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="P(met)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def sensitivity_plot(indices: list[Sensitivity], design: str) -> bytes | None:
    """Total (Sobol) or mu* (Morris) index of each parameter, per target output."""
    key = "ST" if design == "sobol" else "mu_star"
    rows = {s.output: s.indices for s in indices if s.indices is not None}
    if not rows:
        return None
    outputs = list(rows)
    params = list(next(iter(rows.values())))
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(outputs) * len(params) + 1.5))
    height = 0.8 / len(params)
    for j, p in enumerate(params):
        vals = [rows[o][p][key] for o in outputs]
        ax.barh(np.arange(len(outputs)) + j * height, vals, height, label=p)
    ax.set_yticks(np.arange(len(outputs)) + 0.4 - height / 2, outputs, fontsize=8)
    ax.set_xlabel("total Sobol index ST" if design == "sobol" else "Morris mu* (unit-scaled inputs)")
    ax.invert_yaxis()
    ax.legend(fontsize=7)
    ax.set_title("Which input decides the verdict", fontsize=10)
    return png(fig)


# --- documents -------------------------------------------------------------------------------


def write_outputs(folder: Path, plan: SweepPlan, level: float, target: str | None = None) -> list[str]:
    """Tables (every target), then pictures, sweep.md and sweep.html (of `target` alone when one
    is named); returns the findings for the terminal."""
    rows, failed = write_tables(folder, plan)
    if target is not None:
        plan = replace(plan, targets={target: plan.targets[target]})
    long = pd.read_parquet(folder / "sweep.parquet")
    df = wide(long)
    manifest = json.loads((folder / MANIFEST).read_text())
    found = crossings(df, plan, level)
    fronts = frontier(df, plan, level)
    indices = sensitivity(df, plan, manifest)
    pictures: dict[str, bytes] = {}
    numeric = [p for p in plan.design.params if p.numeric]
    if not df[df["status"] == "ok"].empty:
        for k, tid in enumerate(plan.targets):
            picture = measured_plot(long, plan, tid)
            if picture:
                pictures[f"measured_{k + 1}.png"] = picture
        for k, p in enumerate(numeric):
            pictures[f"pmet_{k + 1}.png"] = pmet_plot(df, plan, p, level, found)
        for k, (a, b) in enumerate(itertools.islice(itertools.combinations(numeric, 2), 3)):
            png = heat_map(df, plan, a, b, level)
            if png:
                pictures[f"heatmap_{k + 1}.png"] = png
        png = sensitivity_plot(indices, plan.design.name) if indices else None
        if png:
            pictures["sensitivity.png"] = png
    for stale in [*folder.glob("measured_*.png"), *folder.glob("pmet_*.png"), *folder.glob("heatmap_*.png"),
                  folder / "sensitivity.png",
                  folder / "sensitivity.json"]:
        if stale.name not in pictures:
            stale.unlink(missing_ok=True)  # a picture of an earlier sweep in this folder
    for name, png in pictures.items():
        write_bytes(folder / name, png)
    if indices:
        write_text(folder / "sensitivity.json", json.dumps({s.output: s.as_json() for s in indices}, indent=1))
    findings = [c.text for c in found]
    for tid, table in fronts.items():
        findings.append(f"{tid}: {table.columns[1]} for P(met) >= {level:.0%}, by {table.columns[0]}: " +
                        "; ".join(f"{_fmt(r.iloc[0])}: {_fmt(r.iloc[1])}" for _, r in table.iterrows()))
    if failed:
        findings.append(f"{failed} of {rows} points failed (their errors are in sweep.csv)")
    md = markdown(long, plan, level, found, fronts, indices, pictures, rows, failed)
    write_text(folder / "sweep.md", md)
    write_text(folder / "sweep.html", to_html(md, pictures, f"{plan.name}: sweep"))
    return findings


def _md_table(df: pd.DataFrame) -> list[str]:
    return page.markdown_table([str(c) for c in df.columns],
                               ([_fmt(v).replace("|", "/") for v in r.tolist()] for _, r in df.iterrows()))


def points_table(long: pd.DataFrame, plan: SweepPlan) -> pd.DataFrame:
    """sweep.md's points: the long table's rows that ran, a column each for the varied values,
    the target, its measured mean and 95% CI in its unit, P(met), verdict and optimiser bound
    (and what the point built, when the sweep built the plan)."""
    ok = long[long["status"] == "ok"]
    table = ok[["point", *(p.path for p in plan.design.params), "target"]].copy()
    table["measured"] = [f"{_fmt(m, 4)} {u}".strip() for m, u in zip(ok["mean"], ok["unit"].fillna(""))]
    table["95% CI"] = [f"{_fmt(lo, 4)} – {_fmt(hi, 4)}" for lo, hi in zip(ok["ci_lo"], ok["ci_hi"])]
    table["P(met)"] = [f"{p:.0%}" if p == p else "—" for p in ok["p_met"].astype(float)]
    table["verdict"] = ok["verdict"]
    table["optimiser bound"] = ok["optimiser_bound"]
    if plan.with_plan and "plan.built" in ok:
        table["built"] = ok["plan.built"]
    return table.rename(columns={p.path: f"{p.path} ({p.unit})" for p in plan.design.params if p.unit})


def markdown(long: pd.DataFrame, plan: SweepPlan, level: float, found: list[Crossing],
             fronts: dict[str, pd.DataFrame], indices: list[Sensitivity], pictures: dict[str, bytes],
             rows: int, failed: int) -> str:
    """sweep.md: what was simulated and the findings first, then the pictures, then the long table."""
    d = plan.design
    how = ("with the optimiser's plan built at each point (`--replan`)" if plan.with_plan else
           "each point simulated as written (the optimiser's plan not built)")
    lines = [f"# Sweep of {plan.name}, {how}", "",
             f"Design **{d.name}**, {rows} points ({failed} failed), seed {plan.seed} (common random numbers: "
             f"every point uses it), replications {plan.replications or 'as the scenario'}; "
             f"level {level:.0%}.", "", "Varied:", ""]
    lines += [f"- `{p.path}` = `{p.spec}`" for p in d.params]
    lines += [f"- base override `{o}`" for o in plan.base]
    lines += ["", "Targets: " + ", ".join(f"`{t}` ({v})" for t, v in plan.targets.items()), "", "## Findings", ""]
    lines += [f"- {c.text}" for c in found] or ["- no numeric parameter to read a threshold from"]
    for tid, table in fronts.items():
        lines += ["", f"### {tid}: what meets {level:.0%}", "", *_md_table(table)]
    if indices:
        lines += ["", "## Sensitivity", ""]
        for s in indices:
            if s.indices is None:
                lines.append(f"- `{s.output}`: {s.note}")
                continue
            table = pd.DataFrame([{"parameter": p, **r} for p, r in s.indices.items()])
            lines += [f"`{s.output}`", "", *_md_table(table), ""]
    for name in pictures:
        lines += ["", f"![{name}]({name})"]
    table = points_table(long, plan)
    lines += ["", "## Points", "", "One row per point and target: the measured value (mean and 95% CI across "
              "replications), the probability the target is met, and the optimiser's bound on the network "
              "simulated.", ""]
    if len(table) > MAX_MD_ROWS:
        lines += [f"The first {MAX_MD_ROWS} of {len(table)} rows; all of them are in sweep.csv and sweep.parquet.",
                  ""]
    lines += _md_table(table.head(MAX_MD_ROWS))
    errors = long[long["status"] != "ok"].drop_duplicates("point")[["point", "error"]].head(50)
    if not errors.empty:
        lines += ["", "## Failed points", "", *_md_table(errors)]
    return "\n".join(lines) + "\n"


def to_html(md: str, pictures: dict[str, bytes], title: str) -> str:
    """A self-contained page from sweep.md (tables, lists, headings; pictures inline)."""
    e = html.escape
    body: list[str] = []
    rows: list[str] = []

    def inline(text: str) -> str:
        text = e(text)
        parts = text.split("`")
        text = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
        parts = text.split("**")
        return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))

    def close_table() -> None:
        if rows:
            body.append("<table>" + "".join(rows) + "</table>")
            rows.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-"}:
                continue
            tag = "th" if not rows else "td"
            rows.append("<tr>" + "".join(f"<{tag}>{inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        close_table()
        if line.startswith("!["):
            name = line[line.index("(") + 1:-1]
            if name in pictures:
                body.append(page.image(pictures[name], name))
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<li>{inline(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    close_table()
    return page.page(title, body)


def write_threshold(result: Threshold) -> None:
    """find.json and find.md for a threshold search, in its folder (as `Threshold` words them)."""
    write_text(result.folder / "find.json", json.dumps(result.document(), indent=1))
    write_text(result.folder / "find.md", result.markdown())
