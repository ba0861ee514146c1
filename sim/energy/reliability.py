"""Where a cable, pipeline or converter fails and is repaired: the reliability of every link and
node of the continuous carriers, shared by oil, power, data, hydrogen and ammonia.

A component with a `reliability` block is made of `units` identical parts (the poles of a
bipole, the pairs of a fibre cable). Each part fails at `failure_rate / units` (per year, or per
km per year times the length) and is repaired after a time drawn from `repair`. A repair waits
for a vessel of its `repair_crew` (plus mobilisation), and its work stops while its `weather`
closure is on. Planned `maintenance` windows recur every `every`; scheduled `outages` are stress
cases. Failures are simulated event by event (SimPy); the result is, per component, a
piecewise-constant `Timeline` of the share of capacity in service, and one record per outage.

Outages of one component combine multiplicatively (independent causes), as in
`sim.network.availability`: a part down (share 1/2) during a maintenance window taking 1/2
leaves 1/4 in service.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import simpy

from sim.scenario.distributions import Distribution
from sim.network import HOURS_PER_YEAR, Network, failure_rate_per_year
from sim.replications import Streams
from sim.scenario.schema import Reliability, Scenario, Weather
from sim.weather import storms

ComponentKind = Literal["link", "node", "vessel"]


# --- timelines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """A piecewise-constant share of capacity in service: `share[i]` on [times[i], times[i+1]),
    the last piece running to `horizon`."""

    times: np.ndarray
    share: np.ndarray
    horizon: float

    @classmethod
    def constant(cls, horizon: float, share: float = 1.0) -> Timeline:
        return cls(np.zeros(1), np.full(1, float(share)), float(horizon))

    @classmethod
    def from_steps(cls, times: np.ndarray, share: np.ndarray, horizon: float) -> Timeline:
        """A timeline from breakpoints (sorted, first at 0) with repeated values merged."""
        keep = np.ones(len(share), dtype=bool)
        keep[1:] = share[1:] != share[:-1]
        return cls(np.asarray(times, float)[keep], np.asarray(share, float)[keep], float(horizon))

    @property
    def is_constant(self) -> bool:
        return len(self.times) == 1

    def at(self, t: float | np.ndarray) -> np.ndarray | float:
        """Share in service at time(s) `t`."""
        if np.isscalar(t):
            return self.share_at(float(t))
        i = np.searchsorted(self.times, t, side="right") - 1
        return self.share[np.clip(i, 0, len(self.share) - 1)]

    @functools.cached_property
    def _lists(self) -> tuple[list[float], list[float]]:
        return self.times.tolist(), self.share.tolist()

    def share_at(self, t: float) -> float:
        """Share in service at one time `t` (fast scalar look-up for event loops)."""
        times, share = self._lists
        return share[max(bisect.bisect_right(times, t) - 1, 0)]

    def next_change(self, t: float) -> float:
        """The first breakpoint after `t` (infinity when none)."""
        times = self._lists[0]
        i = bisect.bisect_right(times, t)
        return times[i] if i < len(times) else math.inf

    def integral(self, t: np.ndarray | float) -> np.ndarray | float:
        """Capacity-hours in service from 0 to `t` (in shares times hours)."""
        knots = np.append(self.times, self.horizon)
        area = np.concatenate([[0.0], np.cumsum(self.share * np.diff(knots))])
        return np.interp(t, knots, area)

    def mean(self, t0: float = 0.0, t1: float | None = None) -> float:
        """Time-average share in service over [t0, t1]."""
        t1 = self.horizon if t1 is None else t1
        if t1 <= t0:
            return float(self.at(t0))
        return float((self.integral(t1) - self.integral(t0)) / (t1 - t0))

    def hourly(self, n_hours: int) -> np.ndarray:
        """Mean share in each hour [k, k+1), k = 0..n_hours-1 (exact capacity-hours)."""
        if self.is_constant:
            return np.full(n_hours, self.share[0])
        edges = np.minimum(np.arange(n_hours + 1, dtype=float), self.horizon)
        area = np.diff(self.integral(edges))
        width = np.diff(edges)
        out = np.where(width > 0, area / np.where(width > 0, width, 1.0), self.share[-1])
        return out

    def down_hours(self, t0: float = 0.0, t1: float | None = None) -> float:
        """Capacity-hours out of service over [t0, t1] (in shares times hours)."""
        t1 = self.horizon if t1 is None else t1
        return float((t1 - t0) - (self.integral(t1) - self.integral(t0)))


def combine(timelines: Iterable[Timeline], how: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Timeline:
    """Combine timelines point by point, exactly (np.minimum: in series, np.maximum: in parallel,
    np.multiply: independent causes of one component)."""
    tls = list(timelines)
    times = np.unique(np.concatenate([tl.times for tl in tls]))
    share = tls[0].at(times)
    for tl in tls[1:]:
        share = how(share, tl.at(times))
    return Timeline.from_steps(times, np.asarray(share, float), tls[0].horizon)


# --- weather windows -------------------------------------------------------------------------


def sample_closures(weather: Weather, rng: np.random.Generator, horizon: float) -> np.ndarray:
    """Closure intervals (k x 2, merged, sorted) of one weather entry from hour 0 to `horizon`.

    The storms come from `sim.weather.storms` driven by the same named stream, so the cargo
    model's port closures and these (tanker berths, cable repairs) are the same storms. Storms
    are followed a year past the horizon so a closure running over the end has its true end.
    """
    env = simpy.Environment()
    state = {"under_way": 0, "since": 0.0}
    out: list[tuple[float, float]] = []

    def start(_: list[str]) -> None:
        if state["under_way"] == 0:
            state["since"] = env.now
        state["under_way"] += 1

    def end(_: list[str]) -> None:
        state["under_way"] -= 1
        if state["under_way"] == 0:
            out.append((state["since"], env.now))

    env.process(storms(env, weather, rng, start, end))
    env.run(until=horizon + HOURS_PER_YEAR)
    if state["under_way"] > 0:
        out.append((state["since"], math.inf))
    iv = np.asarray(out, float).reshape(-1, 2)
    return iv[iv[:, 0] < horizon]


def merge_intervals(iv: np.ndarray) -> np.ndarray:
    """Overlapping [start, end) intervals merged into disjoint sorted ones."""
    if len(iv) == 0:
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0])]
    out = [list(iv[0])]
    for s, e in iv[1:]:
        if s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return np.asarray(out, float)


def weather_closures(scenario: Scenario, streams: Streams, horizon: float) -> dict[str, np.ndarray]:
    """Every weather entry's closures in this replication (stream `weather:<id>`)."""
    return {wid: sample_closures(w, streams.get(f"weather:{wid}"), horizon)
            for wid, w in scenario.weather.items()}


