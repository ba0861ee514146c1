"""The report folder, written from the report document: `report.json`, `report.md`, `report.html`,
CSV tables, the resolved scenario, a manifest, the plan, the map and the plots; and the terminal
tables `corridor run` and `corridor optimise` print.

Every number a page shows is `fmt` of a number in report.json (a test reads the Markdown back).

Pictures. The map and the plots (with matplotlib's import) are about a third of the CPU of
`corridor run baseline-2023 -r 10`. `drawing` draws them in one worker process forked when the
report's data is final (it inherits the job: nothing is pickled but the PNG bytes coming back)
while this process writes the other files and the data for notebooks; `write_report` waits for
them before report.html, so they land in the staged folder before it is swapped in. That frees
this process, not the machine: the worker spends what drawing here would, and a little more.
Where processes are not forked (spawn, forkserver) they are drawn here. Without pictures
(`corridor run --no-plots`) nothing is drawn or imported for them, report.html says they were
skipped and manifest.json has `"plots": false`, which `corridor rerun` repeats.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.markup import escape as rich_escape
from rich.table import Table

from sim.io import write_bytes, write_text
from sim.report import page
from sim.report.document import FirmSupplyRow, Gap, ReportDocument, RunInfo, TargetRow, as_document, version

if TYPE_CHECKING:
    from sim.optimiser.result import OptimiseResult
    from sim.scenario.schema import Scenario
    from sim.simulate import SimulationResult

PACKAGES = ("simpy", "networkx", "numpy", "scipy", "pulp", "highspy", "pydantic", "pint", "pandas",
            "matplotlib")
CAPTIONS = {
    "targets.png": "Targets: simulated mean with its 95% interval, and the optimiser's maximum.",
    "map.png": ("The corridor on Natural Earth's map: links coloured by simulated utilisation, width by capacity; "
                "the optimiser's binding rows outlined, the simulation's bottleneck in red."),
    "gap.png": "What the steady-state optimiser promises against what the simulation delivers.",
    "queues.png": "Queues at ports and crossings over the year.",
    "closures.png": "Port closures by day: the share of each day each port was closed, averaged over replications.",
    "storage.png": "Oil storage levels over the year.",
    "power.png": "Delivered power against each target, with the outages of that target's own links shaded.",
    "data.png": "Delivered data capacity against each target, with the outages of that target's own links shaded.",
    "transit.png": "Transit days per flow.",
}


def fmt(x: float | None, digits: int = 3) -> str:
    """One number as the report prints it (the Markdown test reads numbers back through this)."""
    if x is None:
        return "—"
    return f"{x:.{digits}g}" if abs(x) < 1e6 else f"{x:.4g}"


def run_start(r: RunInfo) -> str:
    """How the simulated year began: after a spin-up before 1 January, or empty on 1 January,
    and the warm-up not measured after it."""
    if r.spinup_days > 0:
        return (f"spin-up {fmt(r.spinup_days)} d before 1 January (previous year's demand where given), "
                f"warm-up {fmt(r.warmup_days)} d")
    return f"starts empty on 1 January, warm-up {fmt(r.warmup_days)} d"


def binding(t: TargetRow) -> str:
    """What binds a target in the optimiser: links, then nodes and fleets (marked as such)."""
    opt = t.optimised
    names = opt.binding + [f"node {n}" for n in opt.binding_nodes] + [f"fleet {f}" for f in opt.binding_fleets]
    return ", ".join(names) or "—"


def plan_note(doc: ReportDocument) -> str:
    """How the simulated network came about, for a report's first line: empty when the scenario
    ran as written, else the optimiser's plan and what it built."""
    if not doc.plan_applied:
        return ""
    if not doc.built:
        return "with the optimiser's plan (nothing to build)"
    return "with the optimiser's plan: " + ", ".join(f"+{e.id} {fmt(e.amount)} {e.unit}" for e in doc.built)


