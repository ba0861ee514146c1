"""Bottlenecks from both sides: the simulation's busiest, longest-waited-for resources beside the
optimiser's binding capacities, and whether the two name the same thing.

The simulation's side ranks every resource it measures by utilisation x mean wait (hours),
the work a resource holds back: a berth is busy and vessels queue for it; a link or a gated
node (a border crossing) is busy and consignments queue at it; a fleet is busy (its share of
vessel-hours loading, sailing, unloading or repositioning) and cargo waits on the quay for one
of its vessels (`quay_wait_h_mean`), times the share of its vessels' non-idle hours spent
working rather than queueing themselves (cargo waiting for a fleet whose vessels queue at a
berth waits for the berth, not the fleet). A fleet that does not measure its quay (tankers)
takes the longest mean cargo wait at one of its loading ports. Ids match the optimiser's capacity
rows (`berth:N:KIND`, `fleet:F`, `node:N`, a link id) so the two sides can be compared.

The optimiser's side is, per target, the capacity rows that stop its flows growing at their
mix (`TargetResult.marginal`: what one more berth, vessel or Mt/yr adds to the target), with
the plan's shadow price (MUSD/yr a unit) where the plan pays for that row.

They agree when the simulation's top resource is a binding row of some target; when they do
not, the headline says so: the optimiser's bound then hides queueing the simulation finds (or
the simulation's queue is where the LP has slack and something else runs out first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.optimiser.result import row_words
from sim.report.document import Binding, Bottlenecks, Busy
from sim.scenario.schema import Scenario

TOP = 5


def simulated(scenario: Scenario, nodes: Sequence[Mapping[str, Any]], fleets: Sequence[Mapping[str, Any]],
              links: Sequence[Mapping[str, Any]]) -> list[Busy]:
    """The simulation's resources by utilisation x wait, busiest first (report rows' means)."""
    out: list[Busy] = []
    waits = {n["id"]: float(n.get("wait_h_mean") or 0.0) for n in nodes}
    for n in nodes:
        for key, value in n.items():
            if key.startswith("berth_utilisation:"):
                kind = key.partition(":")[2]
                wait = float(n.get(f"berth_wait_h_mean:{kind}") or 0.0)
                out.append(_busy(f"berth:{n['id']}:{kind}", float(value), wait))
        if "utilisation" in n and scenario.nodes[n["id"]].capacity is not None:
            out.append(_busy(f"node:{n['id']}", float(n["utilisation"]), waits[n["id"]]))
    for link in links:
        if link.get("utilisation") is not None and "wait_h_mean" in link:
            out.append(_busy(link["id"], float(link["utilisation"]), float(link["wait_h_mean"])))
    for f in fleets:
        ports = {lk.from_ for lk in scenario.links.values() if lk.fleet == f["id"]}
        wait = f.get("quay_wait_h_mean", max((waits.get(p, 0.0) for p in ports), default=0.0))
        working, queueing = float(f.get("working_share", 0.0)), float(f.get("waiting_share", 0.0))
        if working + queueing > 0:
            wait *= working / (working + queueing)
        if "utilisation" in f:
            out.append(_busy(f"fleet:{f['id']}", float(f["utilisation"]), wait))
    return sorted(out, key=lambda b: (-b.score, b.id))[:TOP]


def _busy(rid: str, utilisation: float, wait: float) -> Busy:
    return Busy(id=rid, words=row_words(rid), utilisation=utilisation, wait_h=wait, score=utilisation * wait)


def optimised(bounds: Mapping[str, Mapping[str, Any]], shadow: Mapping[str, Mapping[str, Any]],
              plan_applied: bool) -> list[Binding]:
    """Per target, the rows that stop its growth (with the plan built when it was), most
    valuable first, with the plan's shadow price of each."""
    out = []
    key = "marginal_with_plan" if plan_applied else "marginal"
    for tid, b in bounds.items():
        for rid, (value, unit) in (b.get(key) or {}).items():
            price = shadow.get(rid, {})
            out.append(Binding(target=tid, id=rid, words=row_words(rid), marginal=float(value),
                               marginal_unit=f"{b.get('unit', '')} a {unit}", shadow_price=price.get("value"),
                               shadow_unit=price.get("unit")))
    return out


def bottlenecks(scenario: Scenario, nodes: Sequence[Mapping[str, Any]], fleets: Sequence[Mapping[str, Any]],
                links: Sequence[Mapping[str, Any]], bounds: Mapping[str, Mapping[str, Any]],
                shadow: Mapping[str, Mapping[str, Any]], plan_applied: bool) -> Bottlenecks:
    sim = simulated(scenario, nodes, fleets, links)
    opt = optimised(bounds, shadow, plan_applied)
    if not sim or sim[0].score <= 0:
        return Bottlenecks(simulation=sim, optimiser=opt, headline="The simulation found no resource queued for.")
    top = sim[0]
    busy = f"{top.words} ({top.utilisation:.0%} busy, {top.wait_h:.3g} h mean wait)"
    if not opt:
        return Bottlenecks(simulation=sim, optimiser=opt, agree=None,
                           headline=f"The simulation's bottleneck is {busy}; the optimiser finds no capacity binding.")
    same = next((b for b in opt if b.id == top.id), None)
    first = opt[0]
    if same is not None:
        said = f"Bottleneck: {busy} in the simulation, and binding in the optimiser for {_value(same)}."
        best = next(b for b in opt if b.target == same.target)  # rows come most valuable first
        if best.id != same.id:
            said += f" For {same.target} the optimiser's most valuable row is {best.words} ({_adds(best)})."
    else:
        said = (f"The simulation's bottleneck is {busy}; the optimiser's is {first.words} for {_value(first)}. "
                "They differ: the optimiser's bound does not see the queue the simulation finds.")
    return Bottlenecks(simulation=sim, optimiser=opt, agree=same is not None, headline=said)


def _value(b: Binding) -> str:
    return f"{b.target} ({_adds(b)})"


def _adds(b: Binding) -> str:
    price = f", shadow price {b.shadow_price:.3g} {b.shadow_unit}" if b.shadow_price is not None else ""
    return f"one more adds {b.marginal:.3g} {b.marginal_unit}{price}"
