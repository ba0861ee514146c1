"""Checks across a valid scenario's parts: every reference names something that exists, and
figures that depend on each other agree (a capacity's unit and its link's carrier, a fleet's
load unit and the payload table, the warm-up and the horizon); every flow can reach its
destination over links of its carrier.

The measured window (horizon less warm-up) must be long enough to judge a target: at least
`MIN_WINDOW_H` (a week: every timetable, `max_wait` and ferry round trip in a scenario repeats
within one) and at least half the horizon (the warm-up is never most of the run: a warm-up of
99.99 of 100 days judged a target on a quarter of an hour). The horizon is at most `MAX_HORIZON_H`.

The spin-up (`simulation.spinup`, simulated before 1 January and never measured) is at most
`MAX_SPINUP_H`, a year: it stands for the end of the previous year, and a few times the longest
transit is enough to carry a stationary backlog in. A flow's `previous_rate` (its demand during
the spin-up) applies only to the carriers simulated event by event from -spinup (cargo and the
liquids); power and data run hour by hour from 1 January and have no spin-up.

A hydrogen or ammonia flow `produced_by` an electrolyser names a node that has one making the
flow's carrier, and no other flow names the same electrolyser (its product is one flow).

A port's background traffic calls at a berth kind the port has, dwells only in a yard it has,
and makes at most `MAX_CALLS_PER_YEAR` calls a year per entry (every call is simulated).

Each problem is a (key path, message) pair, so the loader can name the file and line.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from sim.scenario import units
from sim.scenario.figure import Figure
from sim.scenario.schema import DECK_UNIT, LOAD_UNITS, Flow, Reliability, Scenario

KeyPath = tuple[str | int, ...]

MIN_WINDOW_H = 7 * 24.0
MAX_HORIZON_H = 100 * 8766.0  # a century: daily series are kept for the whole horizon
MAX_SPINUP_H = 366 * 24.0  # the spin-up stands for (part of) the previous year
SPINUP_CARRIERS = ("cargo", "oil", "hydrogen", "ammonia")  # simulated from -spinup (event models)


Found = list[tuple[KeyPath, str]]

MAX_CALLS_PER_YEAR = 100_000  # background calls of one traffic entry: a bound on a run's events


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


def _power_origins(s: Scenario) -> set[str]:
    """The nodes power flows leave from: where stores and plants are dispatched."""
    return {f.origin for f in s.flows.values() if f.carrier == "power"}


def _nodes(s: Scenario, out: Found) -> None:
    origins = _power_origins(s)
    for nid, node in s.nodes.items():
        _reliability(s, out, ("nodes", nid, "reliability"), node.reliability, None)
        _port_traffic(s, out, nid)
        for block in ("stores", "plants"):  # dispatched only with the power flows they feed
            if getattr(node, block) and nid not in origins:
                out.append((("nodes", nid, block), f"no power flow leaves {nid!r}: its {block} would change nothing"))


def _port_traffic(s: Scenario, out: Found, nid: str) -> None:
    """Background traffic calls at a berth kind its port has, and dwells in a yard it has."""
    port = s.nodes[nid].port
    if port is None:
        return
    for tid, t in port.traffic.items():
        path: KeyPath = ("nodes", nid, "port", "traffic", tid)
        if t.berth not in port.berths:
            out.append((path + ("berth",), f"port {nid!r} has no {t.berth} berth (it has: "
                                           f"{', '.join(port.berths) or 'none'})"))
        calls = t.rate.value * 1e6 / t.call.value  # Mt/yr over t: calls a year
        if calls > MAX_CALLS_PER_YEAR:
            out.append((path + ("rate",), f"{calls:,.0f} calls a year of {t.call.text}: more than "
                                          f"{MAX_CALLS_PER_YEAR:,} (the busiest ports see tens of thousands); "
                                          "give a larger call or a smaller rate"))
        if t.yard_dwell is not None and port.yard is None:
            out.append((path + ("yard_dwell",), f"port {nid!r} has no yard for the cargo to dwell in; "
                                                "give the port a yard or drop yard_dwell"))


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
        for other in fleet.deck:
            if other not in s.payload:
                out.append((("fleets", fid, "deck", other), f"capacity in {other}s needs payload.{other}"))
        ports = {n for link in s.links.values() if link.fleet == fid for n in (link.from_, link.to)}
        if fleet.home is not None and fleet.home not in ports:
            out.append((("fleets", fid, "home"), f"{fleet.home!r} is not a port this fleet's links call at "
                                                 f"(expected one of {', '.join(sorted(ports)) or 'none'})"))
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
        marked = [rid for rid, r in (flow.routes or {}).items() if r.share is not None and r.share.calibrate]
        for rid in marked[1:]:
            out.append((("flows", fid, "routes", rid, "share", "calibrate"),
                        f"only one route share of a flow may be fitted (routes.{marked[0]} is): the others "
                        "keep their proportions and fill the rest"))
        if not flow.routes and flow.origin in s.nodes and flow.destination in s.nodes and not _reachable(s, flow):
            out.append((("flows", fid), f"no {flow.carrier} path from {flow.origin!r} to {flow.destination!r}: "
                                        f"no chain of {flow.carrier} links (each from -> to) joins them"))
    _produced_by(s, out)


def _produced_by(s: Scenario, out: Found) -> None:
    """A flow made by an electrolyser names a node with one, of its product; one flow per electrolyser."""
    makers: dict[str, str] = {}
    for fid, flow in s.flows.items():
        site = flow.produced_by
        path: KeyPath = ("flows", fid, "produced_by")
        if site is None or not _need(out, path, site, s.nodes, "node"):
            continue
        electrolyser = s.nodes[site].electrolyser
        if electrolyser is None:
            out.append((path, f"node {site!r} has no electrolyser: give it one (nodes.{site}.electrolyser: "
                              "capacity, efficiency, product, energy_per_tonne) or drop produced_by"))
        elif electrolyser.product != flow.carrier:
            out.append((path, f"the electrolyser at {site!r} makes {electrolyser.product}, this flow carries "
                              f"{flow.carrier}"))
        elif site in makers:
            out.append((path, f"the electrolyser at {site!r} already makes flow {makers[site]!r}: "
                              "one flow carries an electrolyser's product"))
        else:
            makers[site] = fid


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
    unit = DECK_UNIT[flow.consignment]
    for i, (a, b) in enumerate(zip(nodes, nodes[1:])):
        links = [l for l in s.links.values() if l.from_ == a and l.to == b and l.carrier == flow.carrier]
        if not links:
            out.append((path + (i + 1,), f"no {flow.carrier} link from {a!r} to {b!r}"))
        elif flow.carrier == "cargo" and not any(s.takes(l, unit) for l in links):
            out.append((path + (i + 1,), f"no link from {a!r} to {b!r} takes {unit} consignments: "
                                         f"the fleets sailing it carry other units (see their capacity and deck)"))


def _targets(s: Scenario, out: Found) -> None:
    for tid, target in s.targets.items():
        for i, fid in enumerate(target.flows):
            path = ("targets", tid, "flows", i)
            if _need(out, path, fid, s.flows, "flow") and s.flows[fid].carrier != target.carrier:
                out.append((path, f"flow {fid!r} carries {s.flows[fid].carrier}, the target {target.carrier}"))
            elif fid in s.flows and s.flows[fid].empties:
                out.append((path, f"flow {fid!r} moves empties, which a cargo target does not count"))


def _expansions(s: Scenario, out: Found) -> None:
    origins = _power_origins(s)
    for eid, e in s.expansions.items():
        _need(out, ("expansions", eid, "link"), e.link, s.links, "link")
        _need(out, ("expansions", eid, "node"), e.node, s.nodes, "node")
        _need(out, ("expansions", eid, "fleet"), e.fleet, s.fleets, "fleet")
        if e.berth is not None and e.node in s.nodes:
            port = s.nodes[e.node].port
            if port is None or e.berth not in port.berths:
                have = ", ".join(port.berths) if port is not None else "none: it is not a port"
                out.append((("expansions", eid, "berth"),
                            f"node {e.node!r} has no {e.berth} berths to add to (it has {have})"))
        for k in ("store", "plant"):
            if getattr(e, k) is None or e.node not in s.nodes:
                continue
            if s.nodes[e.node].generation is None or e.node not in origins:
                out.append((("expansions", eid, k), f"node {e.node!r} is not a generation site a power flow "
                                                    f"leaves: a {k} there would feed nothing"))
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
    if s.simulation.spinup.value > MAX_SPINUP_H:
        out.append((("simulation", "spinup"), f"at most {MAX_SPINUP_H / 24:g} d (the previous year), got "
                                              f"{s.simulation.spinup.text!r}"))
    for fid, flow in s.flows.items():
        if flow.previous_rate is not None and flow.carrier not in SPINUP_CARRIERS:
            out.append((("flows", fid, "previous_rate"),
                        f"a {flow.carrier} flow is simulated hour by hour from 1 January, with no spin-up; "
                        f"previous_rate applies to {', '.join(SPINUP_CARRIERS)} flows"))
