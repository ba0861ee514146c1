"""Power: generation at the sending ends, dispatched hour by hour over HVDC/HVAC links, with
and without outages.

Each power flow draws on the generation at its origin (`sim.energy.profiles`: the site's
capacity times its hourly capacity factor, times the share of the site in service), or on a
grid limited only by the network when its origin has no generation block. Flows are dispatched
along their paths (`sim.energy.paths`) by `sim.energy.dispatch`: the path-filling rule on chains
and parallel cables, the exact LP on a meshed network. A link's efficiency covers its line
losses per 1000 km and a converter at each end (`sim.network`).

The same hours are dispatched again with every element in service: the difference is the
energy lost to outages. Energies are in TWh a year (mean GW x hours a year / 1000).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sim.energy.dispatch import Dispatch, dispatch_lp, element_capacities, fill_paths
from sim.energy.paths import flow_paths, greedy_is_exact
from sim.energy.profiles import generation_profile
from sim.energy.records import Hourly, LinkMeasures, below_rate, daily_means, firm_level
from sim.energy.reliability import Outcome
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.schema import Flow, Scenario

TWH_PER_GW = HOURS_PER_YEAR / 1000.0  # a mean GW over a year, in TWh


@dataclass(frozen=True)
class PowerMeasures:
    """One power flow over the measured hours, beyond its mean delivered GW; energies in TWh a
    year. Curtailed: generation open to the flow (what flows before it left), up to its rate at
    the sending end, that was not sent; lost to outages: delivered without outages less
    delivered; lost to losses: sent less delivered."""

    energy_twh: float
    lost_to_outages_twh: float
    lost_to_losses_twh: float
    curtailed_twh: float
    generation_twh: float  # 0 for a flow fed from a grid
    hours_below_target: float
    share_hours_at_rate: float
    firm_95_gw: float
    lp_dispatch: float  # 1 when the network is meshed and dispatched by the LP


@dataclass(frozen=True)
class PowerLinkMeasures(LinkMeasures):
    """A power link: besides availability and utilisation, the energy entering it and its losses."""

    energy_twh: float
    losses_twh: float


def simulate_power(scenario: Scenario, network: Network, streams: Streams, outcome: Outcome,
                   rep: Replication, n_hours: int, warmup_h: int) -> None:
    """Dispatch every power flow hour by hour, with and without outages; fill `rep`."""
    flows = {fid: f for fid, f in scenario.flows.items() if f.carrier == "power"}
    if not flows:
        return
    paths = {fid: flow_paths(scenario, network, fid) for fid in flows}
    rates = {fid: f.rate.value for fid, f in flows.items()}
    caps, full = element_capacities(paths, outcome, n_hours)
    supply, supply_full = _supplies(scenario, flows, streams, outcome, n_hours)
    solve = fill_paths if greedy_is_exact(paths) else dispatch_lp
    got = solve(paths, rates, caps, supply, n_hours)
    ideal = solve(paths, rates, full, supply_full, n_hours)  # the same hours without outages
    m = slice(warmup_h, n_hours)
    for fid in flows:
        best = max(p.efficiency for p in paths[fid])
        rep.flows[fid] = _record(fid, rates[fid], best, got, ideal, m)
        rep.series[f"delivered:{fid}"] = daily_means(got.delivered[fid])
    _power_links(network, outcome, rep, got, n_hours, warmup_h)


def _supplies(scenario: Scenario, flows: dict[str, Flow], streams: Streams, outcome: Outcome,
              n_hours: int) -> tuple[dict[str, Hourly], dict[str, Hourly]]:
    """Hourly generation at each origin, with and without the site's own outages; an origin
    without a generation block is fed from a grid, limited only by the network."""
    supply, supply_full = {}, {}
    for f in flows.values():
        node = scenario.nodes[f.origin]
        if f.origin in supply:
            continue
        if node.generation is None:
            supply[f.origin] = supply_full[f.origin] = np.full(n_hours, np.inf)
            continue
        prof = generation_profile(f.origin, node, n_hours, streams.get(f"profile:{f.origin}"))
        supply_full[f.origin] = node.generation.capacity.value * prof
        supply[f.origin] = supply_full[f.origin] * outcome.timeline(f.origin).hourly(n_hours)
    return supply, supply_full


def _record(fid: str, rate: float, best: float, got: Dispatch, ideal: Dispatch, m: slice) -> FlowRecord:
    """One power flow's record over the measured hours `m`; `best` is its most efficient path's
    efficiency."""
    d, s, open_supply = got.delivered[fid][m], got.sent[fid][m], got.open_supply[fid][m]
    grid = not np.isfinite(open_supply).all()
    wanted = np.minimum(open_supply, rate / best) if best > 0 and not grid else s
    below = below_rate(d, rate)
    measures = PowerMeasures(
        energy_twh=float(d.mean() * TWH_PER_GW),
        lost_to_outages_twh=float((ideal.delivered[fid][m] - d).mean() * TWH_PER_GW),
        lost_to_losses_twh=float((s - d).mean() * TWH_PER_GW),
        curtailed_twh=float(np.maximum(wanted - s, 0.0).mean() * TWH_PER_GW),
        generation_twh=0.0 if grid else float(open_supply.mean() * TWH_PER_GW),
        hours_below_target=float(below.sum()),
        share_hours_at_rate=float(1.0 - below.mean()),
        firm_95_gw=firm_level(d),
        lp_dispatch=1.0 if got.method == "lp" else 0.0)
    return FlowRecord(carrier="power", unit="GW", delivered=float(d.mean()), hourly=d.astype(np.float32),
                      extra=asdict(measures))


def _power_links(network: Network, outcome: Outcome, rep: Replication, got: Dispatch, n_hours: int,
                 warmup_h: int) -> None:
    """Availability (measured capacity-hours in service) and utilisation of every power link."""
    m = slice(warmup_h, n_hours)
    for view in network.carrier_links("power"):
        use = got.usage.get(f"link:{view.id}")
        mean_in = float(use[m].mean()) if use is not None else 0.0
        rep.links[view.id] = PowerLinkMeasures(
            availability=outcome.timeline(view.id).mean(warmup_h, n_hours),
            utilisation=mean_in / view.capacity if view.capacity > 0 else 0.0,
            energy_twh=mean_in * HOURS_PER_YEAR / 1000.0,
            losses_twh=mean_in * (1 - view.efficiency) * HOURS_PER_YEAR / 1000.0).row()
