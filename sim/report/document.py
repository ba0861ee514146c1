"""The report folder: `report.json` (the machine contract), `report.md`, CSV tables, the resolved
scenario, a manifest and a utilisation map. Every figure comes from the run's results; the
sources behind each target's verdict are listed beside it.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.table import Table

from sim.scenario import sources
from sim import targets as judge
from sim.io import write_bytes, write_text
from sim.report.plots import all_plots
from sim.network import build_network
from sim.scenario.schema import Scenario, figures

SCHEMA_VERSION = "1.0"
PACKAGES = ("simpy", "networkx", "numpy", "scipy", "pulp", "highspy", "pydantic", "pint", "pandas",
            "matplotlib")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def target_sources(scenario: Scenario, tid: str) -> list[str]:
    """Source ids of every figure behind a target: its value, its flows, and the links, nodes,
    fleets and weather those flows can use."""
    target = scenario.targets[tid]
    flows = [scenario.flows[f] for f in target.flows]
    nodes: set[str] = set()
    links: set[str] = set()
    for flow in flows:
        paths = [r.path for r in (flow.routes or {}).values()]
        if paths:
            for path in paths:
                nodes.update(path)
                links.update(lid for lid, l in scenario.links.items()
                             if l.carrier == flow.carrier and any(
                                 (l.from_, l.to) == pair for pair in zip(path, path[1:])))
        else:
            links.update(lid for lid, l in scenario.links.items() if l.carrier == flow.carrier)
            nodes.update(n for lid in links for n in (scenario.links[lid].from_, scenario.links[lid].to))
    fleets = {scenario.links[l].fleet for l in links if scenario.links[l].fleet}
    weather = {w for w, spec in scenario.weather.items() if nodes & set(spec.nodes)}
    wanted = ({("targets", tid)} | {("flows", f) for f in target.flows} | {("links", l) for l in links}
              | {("nodes", n) for n in nodes} | {("fleets", f) for f in fleets}
              | {("weather", w) for w in weather} | {("payload",)})
    found = []
    for path, fig in figures(scenario):
        if fig.source and (path[:2] in wanted or path[:1] in wanted) and fig.source not in found:
            found.append(fig.source)
    return found


def build_report(scenario: Scenario, planned: Scenario, plan: Any, result: Any, meta: dict[str, Any]) -> dict[str, Any]:
    """The report.json document for one run."""
    plan_doc = plan.to_dict()
    opt_targets = plan_doc.get("targets", {})
    sim_cfg = planned.simulation
    net = build_network(planned)
    targets = []
    for tid, t in scenario.targets.items():
        sim_t = result.target(tid)
        opt_t = opt_targets.get(tid, {})
        targets.append({
            "id": tid, "carrier": t.carrier, "unit": t.value.unit, "target": t.value.value,
            "measure": t.measure, "description": t.description,
            "share_of_time": t.share_of_time.value if t.measure == "firm" else None,
            "tolerance": t.tolerance.value,
            "simulated": {"mean": sim_t["mean"], "ci95": sim_t["ci95"], "p_met": sim_t["p_met"],
                          "replications": sim_t["values"]},
            # The simulation runs with the plan built, so the bound beside it is the planned one.
            "optimised": {"max_deliverable": opt_t.get("max_with_plan", opt_t.get("max_deliverable")),
                          "max_existing": opt_t.get("max_alone"),
                          "max_together": opt_t.get("max_together"),
                          "binding": opt_t.get("binding_with_plan", opt_t.get("binding", [])),
                          "binding_nodes": opt_t.get("binding_nodes_with_plan", opt_t.get("binding_nodes", [])),
                          "binding_fleets": opt_t.get("binding_fleets", [])},
            "met": judge.met(t, sim_t["mean"]),
            "sources": target_sources(scenario, tid),
        })
    link_stats = result.table_means("links")
    links = []
    for lid, view in net.links.items():
        stats = link_stats.get(lid, {})
        links.append({"id": lid, "carrier": view.carrier, "mode": view.mode, "unit": view.unit,
                      "from": view.source, "to": view.target, "nameplate": view.nameplate,
                      "firm": view.firm, "utilisation": stats.get("utilisation"),
                      "availability": stats.get("availability", view.availability),
                      "availability_analytic": view.availability,
                      **{k: v for k, v in stats.items() if k not in ("utilisation", "availability")}})
    flows = []
    for fid, flow in planned.flows.items():
        flows.append({"id": fid, "carrier": flow.carrier, "unit": flow.rate.unit, "origin": flow.origin,
                      "destination": flow.destination, "demand": flow.rate.value, "region": flow.region,
                      **result.flow(fid)})
    cited = sorted({s for t in targets for s in t["sources"]})
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": {"name": scenario.name, "description": scenario.description, "year": scenario.year,
                     **{k: meta[k] for k in ("file", "sha256", "resolved_sha256", "overrides", "files")}},
        "run": {"seed": result.seed, "replications": len(result.replications),
                "horizon_days": sim_cfg.horizon.value / 24, "warmup_days": sim_cfg.warmup.value / 24,
                "precision": result.precision, "precision_reached": result.precision_reached,
                "version": _version("corridor") or "unknown", "simulate_wall_s": result.wall_s,
                "wall_s": meta["wall_s"], "solver": plan_doc.get("solver")},
        "targets": targets,
        "flows": flows,
        "links": links,
        "nodes": [{"id": n, **s} for n, s in result.table_means("nodes").items()],
        "fleets": [{"id": f, **s} for f, s in result.table_means("fleets").items()],
        "plan": plan_doc.get("plan", {}),
        "n_minus_1": plan_doc.get("n_minus_1", {}),
        "shadow_prices": plan_doc.get("shadow_prices", {}),
        "sources": {s: sources.describe(s) for s in cited},
    }


def manifest(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "corridor": data["run"]["version"], "python": sys.version.split()[0],
        "platform": platform.platform(), "machine": platform.machine(),
        "packages": {p: _version(p) for p in PACKAGES},
        "solver": data["run"]["solver"], "seed": data["run"]["seed"],
        "replications": data["run"]["replications"], "wall_s": data["run"]["wall_s"],
        "argv": sys.argv,
    }


def write_report(folder: Path, data: dict[str, Any], *, scenario: Scenario, planned: Scenario, plan: Any,
                 result: Any, resolved: str) -> None:
    """Write every file of the report folder (the caller stages the folder atomically)."""
    from sim.report.maps import draw_map
    from sim.optimiser.optimise import write_plan

    write_text(folder / "report.json", json.dumps(data, indent=2, default=_json_default))
    write_text(folder / "report.md", markdown(data))
    write_text(folder / "scenario.resolved.yaml", resolved)
    write_text(folder / "manifest.json", json.dumps(manifest(data), indent=2))
    write_text(folder / "targets.csv", _csv([{k: v for k, v in _flat(t).items() if k != "simulated.replications"}
                                             for t in data["targets"]]))
    write_text(folder / "links.csv", _csv([_flat(l) for l in data["links"]]))
    write_text(folder / "flows.csv", _csv([_flat(f) for f in data["flows"]]))
    write_plan(plan, folder)
    binding_links = {l for t in data["targets"] for l in t["optimised"]["binding"]}
    utilisation = {l["id"]: l["utilisation"] for l in data["links"] if l["utilisation"] is not None}
    pictures = {"map.png": draw_map(build_network(planned), utilisation=utilisation, binding=binding_links,
                                    title=f"{scenario.name}: simulated utilisation (binding links outlined)")}
    pictures.update(all_plots(data, result))
    for name, png in pictures.items():
        write_bytes(folder / name, png)
    write_text(folder / "report.html", html_report(data, pictures))


def _json_default(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif isinstance(v, list) and v and isinstance(v[0], (int, float)) and len(v) == 2 and k == "ci95":
            out[key + ".lo"], out[key + ".hi"] = v
        elif isinstance(v, list):
            out[key] = ";".join(map(str, v))
        else:
            out[key] = v
    return out


def _csv(rows: list[dict[str, Any]]) -> str:
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


def fmt(x: float | None, digits: int = 3) -> str:
    """One number as the report prints it (the Markdown test reads numbers back through this)."""
    if x is None:
        return "—"
    return f"{x:.{digits}g}" if abs(x) < 1e6 else f"{x:.4g}"


def binding(t: dict[str, Any]) -> str:
    """What binds a target in the optimiser: links, then nodes and fleets (marked as such)."""
    opt = t["optimised"]
    names = list(opt["binding"]) + [f"node {n}" for n in opt.get("binding_nodes", [])] + \
        [f"fleet {f}" for f in opt.get("binding_fleets", [])]
    return ", ".join(names) or "—"


def _verdict(t: dict[str, Any]) -> str:
    return "met" if t["met"] else "NOT met"


def markdown(data: dict[str, Any]) -> str:
    """report.md: the verdict first, then the evidence."""
    s, r = data["scenario"], data["run"]
    lines = [f"# {s['name']} ({s['year']})", "", s["description"], "",
             f"Seed {r['seed']}, {r['replications']} replications of {fmt(r['horizon_days'])} days "
             f"(warm-up {fmt(r['warmup_days'])} days); solver {r['solver']}; scenario sha256 "
             f"`{s['sha256'][:12]}`.", "", "## Targets", "",
             "| target | unit | figure | simulated mean | 95% CI | P(met) | optimiser max | binding | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t in data["targets"]:
        sim_t, opt = t["simulated"], t["optimised"]
        lines.append(f"| {t['id']} | {t['unit']} | {fmt(t['target'])} | {fmt(sim_t['mean'])} | "
                     f"{fmt(sim_t['ci95'][0])} – {fmt(sim_t['ci95'][1])} | {fmt(sim_t['p_met'])} | "
                     f"{fmt(opt['max_deliverable'])} | {binding(t)} | {_verdict(t)} |")
    lines += ["", "## Flows", "", "| flow | unit | demand | delivered | 95% CI | transit days (mean / p95) |",
              "|---|---|---|---|---|---|"]
    for f in data["flows"]:
        d = f.get("delivered", {"mean": None, "ci95": [None, None]})
        td = f.get("transit_days", {})
        lines.append(f"| {f['id']} | {f['unit']} | {fmt(f['demand'])} | {fmt(d['mean'])} | "
                     f"{fmt(d['ci95'][0])} – {fmt(d['ci95'][1])} | {fmt(td.get('mean'))} / {fmt(td.get('p95'))} |")
    lines += ["", "## Links", "", "| link | carrier | nameplate | firm | utilisation | availability |",
              "|---|---|---|---|---|---|"]
    for l in data["links"]:
        lines.append(f"| {l['id']} | {l['carrier']} | {fmt(l['nameplate'])} {l['unit']} | {fmt(l['firm'])} | "
                     f"{fmt(l['utilisation'])} | {fmt(l['availability'])} |")
    plan = data.get("plan") or {}
    if plan:
        lines += ["", "## Expansion plan", "", f"Feasible: {plan.get('feasible')}; annual cost "
                  f"{fmt(plan.get('cost'))} MUSD/yr.", ""]
        for e in plan.get("expansions", []):
            lines.append(f"- {e['id']}: {fmt(e['amount'])} {e.get('unit', '')} at {fmt(e.get('cost'))} MUSD/yr")
    lines += ["", "## Sources behind the verdicts", ""]
    for sid, text in data["sources"].items():
        lines.append(f"- `{sid}`: {text}")
    return "\n".join(lines) + "\n"


def summary_table(data: dict[str, Any]) -> Table:
    """The terminal summary printed by `corridor run`."""
    table = Table("target", "figure", "simulated mean", "95% CI", "P(met)", "optimiser max", "binding",
                  "verdict", title=f"{data['scenario']['name']}: {data['run']['replications']} replications")
    for t in data["targets"]:
        sim_t, opt = t["simulated"], t["optimised"]
        table.add_row(t["id"], f"{fmt(t['target'])} {t['unit']}", fmt(sim_t["mean"]),
                      f"{fmt(sim_t['ci95'][0])} – {fmt(sim_t['ci95'][1])}", f"{sim_t['p_met']:.0%}",
                      fmt(opt["max_deliverable"]), binding(t),
                      "[green]met[/]" if t["met"] else "[red]NOT met[/]")
    return table


def optimise_table(scenario: Scenario, result: Any) -> Any:
    """The terminal summary printed by `corridor optimise`: bounds, what binds, the plan, N-1."""
    from rich.console import Group

    doc = result.to_dict()
    plan = doc.get("plan", {})
    n1 = plan.get("n_minus_1", {})
    table = Table("target", "figure", "max now", "max together", "max with plan", "binding", "N-1 worst loss",
                  title=f"{scenario.name}: optimiser ({doc.get('solver')}, {doc.get('status')})")
    for tid, t in scenario.targets.items():
        o = doc.get("targets", {}).get(tid, {})
        worst = n1.get("targets", {}).get(tid)
        names = list(o.get("binding_with_plan", [])) + [f"node {n}" for n in o.get("binding_nodes_with_plan", [])]
        table.add_row(tid, f"{fmt(t.value.value)} {t.value.unit}", fmt(o.get("max_alone")),
                      fmt(o.get("max_together")), fmt(o.get("max_with_plan")), ", ".join(names) or "—",
                      f"{worst['link']}: keeps {worst['share_kept']:.0%}" if worst and worst.get("link") else "—")
    lines = [table, f"Plan: {'feasible' if plan.get('feasible') else 'NOT feasible'}, "
                    f"{fmt(plan.get('cost'))} MUSD/yr"]
    for e in plan.get("expansions", []):
        lines.append(f"  + {e['id']}: {fmt(e['amount'])} {e.get('unit', '')} ({fmt(e.get('cost'))} MUSD/yr)")
    for tid, short in (plan.get("shortfalls") or {}).items():
        lines.append(f"  short: {tid} by {fmt(short)}")
    if n1:
        lines.append(f"N-1 at {n1.get('required_share', 0):.0%} of each target: "
                     f"{'secure' if n1.get('secure') else 'NOT secure'}")
    return Group(*lines)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:.6em 0}
th,td{border-bottom:1px solid #e5e5e5;padding:.3em .5em;text-align:left}th{background:#f6f6f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}.met{color:#17803d;font-weight:600}
.unmet{color:#c0262d;font-weight:600}img{max-width:100%;height:auto;display:block;margin:.5em 0}
.meta{color:#666;font-size:.85em}@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}
img{page-break-inside:avoid}}
"""
_CAPTIONS = {
    "targets.png": "Targets: simulated mean with its 95% interval, and the optimiser's maximum.",
    "map.png": "The corridor, links coloured by simulated utilisation; binding links outlined.",
    "gap.png": "What the steady-state optimiser promises against what the simulation delivers.",
    "queues.png": "Queues at ports and crossings over the year.",
    "closures.png": "Port closures over the year.",
    "storage.png": "Oil storage levels over the year.",
    "power.png": "Delivered power against the target, with outages shaded.",
    "data.png": "Delivered data capacity against the target, with outages shaded.",
    "transit.png": "Transit days per flow.",
}