def node_closures(scenario: Scenario, closures: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Closure intervals of each node (the union of every weather entry naming it)."""
    acc: dict[str, list[np.ndarray]] = {}
    for wid, w in scenario.weather.items():
        for nid in w.nodes:
            acc.setdefault(nid, []).append(closures[wid])
    return {nid: merge_intervals(np.concatenate(v)) for nid, v in acc.items()}


def open_at(t: float, closures: np.ndarray) -> float:
    """The first time at or after `t` outside every closure."""
    if len(closures) == 0:
        return t
    i = int(np.searchsorted(closures[:, 0], t, side="right")) - 1
    if i >= 0 and closures[i, 1] > t:
        return float(closures[i, 1])
    return t


def finish_work(start: float, work: float, closures: np.ndarray) -> float:
    """When `work` hours of repair started at `start` are done if work stops during closures."""
    t = open_at(start, closures)
    if len(closures) == 0:
        return t + work
    i = int(np.searchsorted(closures[:, 0], t, side="right"))
    while i < len(closures) and closures[i, 0] < t + work:
        work -= closures[i, 0] - t
        t = float(closures[i, 1])
        i += 1
    return t + work


# --- components ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """Something that fails: a link, a node, or one vessel of a fleet."""

    id: str
    kind: ComponentKind
    reliability: Reliability
    length_km: float | None = None

    @property
    def part_rate_per_h(self) -> float:
        """Failure rate of one part, per hour."""
        return failure_rate_per_year(self.reliability, self.length_km) / self.reliability.units / HOURS_PER_YEAR


def components(scenario: Scenario, network: Network, carriers: Iterable[str]) -> list[Component]:
    """The failing components of the given carriers: their links, the nodes only those links
    touch (nodes shared with cargo belong to the cargo model), and their fleets' vessels."""
    carriers = set(carriers)
    mine = {lid for lid, link in scenario.links.items() if link.carrier in carriers}
    others = set(scenario.links) - mine
    touched = {n for lid in mine for n in (scenario.links[lid].from_, scenario.links[lid].to)}
    shared = {n for lid in others for n in (scenario.links[lid].from_, scenario.links[lid].to)}
    out: list[Component] = []
    for lid in mine:
        rel = scenario.links[lid].reliability
        if rel is not None:
            out.append(Component(lid, "link", rel, network.links[lid].length_km))
    for nid in sorted(touched - shared):
        rel = scenario.nodes[nid].reliability
        if rel is not None:
            out.append(Component(nid, "node", rel))
    fleets = sorted({scenario.links[lid].fleet for lid in mine if scenario.links[lid].fleet})
    for fid in fleets:
        fleet = scenario.fleets[fid]
        if fleet.reliability is not None:
            out += [Component(vessel_id(fid, i), "vessel", fleet.reliability)
                    for i in range(int(fleet.vessels.value))]
    return out


def vessel_id(fleet: str, i: int) -> str:
    return f"{fleet}#{i + 1}"


# --- simulation ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """Every component's timeline and every outage in one replication."""

    horizon: float
    timelines: dict[str, Timeline] = field(default_factory=dict)
    outages: list[dict[str, Any]] = field(default_factory=list)
    closures: dict[str, np.ndarray] = field(default_factory=dict)  # by node
    events: int = 0

    def timeline(self, cid: str) -> Timeline:
        """The component's timeline; always in service when it has no reliability block."""
        return self.timelines.get(cid) or Timeline.constant(self.horizon)


@dataclass
class _Log:
    """Down/up changes of each component's parts, and outage records, as the simulation runs."""

    changes: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    outages: list[dict[str, Any]] = field(default_factory=list)


def simulate_reliability(scenario: Scenario, comps: list[Component], streams: Streams,
                         horizon: float) -> Outcome:
    """Failures, repairs, maintenance and scheduled outages of `comps` over [0, horizon]."""
    closures = weather_closures(scenario, streams, horizon)
    env = simpy.Environment()
    crews = {cid: simpy.Resource(env, capacity=max(int(c.vessels.value), 1))
             for cid, c in scenario.repair_crews.items()}
    log = _Log()
    for comp in comps:
        if comp.part_rate_per_h > 0:
            rng = streams.get(f"reliability:{comp.kind}:{comp.id}")
            weather = closures.get(comp.reliability.weather) if comp.reliability.weather else None
            for part in range(comp.reliability.units):
                env.process(_part(env, comp, rng, crews.get(comp.reliability.repair_crew or ""),
                                  scenario, weather, log))
    env.run(until=horizon)
    outcome = Outcome(horizon, closures=node_closures(scenario, closures))
    for rec in log.outages:
        rec.pop("_open", None)
    outcome.outages = log.outages
    for comp in comps:
        planned = _planned(comp, streams, horizon)
        outcome.outages += [_record(comp, s, e, share, cause) for s, e, share, cause in planned]
        outcome.timelines[comp.id] = _timeline(comp, log.changes.get(comp.id, []), planned, horizon)
        outcome.events += 2 * len(log.changes.get(comp.id, [])) + 2 * len(planned)
    outcome.outages.sort(key=lambda r: (r["start_h"], r["component"]))
    _close_open(outcome.outages, horizon)
    return outcome


def _part(env: simpy.Environment, comp: Component, rng: np.random.Generator,
          crew: simpy.Resource | None, scenario: Scenario, weather: np.ndarray | None, log: _Log):
    """One part of a component: up, failed, waiting for a vessel, mobilising, repaired, up."""
    rel = comp.reliability
    mobilisation: Distribution | None = None
    if rel.repair_crew:
        mobilisation = scenario.repair_crews[rel.repair_crew].mobilisation
    closures = weather if weather is not None else np.zeros((0, 2))
    changes = log.changes.setdefault(comp.id, [])
    while True:
        yield env.timeout(rng.exponential(1.0 / comp.part_rate_per_h))
        failed = env.now
        changes.append((failed, +1))
        rec = _record(comp, failed, math.nan, 1.0 / rel.units, "failure")
        rec["_open"] = True
        log.outages.append(rec)
        req = crew.request() if crew is not None else None
        if req is not None:
            rec["wait_crew_h"] = math.inf  # until a vessel comes (the horizon, if none does)
            yield req
            rec["wait_crew_h"] = float(env.now - failed)
            if mobilisation is not None:
                yield env.timeout(mobilisation.sample(rng))
        work = rel.repair.sample(rng)
        done = finish_work(env.now, work, closures)
        waited = done - env.now - work
        rec["wait_weather_h"] = float(waited) if waited > 1e-9 else 0.0
        yield env.timeout(done - env.now)
        if req is not None:
            crew.release(req)
        rec["end_h"] = float(env.now)
        rec.pop("_open")
        changes.append((env.now, -1))


def _record(comp: Component, start: float, end: float, share: float, cause: str) -> dict[str, Any]:
    return {"component": comp.id, "kind": comp.kind, "start_h": float(start), "end_h": float(end),
            "cause": cause, "capacity_lost_share": float(share)}


def _close_open(outages: list[dict[str, Any]], horizon: float) -> None:
    """Outages still running at the end of the horizon end there, marked ongoing."""
    for rec in outages:
        if math.isnan(rec["end_h"]) or rec["end_h"] > horizon:
            rec["end_h"] = float(horizon)
            rec["ongoing"] = True
        for key in ("wait_crew_h", "wait_weather_h"):
            if key in rec and not math.isfinite(rec[key]):
                rec[key] = float(horizon - rec["start_h"])


def _planned(comp: Component, streams: Streams, horizon: float) -> list[tuple[float, float, float, str]]:
    """Maintenance windows (with a random phase) and scheduled outages: (start, end, share, cause)."""
    rel = comp.reliability
    out: list[tuple[float, float, float, str]] = []
    m = rel.maintenance
    if m is not None and m.share.value > 0:
        every, dur = m.every.value, min(m.duration.value, m.every.value)
        phase = streams.get(f"maintenance:{comp.kind}:{comp.id}").uniform(0.0, every)
        for start in np.arange(phase - every, horizon, every):
            s, e = max(start, 0.0), min(start + dur, horizon)
            if e > s:
                out.append((float(s), float(e), m.share.value, "maintenance"))
    for o in rel.outages:
        s, e = o.start.value, min(o.start.value + o.duration.value, horizon)
        if s < horizon and o.share.value > 0:
            out.append((s, e, o.share.value, o.cause))
    return out


def _timeline(comp: Component, changes: list[tuple[float, int]],
              planned: list[tuple[float, float, float, str]], horizon: float) -> Timeline:
    """The share in service: parts up times the planned factors, on the union of breakpoints."""
    units = comp.reliability.units
    ch = np.asarray(changes, float).reshape(-1, 2)
    pl = np.asarray([p[:3] for p in planned], float).reshape(-1, 3)
    times = np.unique(np.concatenate([[0.0], ch[:, 0], pl[:, 0], pl[:, 1]]))
    times = times[times < horizon]
    if len(ch):
        order = np.argsort(ch[:, 0], kind="stable")
        ct, down = ch[order, 0], np.cumsum(ch[order, 1])
        i = np.searchsorted(ct, times, side="right") - 1
        share = 1.0 - np.where(i >= 0, down[np.clip(i, 0, None)], 0.0) / units
    else:
        share = np.ones(len(times))
    for s, e, lost in pl:
        share = share * np.where((times >= s) & (times < e), 1.0 - lost, 1.0)
    return Timeline.from_steps(times, np.clip(share, 0.0, 1.0), horizon)
