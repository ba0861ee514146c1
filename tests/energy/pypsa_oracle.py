"""PyPSA as an independent oracle for the hourly power dispatch (tests and benchmarks only).

The dispatch problem of `sim.energy.dispatch` and of the storage LP, written with PyPSA's own
components from plain arrays and solved by `Network.optimize()` (linopy, HiGHS), so that our
delivered power can be compared with it hour by hour:

- a bus per node; a `Link` per element (a cable, a line, a converter), `p_nom` its nameplate
  capacity and `p_max_pu` its hourly capacity with outages over that, `efficiency` its share
  leaving (our capacity limits the power entering an element, PyPSA's `p0`, the same);
- a `Generator` per generation site with `p_max_pu` its hourly output (what is not taken is
  curtailed, at no cost), and per dispatchable plant, with its availability as `p_max_pu`, its
  minimum output as `p_min_pu`, its ramp limit as `ramp_limit_up/down` (share of `p_nom` per
  hour) and its fuel cost as `marginal_cost`;
- a `StorageUnit` per store: `efficiency_store` = `efficiency_dispatch` = sqrt(round trip),
  charging and discharging each up to its power; our state-of-charge band [soc_min, soc_max] x
  energy is PyPSA's [0, max_hours x p_nom] shifted by soc_min x energy (no standing loss, so the
  shift is exact), the state carried in from `initial` x energy, the last hour's state free;
- a `Load` at each destination, its demand the rates of the flows ending there, with a
  load-shedding generator whose marginal cost is the value of an hour's delivery: delivered =
  demand - shed.

Costs are any hourly or constant series the caller chooses, in the units of the objective it
mirrors (`build` does not rescale them). `solve` returns the hourly results as NumPy arrays.
"""

from __future__ import annotations

import logging
import math
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pypsa
import xarray as xr

from sim.energy.dispatch import SENT_PENALTY, element_capacities
from sim.energy.model import reliability
from sim.energy.paths import Element, Path, flow_paths
from sim.energy.profiles import scenario_profiles
from sim.energy.records import Hourly
from sim.energy.reliability import Outcome
from sim.energy.storage import PRIORITY_STEP, STORE_PENALTY, TIME_PREFERENCE, PlantSpec, StoreSpec
from sim.network import Network
from sim.replications import Streams
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

Series = float | Hourly  # a constant, or one value an hour


@dataclass(frozen=True)
class Link:
    """An element from `bus0` to `bus1`: `capacity` the power entering it (each hour, or
    constant), `efficiency` the share leaving it, `cost` per unit entering."""

    name: str
    bus0: str
    bus1: str
    capacity: Series
    efficiency: float = 1.0
    cost: Series = 0.0


@dataclass(frozen=True)
class Generator:
    """Supply at `bus`: at most `available` each hour and at least `minimum`; `capacity` (the
    nameplate the ramp limit is a share of) defaults to the most ever available; `ramp` is the
    largest change from one hour to the next as a share of `capacity` (None: no limit)."""

    name: str
    bus: str
    available: Series
    cost: Series = 0.0
    minimum: Series = 0.0
    capacity: float | None = None
    ramp: float | None = None


@dataclass(frozen=True)
class Storage:
    """A store (`spec`: power, energy, round trip, state-of-charge band and start) at `bus`;
    `cost` is paid per unit charged and per unit discharged."""

    name: str
    bus: str
    spec: StoreSpec
    cost: float = 0.0


@dataclass(frozen=True)
class Load:
    """Demand at `bus` (each hour, or constant), met or shed at `shedding_cost` per unit shed."""

    name: str
    bus: str
    demand: Series
    shedding_cost: Series


@dataclass
class Solution:
    """PyPSA's optimum, hour by hour: per load the power delivered (demand less shed), per link
    the power entering and leaving, per generator its output, per store its charge, discharge
    and state of charge (in our band, not PyPSA's shifted one)."""

    objective: float
    delivered: dict[str, Hourly] = field(default_factory=dict)
    link_in: dict[str, Hourly] = field(default_factory=dict)
    link_out: dict[str, Hourly] = field(default_factory=dict)
    output: dict[str, Hourly] = field(default_factory=dict)
    charge: dict[str, Hourly] = field(default_factory=dict)
    discharge: dict[str, Hourly] = field(default_factory=dict)
    state: dict[str, Hourly] = field(default_factory=dict)