def html_report(data: dict[str, Any], pictures: dict[str, bytes]) -> str:
    """report.html: one self-contained page (pictures inline), verdict first, evidence after."""
    import base64
    import html

    e = html.escape
    s, r = data["scenario"], data["run"]

    def img(name: str) -> str:
        if name not in pictures:
            return ""
        b64 = base64.b64encode(pictures[name]).decode()
        return (f'<figure><img alt="{e(_CAPTIONS.get(name, name))}" src="data:image/png;base64,{b64}">'
                f"<figcaption class=meta>{e(_CAPTIONS.get(name, name))}</figcaption></figure>")

    def table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
            for row in rows)
        return f"<table><tr>{th}</tr>{body}</table>"

    target_rows = [[e(t["id"]), f"{fmt(t['target'])} {e(t['unit'])}", fmt(t["simulated"]["mean"]),
                    f"{fmt(t['simulated']['ci95'][0])} – {fmt(t['simulated']['ci95'][1])}",
                    f"{t['simulated']['p_met']:.0%}", fmt(t["optimised"]["max_deliverable"]),
                    e(binding(t)),
                    '<span class="met">met</span>' if t["met"] else '<span class="unmet">NOT met</span>']
                   for t in data["targets"]]
    flow_rows = [[e(f["id"]), e(f["unit"]), fmt(f["demand"]), fmt(f.get("delivered", {}).get("mean")),
                  fmt((f.get("transit_days") or {}).get("mean")), fmt((f.get("transit_days") or {}).get("p95"))]
                 for f in data["flows"]]
    link_rows = [[e(l["id"]), e(l["carrier"]), f"{fmt(l['nameplate'])} {e(l['unit'])}", fmt(l["firm"]),
                  fmt(l["utilisation"]), fmt(l["availability"])] for l in data["links"]]
    plan = data.get("plan") or {}
    plan_rows = [[e(x["id"]), f"{fmt(x['amount'])} {e(x.get('unit', ''))}", fmt(x.get("cost"))]
                 for x in plan.get("expansions", [])]
    source_rows = [[f"<code>{e(k)}</code>", e(v)] for k, v in data["sources"].items()]
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{e(s['name'])}: corridor report</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(s['name'])} ({s['year']})</h1><p>{e(s['description'])}</p>",
        f"<p class=meta>Seed {r['seed']} · {r['replications']} replications · {fmt(r['horizon_days'])} days "
        f"(warm-up {fmt(r['warmup_days'])}) · solver {e(str(r['solver']))} · scenario sha256 "
        f"<code>{s['sha256'][:12]}</code> · corridor {e(r['version'])}</p>",
        "<h2>Verdict</h2>",
        table(["target", "figure", "simulated mean", "95% CI", "P(met)", "optimiser max", "binding", "verdict"],
              target_rows, {2, 3, 4, 5}),
        img("targets.png"), img("gap.png"), "<h2>The corridor</h2>", img("map.png"),
        "<h2>Over the year</h2>", img("queues.png"), img("closures.png"), img("storage.png"),
        img("power.png"), img("data.png"),
        "<h2>Flows</h2>", table(["flow", "unit", "demand", "delivered", "transit days", "p95"], flow_rows,
                                {2, 3, 4, 5}), img("transit.png"),
        "<h2>Links</h2>", table(["link", "carrier", "nameplate", "firm", "utilisation", "availability"],
                                link_rows, {2, 3, 4, 5}),
    ]
    if plan:
        parts += [f"<h2>Expansion plan</h2><p>Feasible: {plan.get('feasible')}; annual cost "
                  f"{fmt(plan.get('cost'))} MUSD/yr.</p>", table(["expansion", "amount", "MUSD/yr"], plan_rows, {1, 2})]
    parts += ["<h2>Sources behind the verdicts</h2>", table(["source", "what"], source_rows),
              "<p class=meta>Every figure traces to scenario.resolved.yaml beside this page.</p></body></html>"]
    return "\n".join(parts)