def headline(doc: ReportDocument) -> str:
    """A report's title: the scenario and year, then the plan built before simulating, if any."""
    note = plan_note(doc)
    return f"{doc.scenario.name} ({doc.scenario.year})" + (f", {note}" if note else "")


def plan_built(doc: ReportDocument) -> str:
    """Whether the expansion plan below was built for the simulation, as report.md says it."""
    if doc.plan_applied:
        return "Built before simulating (`--with-plan`)."
    return "Not built: the simulation ran on the scenario as written (`corridor run --with-plan` builds it)."


def bottlenecks_markdown(doc: ReportDocument) -> list[str]:
    """Both sides' bottlenecks: the simulation's busiest resources, the optimiser's binding rows."""
    b = doc.bottlenecks
    if b is None:
        return []
    lines = ["", "## Bottlenecks", "", "The simulation's resources by utilisation x mean wait (vessels at "
             "berths; consignments at links and crossings; cargo at a fleet's loading quays while its "
             "vessels work):", ""]
    lines += page.markdown_table(["resource", "utilisation", "mean wait (h)", "score"],
                                 [[r.words, fmt(r.utilisation), fmt(r.wait_h), fmt(r.score)] for r in b.simulation])
    lines += ["", "The optimiser's rows that stop each target's flows growing at their mix, with what one more "
              "unit adds and the plan's shadow price:", ""]
    lines += page.markdown_table(["target", "capacity", "one more adds", "shadow price"],
                                 [[o.target, o.words, f"{fmt(o.marginal)} {o.marginal_unit}",
                                   f"{fmt(o.shadow_price)} {o.shadow_unit}" if o.shadow_price is not None else "—"]
                                  for o in b.optimiser])
    return lines


def _interval(ci95: list[float] | None) -> str:
    lo, hi = ci95 or (None, None)
    return f"{fmt(lo)} – {fmt(hi)}"


VERDICT_RULE = ("A target is met when at least the share P required of the replications reach its figure less "
                "the tolerance; at risk when the mean does but fewer replications; not met otherwise. P(met) is "
                "the share that reach it, with its Wilson 95% interval.")
VERDICT_HEAD = ["target", "unit", "figure", "tolerance", "measured", "value", "95% CI", "P(met)", "P(met) 95% CI",
                "P required", "optimiser max", "binding", "verdict"]


def percent(x: float | None) -> str:
    """A share as a percentage, three significant digits (0.95 -> 95%)."""
    return "—" if x is None else f"{100 * x:.3g}%"


def measured(t: TargetRow) -> str:
    """What a target's value is: the simulated mean of its delivered rate, for a firm target
    the mean capacity sustained in its share of hours, for a transmission target the capacity its
    paths carry in its share of hours, for an energy target the energy a year delivered."""
    if t.measure in ("firm", "transmission") and t.share_of_time is not None:
        return f"{t.measure} at {percent(t.share_of_time)} of hours"
    return "energy a year" if t.measure == "energy" else "simulated mean"


FRAMING_RULE = ("Each power target judged three ways, by the same rule: transmission (the capacity its paths carry "
                "with unlimited supply, in the share of hours; N-1: the worst single element lost), energy (TWh a "
                "year delivered; utilisation: mean delivered power over the figure; an assumed figure is the "
                "capacity x hours x capacity factor x best path efficiency) and firm (capacity delivered in the "
                "share of hours). The target's own measure gives its verdict above.")
FRAMING_HEAD = ["target", "framing", "unit", "figure", "value", "95% CI", "P(met)", "P(met) 95% CI", "N-1",
                "utilisation", "verdict"]


def framing_cells(t: TargetRow) -> list[list[str]]:
    """A power target's framings as plain-text rows in `FRAMING_HEAD`'s order (none for others)."""
    rows = []
    for name, f in (t.framings or {}).items():
        own = " (own)" if name == t.measure else ""
        rows.append([t.id, name + own, f.unit, fmt(f.value) + (" (assumed)" if f.assumed else ""), fmt(f.mean),
                     _interval(f.ci95), percent(f.p_met), p_met_interval(f.p_met_ci95),
                     "—" if f.n_minus_1 is None else fmt(f.n_minus_1) + ("" if f.n_minus_1_met else " (short)"),
                     percent(f.utilisation), page.VERDICT_TEXT[f.verdict]])
    return rows