SHED = "shed:"  # prefix of a load's shedding generator
CARRIER = "AC"


def build(n_hours: int, links: Sequence[Link], generators: Sequence[Generator] = (),
          storage: Sequence[Storage] = (), loads: Sequence[Load] = ()) -> pypsa.Network:
    """A PyPSA network over `n_hours` hourly snapshots with these components; a bus for every
    bus they name."""
    pypsa.options.api.legacy_string_dtype = True  # today's behaviour, said so (quiet)
    net = pypsa.Network()
    net.set_snapshots(list(range(n_hours)))
    net.add("Carrier", CARRIER)
    buses = sorted({b for v in links for b in (v.bus0, v.bus1)} | {g.bus for g in generators} |
                   {s.bus for s in storage} | {d.bus for d in loads})
    net.add("Bus", buses, carrier=CARRIER)
    for v in links:
        nom, pu = _nominal(v.capacity)
        net.add("Link", v.name, bus0=v.bus0, bus1=v.bus1, carrier=CARRIER, p_nom=nom, p_max_pu=_series(pu, n_hours),
                efficiency=v.efficiency, marginal_cost=_series(v.cost, n_hours))
    for g in generators:
        most = float(np.max(g.available))
        nom = g.capacity if g.capacity is not None else most
        scale = nom if nom > 0 else 1.0
        ramp = np.nan if g.ramp is None else g.ramp  # PyPSA's NaN: no limit
        net.add("Generator", g.name, bus=g.bus, p_nom=nom,
                p_max_pu=_series(np.asarray(g.available) / scale, n_hours),
                p_min_pu=_series(np.asarray(g.minimum) / scale, n_hours),
                marginal_cost=_series(g.cost, n_hours), ramp_limit_up=ramp, ramp_limit_down=ramp)
    for store in storage:
        s = store.spec
        band = (s.soc_max - s.soc_min) * s.energy
        eff = math.sqrt(s.round_trip_efficiency)
        net.add("StorageUnit", store.name, bus=store.bus, p_nom=s.power,
                max_hours=band / s.power if s.power > 0 else 0.0, p_min_pu=-1.0, p_max_pu=1.0, efficiency_store=eff,
                efficiency_dispatch=eff, marginal_cost=store.cost,
                state_of_charge_initial=(s.initial - s.soc_min) * s.energy, cyclic_state_of_charge=False)
    for d in loads:
        most = float(np.max(d.demand))
        net.add("Load", d.name, bus=d.bus, p_set=_series(d.demand, n_hours))
        net.add("Generator", SHED + d.name, bus=d.bus, p_nom=most, p_max_pu=1.0,
                marginal_cost=_series(d.shedding_cost, n_hours))
    return net


