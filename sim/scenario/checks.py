"""Checks across a valid scenario's parts: every reference names something that exists, and
figures that depend on each other agree (a capacity's unit and its link's carrier, a fleet's
load unit and the payload table, the warm-up and the horizon); every flow can reach its
destination over links of its carrier.

The measured window (horizon less warm-up) must be long enough to judge a target: at least
`MIN_WINDOW_H` (a week: every timetable, `max_wait` and ferry round trip in a scenario repeats
within one) and at least half the horizon (the warm-up is never most of the run: a warm-up of
99.99 of 100 days judged a target on a quarter of an hour). The horizon is at most `MAX_HORIZON_H`.

Each problem is a (key path, message) pair, so the loader can name the file and line.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from sim.scenario import units
from sim.scenario.figure import Figure
from sim.scenario.schema import LOAD_UNITS, Flow, Reliability, Scenario

KeyPath = tuple[str | int, ...]

MIN_WINDOW_H = 7 * 24.0
MAX_HORIZON_H = 100 * 8766.0  # a century: daily series are kept for the whole horizon


Found = list[tuple[KeyPath, str]]


def references(s: Scenario) -> Found:
    """Every dangling or inconsistent reference, as (key path, message)."""
    out: Found = []
    for check in (_nodes, _links, _fleets, _weather, _flows, _targets, _expansions, _simulation):
        check(s, out)
    return out


def _need(out: Found, path: KeyPath, ref: str | None, table: Mapping[str, object], what: str) -> bool:
    """Whether `ref` (if given) names an entry of `table`; if not, a problem with a did-you-mean."""
    if ref is None or ref in table:
        return True
    hint = difflib.get_close_matches(ref, list(table), n=1)
    out.append((path, f"no {what} called {ref!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")))
    return False


def _reliability(s: Scenario, out: Found, path: KeyPath, r: Reliability | None, length: Figure | None) -> None:
    if r is None:
        return
    _need(out, path + ("repair_crew",), r.repair_crew, s.repair_crews, "repair crew")
    _need(out, path + ("weather",), r.weather, s.weather, "weather")
    if r.failure_rate.value > 0 and r.repair is None:
        out.append((path + ("repair",), "random failures need a repair time"))
    if r.failure_rate.kind == "frequency_per_length" and length is None:
        out.append((path + ("failure_rate",), "a rate per length needs the link's length"))


def _nodes(s: Scenario, out: Found) -> None:
    for nid, node in s.nodes.items():
        _reliability(s, out, ("nodes", nid, "reliability"), node.reliability, None)


def _links(s: Scenario, out: Found) -> None:
    for lid, link in s.links.items():
        _need(out, ("links", lid, "from"), link.from_, s.nodes, "node")
        _need(out, ("links", lid, "to"), link.to, s.nodes, "node")
        _need(out, ("links", lid, "fleet"), link.fleet, s.fleets, "fleet")
        _reliability(s, out, ("links", lid, "reliability"), link.reliability, link.length)
        cap, unit = link.capacity, units.CARRIER_UNIT[link.carrier]
        if cap is not None and cap.kind == "train_rate" and "train" not in s.payload:
            out.append((("links", lid, "capacity"), "trains per day needs payload.train (tonnes a train)"))
        elif cap is not None and cap.kind != "train_rate" and cap.unit != unit:
            out.append((("links", lid, "capacity"),
                        f"a {link.carrier} link's capacity is in {unit}, got {cap.text!r}"))
    for lid, link in s.links.items():
        if link.fleet is not None and link.transit is None:
            out.append((("links", lid, "transit"), "a link sailed by a fleet needs a transit time"))


def _fleets(s: Scenario, out: Found) -> None:
    for fid, fleet in s.fleets.items():
        unit = LOAD_UNITS.get(fleet.capacity.kind)
        if unit and unit not in s.payload:
            out.append((("fleets", fid, "capacity"), f"capacity in {unit}s needs payload.{unit}"))
        if not any(link.fleet == fid for link in s.links.values()):
            out.append((("fleets", fid), "no link is sailed by this fleet"))
        _reliability(s, out, ("fleets", fid, "reliability"), fleet.reliability, None)


def _weather(s: Scenario, out: Found) -> None:
    for wid, w in s.weather.items():
        for i, nid in enumerate(w.nodes):
            _need(out, ("weather", wid, "nodes", i), nid, s.nodes, "node")


def _flows(s: Scenario, out: Found) -> None:
    for fid, flow in s.flows.items():
        _need(out, ("flows", fid, "origin"), flow.origin, s.nodes, "node")
        _need(out, ("flows", fid, "destination"), flow.destination, s.nodes, "node")
        if flow.carrier == "cargo":
            for unit in [*(flow.mix or {}), flow.consignment]:
                if unit != "t" and unit not in s.payload:
                    out.append((("flows", fid), f"{unit} consignments need payload.{unit}"))
        for rid, route in (flow.routes or {}).items():
            _route(s, out, ("flows", fid, "routes", rid, "path"), flow, route.path)
        if not flow.routes and flow.origin in s.nodes and flow.destination in s.nodes and not _reachable(s, flow):
            out.append((("flows", fid), f"no {flow.carrier} path from {flow.origin!r} to {flow.destination!r}: "
                                        f"no chain of {flow.carrier} links (each from -> to) joins them"))


def _reachable(s: Scenario, flow: Flow) -> bool:
    """Whether the flow's destination can be reached from its origin over links of its carrier."""
    after: dict[str, list[str]] = {}
    for link in s.links.values():
        if link.carrier == flow.carrier:
            after.setdefault(link.from_, []).append(link.to)
    seen, todo = {flow.origin}, [flow.origin]
    while todo:
        for nxt in after.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return flow.destination in seen