def framings_markdown(doc: ReportDocument) -> list[str]:
    """report.md's framings of the power targets (nothing when there are none)."""
    rows = [r for t in doc.targets for r in framing_cells(t)]
    if not rows:
        return []
    return ["", "### Power targets: transmission, energy, firm", "", FRAMING_RULE, "",
            *page.markdown_table(FRAMING_HEAD, rows)]


def framings_html(doc: ReportDocument) -> list[str]:
    """report.html's framings of the power targets, verdicts coloured (nothing when there are none)."""
    rows = [[escape(c) for c in r[:-1]] + [page.verdict(f.verdict)]
            for t in doc.targets for r, f in zip(framing_cells(t), (t.framings or {}).values())]
    if not rows:
        return []
    return ["<h3>Power targets: transmission, energy, firm</h3>", f"<p class=meta>{escape(FRAMING_RULE)}</p>",
            page.table(FRAMING_HEAD, rows, frozenset({3, 4, 5, 6, 7, 8, 9}))]


def p_met_interval(ci: list[float] | None) -> str:
    """P(met)'s Wilson 95% interval (a dash in reports written before it)."""
    return f"{100 * ci[0]:.0f}–{100 * ci[1]:.0f}%" if ci else "—"


def verdict_cells(t: TargetRow) -> list[str]:
    """A target's verdict row as plain text, in `VERDICT_HEAD`'s order."""
    return [t.id, t.unit, fmt(t.target), percent(t.tolerance), measured(t), fmt(t.simulated.mean),
            _interval(t.simulated.ci95), percent(t.simulated.p_met), p_met_interval(t.simulated.p_met_ci95),
            percent(t.probability), fmt(t.optimised.max_deliverable), binding(t), page.VERDICT_TEXT[t.judged]]


def markdown(doc: ReportDocument) -> str:
    """report.md: the verdict first, then the evidence."""
    s, r = doc.scenario, doc.run
    lines = [f"# {headline(doc)}", "", s.description, "",
             f"Seed {r.seed}, {r.replications} replications of {fmt(r.horizon_days)} days "
             f"({run_start(r)}); solver {r.solver}; scenario sha256 `{s.sha256[:12]}`.",
             *(["", doc.bottlenecks.headline] if doc.bottlenecks else []),
             "", "## Targets", "", VERDICT_RULE, ""]
    lines += page.markdown_table(VERDICT_HEAD, [verdict_cells(t) for t in doc.targets])
    lines += framings_markdown(doc)
    lines += gaps_markdown(doc)
    lines += bottlenecks_markdown(doc)
    lines += ["", "## Flows", ""]
    lines += page.markdown_table(
        ["flow", "unit", "demand", "delivered", "95% CI", "transit days (mean / p95)"],
        [[f.id, f.unit, fmt(f.demand), fmt(f.delivered.mean if f.delivered else None),
          _interval(f.delivered.ci95 if f.delivered else None),
          f"{fmt((f.transit_days or {}).get('mean'))} / {fmt((f.transit_days or {}).get('p95'))}"]
         for f in doc.flows])
    lines += ["", "## Links", ""]
    lines += page.markdown_table(
        ["link", "carrier", "nameplate", "firm", "utilisation", "availability"],
        [[l.id, l.carrier, f"{fmt(l.nameplate)} {l.unit}", fmt(l.firm), fmt(l.utilisation), fmt(l.availability)]
         for l in doc.links])
    if doc.passages:
        lines += ["", "## Passages", "", "Days from reaching one route node to reaching another "
                  "(a split consignment reaches a node when its last part does).", ""]
        lines += page.markdown_table(
            ["from", "to", "mean", "p50", "p95", "consignments"],
            [[p.from_, p.to, fmt(p.days.mean), fmt(p.days.p50), fmt(p.days.p95), fmt(p.n)]
             for p in sorted(doc.passages, key=lambda p: (p.from_, p.to))])
    lines += port_months_markdown(doc)
    plan = doc.plan
    if plan.made:
        lines += ["", "## Expansion plan", "", f"Feasible: {plan.feasible}; annual cost {fmt(plan.cost)} MUSD/yr. "
                  f"{plan_built(doc)}", ""]
        lines += [f"- {e.id}: {fmt(e.amount)} {e.unit} at {fmt(e.cost)} MUSD/yr" for e in plan.expansions]
    lines += firm_markdown(doc)
    lines += ["", "## Sources behind the verdicts", ""]
    lines += [f"- `{sid}`: {text}" for sid, text in doc.sources.items()]
    return "\n".join(lines) + "\n"