def solve(net: pypsa.Network, storage: Sequence[Storage] = ()) -> Solution:
    """Optimise `net` with HiGHS (quietly) and read the results; `storage` gives the stores'
    bands back (PyPSA's state of charge starts at soc_min)."""
    for name in ("pypsa", "linopy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    charge_cost = pd.Series({s.name: s.cost for s in storage}, dtype=float)

    def cost_of_charging(net: pypsa.Network, snapshots: pd.Index) -> None:
        """PyPSA prices a StorageUnit's dispatch only (`marginal_cost`): its charging is added here."""
        if charge_cost.empty or not (charge_cost != 0).any():
            return
        model = net.model
        charge = model["StorageUnit-p_store"].sel(name=list(charge_cost.index))
        cost = xr.DataArray(charge_cost.to_numpy(), coords={"name": list(charge_cost.index)}, dims="name")
        model.add_objective(model.objective.expression + (charge * cost).sum(), overwrite=True)

    status, condition = net.optimize(solver_name="highs", io_api="direct", log_to_console=False,
                                     include_objective_constant=False, extra_functionality=cost_of_charging)
    if status != "ok":
        raise RuntimeError(f"PyPSA's optimisation failed: {status}, {condition}")
    out = Solution(objective=float(net.objective or 0.0))
    p = net.generators_t.p
    for name in net.loads.index:
        out.delivered[name] = net.loads_t.p[name].to_numpy(float) - p[SHED + name].to_numpy(float)
    for name in net.links.index:
        out.link_in[name] = net.links_t.p0[name].to_numpy(float)
        out.link_out[name] = -net.links_t.p1[name].to_numpy(float)
    for name in net.generators.index:
        if not name.startswith(SHED):
            out.output[name] = p[name].to_numpy(float)
    floor = {s.name: s.spec.soc_min * s.spec.energy for s in storage}
    for name in net.storage_units.index:
        out.charge[name] = net.storage_units_t.p_store[name].to_numpy(float)
        out.discharge[name] = net.storage_units_t.p_dispatch[name].to_numpy(float)
        out.state[name] = net.storage_units_t.state_of_charge[name].to_numpy(float) + floor.get(name, 0.0)
    return out


def _nominal(capacity: Series) -> tuple[float, Series]:
    """A capacity as PyPSA's nameplate and per-unit limit: the most it ever is, and each hour's
    share of that."""
    nom = float(np.max(capacity))
    if nom <= 0:
        return 0.0, 1.0
    return nom, np.asarray(capacity, dtype=float) / nom if np.ndim(capacity) else 1.0


def _series(value: Series, n_hours: int) -> float | pd.Series:
    """A constant as it is; an hourly array as a pandas Series over the snapshots."""
    if np.ndim(value) == 0:
        return float(value)
    arr = np.asarray(value, dtype=float)
    if len(arr) != n_hours:
        raise ValueError(f"an hourly series has {len(arr)} values, expected {n_hours}")
    return pd.Series(arr, index=pd.RangeIndex(n_hours, name="snapshot"))


@dataclass
class PathNetwork:
    """Our dispatch's inputs as PyPSA components, and where to read each flow's delivery: per
    flow, the link its power enters first on each path with that path's efficiency."""

    links: list[Link]
    generators: list[Generator]
    storage: list[Storage]
    loads: list[Load]
    sending: dict[str, list[tuple[str, float]]]

    def network(self, n_hours: int) -> pypsa.Network:
        return build(n_hours, self.links, self.generators, self.storage, self.loads)

    def delivered(self, solution: Solution) -> dict[str, Hourly]:
        """Each flow's delivered power: what it sent into each path times the path's efficiency."""
        return {f: np.sum([solution.link_in[name] * eff for name, eff in first], axis=0)
                for f, first in self.sending.items()}


def path_network(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                 supply: dict[str, Hourly], ends: dict[str, tuple[str, str]], destinations: dict[str, str],
                 stores: dict[str, StoreSpec] | None = None, plants: dict[str, PlantSpec] | None = None, *,
                 start: int = 0, horizon: int | None = None, value_of_power: float = 1000.0) -> PathNetwork:
    """Our dispatch inputs (`sim.energy.dispatch` and `sim.energy.storage`: paths, rates, hourly
    element capacities and origin supply, stores and plants at origins) as PyPSA components, with
    the storage LP's objective: maximise
        sum_t sum_f W_f (1 + TIME_PREFERENCE (H - t)/H) delivered[f,t] - SENT_PENALTY sum_p x[p,t]
        - STORE_PENALTY sum_s (c[s,t] + d[s,t]) - sum_k fuel_cost_k / value_of_power g[k,t],
    W_f = 1 + PRIORITY_STEP (number of flows - 1 - priority index), t the absolute hour (`start`
    the first), H the `horizon` (default: start + the hours given). Without stores and plants,
    and with the hours independent, that is also the priority rule of `fill_paths` wherever
    weighing flows equals serving them in turn (below).

    `ends` gives each element's buses (from, to) and `destinations` each flow's. The shedding
    generator at a destination costs the lowest weight (1 x the hour's time factor); each flow's
    extra weight (W_f - 1) is paid on the first element of each of its paths, as a negative cost
    per unit entering times the path's efficiency, so the objective is ours term by term. That
    needs each path's first element to be its own (true of chains out of a generation site); a
    flow with another shape is refused. Where a plant sits, surplus may be spilled (our origin
    balance is "<=": output at the plant's minimum that cannot be sent is curtailed)."""
    stores, plants = stores or {}, plants or {}
    n = len(next(iter(caps.values())))
    hours = horizon if horizon is not None else start + n
    t = np.arange(start, start + n, dtype=float)
    factor = 1.0 + TIME_PREFERENCE * (hours - t) / max(hours, 1)
    flows = list(paths)
    weight = {f: 1.0 + PRIORITY_STEP * (len(flows) - 1 - i) for i, f in enumerate(flows)}
    first_use: dict[str, int] = {}
    for ps in paths.values():
        for p in ps:
            for e in p.elements:
                first_use[e.key] = first_use.get(e.key, 0) + 1
    sending: dict[str, list[tuple[str, float]]] = {}
    first_cost: dict[str, Series] = {}
    for f in flows:
        sending[f] = []
        for p in paths[f]:
            key = p.elements[0].key
            if first_use[key] != 1:
                raise ValueError(f"flows.{f}: the first element {key!r} of a path is shared; the oracle "
                                 "reads a flow's delivery from its own first elements")
            sending[f].append((key, p.efficiency))
            first_cost[key] = SENT_PENALTY - (weight[f] - 1.0) * factor * p.efficiency
    elements = {e.key: e for ps in paths.values() for p in ps for e in p.elements}
    links = [Link(k, *ends[k], capacity=caps[k], efficiency=e.efficiency, cost=first_cost.get(k, 0.0))
             for k, e in elements.items()]
    big = 1e3 * max([float(np.max(c)) for c in caps.values()] + [1.0])
    generators = [Generator(f"supply:{o}", o, np.where(np.isfinite(s), s, big)) for o, s in supply.items()]
    for k, plant in plants.items():
        available = plant.capacity * np.broadcast_to(np.asarray(plant.availability, dtype=float), (n,))
        generators.append(Generator(f"plant:{k}", plant.origin, available, cost=plant.fuel_cost / value_of_power,
                                    minimum=plant.min_output * available, capacity=plant.capacity,
                                    ramp=plant.ramp))
    for o in sorted({plant.origin for plant in plants.values()}):
        generators.append(Generator(f"spill:{o}", o, 0.0, minimum=-big, capacity=big))
    storage = [Storage(k, s.origin, s, cost=STORE_PENALTY) for k, s in stores.items()]
    demand: dict[str, float] = {}
    for f in flows:
        demand[destinations[f]] = demand.get(destinations[f], 0.0) + rates[f]
    loads = [Load(d, d, rate, shedding_cost=factor) for d, rate in demand.items()]
    return PathNetwork(links, generators, storage, loads, sending)


@dataclass
class Case:
    """One year of dispatch inputs, with the buses of each element and each flow's destination."""

    paths: dict[str, list[Path]]
    rates: dict[str, float]
    caps: dict[str, Hourly]
    supply: dict[str, Hourly]
    ends: dict[str, tuple[str, str]]
    destinations: dict[str, str]
    stores: dict[str, StoreSpec] = field(default_factory=dict)
    plants: dict[str, PlantSpec] = field(default_factory=dict)

    @property
    def n_hours(self) -> int:
        return len(next(iter(self.caps.values())))

    def pypsa(self, value_of_power: float = 1000.0) -> PathNetwork:
        """The case as PyPSA components (`path_network`), over the whole year."""
        return path_network(self.paths, self.rates, self.caps, self.supply, self.ends, self.destinations,
                            self.stores, self.plants, value_of_power=value_of_power)


TARGETS_2030 = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "targets-2030.yaml"
PROJECTS_BUILT = ["links.caspian_power_cable.capacity=1 GW", "links.nakhchivan_turkiye.capacity=1 GW"]


def corridor_case(replication: int = 0, n_hours: int = 8760) -> Case:
    """The power part of targets-2030 as the simulation dispatches it: every power flow with its
    paths, the sites' generation (profiles times the site in service) and the elements' hourly
    capacities under one replication's outages; the Caspian cable and the Nakhchivan-Turkiye line
    (0 GW in the file: not yet built) at 1 GW, so that all four flows deliver."""
    scenario, network, streams, outcome = _replication(PROJECTS_BUILT, replication, n_hours)
    flows = {fid: f for fid, f in scenario.flows.items() if f.carrier == "power"}
    paths = {fid: flow_paths(scenario, network, fid) for fid in flows}
    caps, _ = element_capacities(paths, outcome, n_hours)
    supply = {o: _generation(scenario, o, streams, n_hours) * outcome.timeline(o).hourly(n_hours)
              for o in {f.origin for f in flows.values()}}
    ends = {f"link:{lid}": (view.source, view.target) for lid, view in network.links.items()}
    return Case(paths, {fid: f.rate.value for fid, f in flows.items()}, caps, supply, ends,
                {fid: f.destination for fid, f in flows.items()})


def storage_case(replication: int = 0, n_hours: int = 8760) -> Case:
    """A 5-bus version of targets-2030 with a battery and a gas plant: az_wind (its 4 GW of wind
    and a battery of 1 GW / 4 GWh, 85 % round trip, 10-95 % state of charge) -> az_ge_transmission
    (1 GW) -> anaklia -> the Black Sea cable (1 GW, its losses and one replication's outages) ->
    hungary; nakhchivan (1.5 GW of solar and a 0.5 GW gas plant, 90 % available, ramping 25 % an
    hour, 60 USD/MWh, at least 20 % of what is available) -> nakhchivan_turkiye (1 GW) ->
    turkiye_grid. The store and the plant are assumptions of the test."""
    scenario, network, streams, outcome = _replication([], replication, n_hours)
    links = network.links
    ge, cable = (Element(f"link:{lid}", links[lid].capacity, links[lid].efficiency)
                 for lid in ("az_ge_transmission", "black_sea_cable"))
    line = Element("link:nakhchivan_turkiye", 1.0, links["nakhchivan_turkiye"].efficiency)  # 0 GW in the file
    paths = {"az_wind_export": [Path("az_wind_export", "az_wind", (ge, cable))],
             "nakhchivan_export": [Path("nakhchivan_export", "nakhchivan", (line,))]}
    caps = {e.key: e.capacity * outcome.timeline(e.id).hourly(n_hours) for e in (ge, cable, line)}
    supply = {o: _generation(scenario, o, streams, n_hours) for o in ("az_wind", "nakhchivan")}
    return Case(paths, {f: scenario.flows[f].rate.value for f in paths}, caps, supply,
                {ge.key: ("az_wind", "anaklia"), cable.key: ("anaklia", "hungary"),
                 line.key: ("nakhchivan", "turkiye_grid")},
                {f: scenario.flows[f].destination for f in paths},
                stores={"az_wind.battery": StoreSpec("az_wind", 1.0, 4.0, 0.85, 0.1, 0.95, 0.5)},
                plants={"nakhchivan.gas": PlantSpec("nakhchivan", 0.5, 0.9, 0.25, 60.0, 0.2)})


def _replication(overrides: list[str], replication: int,
                 n_hours: int) -> tuple[Scenario, Network, Streams, Outcome]:
    """targets-2030 over `n_hours`, and one replication's outages of its power components."""
    scenario = load_scenario(TARGETS_2030, [f"simulation.horizon={n_hours} h", *overrides])
    network = Network(scenario)
    streams = Streams(scenario.simulation.seed, replication)
    return scenario, network, streams, reliability(scenario, network, streams, ("power",))


def _generation(scenario: Scenario, origin: str, streams: Streams, n_hours: int) -> Hourly:
    """A site's hourly generation (GW) from its profile, as the power model draws it."""
    node = scenario.nodes[origin]
    if node.generation is None:
        return np.full(n_hours, np.inf)
    profile = scenario_profiles(scenario, streams.seed, streams.replication).hours(origin, 0, n_hours)
    return node.generation.capacity.value * profile
