"""Oil (and hydrogen, ammonia): production into tank storage, tankers across the sea, pipelines
to export terminals, with storms, outages, full tanks and empty ones.

The model is driven by the events that change a flow: a tanker starting to load (its cargo
leaves the tank) or finishing discharge (it enters the next tank), a pipeline outage starting or
ending, a storm closing or opening a port, a tank becoming full or empty, a month turning.
Routes, tanks and pipelines are in `sim.energy.tanks`, the tankers in `sim.energy.tankers`;
this module runs them together for one replication and reports flows, storage, fleets, links.

The clock starts at hour 0 (1 January), or at hour -spinup with a spin-up
(`simulation.spinup`): production (at each flow's `previous_rate` before hour 0), tankers,
storms and outages run from there, so 1 January finds the tank levels, cargoes afloat and
repairs the previous December left. Nothing is measured before hour 0 (totals count from the
warm-up, as without a spin-up).

Power to X: a hydrogen or ammonia flow `produced_by` a generation site is made by the site's
electrolyser. Each hour it takes the generation the power dispatch left unsent at the site
(`Replication.surplus`, from `sim.energy.power`; the site's whole generation, times its share in
service, when no power flow leaves it), up to its capacity, and makes intake x 1000 /
`energy_per_tonne` tonnes (GW to MW; MWh a tonne). That hourly production enters the flow's
origin tank; a full tank curtails it as any production. The flow's `rate` is its nominal rate.
Its record adds the electrolyser's intake (TWh a year: the tonnes that entered the chain times
the energy a tonne), its capacity factor (intake over capacity), and the surplus open to it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy

from sim.energy.profiles import scenario_profiles
from sim.energy.reliability import Outcome
from sim.energy.tankers import Tankers
from sim.energy.tanks import LIQUIDS, T_PER_H, Fluid, Lane, build_lanes
from sim.fleet import ACTIVE, DOWN
from sim.network import HOURS_PER_YEAR, TWH_PER_GW, Network
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.schema import Scenario

__all__ = ["LIQUIDS", "simulate_liquids"]


def simulate_liquids(scenario: Scenario, network: Network, streams: Streams, outcome: Outcome,
                     rep: Replication, horizon: float, warmup: float) -> None:
    """Produce, store, ship and pipe every oil, hydrogen and ammonia flow; fill `rep`."""
    n_hours = max(int(math.ceil(horizon - 1e-9)), 0)
    surplus = {fid: site_surplus(scenario, streams, outcome, rep, fid, n_hours)
               for fid, f in scenario.flows.items() if f.carrier in LIQUIDS and f.produced_by is not None}
    made = {fid: electrolysis(scenario, fid, power) for fid, power in surplus.items()}
    lanes = build_lanes(scenario, network, made)
    if not lanes:
        return
    spinup = scenario.simulation.spinup.value
    env = simpy.Environment(initial_time=-spinup if spinup > 0 else 0.0)
    pipes = {lid: (network.links[lid].capacity * T_PER_H, outcome.timeline(lid))
             for lane in lanes for s in lane.stages if s.kind == "pipe" for lid in s.links}
    fluid = Fluid(env, lanes, pipes, warmup, horizon)
    env.process(fluid.run())
    tankers = Tankers(env, scenario, network, fluid, outcome, streams, warmup, horizon)
    env.run(until=horizon)
    fluid.advance()
    tankers.close()
    rep.events += fluid.steps + sum(v.voyages for vs in tankers.vessels.values() for v in vs) * 8
    _report(scenario, network, outcome, rep, lanes, fluid, tankers, horizon, warmup)
    for fid, power in surplus.items():
        _electrolyser(scenario, rep, fid, power, lanes, horizon, warmup)


def site_surplus(scenario: Scenario, streams: Streams, outcome: Outcome, rep: Replication, fid: str,
                 n_hours: int) -> np.ndarray:
    """Power (GW) open to the electrolyser making flow `fid` each hour from hour 0: what the power
    dispatch left unsent at its site, or the site's whole generation in service when no power
    flow leaves it."""
    site = scenario.flows[fid].produced_by
    assert site is not None  # internal: called for produced_by flows only
    if site in rep.surplus:
        return rep.surplus[site][:n_hours]
    node = scenario.nodes[site]
    assert node.generation is not None  # internal: the schema requires it beside an electrolyser
    profile = scenario_profiles(scenario, streams.seed, streams.replication).hours(site, 0, n_hours)
    return node.generation.capacity.value * profile * outcome.timeline(site).hourly(n_hours)


def electrolysis(scenario: Scenario, fid: str, surplus: np.ndarray) -> np.ndarray:
    """Tonnes an hour of flow `fid`'s product made from `surplus` (GW) each hour: the power taken,
    up to the electrolyser's capacity, x 1000 over the MWh a tonne needs."""
    site = scenario.flows[fid].produced_by
    electrolyser = scenario.nodes[site].electrolyser if site is not None else None
    assert electrolyser is not None  # internal: checked by sim.scenario.checks
    intake = np.clip(surplus, 0.0, electrolyser.capacity.value)
    return intake * 1000.0 / electrolyser.energy_per_tonne.value