def firm_text() -> str:
    """The firm power section's opening, with the shortfall cost the LP used (`sim.optimiser.firm`
    is imported here: `corridor compare` imports this module and no optimiser)."""
    from sim.optimiser.firm import VOLL

    return ("What makes each power target firm, cheapest: the expansions an hourly LP over one weather year "
            "builds (`sim.optimiser.firm`; the exempt hours are those the system as written falls furthest short "
            f"in, a shortfall costs {VOLL:,.0f} USD/MWh), then the plan built and the power flows simulated over "
            "the run's replications, judged in the firm framing.")


FIRM_HEAD = ["target", "figure", "built", "MUSD/yr (investment + fuel)", "short in the LP year", "simulated firm",
             "P(met)", "verdict"]


def firm_cells(row: FirmSupplyRow) -> list[str]:
    built = ", ".join(f"{k} {fmt(v)} GW" for k, v in row.built.items()) or "nothing"
    short = (f"{fmt(row.short_gwh_yr)} GWh in {row.short_hours} h" if row.short_hours else "none") \
        if row.status == "optimal" else row.status
    sim = row.simulated
    return [row.target, f"{fmt(row.figure)} {row.unit} in {percent(row.share_of_time)} of hours", built,
            f"{fmt(row.cost_musd_yr)} ({fmt(row.investment_musd_yr)} + {fmt(row.fuel_musd_yr)})", short,
            f"{fmt(sim.firm_mean)} {row.unit}", f"{sim.p_met:.2f} [{sim.p_met_ci95[0]:.2f}, {sim.p_met_ci95[1]:.2f}]",
            sim.verdict]


def firm_markdown(doc: ReportDocument) -> list[str]:
    if not doc.firm_supply:
        return []
    return ["", "## Firm power", "", firm_text(), "",
            *page.markdown_table(FIRM_HEAD, [firm_cells(r) for r in doc.firm_supply])]


def firm_html(doc: ReportDocument) -> list[str]:
    if not doc.firm_supply:
        return []
    rows = [[escape(c) for c in firm_cells(r)] for r in doc.firm_supply]
    return ["<h2>Firm power</h2>", f"<p>{escape(firm_text().replace('`', ''))}</p>",
            page.table(FIRM_HEAD, rows, frozenset({3, 5}))]


GAP_TEXT = ("Each target's gap between the optimiser's bound and the simulated mean, split into causes by "
            "counterfactual runs with common random numbers (every cause present switched off in every "
            "combination), shared by Shapley values; the residual is what no listed cause explains (the "
            "bound's steady-state simplifications; negative where the bound already counts a cause, as it "
            "does availability and losses). Each cause's cost is a mean with its 95% interval across "
            "replications; bound - causes - residual = simulated.")


