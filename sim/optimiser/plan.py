"""Building a plan into a scenario: the expanded network the simulator then runs."""

from __future__ import annotations

import math
from collections.abc import Mapping

from sim.errors import CorridorError
from sim.network import Network, flow_unit
from sim.scenario.schema import Asset, BerthKind, Figure, Plant, Scenario, Store
from sim.scenario.units import CARRIER_UNIT, Kind

_KIND: dict[str, Kind] = {"Mt/yr": "mass_rate", "GW": "power", "Tbps": "data_rate"}


def apply_amounts(scenario: Scenario, amounts: Mapping[str, float]) -> Scenario:
    """A copy of `scenario` with each expansion built at the given amount (its own unit)."""
    out = scenario.model_copy(deep=True)
    net = Network(scenario)
    total: dict[tuple[Asset, str], float] = {}
    names: dict[tuple[Asset, str], list[str]] = {}
    for eid, amount in amounts.items():
        e = scenario.expansions[eid]
        key = e.asset()
        if e.berth is not None and amount > 0:
            _add_berths(out, e.asset()[1], e.berth, math.ceil(amount - 1e-6), eid)
            continue
        if (e.store is not None or e.plant is not None) and amount > 0:
            _add_store_or_plant(out, eid, amount)
            continue
        if amount > 0:
            total[key] = total.get(key, 0.0) + amount
            names.setdefault(key, []).append(eid)
    for (asset, element), amount in total.items():
        why = ", ".join(names[asset, element])
        if asset == "fleet":
            fleet = out.fleets[element]
            vessels = int(fleet.vessels.value) + math.ceil(amount - 1e-6)
            out.fleets[element] = fleet.model_copy(update={"vessels": _count(vessels, why)})
        elif asset == "link":
            link = out.links[element]
            if link.capacity is None:
                raise CorridorError(f"link {element!r} is sailed by a fleet alone: expand the fleet ({why})")
            value = net.flow_rate(link.capacity) + amount
            fig = _rate(value, CARRIER_UNIT[link.carrier], why)
            out.links[element] = link.model_copy(update={"capacity": fig})
        else:
            _expand_node(out, net, element, amount, why)
    return out


def _expand_node(out: Scenario, net: Network, nid: str, amount: float, eid: str) -> None:
    """More throughput at a node: its capacity, or its generation (a port with berths alone is
    expanded by berths, `_add_berths`)."""
    node = out.nodes[nid]
    if node.capacity is None and node.generation is not None:
        gen = node.generation
        fig = _rate(gen.capacity.value + amount, "GW", eid)
        out.nodes[nid] = node.model_copy(update={"generation": gen.model_copy(update={"capacity": fig})})
        return
    if node.capacity is not None:
        fig = _rate(net.flow_rate(node.capacity) + amount, flow_unit(node.capacity), eid)
        out.nodes[nid] = node.model_copy(update={"capacity": fig})


def _add_store_or_plant(out: Scenario, eid: str, amount: float) -> None:
    """A store or plant of the expansion's design at its generation site, `amount` GW, named after
    the expansion."""
    e = out.expansions[eid]
    assert e.node is not None  # the schema ties a store or plant to a node
    node = out.nodes[e.node]
    power = _rate(amount, "GW", eid)
    if e.store is not None:
        d = e.store
        energy = Figure(amount * d.hours.value, "GWh", "energy", f"{amount * d.hours.value:.6g} GWh", None,
                        f"with plan expansion {eid}")
        store = Store(kind=d.kind, power=power, energy=energy, round_trip_efficiency=d.round_trip_efficiency,
                      soc_min=d.soc_min, soc_max=d.soc_max, initial=d.initial)
        out.nodes[e.node] = node.model_copy(update={"stores": {**node.stores, eid: store}})
    elif e.plant is not None:
        d2 = e.plant
        plant = Plant(fuel=d2.fuel, capacity=power, availability=d2.availability, ramp=d2.ramp, fuel_cost=d2.fuel_cost,
                      min_output=d2.min_output)
        out.nodes[e.node] = node.model_copy(update={"plants": {**node.plants, eid: plant}})


def _add_berths(out: Scenario, nid: str, kind: BerthKind, count: int, eid: str) -> None:
    node = out.nodes[nid]
    assert node.port is not None  # the checks ensure an expanded berth is at a port
    berths = dict(node.port.berths)
    b = berths[kind]
    berths[kind] = b.model_copy(update={"count": _count(int(b.count.value) + count, eid)})
    out.nodes[nid] = node.model_copy(update={"port": node.port.model_copy(update={"berths": berths})})


def _rate(value: float, unit: str, eid: str) -> Figure:
    return Figure(value, unit, _KIND[unit], f"{value:.6g} {unit}", None, f"with plan expansion {eid}")


def _count(n: int, eid: str) -> Figure:
    return Figure(float(n), "1", "count", str(n), None, f"with plan expansion {eid}")
