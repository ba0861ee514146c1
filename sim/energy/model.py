"""The continuous carriers in one replication: oil, power, data, hydrogen and ammonia.

Reliability first (every cable, pipeline, converter and tanker failing and being repaired, one
timeline each, `sim.energy.reliability`), then each carrier over those timelines: power
dispatched hour by hour (`sim.energy.power`), data routed per network state
(`sim.energy.fibre`), liquids produced, stored, shipped and piped event by event
(`sim.energy.liquids`). Statistics cover [warmup, horizon]. A hydrogen or ammonia flow made by
an electrolyser runs on the power its site's flows leave unsent, so power is dispatched first
whenever such a flow is simulated, and the hourly surplus it leaves (`Replication.surplus`) is
dropped once the liquids have used it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sim.energy import CARRIERS
from sim.energy.fibre import simulate_data
from sim.energy.liquids import LIQUIDS, simulate_liquids
from sim.energy.power import simulate_power
from sim.energy.records import LinkMeasures
from sim.energy.reliability import Outcome, components, simulate_reliability
from sim.network import Network
from sim.replications import Replication, Streams
from sim.scenario.schema import Scenario


def simulate_continuous(scenario: Scenario, network: Network, streams: Streams, index: int,
                        carriers: Iterable[str] = CARRIERS) -> Replication:
    """One replication of every flow whose carrier is oil, power, data, hydrogen or ammonia."""
    # Fresh generators for the same (seed, replication): a stream another model has already
    # drawn from (the cargo model's `weather:<id>`) starts again here, so both see one sea.
    streams = Streams(streams.seed, streams.replication)
    chosen = set(carriers) & set(CARRIERS)
    if any(f.produced_by is not None and f.carrier in chosen for f in scenario.flows.values()):
        chosen.add("power")  # the electrolyser runs on what the power dispatch leaves
    horizon = scenario.simulation.horizon.value
    warmup = scenario.simulation.warmup.value
    outcome = reliability(scenario, network, streams, chosen)
    rep = Replication(index)
    rep.outages = outcome.outages
    rep.events = outcome.events
    n_hours, warmup_h = int(math.ceil(horizon - 1e-9)), int(math.floor(warmup + 1e-9))
    if "power" in chosen:
        simulate_power(scenario, network, streams, outcome, rep, n_hours, warmup_h)
    if "data" in chosen:
        simulate_data(scenario, network, outcome, rep, n_hours, warmup_h)
    if chosen & set(LIQUIDS):
        simulate_liquids(scenario, network, streams, outcome, rep, horizon, warmup)
    rep.surplus.clear()
    _unused_links(network, outcome, rep, chosen, warmup, horizon)
    return rep


def reliability(scenario: Scenario, network: Network, streams: Streams, carriers: Iterable[str]) -> Outcome:
    """Every failing component of these carriers, simulated over the horizon."""
    comps = components(scenario, network, carriers)
    return simulate_reliability(scenario, comps, streams, scenario.simulation.horizon.value)


def _unused_links(network: Network, outcome: Outcome, rep: Replication, carriers: set[str], warmup: float,
                  horizon: float) -> None:
    """Links of these carriers no flow used still report their availability."""
    for view in network.links.values():
        if view.carrier in carriers and view.id not in rep.links:
            rep.links[view.id] = LinkMeasures(availability=outcome.timeline(view.id).mean(warmup, horizon),
                                              utilisation=0.0).row()