def gap_table(gaps: Mapping[str, Gap], compact: bool = False) -> tuple[list[str], list[list[str]]]:
    """The gap table's head and rows, one row per target: bound, each cause's cost with its 95%
    interval (`compact`: mean ± half-width), residual, simulated mean."""
    from sim.attribution import CAUSES, LABELS

    def cost(g: Gap, c: str) -> str:
        if c not in g.causes:
            return "—"
        lo, hi = g.causes_ci95.get(c) or (g.causes[c], g.causes[c])
        return f"{fmt(g.causes[c])} ±{fmt((hi - lo) / 2)}" if compact else f"{fmt(g.causes[c])} ({_interval([lo, hi])})"

    causes = sorted({c for g in gaps.values() for c in g.causes}, key=CAUSES.index)
    head = ["target", "unit", "bound", *(LABELS[c] for c in causes), "residual", "simulated"]
    rows = [[tid, g.unit, fmt(g.bound), *(cost(g, c) for c in causes), fmt(g.residual), fmt(g.simulated)]
            for tid, g in gaps.items()]
    return head, rows


def gap_section(gaps: Mapping[str, Gap]) -> list[str]:
    """The gap section's Markdown body (report.md and gaps.md): what it is, then the table."""
    some = next(iter(gaps.values()))
    head, rows = gap_table(gaps)
    return [GAP_TEXT, "", f"{some.replications} replications per combination of causes, seed {some.seed}; "
            f"{some.coalitions} combinations.", "", *page.markdown_table(head, rows)]


def gaps_markdown(doc: ReportDocument) -> list[str]:
    """report.md's gap section (nothing unless the run was asked for `--gaps`)."""
    gaps = {t.id: t.gap for t in doc.targets if t.gap is not None}
    if not gaps:
        return []
    return ["", "## Gaps: from the optimiser's bound to the simulation", "", *gap_section(gaps)]


def gaps_html(doc: ReportDocument, pictures: Mapping[str, bytes]) -> list[str]:
    """report.html's gap section: the table and each target's waterfall (`gap-<target>.png`)."""
    gaps = {t.id: t.gap for t in doc.targets if t.gap is not None}
    if not gaps:
        return []
    head, rows = gap_table(gaps)
    return ["<h2>Gaps: from the optimiser's bound to the simulation</h2>", f"<p>{escape(GAP_TEXT)}</p>",
            page.table(head, [[escape(c) for c in r] for r in rows], frozenset(range(2, len(head)))),
            *(page.figure(pictures[n], f"{tid}: bound, what each cause costs, residual, simulated.")
              for tid in gaps if (n := f"gap-{tid}.png") in pictures)]


def gap_manifest(doc: ReportDocument) -> dict[str, int]:
    """manifest.json's `gaps` (replications per combination of causes) when the run had `--gaps`,
    so `corridor rerun` repeats the attribution."""
    n = next((t.gap.replications for t in doc.targets if t.gap is not None), None)
    return {} if n is None else {"gaps": n}


def gaps_console_table(title: str, gaps: Mapping[str, Gap]) -> Table:
    """The terminal table `corridor gaps` prints."""
    head, rows = gap_table(gaps, compact=True)
    table = Table(*head, title=title, box=None)
    for row in rows:
        table.add_row(*(rich_escape(c) for c in row))
    return table


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def port_months_markdown(doc: ReportDocument) -> list[str]:
    """report.md's monthly port table (nothing when no port counts its ship traffic)."""
    if not doc.port_months:
        return []
    lines = ["", "## Ports by month", "",
             "Tonnes unloaded (in) and loaded (out) and vessel calls in each calendar month, corridor "
             "and background traffic together, counted over the month's days in the measured period "
             "(months it does not reach are left out); mean and 95% CI across replications.", ""]
    lines += page.markdown_table(
        ["port", "month", "days measured", "tonnes in", "95% CI", "tonnes out", "95% CI", "calls", "95% CI"],
        [[r.port, MONTHS[r.month - 1], fmt(r.measured_days), fmt(r.tonnes_in.mean), _interval(r.tonnes_in.ci95),
          fmt(r.tonnes_out.mean), _interval(r.tonnes_out.ci95), fmt(r.calls.mean), _interval(r.calls.ci95)]
         for r in doc.port_months if r.measured_days > 0])
    return lines


PLOTS_SKIPPED = "Pictures skipped (corridor run --no-plots): this page has the tables only."


