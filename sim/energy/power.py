"""Power: generation at the sending ends, dispatched hour by hour over HVDC/HVAC links, with
and without outages.

Each power flow draws on the generation at its origin (`sim.energy.profiles`: the site's
capacity times its hourly capacity factor, times the share of the site in service), or on a
grid limited only by the network when its origin has no generation block. Flows are dispatched
along their paths (`sim.energy.paths`) by `sim.energy.dispatch`: the path-filling rule on chains
and parallel cables, the exact LP on a meshed network; where a store or a dispatchable plant sits
at a flow's origin, the rolling-horizon LP of `sim.energy.storage` (a year at a time, the state of
charge carried from block to block). A link's efficiency covers its line
losses per 1000 km and a converter at each end (`sim.network`).

The same hours are dispatched again with every element in service: the difference is the
energy lost to outages. And again with unlimited supply at every origin and the replication's
outages: what each flow's paths could carry that hour, up to its rate (its transfer capacity, for
transmission targets, `sim.targets`). Energies are in TWh a year (mean GW x hours a year / 1000).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sim.energy.dispatch import Dispatch, element_capacities, exact_rule
from sim.energy.paths import flow_paths
from sim.energy.profiles import scenario_profiles
from sim.energy.records import ExactMean, Hourly, LinkMeasures, below_rate, daily_means, firm_level
from sim.energy.reliability import Outcome
from sim.energy.storage import StorageDispatch, StorageRun
from sim.network import HOURS_PER_YEAR, TWH_PER_GW, Network
from sim.replications import FlowRecord, Replication, Streams
from sim.scenario.schema import Flow, Scenario



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


BLOCK_HOURS = 24 * 365  # hours generated and dispatched at a time (whole days: the daily means are per block)


def simulate_power(scenario: Scenario, network: Network, streams: Streams, outcome: Outcome,
                   rep: Replication, n_hours: int, warmup_h: int) -> None:
    """Dispatch every power flow hour by hour, with and without outages; fill `rep`.

    The hours are generated and dispatched a block (a year) at a time, whatever the dispatch
    (the path rule, the meshed LP whose hours are grouped into LPs by their distinct states, or
    the rolling-window LP with stores and plants, its state carried from block to block), and
    only what the record needs is kept over the whole horizon (per flow, each hour's delivered
    power and transfer capacity, and the exact means (`ExactMean`) of what is lost, curtailed and
    open to it and of the power entering each link), so memory does not grow with the horizon
    but by two arrays a flow."""
    flows = {fid: f for fid, f in scenario.flows.items() if f.carrier == "power"}
    if not flows:
        return
    paths = {fid: flow_paths(scenario, network, fid) for fid in flows}
    rates = {fid: f.rate.value for fid, f in flows.items()}
    generation = Generation(scenario, flows, streams)
    solve = exact_rule(paths)
    fed = StorageRun.of(scenario, {f.origin for f in flows.values()}, n_hours, warmup_h, outcome)  # rolling-window LP
    n_m = max(n_hours - warmup_h, 0)
    best = {fid: max(p.efficiency for p in paths[fid]) for fid in flows}
    grid = {fid: scenario.nodes[f.origin].generation is None and n_m > 0 for fid, f in flows.items()}
    delivered = {fid: np.empty(n_m) for fid in flows}
    transfer = {fid: np.empty(n_m, dtype=np.float32) for fid in flows}  # unlimited supply, with outages
    supply_unlimited = not generation.sites  # every origin a grid
    means = {fid: {name: ExactMean(n_m) for name in ("outages", "losses", "curtailed", "open")} for fid in flows}
    daily: dict[str, list[Hourly]] = {fid: [] for fid in flows}
    link_keys = [f"link:{v.id}" for v in network.carrier_links("power")]
    usage: dict[str, ExactMean] = {}
    method = "paths"
    # sites whose electrolyser makes a flow: the generation their flows leave unsent, each hour (sim.energy.liquids)
    made_by = {f.produced_by for f in scenario.flows.values()}
    unsent = {o: np.zeros(n_hours) for o in generation.sites if o in made_by}
    for lo in range(0, n_hours, BLOCK_HOURS):
        hi = min(lo + BLOCK_HOURS, n_hours)
        n = hi - lo
        caps, full = element_capacities(paths, outcome, n, lo)
        made = generation.hours(lo, hi)  # without the sites' own outages
        supply = {o: s * outcome.timeline(o).hourly(n, lo) if o in generation.sites else s for o, s in made.items()}
        if fed is None:
            got = solve(paths, rates, caps, supply, n)
            ideal = solve(paths, rates, full, made, n)
        else:
            got, ideal = fed.dispatch(paths, rates, caps, full, supply, made, n, lo)
        reach = got if supply_unlimited else solve(paths, rates, caps, {o: np.full(n, np.inf) for o in made}, n)
        for o in unsent:
            unsent[o][lo:hi] = unsent_power(got, o, supply[o], [fid for fid, f in flows.items() if f.origin == o])
        del caps, full, supply, made
        method = got.method
        m0, m1 = max(lo, warmup_h) - lo, n  # the measured hours of the block
        if m1 > m0:
            at = slice(max(lo, warmup_h) - warmup_h, hi - warmup_h)
            for fid in flows:
                d, s, open_supply = got.delivered[fid][m0:m1], got.sent[fid][m0:m1], got.open_supply[fid][m0:m1]
                wanted = np.minimum(open_supply, rates[fid] / best[fid]) if best[fid] > 0 and not grid[fid] else s
                delivered[fid][at] = d
                transfer[fid][at] = reach.delivered[fid][m0:m1]
                k = means[fid]
                k["outages"].add(ideal.delivered[fid][m0:m1] - d)
                k["losses"].add(s - d)
                k["curtailed"].add(np.maximum(wanted - s, 0.0))
                k["open"].add(open_supply)
            for key in link_keys:
                if key in got.usage:
                    usage.setdefault(key, ExactMean(n_m)).add(got.usage[key][m0:m1])
        for fid in flows:
            daily[fid].append(daily_means(got.delivered[fid]))
        del got, ideal, reach
    for fid in flows:
        rep.flows[fid] = _record(rates[fid], grid[fid], delivered[fid], means[fid], method)
        rep.flows[fid].transfer = transfer[fid]
        rep.series[f"delivered:{fid}"] = np.concatenate(daily[fid]) if daily[fid] else np.zeros(0)
    if fed is not None:
        fed.record(rep)
    rep.surplus.update(unsent)
    _power_links(network, outcome, rep, usage, n_hours, warmup_h)


def unsent_power(got: Dispatch, site: str, supply: Hourly, flows: list[str]) -> Hourly:
    """A site's generation its flows left unsent each hour (GW): what the dispatch curtailed there
    when a store or plant sits at it, else its supply less what its flows sent."""
    if isinstance(got, StorageDispatch) and site in got.curtailed:
        return np.maximum(got.curtailed[site], 0.0)
    return np.maximum(supply - sum((got.sent[f] for f in flows), np.zeros(len(supply))), 0.0)


class Generation:
    """Hourly generation at each origin of `flows` without the site's own outages (the caller
    applies them a block at a time), drawn a block at a time from one weather process shared by
    every site (`sim.energy.profiles`), so memory does not grow with the horizon. An origin
    without a generation block is fed from a grid, limited only by the network (infinite)."""

    def __init__(self, scenario: Scenario, flows: dict[str, Flow], streams: Streams):
        self.origins = list(dict.fromkeys(f.origin for f in flows.values()))
        self.capacity = {o: g.capacity.value for o in self.origins if (g := scenario.nodes[o].generation) is not None}
        self.sites = set(self.capacity)
        self.profiles = scenario_profiles(scenario, streams.seed, streams.replication)

    def hours(self, lo: int, hi: int) -> dict[str, Hourly]:
        """Each origin's generation (GW) at hours lo .. hi - 1."""
        return {o: self.capacity[o] * self.profiles.hours(o, lo, hi) if o in self.sites else np.full(hi - lo, np.inf)
                for o in self.origins}