def _electrolyser(scenario: Scenario, rep: Replication, fid: str, surplus: np.ndarray, lanes: list[Lane],
                  horizon: float, warmup: float) -> None:
    """The electrolyser's measures in flow `fid`'s record: intake (TWh a year) of the product that
    entered the chain, capacity factor, and the surplus power open to it (TWh a year)."""
    measured = horizon - warmup
    site = scenario.flows[fid].produced_by
    electrolyser = scenario.nodes[site].electrolyser if site is not None else None
    rec = rep.flows.get(fid)
    if electrolyser is None or rec is None or measured <= 0:
        return
    e, cap = electrolyser.energy_per_tonne.value, electrolyser.capacity.value
    produced = sum(lane.produced for lane in lanes if lane.flow == fid)  # tonnes in [warmup, horizon]
    intake_gw = produced * e / 1000.0 / measured  # mean GW taken for what entered the chain
    lo, hi = int(math.floor(warmup + 1e-9)), min(int(math.ceil(horizon - 1e-9)), len(surplus))
    rec.extra |= {
        "electrolyser_intake_twh": intake_gw * TWH_PER_GW,
        "electrolyser_capacity_factor": intake_gw / cap if cap > 0 else 0.0,
        "surplus_power_twh": float(surplus[lo:hi].mean()) * TWH_PER_GW if hi > lo else 0.0,
    }


def _report(scenario: Scenario, network: Network, outcome: Outcome, rep: Replication, lanes: list[Lane],
            fluid: Fluid, tankers: Tankers, horizon: float,
            warmup: float) -> None:
    measured = horizon - warmup
    per_yr = HOURS_PER_YEAR / measured / 1e6 if measured > 0 else 0.0  # measured tonnes -> Mt/yr
    for fid in dict.fromkeys(lane.flow for lane in lanes):
        mine = [lane for lane in lanes if lane.flow == fid]
        flow = scenario.flows[fid]
        extra: dict[str, float] = {
            "produced_mt": sum(l.produced for l in mine) * per_yr,
            "curtailed_mt": sum(l.curtailed for l in mine) * per_yr,
        }
        extra |= {f"route:{l.route}_mt": l.delivered * per_yr for l in mine}
        rep.flows[fid] = FlowRecord(
            carrier=flow.carrier, unit="Mt/yr", delivered=sum(l.delivered for l in mine) * per_yr,
            arrived=sum(l.produced for l in mine),
            in_system=sum(t.level for l in mine for t in l.tanks) + sum(l.afloat for l in mine),
            extra=extra)
    _storage(scenario, rep, fluid, measured)
    _fleets(scenario, network, outcome, rep, tankers, measured, per_yr, warmup, horizon)
    carried: dict[str, float] = {}
    for lane in lanes:
        for s in lane.stages:
            for lid in s.links:
                carried[lid] = carried.get(lid, 0.0) + s.carried
    for lid, tonnes in carried.items():
        view = network.links[lid]
        mt = tonnes * per_yr
        if view.fleet:
            vessels = [v for v in tankers.vessels.get(view.fleet, []) if v.link == lid]
            avail = float(np.mean([1 - v.hours.get(DOWN, 0.0) / measured for v in vessels])) if vessels else 1.0
        else:
            avail = outcome.timeline(lid).mean(warmup, horizon)
        background = view.nameplate - view.capacity
        rep.links[lid] = {
            "availability": avail, "carried_mt": mt,
            "utilisation": mt / view.capacity if view.capacity > 0 else 0.0,
            "utilisation_with_background": (mt + background) / view.nameplate if view.nameplate > 0 else 0.0,
        }


def _storage(scenario: Scenario, rep: Replication, fluid: Fluid, measured: float) -> None:
    """Stock at every tank node: daily means, time-average, lowest, highest, full and empty."""
    for nid in fluid.days:
        tanks = [t for t in fluid.tanks if t.node == nid]
        lo, hi = fluid.node_range.get(nid, [0.0, 0.0])
        rep.series[f"storage:{nid}"] = fluid.daily_mean(nid)
        if measured <= 0:
            continue
        stats = rep.nodes.setdefault(nid, {})
        stats |= {"storage_mean_t": sum(t.area for t in tanks) / measured,
                  "storage_min_t": lo, "storage_max_t": hi}
        if scenario.nodes[nid].storage is not None:  # a bounded tank farm
            weight = [t.capacity for t in tanks]
            stats |= {
                "storage_capacity_t": sum(weight),
                "storage_full_share": float(np.average([t.full_h / measured for t in tanks], weights=weight)),
                "storage_empty_share": float(np.average([t.empty_h / measured for t in tanks], weights=weight)),
            }


def _fleets(scenario: Scenario, network: Network, outcome: Outcome, rep: Replication, tankers: Tankers,
            measured: float, per_yr: float, warmup: float, horizon: float) -> None:
    for fid, vessels in tankers.vessels.items():
        if measured <= 0 or not vessels:
            continue
        hours = measured * len(vessels)
        time: dict[str, float] = {}
        for v in vessels:
            for k, x in v.hours.items():
                time[k] = time.get(k, 0.0) + x
        sailed = sum(v.capacity_sailed for v in vessels)
        stats: dict[str, Any] = {
            "vessels": float(len(vessels)),
            "voyages": float(sum(v.voyages for v in vessels)),
            "carried_mt": sum(v.tonnes for v in vessels) * per_yr,
            "utilisation": sum(time.get(k, 0.0) for k in ACTIVE) / hours,
            "load_factor": sum(v.tonnes for v in vessels) / sailed if sailed else 0.0,
        }
        stats |= {f"share_{k}": x / hours for k, x in sorted(time.items())}
        rep.fleets[fid] = stats