def html_report(doc: ReportDocument, pictures: Mapping[str, bytes], *, plots: bool = True) -> str:
    """report.html: one self-contained page (pictures inline), verdict first, evidence after;
    without `plots`, a line saying the pictures were skipped."""
    s, r = doc.scenario, doc.run

    def pictured(*names: str) -> list[str]:
        return [page.figure(pictures[n], CAPTIONS.get(n, n)) for n in names if n in pictures]

    target_rows = [[escape(c) for c in verdict_cells(t)[:-1]] + [page.verdict(t.judged)] for t in doc.targets]
    flow_rows = [[escape(f.id), escape(f.unit), fmt(f.demand), fmt(f.delivered.mean if f.delivered else None),
                  fmt((f.transit_days or {}).get("mean")), fmt((f.transit_days or {}).get("p95"))]
                 for f in doc.flows]
    link_rows = [[escape(l.id), escape(l.carrier), f"{fmt(l.nameplate)} {escape(l.unit)}", fmt(l.firm),
                  fmt(l.utilisation), fmt(l.availability)] for l in doc.links]
    parts = [
        f"<h1>{escape(headline(doc))}</h1><p>{escape(s.description)}</p>",
        f"<p class=meta>Seed {r.seed} · {r.replications} replications · {fmt(r.horizon_days)} days "
        f"({escape(run_start(r))}) · solver {escape(str(r.solver))} · scenario sha256 "
        f"<code>{s.sha256[:12]}</code> · corridor {escape(r.version)}</p>",
        *([] if plots else [f"<p class=meta>{escape(PLOTS_SKIPPED)}</p>"]),
        "<h2>Verdict</h2>", f"<p class=meta>{escape(VERDICT_RULE)}</p>",
        page.table(VERDICT_HEAD, target_rows, frozenset({2, 3, 5, 6, 7, 8, 9, 10})), *framings_html(doc),
        *pictured("targets.png", "gap.png"), *gaps_html(doc, pictures),
        "<h2>The corridor</h2>", *pictured("map.png"),
        "<h2>Over the year</h2>", *pictured("queues.png", "closures.png", "storage.png", "power.png", "data.png"),
        "<h2>Flows</h2>", page.table(["flow", "unit", "demand", "delivered", "transit days", "p95"], flow_rows,
                                     frozenset({2, 3, 4, 5})), *pictured("transit.png"),
        "<h2>Links</h2>", page.table(["link", "carrier", "nameplate", "firm", "utilisation", "availability"],
                                     link_rows, frozenset({2, 3, 4, 5})),
    ]
    plan = doc.plan
    if plan.made:
        plan_rows = [[escape(x.id), f"{fmt(x.amount)} {escape(x.unit)}", fmt(x.cost)] for x in plan.expansions]
        parts += [f"<h2>Expansion plan</h2><p>Feasible: {plan.feasible}; annual cost {fmt(plan.cost)} MUSD/yr. "
                  f"{escape(plan_built(doc).replace('`', ''))}</p>",
                  page.table(["expansion", "amount", "MUSD/yr"], plan_rows, frozenset({1, 2}))]
    parts += firm_html(doc)
    source_rows = [[page.source_link(k, v), page.linked(v)] for k, v in doc.sources.items()]
    parts += ["<h2>Sources behind the verdicts</h2>", page.table(["source", "what"], source_rows),
              "<p class=meta>Every figure traces to scenario.resolved.yaml beside this page.</p>"]
    return page.page(f"{s.name}: corridor report", parts)


