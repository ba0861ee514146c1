"""Firm power: what makes a power target's figure firm, at least annual cost.

The planner's third question about an export corridor (the first two, can it carry the figure
and how much energy it delivers, are the transmission and energy framings of `sim.targets`):
given the hourly output of the generation behind a target's flows over one year, the paths'
capacities and losses, the stores and plants already there and the candidate investments (more
generation at a site, more capacity on a link or converter, a store's power with its fixed
hours of energy, a dispatchable plant's capacity), which mix delivers the figure in at least
`share_of_time` of the hours at least annual cost?

The linear programme, over the H hours of the year (hour t, path p, origin o, store s, plant k,
element e, flow f), with sizes z >= 0 of the candidates (a `project` candidate all or nothing):

    generation     sum_p x[p,t] + sum_s (c[s,t] - d[s,t]) - sum_k g[k,t] <= cf[o,t] (G_o + z_o)
    store          c[s,t], d[s,t] <= P_s + z_s;  e[s,t] <= hours_s (P_s + z_s)
                   e[s,t] = e[s,t-1] + sqrt(rte) c[s,t] - d[s,t] / sqrt(rte)  (cyclic over the year)
    plant          g[k,t] <= availability (K_k + z_k);  |g[k,t] - g[k,t-1]| <= ramp (K_k + z_k)
    element        sum_p (power entering e on p per unit sent) x[p,t] <= cap_e[t] + z_e
    flow           sum_p eff_p x[p,t] <= rate_f
    target         sum_f sum_p eff_p x[p,t] + short[t] >= figure  for every hour t not exempt
    minimise       sum_i annual_cost_i z_i / size_i + sum_k,t (fuel_k g[k,t] + VOLL short[t]) (8766 / H) / 1000
                   + 1e-6 sum_p,t x[p,t]            (MUSD a year; the last term sends no power in vain)

A shortfall costs the value of lost load (VOLL, 10,000 USD/MWh: the order of the European
estimates, e.g. CEPA's study for ACER, 2018, an assumption), so where no mix of the candidates
can hold the figure the plan says how close it gets and what is still short (GWh a year, hours).

The chance constraint (the figure in at least `share_of_time` of the hours) is not convex: the
exempt hours are chosen before the programme, as the (1 - share) H hours in which the system as
it is, dispatched without storage, falls furthest short of the figure. That is a rule of
thumb, so the plan is judged afterwards by the simulation with its own weather draws and
outages, not trusted. Solved by HiGHS (or CBC) through PuLP (`sim.optimiser.lp`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from sim.energy.dispatch import exact_rule
from sim.energy.paths import Path, flow_paths
from sim.energy.records import Hourly
from sim.network import HOURS_PER_YEAR, Network
from sim.optimiser.lp import LinearProgram
from sim.optimiser.model import annual_cost
from sim.scenario.schema import Scenario

AssetKind = Literal["generation", "element", "store", "plant"]
SENT_COST = 1e-6  # MUSD a GW-hour sent: among plans of equal cost, the one that sends least
VOLL = 10_000.0  # USD/MWh: the value of lost load a shortfall costs (an assumption, module text)


@dataclass(frozen=True)
class Asset:
    """Something the firm plan uses or may build: `existing` units in place, up to `size` more at
    `annual_cost` MUSD/yr for the whole size (a `project` is all or nothing).

    generation: GW at origin `at` (output `existing + z` times the site's hourly capacity factor);
    element: GW on element key `at` ("link:<id>" or "node:<id>");
    store: GW of power at origin `at`, with `hours` of energy per GW and round-trip efficiency `rte`;
    plant: GW at origin `at`, available `availability` of the time, ramping `ramp` of its capacity
    an hour, burning fuel at `fuel_cost` USD/MWh."""

    id: str
    kind: AssetKind
    at: str
    existing: float = 0.0
    size: float = 0.0
    annual_cost: float = 0.0
    project: bool = False
    hours: float = 0.0
    rte: float = 1.0
    soc_min: float = 0.0
    soc_max: float = 1.0
    availability: float = 1.0
    ramp: float = 1.0
    fuel_cost: float = 0.0


@dataclass
class FirmPlan:
    """What the programme chose: the size built of each candidate, the annual cost (investment
    and fuel), the exempt hours and the delivery each hour."""

    status: str
    built: dict[str, float] = field(default_factory=dict)
    investment_musd_yr: float = math.nan
    fuel_musd_yr: float = math.nan
    exempt_hours: int = 0
    delivered: Hourly = field(default_factory=lambda: np.zeros(0))
    short_gwh_yr: float = 0.0  # energy short of the figure in the hours not exempt, a year
    short_hours: int = 0  # hours not exempt in which the plan falls short

    @property
    def cost_musd_yr(self) -> float:
        return self.investment_musd_yr + self.fuel_musd_yr

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: status, what is built (GW, candidates built above zero), the annual cost
        split, the exempt hours and the share of the year's hours the plan delivers the figure in."""
        ok = self.status == "optimal"
        return {"status": self.status, "built": {k: v for k, v in self.built.items() if v > 1e-9},
                "investment_musd_yr": self.investment_musd_yr if ok else None,
                "fuel_musd_yr": self.fuel_musd_yr if ok else None,
                "cost_musd_yr": self.cost_musd_yr if ok else None, "exempt_hours": self.exempt_hours,
                "hours": int(len(self.delivered)) if ok else None, "short_gwh_yr": self.short_gwh_yr if ok else None,
                "short_hours": self.short_hours if ok else None}


def exempt_hours(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                 supply: dict[str, Hourly], figure: float, share_of_time: float) -> np.ndarray:
    """The (1 - share) H hours in which the system as it is, dispatched without storage, falls
    furthest short of `figure` (a boolean mask over the hours)."""
    n = len(next(iter(supply.values())))
    solve = exact_rule(paths)
    got = solve(paths, rates, caps, supply, n)
    total = np.sum([got.delivered[f] for f in paths], axis=0)
    k = int(math.floor((1.0 - share_of_time) * n + 1e-9))
    mask = np.zeros(n, dtype=bool)
    if k > 0:
        order = np.argsort(total - figure, kind="stable")  # most short first, ties by hour
        mask[order[:k]] = True
    return mask


def plan_firm(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
              cf: dict[str, Hourly], assets: Sequence[Asset], figure: float, share_of_time: float,
              solver: str = "highs") -> FirmPlan:
    """The least-cost plan delivering `figure` GW in `share_of_time` of the hours (module text).

    `paths` and `rates` are the target's flows; `caps` each element's hourly capacity; `cf` each
    generation site's hourly capacity factor (an origin without one is a grid, unlimited);
    `assets` the generation, stores and plants in place and the candidates."""
    n = len(next(iter(caps.values())))
    origins = sorted({ps[0].origin for ps in paths.values()})
    gen = {o: sum(a.existing for a in assets if a.kind == "generation" and a.at == o) for o in origins}
    supply = {o: cf[o] * gen[o] if o in cf else np.full(n, np.inf) for o in origins}  # no profile: a grid
    exempt = exempt_hours(paths, rates, caps, supply, figure, share_of_time)
    lp = LinearProgram("firm")
    z: dict[str, int] = {}
    for a in assets:
        if a.size > 0:
            ub = 1.0 if a.project else a.size
            cost = a.annual_cost if a.project else a.annual_cost / a.size
            z[a.id] = lp.add_col(f"build_{a.id}", 0.0, ub, cost, integer=a.project)

    def capacity(a: Asset) -> tuple[float, list[int], list[float]]:
        """An asset's capacity as a constant plus columns: existing + z (x size for a project)."""
        if a.id not in z:
            return a.existing, [], []
        return a.existing, [z[a.id]], [a.size if a.project else 1.0]

    allp = [p for ps in paths.values() for p in ps]
    x = [[lp.add_col(f"x_{j}_{t}", cost=SENT_COST) for t in range(n)] for j in range(len(allp))]
    stores = [a for a in assets if a.kind == "store"]
    plants = [a for a in assets if a.kind == "plant"]
    scale = HOURS_PER_YEAR / n
    c = {a.id: [lp.add_col(f"c_{a.id}_{t}") for t in range(n)] for a in stores}
    d = {a.id: [lp.add_col(f"d_{a.id}_{t}") for t in range(n)] for a in stores}
    e = {a.id: [lp.add_col(f"e_{a.id}_{t}") for t in range(n)] for a in stores}
    g = {a.id: [lp.add_col(f"g_{a.id}_{t}", cost=a.fuel_cost * scale / 1000.0) for t in range(n)] for a in plants}
    for a in stores:
        k0, kc, kv = capacity(a)
        eta = math.sqrt(a.rte)
        for t in range(n):
            for col in (c[a.id][t], d[a.id][t]):
                lp.add_row(f"power_{a.id}_{t}", [col, *kc], [1.0, *(-v for v in kv)], hi=k0)
            top, bottom = a.hours * a.soc_max, a.hours * a.soc_min
            lp.add_row(f"energy_{a.id}_{t}", [e[a.id][t], *kc], [1.0, *(-top * v for v in kv)], hi=top * k0)
            if bottom > 0:
                lp.add_row(f"reserve_{a.id}_{t}", [e[a.id][t], *kc], [1.0, *(-bottom * v for v in kv)], lo=bottom * k0)
            lp.add_row(f"state_{a.id}_{t}", [e[a.id][t], e[a.id][t - 1], c[a.id][t], d[a.id][t]],
                       [1.0, -1.0, -eta, 1.0 / eta], lo=0.0, hi=0.0)
    for a in plants:
        k0, kc, kv = capacity(a)
        for t in range(n):
            lp.add_row(f"avail_{a.id}_{t}", [g[a.id][t], *kc], [1.0, *(-a.availability * v for v in kv)],
                       hi=a.availability * k0)
            if a.ramp < 1.0 and n > 1:
                for sign in (1.0, -1.0):
                    lp.add_row(f"ramp_{a.id}_{t}", [g[a.id][t], g[a.id][t - 1], *kc],
                               [sign, -sign, *(-a.ramp * v for v in kv)], hi=a.ramp * k0)
    for o in origins:
        gens = [a for a in assets if a.kind == "generation" and a.at == o]
        here = [j for j, p in enumerate(allp) if p.origin == o]
        for t in range(n):
            cols = [x[j][t] for j in here]
            coefs = [1.0] * len(cols)
            for a in stores:
                if a.at == o:
                    cols += [c[a.id][t], d[a.id][t]]
                    coefs += [1.0, -1.0]
            for a in plants:
                if a.at == o:
                    cols.append(g[a.id][t])
                    coefs.append(-1.0)
            for a in gens:
                if a.id in z and o in cf:
                    cols.append(z[a.id])
                    coefs.append(-cf[o][t] * (a.size if a.project else 1.0))
            if o in cf:
                lp.add_row(f"supply_{o}_{t}", cols, coefs, hi=float(supply[o][t]))
    entering: dict[str, list[tuple[int, float]]] = {}
    for j, p in enumerate(allp):
        for el, gain in zip(p.elements, p.entering):
            entering.setdefault(el.key, []).append((j, gain))
    for key, users in entering.items():
        extra = [a for a in assets if a.kind == "element" and a.at == key and a.id in z]
        for t in range(n):
            cols = [x[j][t] for j, _ in users] + [z[a.id] for a in extra]
            coefs = [v for _, v in users] + [-(a.size if a.project else 1.0) for a in extra]
            lp.add_row(f"element_{key}_{t}", cols, coefs, hi=float(caps[key][t]))
    for fid, ps in paths.items():
        js = [allp.index(p) for p in ps]
        for t in range(n):
            lp.add_row(f"rate_{fid}_{t}", [x[j][t] for j in js], [allp[j].efficiency for j in js], hi=rates[fid])
    short: dict[int, int] = {}
    for t in map(int, np.flatnonzero(~exempt)):
        short[t] = lp.add_col(f"short_{t}", cost=VOLL * scale / 1000.0)
        lp.add_row(f"firm_{t}", [*(x[j][t] for j in range(len(allp))), short[t]], [*(p.efficiency for p in allp), 1.0],
                   lo=figure)
    sol = lp.solve(solver)
    if not sol.ok:
        return FirmPlan(sol.status, exempt_hours=int(exempt.sum()))
    gaps = np.array([sol.x[col] for col in short.values()])
    built = {a.id: float(sol.x[z[a.id]]) * (a.size if a.project else 1.0) for a in assets if a.id in z}
    invest = sum(a.annual_cost * (built[a.id] / a.size) for a in assets if a.id in z)
    fuel = sum(a.fuel_cost * scale / 1000.0 * float(sum(sol.x[col] for col in g[a.id])) for a in plants)
    xs = np.array([[sol.x[col] for col in row] for row in x]) if allp else np.zeros((0, n))
    effs = np.array([p.efficiency for p in allp])
    return FirmPlan("optimal", built, invest, fuel, int(exempt.sum()), effs @ xs if allp else np.zeros(n),
                    float(gaps.sum() * scale), int((gaps > 1e-6).sum()))


def firm_plans(scenario: Scenario, network: Network, solver: str = "highs") -> dict[str, FirmPlan]:
    """Each power target's least-cost firm plan (`plan_firm`) over one weather year: the
    scenario's seed, replication 0 (`sim.energy.profiles`), elements at nameplate capacity (the
    simulation adds outages when it judges the plan). Run when the scenario asks for it
    (`optimiser.firm_supply`); the candidates are its stores and plants, more generation at the target's
    sites, and more capacity on its paths' links and converters. Each target is planned alone
    (a path shared with another target's flows is not shared here)."""
    if not scenario.optimiser.firm_supply:
        return {}
    from sim.energy.profiles import YEAR_HOURS, scenario_profiles

    profiles = scenario_profiles(scenario, scenario.simulation.seed, 0)
    out = {}
    for tid, target in scenario.targets.items():
        flows = [f for f in target.flows if scenario.flows[f].carrier == "power"]
        if target.carrier != "power" or not flows:
            continue
        paths = {f: flow_paths(scenario, network, f) for f in flows}
        rates = {f: scenario.flows[f].rate.value for f in flows}
        sites = {scenario.flows[f].origin for f in flows if scenario.nodes[scenario.flows[f].origin].generation}
        cf = {o: profiles.hours(o, 0, YEAR_HOURS) for o in sorted(sites)}
        elements = {el.key: el for ps in paths.values() for p in ps for el in p.elements}
        caps = {k: np.full(YEAR_HOURS, el.capacity) for k, el in elements.items()}
        assets = _assets(scenario, sites, set(elements))
        figure = target.value.value * (1.0 - target.tolerance.value)
        out[tid] = plan_firm(paths, rates, caps, cf, assets, figure, target.share_of_time.value, solver)
    return out


def _assets(scenario: Scenario, sites: set[str], elements: set[str]) -> list[Asset]:
    """The generation, stores and plants at `sites`, and the candidates that add to them or to
    `elements` (keys "link:<id>" / "node:<id>")."""
    out: list[Asset] = []
    for o in sorted(sites):
        node = scenario.nodes[o]
        assert node.generation is not None  # sites are generation nodes
        out.append(Asset(f"generation:{o}", "generation", o, existing=node.generation.capacity.value))
        for sid, st in node.stores.items():
            out.append(Asset(f"{o}.{sid}", "store", o, existing=st.power.value, rte=st.round_trip_efficiency.value,
                             hours=st.energy.value / st.power.value if st.power.value > 0 else 0.0,
                             soc_min=st.soc_min.value, soc_max=st.soc_max.value))
        for pid, pl in node.plants.items():
            out.append(Asset(f"{o}.{pid}", "plant", o, existing=pl.capacity.value, availability=pl.availability.value,
                             ramp=pl.ramp.value, fuel_cost=pl.fuel_cost.value))
    rate = scenario.optimiser.discount_rate.value
    for eid, e in scenario.expansions.items():
        at = e.node if e.node in sites else f"link:{e.link}" if e.link is not None else f"node:{e.node}"
        base = Asset(eid, "generation", at, size=e.size.value, annual_cost=annual_cost(e, rate),
                     project=e.kind == "project")
        if e.node in sites and e.store is not None:
            d = e.store
            out.append(replace(base, kind="store", hours=d.hours.value, rte=d.round_trip_efficiency.value,
                               soc_min=d.soc_min.value, soc_max=d.soc_max.value))
        elif e.node in sites and e.plant is not None:
            p = e.plant
            out.append(replace(base, kind="plant", availability=p.availability.value, ramp=p.ramp.value,
                               fuel_cost=p.fuel_cost.value))
        elif e.node in sites and e.berth is None and e.size.unit == "GW" and scenario.nodes[e.node].capacity is None:
            out.append(base)  # more generation, as `apply_plan` builds it (a site with a capacity gets capacity)
        elif at in elements:
            out.append(replace(base, kind="element"))
    return out