def _route(s: Scenario, out: Found, path: KeyPath, flow: Flow, nodes: list[str]) -> None:
    """A route runs from the flow's origin to its destination over links of its carrier."""
    if nodes[0] != flow.origin or nodes[-1] != flow.destination:
        out.append((path, f"a route must run from {flow.origin!r} to {flow.destination!r}"))
    if not all(_need(out, path + (i,), n, s.nodes, "node") for i, n in enumerate(nodes)):
        return
    for i, (a, b) in enumerate(zip(nodes, nodes[1:])):
        if not any(l.from_ == a and l.to == b and l.carrier == flow.carrier for l in s.links.values()):
            out.append((path + (i + 1,), f"no {flow.carrier} link from {a!r} to {b!r}"))


def _targets(s: Scenario, out: Found) -> None:
    for tid, target in s.targets.items():
        for i, fid in enumerate(target.flows):
            path = ("targets", tid, "flows", i)
            if _need(out, path, fid, s.flows, "flow") and s.flows[fid].carrier != target.carrier:
                out.append((path, f"flow {fid!r} carries {s.flows[fid].carrier}, the target {target.carrier}"))


def _expansions(s: Scenario, out: Found) -> None:
    for eid, e in s.expansions.items():
        _need(out, ("expansions", eid, "link"), e.link, s.links, "link")
        _need(out, ("expansions", eid, "node"), e.node, s.nodes, "node")
        _need(out, ("expansions", eid, "fleet"), e.fleet, s.fleets, "fleet")
        if e.link is None or e.link not in s.links or e.size.kind == "count":
            continue
        carrier = s.links[e.link].carrier
        if e.size.unit != units.CARRIER_UNIT[carrier]:
            out.append((("expansions", eid, "size"),
                        f"link {e.link!r} carries {carrier}, in {units.CARRIER_UNIT[carrier]}"))


def _simulation(s: Scenario, out: Found) -> None:
    horizon, warmup = s.simulation.horizon.value, s.simulation.warmup.value
    window = horizon - warmup
    if horizon > MAX_HORIZON_H:
        out.append((("simulation", "horizon"), f"at most {MAX_HORIZON_H / 8766:g} years, got "
                                                f"{s.simulation.horizon.text!r}"))
    if warmup >= horizon:
        out.append((("simulation", "warmup"), "the warm-up must be shorter than the horizon"))
    elif window < MIN_WINDOW_H or window < horizon / 2:
        out.append((("simulation", "warmup" if warmup > 0 else "horizon"),
                    f"the measured window (horizon less warm-up) is {window / 24:.4g} d: too short to judge a "
                    f"target; it must be at least {MIN_WINDOW_H / 24:g} d and at least half the horizon"))