def summary_table(data: ReportDocument | Mapping[str, Any]) -> Table:
    """The terminal summary printed by `corridor run`."""
    doc = as_document(data)
    note = plan_note(doc)
    framed = any(t.framings for t in doc.targets)
    table = Table("target", "figure", "tolerance", "measured", "value", "95% CI", "P(met) [95% CI]", "P required",
                  "optimiser max", "binding", "verdict", *(["other framings"] if framed else []),
                  title=f"{doc.scenario.name}: {doc.run.replications} replications"
                        + (f", {note}" if note else ", as written"))
    colour = {"met": "green", "at risk": "yellow", "not met": "red"}
    for t in doc.targets:
        c = verdict_cells(t)
        ci = p_met_interval(t.simulated.p_met_ci95)
        table.add_row(*(rich_escape(x) for x in (t.id, f"{c[2]} {t.unit}", c[3], c[4], c[5], c[6],
                                                   c[7] + (f" [{ci}]" if ci != "—" else ""), c[9], c[10], c[11])),
                      f"[{colour[t.judged]}]{page.VERDICT_TEXT[t.judged]}[/]",
                      *([other_framings(t, colour)] if framed else []))
    return table


def other_framings(t: TargetRow, colour: Mapping[str, str]) -> str:
    """A power target's framings other than its own measure, for the terminal: each one's mean of
    its figure and verdict (rich markup)."""
    return "\n".join(f"{name} {fmt(f.mean)}/{fmt(f.value)} {rich_escape(f.unit)}: "
                     f"[{colour[f.verdict]}]{page.VERDICT_TEXT[f.verdict]}[/]"
                     for name, f in (t.framings or {}).items() if name != t.measure)


def optimise_table(scenario: Scenario, result: OptimiseResult) -> Group:
    """The terminal summary printed by `corridor optimise`: bounds, what binds, the plan, N-1."""
    doc = result.to_dict()
    plan = doc.get("plan", {})
    n1 = plan.get("n_minus_1", {})
    table = Table("target", "figure", "max now", "max together", "max with plan", "headroom", "binding (one more adds)",
                  "N-1 worst loss", title=f"{scenario.name}: optimiser ({doc.get('solver')}, {doc.get('status')})")
    for tid, t in scenario.targets.items():
        o = doc.get("targets", {}).get(tid, {})
        worst = n1.get("targets", {}).get(tid)
        result_t = result.targets.get(tid)
        growth = o.get("growth")
        table.add_row(tid, f"{fmt(t.value.value)} {t.value.unit}", fmt(o.get("max_alone")),
                      fmt(o.get("max_together")), fmt(o.get("max_with_plan")),
                      "—" if growth is None else f"x{fmt(growth)}",
                      (result_t.bottleneck() if result_t is not None else "") or "—",
                      f"{worst['link']}: keeps {worst['share_kept']:.0%}" if worst and worst.get("link") else "—")
    lines: list[RenderableType] = [table, f"Plan: {'feasible' if plan.get('feasible') else 'NOT feasible'}, "
                                          f"{fmt(plan.get('cost'))} MUSD/yr"]
    for e in plan.get("expansions", []):
        lines.append(f"  + {e['id']}: {fmt(e['amount'])} {e.get('unit', '')} ({fmt(e.get('cost'))} MUSD/yr)")
    for tid, short in (plan.get("shortfalls") or {}).items():
        lines.append(f"  short: {tid} by {fmt(short)}")
    if n1:
        lines.append(f"N-1 at {n1.get('required_share', 0):.0%} of each target: "
                     f"{'secure' if n1.get('secure') else 'NOT secure'}")
    return Group(*lines)


