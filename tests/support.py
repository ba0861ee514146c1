"""Helpers shared by test modules (importable as `support`: pytest puts tests/ on the path)."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.optimiser.lp import LinearProgram
    from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
MINIMAL = SCENARIOS / "minimal.yaml"
FAST = ["--set", "simulation.horizon=40 d", "--set", "simulation.warmup=5 d", "-r", "1"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below `folder` with a hash of its bytes (folders and links marked)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def key_paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a YAML document (mappings by key, lists by index), the root first."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from key_paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from key_paths(v, prefix + (i,))


def optimiser_scenario(name: str, *overrides: str) -> Any:
    """tests/scenarios/optimiser_<name>.yaml with `overrides` applied (a validated Scenario)."""
    from sim.scenario.loading import load_scenario

    return load_scenario(SCENARIOS / f"optimiser_{name}.yaml", list(overrides))


def plan_lp() -> LinearProgram:
    """The small plan scenario's plan LP with N-1: a MILP of a few dozen columns and rows."""
    from sim.network import Network
    from sim.optimiser import formulation as F
    from sim.optimiser.model import Corridor

    m = Corridor(Network(optimiser_scenario("plan")))
    share = m.scenario.optimiser.n_minus_1.value or 0.5
    return F.plan_model(m, share=share, contingencies=F.contingency_links(m)).lp


def copies(scenario: Scenario, k: int) -> Scenario:
    """`scenario` side by side `k` times: copy 0 as written, copy i > 0 with every id (nodes,
    links, fleets, weather, repair crews, flows, targets, expansions) and every reference to one
    suffixed `__i`. The copies share nothing, so each figure of copy i equals copy 0's."""
    from sim.scenario.schema import Scenario

    if k == 1:
        return scenario
    base = scenario.model_dump(by_alias=True, exclude_unset=True)
    sections = ("nodes", "links", "fleets", "weather", "repair_crews", "flows", "targets", "expansions")
    out = {key: value for key, value in base.items() if key not in sections}
    out["name"] = f"{scenario.name}-x{k}"
    for key in sections:
        out[key] = {}
    for i in range(k):
        def rn(ident: str | None, i: int = i) -> str | None:
            return ident if ident is None or i == 0 else f"{ident}__{i}"

        def reliability(item: dict, i: int = i) -> dict:
            rel = item.get("reliability")
            if rel:
                item["reliability"] = dict(rel, **{f: rn(rel[f], i) for f in ("repair_crew", "weather") if rel.get(f)})
            return item

        for nid, node in base.get("nodes", {}).items():
            out["nodes"][rn(nid)] = reliability(dict(node))
        for lid, link in base.get("links", {}).items():
            out["links"][rn(lid)] = reliability(dict(link, **{"from": rn(link["from"]), "to": rn(link["to"])},
                                                     **({"fleet": rn(link["fleet"])} if link.get("fleet") else {})))
        for fid, fleet in base.get("fleets", {}).items():
            home = {"home": rn(fleet["home"])} if fleet.get("home") else {}
            out["fleets"][rn(fid)] = reliability(dict(fleet, **home))
        for wid, w in base.get("weather", {}).items():
            out["weather"][rn(wid)] = dict(w, nodes=[rn(n) for n in w["nodes"]])
        for cid, crew in base.get("repair_crews", {}).items():
            out["repair_crews"][rn(cid)] = dict(crew)
        for fid, flow in base.get("flows", {}).items():
            routes = {rid: dict(r, path=[rn(n) for n in r["path"]]) for rid, r in (flow.get("routes") or {}).items()}
            out["flows"][rn(fid)] = dict(flow, origin=rn(flow["origin"]), destination=rn(flow["destination"]),
                                         **({"routes": routes} if routes else {}))
        for tid, t in base.get("targets", {}).items():
            out["targets"][rn(tid)] = dict(t, flows=[rn(f) for f in t["flows"]])
        for eid, e in base.get("expansions", {}).items():
            out["expansions"][rn(eid)] = dict(e, **{f: rn(e[f]) for f in ("link", "node", "fleet") if e.get(f)})
    return Scenario.model_validate(out)


@contextmanager
def browser_page(chromium: str, url: str) -> Iterator[tuple[Any, list[str]]]:
    """A headless Chromium page at `url` (no network, no first-run), and the console and page
    errors it reports; the browser closes when the block ends."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        try:
            yield page, errors
        finally:
            browser.close()