def _record(rate: float, grid: bool, d: Hourly, kept: dict[str, ExactMean], method: str) -> FlowRecord:
    """One power flow's record from its measured hours: `d` delivered each hour, and the means
    of what was lost to outages and to losses, curtailed and the supply open to it."""
    below = below_rate(d, rate)
    measures = PowerMeasures(
        energy_twh=float(d.mean() * TWH_PER_GW),
        lost_to_outages_twh=float(kept["outages"].mean() * TWH_PER_GW),
        lost_to_losses_twh=float(kept["losses"].mean() * TWH_PER_GW),
        curtailed_twh=float(kept["curtailed"].mean() * TWH_PER_GW),
        generation_twh=0.0 if grid else float(kept["open"].mean() * TWH_PER_GW),
        hours_below_target=float(below.sum()),
        share_hours_at_rate=float(1.0 - below.mean()),
        firm_95_gw=firm_level(d),
        lp_dispatch=1.0 if method == "lp" else 0.0)
    return FlowRecord(carrier="power", unit="GW", delivered=float(d.mean()), hourly=d.astype(np.float32),
                      extra=asdict(measures))


def _power_links(network: Network, outcome: Outcome, rep: Replication, usage: dict[str, ExactMean], n_hours: int,
                 warmup_h: int) -> None:
    """Availability (measured capacity-hours in service) and utilisation of every power link;
    `usage` holds the mean power entering each link over the measured hours."""
    for view in network.carrier_links("power"):
        use = usage.get(f"link:{view.id}")
        mean_in = float(use.mean()) if use is not None else 0.0
        rep.links[view.id] = PowerLinkMeasures(
            availability=outcome.timeline(view.id).mean(warmup_h, n_hours),
            utilisation=mean_in / view.capacity if view.capacity > 0 else 0.0,
            energy_twh=mean_in * HOURS_PER_YEAR / 1000.0,  # not x TWH_PER_GW: the same last bit as earlier reports
            losses_twh=mean_in * (1 - view.efficiency) * HOURS_PER_YEAR / 1000.0).row()
