"""Storage and dispatchable plants: the hourly dispatch of power flows as a linear program over a
rolling horizon, where a store or a plant feeds a flow.

Each hour t of a window, with path flows x[p,t] (power sent into path p), store charge c[s,t] and
discharge d[s,t] in [0, P_s], state of charge e[s,t] (GWh at the end of the hour) in
[soc_min E_s, soc_max E_s], plant output g[k,t] in [min_output a[k,t], a[k,t]] (a: capacity x
availability that hour), with g[k,t] - g[k,t-1] within +- ramp x capacity:

- origin balance: sum of x from the origin + its charge <= its generation + its discharge + its
  plants' output (the rest is curtailed);
- state: e[s,t] = e[s,t-1] + sqrt(rte) c[s,t] - d[s,t] / sqrt(rte), from the state carried in;
- element capacity: the power entering each link or station (after upstream losses) <= its
  capacity that hour (outages as in `sim.energy.dispatch`);
- flow rate: delivered[f,t] = sum over the flow's paths of efficiency x x[p,t] <= rate_f;
- objective: maximise sum W_f (1 + 5e-3 (H - t) / H) delivered[f,t] - sum fuel_cost_k g[k,t] / VALUE
  - 1e-4 sum x[p,t] - 1e-5 sum (c[s,t] + d[s,t]), where W_f = 1 + 0.01 (flows - 1 - priority
  index) serves the first flow first, t is the absolute hour and H the hours of the horizon (a
  window and the whole year weigh an hour alike). The time preference makes each hour's delivery
  unique: where a store could fill any of several hours, the earliest. An hour earlier weighs
  5e-3 / H more (5.7e-7 over a year), above HiGHS's tolerances, so two exact solvers fill the same
  hours (at 1e-6 / H they did not); its whole spread (0.5 %) stays below the priority step (1 %),
  so a flow never gives way to a lower one for an earlier hour. VALUE is the value of delivered
  power (`optimiser.value_of_power`): a plant runs whenever it raises delivery. The cost on
  charging and discharging keeps a store from cycling, or emptying itself, for nothing.
  Weighing flows rather than serving them in turn (`sim.energy.dispatch.fill_paths`) agrees with
  the turn order while W_f / W_g exceeds the ratio of what two flows competing for an element
  deliver per unit through it (their losses after it); flows that share an element and the rest
  of their path always agree.

Flows that share no origin and no element with each other (`flow_groups`) are independent: each
group is dispatched alone, by this LP where a store or plant feeds it and by the vectorised rule
of `sim.energy.dispatch` where none does (so a store at one site does not put every other site's
flows into the LP); the flow weights stay those of the whole priority order. (Splitting the LP of
two groups that both need it was measured no faster: the simplex iterations just divide.) A group
of one flow on one path fed by one store and no plant is solved without the LP, hour by hour, by
a rule that gives the LP's optimum (`dispatch_one_store`; tested equal to the whole-horizon LP on
random cases, and to PyPSA): it was two thirds of the solver's time on the oracle's case.

The horizon is solved a window at a time: `window` hours committed and `lookahead` more solved and
dropped, stepping `window` hours; the state of charge and the plants' output at the end of the
committed hours carry into the next window. A window the horizon goes on beyond values the energy
its stores hold at its end a little (1e-3 a GWh: surplus is charged rather than curtailed for hours
it cannot see, never held back from delivery, worth about 1 a GWh); the last window, like the
whole-horizon LP, does not.

The LP is built once per window length with highspy (one hour's rows tiled over the window's hours
into one sparse matrix) and re-solved for each window with only what changes: the path flows'
costs (the time preference), the bounds of the path flows and plants, of the supply and capacity
rows, and of hour 0's state and ramp rows (the state carried in), by HiGHS's dual simplex from the
last window's basis. A row holding a single path flow (an element or a rate only one path uses,
an origin with one path and no store or plant) is a bound on that flow instead, which leaves HiGHS
two rows an hour for a store behind one path. What is left is HiGHS's: about one simplex
iteration per hour solved (some 12,000 a year on the oracle's case, ~85 % of the time); a warm
start shifted to the window's own hours, longer or shorter windows, presolve, the primal simplex and
other edge weights were each measured no faster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from sim.energy.dispatch import SENT_PENALTY, Dispatch, exact_rule, path_results
from sim.energy.paths import Path
from sim.energy.records import Hourly
from sim.energy.reliability import Outcome, plant_id
from sim.network import HOURS_PER_YEAR
from sim.replications import Replication
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    import highspy

TIME_PREFERENCE = 5e-3  # the weight of delivering at hour 0 rather than at the end of the horizon
STORE_PENALTY = 1e-5  # per GWh charged and per GWh discharged
PRIORITY_STEP = 0.01  # the weight one flow has over the next in priority order
WINDOW_H = 168  # hours committed per LP
LOOKAHEAD_H = 24  # hours solved beyond them and dropped
HELD_VALUE = 1e-3  # per GWh held at the end of a window the horizon goes on beyond: charge surplus, never hold back
DUAL_TOLERANCE = 1e-10  # HiGHS at its floor: which of two flows takes an hour weighs 0.01 x 5e-3 / H


@dataclass(frozen=True)
class StoreSpec:
    """A store at an origin: power (GW), energy (GWh) and shares of its energy."""

    origin: str
    power: float
    energy: float
    round_trip_efficiency: float
    soc_min: float = 0.0
    soc_max: float = 1.0
    initial: float = 0.5


@dataclass(frozen=True)
class PlantSpec:
    """A dispatchable plant at an origin: capacity (GW), availability (a share, constant or hourly),
    ramp (a share of capacity per hour), fuel cost (USD/MWh), minimum output (a share of the
    available capacity)."""

    origin: str
    capacity: float
    availability: float | Hourly = 1.0
    ramp: float = 1.0
    fuel_cost: float = 0.0
    min_output: float = 0.0


@dataclass
class Carry:
    """What one hour leaves the next: each store's state of charge (GWh), each plant's output (GW,
    None before the first hour: no ramp limit then)."""

    state: dict[str, float] = field(default_factory=dict)
    output: dict[str, float | None] = field(default_factory=dict)


@dataclass
class StorageDispatch(Dispatch):
    """A `Dispatch` with, hour by hour, each store's charge, discharge (GW) and state of charge at the
    end of the hour (GWh), each plant's output (GW), and each origin's curtailed power (GW: its
    generation, discharge and plant output not sent nor charged); `carry` after the last hour."""

    charge: dict[str, Hourly] = field(default_factory=dict)
    discharge: dict[str, Hourly] = field(default_factory=dict)
    state: dict[str, Hourly] = field(default_factory=dict)
    output: dict[str, Hourly] = field(default_factory=dict)
    curtailed: dict[str, Hourly] = field(default_factory=dict)
    carry: Carry = field(default_factory=Carry)


def initial_carry(stores: dict[str, StoreSpec], plants: dict[str, PlantSpec]) -> Carry:
    """The state on 1 January: each store at its initial share, no plant output before."""
    return Carry({k: s.initial * s.energy for k, s in stores.items()}, dict.fromkeys(plants))


class _Layout:
    """Where each variable and row of one hour sits in a window's LP: V columns an hour (path flows,
    store charge, discharge and state of charge, plant output), then R rows an hour. A row holding
    a single path flow of its own hour (the supply of an origin one path alone draws on, with no
    store or plant; an element or a flow rate one path alone uses) is a bound on that flow instead:
    the tightest of them, hour by hour. Each row is (kind, name, entries), an entry (column within
    the hour, coefficient, lag: 0 this hour, 1 the hour before)."""

    def __init__(self, paths: dict[str, list[Path]], stores: dict[str, StoreSpec], plants: dict[str, PlantSpec],
                 supply_origins: list[str], ranks: dict[str, int] | None = None) -> None:
        self.flows = list(paths)
        # how many flows come after each in priority (of every flow dispatched, a group's LP included)
        self.ranks = ranks if ranks is not None else {f: len(self.flows) - 1 - i for i, f in enumerate(self.flows)}
        self.allp = [p for f in self.flows for p in paths[f]]
        self.keys = sorted({e.key for p in self.allp for e in p.elements})
        self.origins = sorted({p.origin for p in self.allp} | set(supply_origins))
        self.stores, self.plants = list(stores), list(plants)
        n_p, n_s = len(self.allp), len(self.stores)
        self.x0, self.c0, self.d0, self.e0 = 0, n_p, n_p + n_s, n_p + 2 * n_s
        self.g0 = n_p + 3 * n_s
        self.cols = self.g0 + len(self.plants)
        rows: list[tuple[str, str, list[tuple[int, float, int]]]] = []
        for o in self.origins:  # sent + charged - discharged - plant output <= generation
            entries = [(self.x0 + j, 1.0, 0) for j, p in enumerate(self.allp) if p.origin == o]
            for i, k in enumerate(self.stores):
                if stores[k].origin == o:
                    entries += [(self.c0 + i, 1.0, 0), (self.d0 + i, -1.0, 0)]
            entries += [(self.g0 + i, -1.0, 0) for i, k in enumerate(self.plants) if plants[k].origin == o]
            rows.append(("supply", o, entries))
        for key in self.keys:  # the power entering the element, after upstream losses <= its capacity
            rows.append(("capacity", key, [(self.x0 + j, gain, 0) for j, p in enumerate(self.allp)
                                           for e, gain in zip(p.elements, p.entering) if e.key == key]))
        for f in self.flows:  # delivered <= rate
            rows.append(("rate", f, [(self.x0 + j, p.efficiency, 0) for j, p in enumerate(self.allp) if p.flow == f]))
        for i, k in enumerate(self.stores):  # e[t] - sqrt(rte) c[t] + d[t] / sqrt(rte) - e[t-1] = 0
            eta = math.sqrt(stores[k].round_trip_efficiency)
            rows.append(("state", k, [(self.e0 + i, 1.0, 0), (self.c0 + i, -eta, 0), (self.d0 + i, 1.0 / eta, 0),
                                      (self.e0 + i, -1.0, 1)]))
        for i, k in enumerate(self.plants):  # g[t] - g[t-1] within +- ramp
            rows.append(("ramp", k, [(self.g0 + i, 1.0, 0), (self.g0 + i, -1.0, 1)]))
        single = [len(r[2]) == 1 and r[0] in ("supply", "capacity", "rate") for r in rows]
        self.bounds = [(kind, name, entries[0][0], entries[0][1])
                       for (kind, name, entries), s in zip(rows, single) if s]
        self.rows = [r for r, s in zip(rows, single) if not s]


def dispatch_storage(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                     supply: dict[str, Hourly], stores: dict[str, StoreSpec], plants: dict[str, PlantSpec],
                     n: int, start: int = 0, *, horizon: int | None = None, window: int = WINDOW_H,
                     lookahead: int = LOOKAHEAD_H, value_of_power: float = 1000.0,
                     carry: Carry | None = None) -> StorageDispatch:
    """Dispatch hours [start, start + n) with stores and plants, a window at a time (module
    docstring); `carry` is the state before hour `start` (default: 1 January's).

    Flows that share no origin and no element with each other are independent: each such group is
    dispatched on its own (`flow_groups`), by the windowed LP where a store or plant feeds it, else
    by the vectorised rule of `sim.energy.dispatch` (the same dispatch, tested); the LP's flow
    weights stay those of the whole priority order."""
    carry = carry or initial_carry(stores, plants)
    horizon = horizon if horizon is not None else start + n
    ranks = {f: len(paths) - 1 - i for i, f in enumerate(paths)}
    out = StorageDispatch(method="lp", carry=Carry({}, {}))
    for group in flow_groups(paths):
        mine = {f: paths[f] for f in group}
        origins = {ps[0].origin for ps in mine.values()}
        keys = {e.key for ps in mine.values() for p in ps for e in p.elements}
        g_stores = {k: v for k, v in stores.items() if v.origin in origins}
        g_plants = {k: v for k, v in plants.items() if v.origin in origins}
        g_rates, g_caps = {f: rates[f] for f in group}, {k: caps[k] for k in keys}
        g_supply = {o: supply[o] for o in origins if o in supply}
        g_carry = Carry({k: carry.state[k] for k in g_stores}, {k: carry.output[k] for k in g_plants})
        got: Dispatch
        if one_store_chain(mine, g_stores, g_plants, g_supply):
            got = dispatch_one_store(mine, g_rates, g_caps, g_supply, g_stores, n, g_carry, more=start + n < horizon)
        elif g_stores or g_plants:
            got = dispatch_windows(mine, g_rates, g_caps, g_supply, g_stores, g_plants, n, start, horizon, window,
                                   lookahead, value_of_power, g_carry, {f: ranks[f] for f in group})
        else:
            fed = {o: supply[o] if o in supply else np.zeros(n) for o in origins}  # as the LP reads a missing supply
            got = exact_rule(mine)(mine, g_rates, g_caps, fed, n)
        for name in ("delivered", "sent", "open_supply", "usage"):
            getattr(out, name).update(getattr(got, name))
        if isinstance(got, StorageDispatch):
            for name in ("charge", "discharge", "state", "output", "curtailed"):
                getattr(out, name).update(getattr(got, name))
            out.carry.state.update(got.carry.state)
            out.carry.output.update(got.carry.output)
    return out


def one_store_chain(paths: dict[str, list[Path]], stores: dict[str, StoreSpec], plants: dict[str, PlantSpec],
                    supply: dict[str, Hourly]) -> bool:
    """A group `dispatch_one_store` solves exactly: one flow on one path, one store at its origin,
    no plant, generation (not a grid) at the origin."""
    return (len(paths) == 1 and all(len(ps) == 1 for ps in paths.values()) and len(stores) == 1 and not plants
            and all(np.isfinite(v).all() for v in supply.values()))


def dispatch_one_store(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                       supply: dict[str, Hourly], stores: dict[str, StoreSpec], n: int,
                       carry: Carry, more: bool = False) -> StorageDispatch:
    """The LP's optimum for one flow on one path fed by one store, found hour by hour.

    Each hour the path takes at most D (its elements' capacities over the power entering them per
    unit sent, and the rate over the path's efficiency). Generation goes straight to the path up
    to D (sending now beats storing: storing loses, and later hours weigh less); beyond D it is
    surplus, below D the shortfall is room. The store discharges into room as early and as much as
    it can (power, room, energy above soc_min): a unit delivered earlier weighs more, and
    discharging never hinders a later charge. It charges from surplus as early and as much as it
    can (power, surplus, room below soc_max), which makes the most energy available to every later
    hour: so the hourly delivery is the LP's, whose time preference makes it unique. Then, as the
    whole-horizon LP (which pays for charging and values nothing left at the end) does, only the
    charge the discharges need is kept: a backward pass finds the least state each hour must end
    with, and each surplus hour charges just enough to reach it. Which surplus hours charge is a
    tie in the LP (the delivery does not depend on it); this rule charges as late as it may.
    With `more` hours after these (a block of a longer horizon), the energy held at the end is
    worth keeping, as the windowed LP values it: the store ends where charging early left it."""
    (f, (path,)), ((key, store),) = next(iter(paths.items())), stores.items()
    origin, eta = path.origin, math.sqrt(store.round_trip_efficiency)
    reach = np.full(n, rates[f] / path.efficiency if path.efficiency > 0 else 0.0)
    for el, gain in zip(path.elements, path.entering):
        reach = np.minimum(reach, caps[el.key] / gain)
    reach = np.maximum(reach, 0.0)
    gen = supply.get(origin, np.zeros(n))
    direct = np.minimum(gen, reach)
    surplus = np.minimum(gen - direct, store.power)  # what it could charge each hour
    room = np.minimum(reach - direct, store.power)  # what it could discharge into
    lo, hi = store.soc_min * store.energy, store.soc_max * store.energy
    e0 = carry.state[key]
    discharge = np.zeros(n)
    e = e0
    for t in range(n):  # as early and as much as it can: the delivery
        if room[t] > 0.0:
            d = min(room[t], max(e - lo, 0.0) * eta)
            discharge[t] = d
            e -= d / eta
        elif surplus[t] > 0.0:
            e += min(surplus[t], max(hi - e, 0.0) / eta) * eta
    need = np.empty(n)  # the least state each hour must end with, for the discharges after it
    req = e if more else lo
    for t in range(n - 1, -1, -1):
        need[t] = req
        if discharge[t] > 0.0:
            req = req + discharge[t] / eta
        elif surplus[t] > 0.0:
            req = max(lo, req - eta * surplus[t])
    charge, state = np.zeros(n), np.empty(n)
    e = e0
    for t in range(n):  # just the charge the discharges need
        if discharge[t] > 0.0:
            e -= discharge[t] / eta
        elif surplus[t] > 0.0 and need[t] > e:
            charge[t] = min(surplus[t], (need[t] - e) / eta)
            e += charge[t] * eta
        state[t] = e
    out = StorageDispatch(method="lp", carry=Carry({key: float(state[-1]) if n else e0}, {}))
    sent = direct + discharge
    out.charge[key], out.discharge[key], out.state[key] = charge, discharge, state
    out.delivered[f], out.sent[f] = sent * path.efficiency, sent
    avail = gen + discharge - charge
    out.open_supply[f], out.curtailed[origin] = avail, avail - sent
    out.usage = {el.key: sent * gain for el, gain in zip(path.elements, path.entering)}
    return out


def flow_groups(paths: dict[str, list[Path]]) -> list[list[str]]:
    """The flows in independent groups (two flows are in one when they share an origin or an
    element, directly or through others), each in priority order, the groups in the order of
    their first flow."""
    import networkx as nx

    graph = nx.Graph()
    for f, ps in paths.items():
        graph.add_edge(("flow", f), ("origin", ps[0].origin))
        graph.add_edges_from((("flow", f), ("element", e.key)) for p in ps for e in p.elements)
    order = list(paths)
    groups = [[f for f in order if ("flow", f) in part] for part in nx.connected_components(graph)]
    return sorted(groups, key=lambda g: order.index(g[0]))


def dispatch_windows(paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                      supply: dict[str, Hourly], stores: dict[str, StoreSpec], plants: dict[str, PlantSpec],
                      n: int, start: int, horizon: int, window: int, lookahead: int, value_of_power: float,
                      carry: Carry, ranks: dict[str, int]) -> StorageDispatch:
    """One group of flows fed by stores or plants (or none: the LP then gives each hour the
    vectorised rule's dispatch, tested), a window at a time (module docstring); `ranks`: how many
    flows, of all dispatched, come after each in priority."""
    lay = _Layout(paths, stores, plants, [s.origin for s in stores.values()] + [k.origin for k in plants.values()],
                  ranks)
    x = np.zeros((n, lay.cols))
    models: dict[int, _Window] = {}
    state = Carry(dict(carry.state), dict(carry.output))
    for a in range(0, n, window):
        keep = min(window, n - a)
        length = min(window + lookahead, n - a)
        model = models.get(length)
        if model is None:
            model = models[length] = _Window(lay, rates, stores, plants, length, value_of_power)
        sol = model.solve(a, start, horizon, caps, supply, plants, state, truncated=start + a + length < horizon)
        x[a:a + keep] = sol[:keep]
        last = sol[keep - 1]
        state = Carry({k: float(last[lay.e0 + i]) for i, k in enumerate(lay.stores)},
                      {k: float(last[lay.g0 + i]) for i, k in enumerate(lay.plants)})
    return _result(lay, paths, supply, stores, plants, x, n, state)


class _RowBounds(Protocol):
    """highspy's `Highs.changeRowsBounds`, which its type stubs lack (`_highs` checks it is there)."""

    def changeRowsBounds(self, num_set_entries: int, indices: np.ndarray, lower: np.ndarray,
                         upper: np.ndarray) -> object: ...


def _highs() -> highspy.Highs:
    """A quiet HiGHS instance with the options every window's LP uses."""
    import highspy

    from sim.optimiser.lp import quiet_highs  # HiGHS's banner kept off stdout

    if not hasattr(highspy.Highs, "changeRowsBounds"):
        raise ImportError("this highspy lacks Highs.changeRowsBounds, which the storage LP needs: "
                          "install the version pyproject.toml names")
    quiet_highs()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    return h


class _Window:
    """One window length's LP, built once (its matrix from one hour's entries tiled over the hours):
    re-solved for each window with that window's bounds and costs, HiGHS starting from the last
    window's basis. Hour 0's state and ramp rows take the state carried in as their bounds."""

    def __init__(self, lay: _Layout, rates: dict[str, float], stores: dict[str, StoreSpec],
                 plants: dict[str, PlantSpec], length: int, value_of_power: float) -> None:
        import highspy

        self.lay, self.length, self.rates = lay, length, rates
        inf = np.inf
        v, r = lay.cols, len(lay.rows)
        self.weight = np.zeros(v)  # per path: W_f x efficiency (the time preference scales it per hour)
        base = np.zeros(v)
        lo, hi = np.zeros(v), np.full(v, inf)
        for j, p in enumerate(lay.allp):
            self.weight[lay.x0 + j] = (1.0 + PRIORITY_STEP * lay.ranks[p.flow]) * p.efficiency
            base[lay.x0 + j] = -SENT_PENALTY
        for i, k in enumerate(lay.stores):
            s = stores[k]
            hi[lay.c0 + i] = hi[lay.d0 + i] = s.power
            lo[lay.e0 + i], hi[lay.e0 + i] = s.soc_min * s.energy, s.soc_max * s.energy
            base[lay.c0 + i] = base[lay.d0 + i] = -STORE_PENALTY
        for i, k in enumerate(lay.plants):
            base[lay.g0 + i] = -plants[k].fuel_cost / value_of_power
        self.base = base
        self.col_lo, self.col_hi = np.tile(lo, length), np.tile(hi, length)
        # the matrix: one hour's entries, repeated each hour (an entry of the hour before: none at hour 0)
        ent = [(i, col, val, lag) for i, (_, _, entries) in enumerate(lay.rows) for col, val, lag in entries]
        e_row, e_col, e_lag = (np.array([e[m] for e in ent], dtype=np.int64) for m in (0, 1, 3))
        e_val = np.array([e[2] for e in ent], dtype=float)
        hour = np.arange(length)[:, None]
        rows_at, cols_at = hour * r + e_row, (hour - e_lag) * v + e_col
        keep = np.broadcast_to(hour - e_lag >= 0, rows_at.shape)
        rows_at, cols_at, vals = rows_at[keep], cols_at[keep], np.broadcast_to(e_val, keep.shape)[keep]
        order = np.argsort(rows_at, kind="stable")
        starts = np.searchsorted(rows_at[order], np.arange(r * length)).astype(np.int32)
        # the bounds of the rows whose bounds do not change: rates, states (0), ramps
        row_lo, row_hi = np.full((length, r), -inf), np.full((length, r), inf)
        for i, (kind, name, _) in enumerate(lay.rows):
            if kind == "rate":
                row_hi[:, i] = rates[name]
            elif kind == "state":
                row_lo[:, i] = row_hi[:, i] = 0.0
            elif kind == "ramp":
                ramp = plants[name].ramp * plants[name].capacity
                row_lo[:, i], row_hi[:, i] = -ramp, ramp
        self.row_lo, self.row_hi = row_lo, row_hi
        self.hourly_rows = [i for i, (kind, _, _) in enumerate(lay.rows) if kind in ("supply", "capacity")]
        h = _highs()
        n_cols = v * length
        h.addCols(n_cols, np.tile(base, length), self.col_lo, self.col_hi, 0,
                  np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([]))
        h.addRows(r * length, row_lo.ravel(), row_hi.ravel(), len(order), starts,
                  cols_at[order].astype(np.int32), vals[order].astype(float))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h = h
        # what changes from window to window: the path flows' costs (the time preference) and the
        # stores' states in the last hour (HELD_VALUE); the path flows' and plants' bounds; the
        # supply and capacity rows, and hour 0's state and ramp rows (the state carried in)
        hours = np.arange(length)[:, None] * v
        paths_at = (hours + lay.x0 + np.arange(len(lay.allp))).ravel()
        plants_at = (hours + lay.g0 + np.arange(len(lay.plants))).ravel()
        held = v * (length - 1) + lay.e0 + np.arange(len(lay.stores))
        self.cost_cols = np.concatenate([paths_at, held]).astype(np.int32)
        self.bound_cols = np.concatenate([paths_at, plants_at]).astype(np.int32)
        first = [i for i, (kind, _, _) in enumerate(lay.rows) if kind in ("state", "ramp")]
        self.bound_rows = np.concatenate([(np.arange(length)[:, None] * r + np.array(self.hourly_rows, dtype=int)
                                           ).ravel(), first]).astype(np.int32)
        ramps = [i for i, (kind, _, _) in enumerate(lay.rows) if kind == "ramp"]  # every hour's, after hour 0
        self.ramp_rows = (np.arange(1, length)[:, None] * r + np.array(ramps, dtype=int)).ravel().astype(np.int32)

    def solve(self, a: int, start: int, horizon: int, caps: dict[str, Hourly], supply: dict[str, Hourly],
              plants: dict[str, PlantSpec], carry: Carry, truncated: bool) -> np.ndarray:
        """Solve the window of hours [a, a + length) of the block (absolute hour start + a); the
        columns of each hour, hours x V. A `truncated` window (hours follow it) values the energy
        its stores hold at its end (`HELD_VALUE`)."""
        import highspy

        lay, t_n, inf = self.lay, self.length, np.inf
        v = lay.cols
        sl = slice(a, a + t_n)

        def limit(kind: str, name: str) -> np.ndarray | float:
            """A supply or capacity row's upper bound, hour by hour, or a flow's rate."""
            if kind == "capacity":
                return caps[name][sl]
            if kind == "rate":
                return self.rates[name]
            s = supply.get(name)
            return np.zeros(t_n) if s is None else s[sl]

        hours = np.arange(start + a, start + a + t_n, dtype=float)
        pref = 1.0 + TIME_PREFERENCE * (horizon - hours) / max(horizon, 1)
        cost = (self.base[None, :] + pref[:, None] * self.weight[None, :]).ravel()
        if truncated:
            cost[v * (t_n - 1) + lay.e0:v * (t_n - 1) + lay.e0 + len(lay.stores)] = HELD_VALUE
        col_lo, col_hi = self.col_lo.copy(), self.col_hi.copy()
        lo, hi = col_lo.reshape(t_n, v), col_hi.reshape(t_n, v)  # views
        for kind, name, col, coef in lay.bounds:
            hi[:, col] = np.minimum(hi[:, col], limit(kind, name) / coef)
        for i, k in enumerate(lay.plants):
            p = plants[k]
            avail = p.capacity * (p.availability[sl] if isinstance(p.availability, np.ndarray)
                                  else np.full(t_n, p.availability))
            lo[:, lay.g0 + i], hi[:, lay.g0 + i] = p.min_output * avail, avail
        row_lo, row_hi = self.row_lo.copy(), self.row_hi.copy()
        for i in self.hourly_rows:
            kind, name, _ = lay.rows[i]
            row_hi[:, i] = limit(kind, name)
        outages = any(isinstance(plants[k].availability, np.ndarray) for k in lay.plants)
        for i, (kind, name, _) in enumerate(lay.rows):
            if kind == "state":
                row_lo[0, i] = row_hi[0, i] = carry.state[name]
            elif kind == "ramp":
                prev = carry.output[name]
                # before the first hour the plant may start anywhere
                if prev is None:
                    row_lo[0, i], row_hi[0, i] = -inf, inf
                else:
                    row_lo[0, i], row_hi[0, i] = prev + self.row_lo[0, i], prev + self.row_hi[0, i]
                    if outages:  # a unit tripping takes its output at once: never below what is left
                        row_lo[0, i] = min(row_lo[0, i], lo[0, lay.g0 + lay.plants.index(name)])
                        row_hi[0, i] = max(row_hi[0, i], lo[0, lay.g0 + lay.plants.index(name)])
                if outages:  # units out and back: the output follows them beyond the ramp
                    j = lay.g0 + lay.plants.index(name)
                    fell = np.maximum(hi[:-1, j] - hi[1:, j], 0.0)
                    rose = np.maximum(lo[1:, j] - lo[:-1, j], 0.0)
                    row_lo[1:, i] = self.row_lo[1:, i] - fell
                    row_hi[1:, i] = self.row_hi[1:, i] + rose
        h = self.h
        h.changeColsCost(len(self.cost_cols), self.cost_cols, cost[self.cost_cols])
        h.changeColsBounds(len(self.bound_cols), self.bound_cols, col_lo[self.bound_cols], col_hi[self.bound_cols])
        rows_api: _RowBounds = cast(_RowBounds, h)
        rows_api.changeRowsBounds(len(self.bound_rows), self.bound_rows, row_lo.ravel()[self.bound_rows],
                                  row_hi.ravel()[self.bound_rows])
        if outages and len(self.ramp_rows):
            rows_api.changeRowsBounds(len(self.ramp_rows), self.ramp_rows, row_lo.ravel()[self.ramp_rows],
                                      row_hi.ravel()[self.ramp_rows])
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"storage dispatch LP failed at hour {start + a}: {h.modelStatusToString(status)}")
        return np.asarray(h.getSolution().col_value).reshape(t_n, v)


def _result(lay: _Layout, paths: dict[str, list[Path]], supply: dict[str, Hourly], stores: dict[str, StoreSpec],
            plants: dict[str, PlantSpec], x: np.ndarray, n: int, carry: Carry) -> StorageDispatch:
    """The solution as hourly series: per flow, element, store, plant and origin."""
    out = StorageDispatch(method="lp", carry=carry)
    for i, k in enumerate(lay.stores):
        out.charge[k] = x[:, lay.c0 + i].copy()
        out.discharge[k] = x[:, lay.d0 + i].copy()
        out.state[k] = x[:, lay.e0 + i].copy()
    for i, k in enumerate(lay.plants):
        out.output[k] = x[:, lay.g0 + i].copy()
    # what each origin has to send each hour: generation, discharge and plant output, less charge
    avail = {o: (supply[o].astype(float, copy=True) if o in supply else np.zeros(n)) for o in lay.origins}
    for k, s in stores.items():
        avail[s.origin] += out.discharge[k] - out.charge[k]
    for k, plant in plants.items():
        avail[plant.origin] += out.output[k]
    used = path_results(out, paths, x[:, lay.x0:lay.x0 + len(lay.allp)], avail)
    out.curtailed = {o: np.where(np.isfinite(avail[o]), avail[o] - used[o], 0.0)
                     for o in lay.origins}
    return out


class StorageRun:
    """The stores and plants that feed power flows in one replication: each block dispatched twice
    (with the replication's outages, and with every element in service), each carrying its own
    state of charge and plant output into the next block, and the origins' measures over the
    measured hours (`record`)."""

    def __init__(self, scenario: Scenario, origins: set[str], n_hours: int, warmup_h: int,
                 outcome: Outcome | None = None) -> None:
        self.stores = {f"{o}.{k}": StoreSpec(o, s.power.value, s.energy.value, s.round_trip_efficiency.value,
                                            s.soc_min.value, s.soc_max.value, s.initial.value)
                       for o in sorted(origins) for k, s in scenario.nodes[o].stores.items()}
        self.plants = {plant_id(o, k): PlantSpec(o, p.capacity.value, p.availability.value, p.ramp.value,
                                                p.fuel_cost.value, p.min_output.value)
                       for o in sorted(origins) for k, p in scenario.nodes[o].plants.items()}
        self.outcome = outcome  # the plants' own outages (`sim.energy.reliability`), when they have any
        self.origins = sorted({s.origin for s in self.stores.values()} | {p.origin for p in self.plants.values()})
        self.value_of_power = scenario.optimiser.value_of_power.value
        self.n_hours, self.warmup_h = n_hours, warmup_h
        self.carry = initial_carry(self.stores, self.plants)
        self.carry_ideal = initial_carry(self.stores, self.plants)
        self.sums: dict[str, dict[str, float]] = {o: dict.fromkeys(NODE_MEASURES, 0.0) for o in self.origins}

    @classmethod
    def of(cls, scenario: Scenario, origins: set[str], n_hours: int, warmup_h: int,
           outcome: Outcome | None = None) -> StorageRun | None:
        """The run, or None when no store or plant sits at an origin of these flows."""
        if not any(scenario.nodes[o].stores or scenario.nodes[o].plants for o in origins):
            return None
        return cls(scenario, origins, n_hours, warmup_h, outcome)

    def dispatch(self, paths: dict[str, list[Path]], rates: dict[str, float], caps: dict[str, Hourly],
                 full: dict[str, Hourly], supply: dict[str, Hourly], supply_ideal: dict[str, Hourly], n: int,
                 lo: int) -> tuple[StorageDispatch, StorageDispatch]:
        """Hours [lo, lo + n) with outages and without; the origins' measures taken from the first."""
        plants = self.plants  # with their own outages this block, the share of their units in service
        if self.outcome is not None:
            plants = {k: replace(p, availability=p.availability * self.outcome.timeline(k).hourly(n, lo))
                      if k in self.outcome.timelines else p for k, p in self.plants.items()}
        got = dispatch_storage(paths, rates, caps, supply, self.stores, plants, n, lo, horizon=self.n_hours,
                               value_of_power=self.value_of_power, carry=self.carry)
        ideal = dispatch_storage(paths, rates, full, supply_ideal, self.stores, self.plants, n, lo,
                                 horizon=self.n_hours, value_of_power=self.value_of_power, carry=self.carry_ideal)
        self.carry, self.carry_ideal = got.carry, ideal.carry
        m0 = max(lo, self.warmup_h) - lo
        if m0 < n:
            for o in self.origins:
                k = self.sums[o]
                k["generation_twh"] += float(supply[o][m0:].sum())
                k["curtailed_twh"] += float(got.curtailed[o][m0:].sum())
            for key, s in self.stores.items():
                k = self.sums[s.origin]
                c, d = got.charge[key][m0:].sum(), got.discharge[key][m0:].sum()
                eta = math.sqrt(s.round_trip_efficiency)
                k["store_charged_twh"] += float(c)
                k["store_discharged_twh"] += float(d)
                k["store_losses_twh"] += float(c * (1 - eta) + d * (1 / eta - 1))
                k["store_cycles"] += float(d / eta)  # energy drawn; cycles once divided by the usable energy
            for key, p in self.plants.items():
                g = float(got.output[key][m0:].sum())
                self.sums[p.origin]["plant_twh"] += g
                self.sums[p.origin]["plant_fuel_cost_musd"] += g * p.fuel_cost * 1e3 / 1e6
        return got, ideal

    def record(self, rep: Replication) -> None:
        """Each origin's measures a year (TWh, full cycles, MUSD) into `rep.nodes`."""
        hours = self.n_hours - self.warmup_h
        if hours <= 0:
            return
        per_year = HOURS_PER_YEAR / hours
        for o, k in self.sums.items():
            usable = sum((s.soc_max - s.soc_min) * s.energy for s in self.stores.values() if s.origin == o)
            figures = {name: v * per_year / 1000.0 for name, v in k.items()}
            figures["store_cycles"] = k["store_cycles"] * per_year / usable if usable > 0 else 0.0
            figures["plant_fuel_cost_musd"] = k["plant_fuel_cost_musd"] * per_year
            rep.nodes.setdefault(o, {}).update(figures)


NODE_MEASURES = ("generation_twh", "curtailed_twh", "store_charged_twh", "store_discharged_twh", "store_losses_twh",
                 "store_cycles", "plant_twh", "plant_fuel_cost_musd")
"""A year's figures at an origin with stores or plants: generation after the site's outages,
curtailed (generation, discharge and plant output neither sent nor charged), energy charged into
and discharged from its stores (GW on the site's side) and lost in them, full cycles of its stores
(energy drawn from them over their usable energy), plant energy and its fuel cost (MUSD a year)."""
