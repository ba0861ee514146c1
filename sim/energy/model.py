"""The continuous carriers in one replication: oil, power, data, hydrogen and ammonia.

Reliability first (every cable, pipeline, converter and tanker failing and being repaired, one
timeline each), then each carrier over those timelines: power dispatched hour by hour
(`sim.power`), data routed per network state (`sim.fibre`), liquids produced, stored, shipped
and piped event by event (`sim.oil`). Statistics cover [warmup, horizon].
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from sim import targets as judge
from sim.energy.fibre import simulate_data
from sim.network import Network, build_network
from sim.energy.liquids import LIQUIDS, simulate_liquids
from sim.energy.power import simulate_power
from sim.energy.reliability import Outcome, components, simulate_reliability
from sim.replications import Replication, Streams, estimate
from sim.scenario.schema import Scenario, Target

CARRIERS = ("oil", "power", "data", "hydrogen", "ammonia")


def simulate_continuous(scenario: Scenario, network: Network, streams: Streams, index: int,
                        carriers: Iterable[str] = CARRIERS) -> Replication:
    """One replication of every flow whose carrier is oil, power, data, hydrogen or ammonia."""
    # Fresh generators for the same (seed, replication): a stream another model has already
    # drawn from (the cargo model's `weather:<id>`) starts again here, so both see one sea.
    streams = Streams(streams.seed, streams.replication)
    carriers = set(carriers) & set(CARRIERS)
    horizon = scenario.simulation.horizon.value
    warmup = scenario.simulation.warmup.value
    outcome = reliability(scenario, network, streams, carriers)
    rep = Replication(index)
    rep.outages = outcome.outages
    rep.events = outcome.events
    n_hours, warmup_h = int(math.ceil(horizon - 1e-9)), int(math.floor(warmup + 1e-9))
    if "power" in carriers:
        simulate_power(scenario, network, streams, outcome, rep, n_hours, warmup_h)
    if "data" in carriers:
        simulate_data(scenario, network, outcome, rep, n_hours, warmup_h)
    if carriers & set(LIQUIDS):
        simulate_liquids(scenario, network, streams, outcome, rep, horizon, warmup)
    _unused_links(scenario, network, outcome, rep, carriers, warmup, horizon)
    return rep


def reliability(scenario: Scenario, network: Network, streams: Streams, carriers: Iterable[str]) -> Outcome:
    """Every failing component of these carriers, simulated over the horizon."""
    comps = components(scenario, network, carriers)
    return simulate_reliability(scenario, comps, streams, scenario.simulation.horizon.value)


def _unused_links(scenario: Scenario, network: Network, outcome: Outcome, rep: Replication,
                  carriers: set[str], warmup: float, horizon: float) -> None:
    """Links of these carriers no flow used still report their availability."""
    for view in network.links.values():
        if view.carrier in carriers and view.id not in rep.links:
            rep.links[view.id] = {"availability": outcome.timeline(view.id).mean(warmup, horizon),
                                  "utilisation": 0.0}


# --- across replications ---------------------------------------------------------------------


def run_continuous(scenario: Scenario, replications: int | None = None, seed: int | None = None,
                   carriers: Iterable[str] = CARRIERS) -> list[Replication]:
    """Independent replications of the continuous carriers (for notebooks and benchmarks)."""
    network = build_network(scenario)
    n = replications or scenario.simulation.replications
    seed = scenario.simulation.seed if seed is None else seed
    return [simulate_continuous(scenario, network, Streams(seed, i), i, carriers) for i in range(n)]


def share_of_hours_met(target: Target, rep: Replication) -> float | None:
    """Share of measured hours in which the target's flows together deliver its figure (less its
    tolerance); None when its flows have no hourly record (oil, cargo)."""
    hourly = [rep.flows[f].hourly for f in target.flows if f in rep.flows]
    if not hourly or any(h is None for h in hourly):
        return None
    total = np.sum(hourly, axis=0, dtype=float)
    return float(np.mean(total >= target.value.value * (1 - target.tolerance.value) - 1e-6))


def summarise(scenario: Scenario, reps: list[Replication]) -> dict[str, Any]:
    """Targets (mean, 95% CI, probability met), flows and links of the continuous carriers,
    in the shape of the report's sections."""
    out: dict[str, Any] = {"targets": [], "flows": {}, "links": []}
    for tid, t in scenario.targets.items():
        if t.carrier not in CARRIERS or not all(f in reps[0].flows for f in t.flows):
            continue
        values = [judge.measure(t, r) for r in reps]
        est = estimate(values)
        row = {"id": tid, "carrier": t.carrier, "unit": t.value.unit, "target": t.value.value,
               "measure": t.measure, "simulated": {"mean": est.mean, "ci95": [est.lo, est.hi],
                                                   "p_met": float(np.mean([judge.met(t, v) for v in values]))}}
        shares = [share_of_hours_met(t, r) for r in reps]
        if all(x is not None for x in shares):
            e = estimate(shares)
            row["share_of_hours_met"] = {"mean": e.mean, "ci95": [e.lo, e.hi]}
        out["targets"].append(row)
    for fid in reps[0].flows:
        recs = [r.flows[fid] for r in reps]
        est = estimate([r.delivered for r in recs])
        row: dict[str, Any] = {"carrier": recs[0].carrier, "unit": recs[0].unit,
                               "delivered": {"mean": est.mean, "ci95": [est.lo, est.hi]}}
        for key in sorted(set().union(*(r.extra for r in recs))):
            e = estimate([r.extra.get(key, 0.0) for r in recs])
            row[key] = {"mean": e.mean, "ci95": [e.lo, e.hi]}
        out["flows"][fid] = row
    for lid in reps[0].links:
        view = scenario.links[lid]
        row = {"id": lid, "carrier": view.carrier}
        for key in ("availability", "utilisation"):
            e = estimate([r.links[lid][key] for r in reps])
            row[key] = e.mean
            row[f"{key}_ci95"] = [e.lo, e.hi]
        out["links"].append(row)
    return out