def _flat(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested record as one CSV row: `a.b` keys, a CI as `.lo`/`.hi`, other lists joined by `;`."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif k == "ci95" and isinstance(v, list) and len(v) == 2 and isinstance(v[0], (int, float)):
            out[key + ".lo"], out[key + ".hi"] = v
        elif isinstance(v, list):
            out[key] = ";".join(map(str, v))
        else:
            out[key] = v
    return out


def csv_table(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV; the columns are every key of every row, in order of first appearance."""
    if not rows:
        return ""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def manifest(doc: ReportDocument, *, plots: bool = True) -> dict[str, Any]:
    """manifest.json: what ran this report (versions, platform, seed, command line; `plots`:
    false when the pictures were skipped)."""
    return {
        "corridor": doc.run.version, "python": sys.version.split()[0],
        "platform": platform.platform(), "machine": platform.machine(),
        "packages": {p: version(p) for p in PACKAGES},
        "solver": doc.run.solver, "seed": doc.run.seed,
        "replications": doc.run.replications, "with_plan": doc.plan_applied, "wall_s": doc.run.wall_s,
        "argv": sys.argv,
    } | gap_manifest(doc) | ({} if plots else {"plots": False})


Pictures = Callable[[], Mapping[str, bytes]]  # waits for pictures drawn elsewhere (`drawing`)


@dataclass(frozen=True)
class PictureJob:
    """What a report's pictures are drawn from: the document, the scenario simulated (the map's
    network) and the simulation (the plots)."""

    doc: ReportDocument
    planned: Scenario
    result: SimulationResult
    title: str

    def draw(self) -> dict[str, bytes]:
        """Every picture of the report as PNG bytes, by file name: the map, then the plots."""
        from sim.network import build_network
        from sim.report.maps import draw_report_map
        from sim.report.plots import all_plots

        pictures = {"map.png": draw_report_map(build_network(self.planned), self.doc, title=self.title)}
        pictures.update(all_plots(self.doc, self.result))
        return pictures


def picture_job(data: ReportDocument | Mapping[str, Any], *, scenario: Scenario, planned: Scenario,
                result: SimulationResult) -> PictureJob:
    """The pictures of one run's report."""
    return PictureJob(as_document(data), planned, result,
                      f"{scenario.name}: simulated utilisation, binding rows, bottleneck")


_HELD: list[PictureJob] = []  # in a picture worker: the job it inherited


def _hold(job: PictureJob) -> None:
    _HELD.append(job)


def _draw_held(_: int) -> dict[str, bytes]:
    return _HELD[0].draw()


@contextmanager
def drawing(job: PictureJob) -> Iterator[Pictures]:
    """Start drawing `job`'s pictures in a worker process forked now, and yield the function that
    waits for them; the caller writes its other files meanwhile. Where processes are not forked,
    the function draws them here. The worker is stopped if the block is left by an error."""
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":
        yield job.draw
        return
    from sim.processes import process_pool

    with process_pool(1, _hold, (job,)) as worker:
        done = worker.imap_unordered(_draw_held, [0])
        yield lambda: next(done)


def write_report(folder: Path, data: ReportDocument | Mapping[str, Any], *, scenario: Scenario,
                 planned: Scenario, plan: OptimiseResult, result: SimulationResult, resolved: str,
                 plots: bool = True, pictures: Pictures | None = None) -> None:
    """Write every file of the report folder (the caller stages the folder atomically). The
    pictures are drawn here, or waited for (`pictures`, from `drawing`) once the other files are
    written; without `plots`, none (report.html says so)."""
    from sim.optimiser.optimise import write_plan

    doc = as_document(data)
    report = doc.to_json()
    write_text(folder / "report.json", json.dumps(report, indent=2))
    write_text(folder / "report.md", markdown(doc))
    write_text(folder / "scenario.resolved.yaml", resolved)
    write_text(folder / "manifest.json", json.dumps(manifest(doc, plots=plots), indent=2))
    write_text(folder / "targets.csv", csv_table([{k: v for k, v in _flat(t).items() if k != "simulated.replications"}
                                                  for t in report["targets"]]))
    write_text(folder / "links.csv", csv_table([_flat(l) for l in report["links"]]))
    write_text(folder / "flows.csv", csv_table([_flat(f) for f in report["flows"]]))
    write_text(folder / "passages.csv", csv_table([_flat(p) for p in report.get("passages", [])]))
    write_text(folder / "port_months.csv", csv_table([_flat(r) for r in report.get("port_months", [])]))
    write_plan(plan, folder)
    drawn: Mapping[str, bytes] = {}
    if plots and pictures is not None:
        drawn = pictures()
    elif plots:
        drawn = picture_job(doc, scenario=scenario, planned=planned, result=result).draw()
    for name, png in drawn.items():
        write_bytes(folder / name, png)
    write_text(folder / "report.html", html_report(doc, drawn, plots=plots))
