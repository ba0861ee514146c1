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

With a spin-up (`simulation.spinup`) failures, repairs, storms and maintenance windows run from
hour -spinup, so a cable cut in December is still under repair on 1 January, and timelines
start there (power and data read them only from hour 0; the liquids run through them from
-spinup). Scheduled `outages` keep their `start` from 1 January. Outage records that ended
before hour 0 are left out; one running over it keeps its true (negative) start.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import simpy

from sim.network import HOURS_PER_YEAR, Network, failure_rate_per_year
from sim.replications import Streams
from sim.scenario.distributions import Distribution
from sim.scenario.schema import Reliability, Scenario
from sim.weather import NEVER, Closures, Intervals

ComponentKind = Literal["link", "node", "vessel", "plant"]


# --- timelines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """A piecewise-constant share of capacity in service: `share[i]` on [times[i], times[i+1]),
    the last piece running to `horizon`; before `times[0]` (the clock's start: 0, or -spinup)
    the first piece holds."""

    times: np.ndarray
    share: np.ndarray
    horizon: float

    @classmethod
    def constant(cls, horizon: float, share: float = 1.0) -> Timeline:
        return cls(np.zeros(1), np.full(1, float(share)), float(horizon))

    @classmethod
    def from_steps(cls, times: np.ndarray, share: np.ndarray, horizon: float) -> Timeline:
        """A timeline from breakpoints (sorted, first at the clock's start) with repeated values
        merged."""
        keep = np.ones(len(share), dtype=bool)
        keep[1:] = share[1:] != share[:-1]
        return cls(np.asarray(times, float)[keep], np.asarray(share, float)[keep], float(horizon))

    @property
    def is_constant(self) -> bool:
        return len(self.times) == 1

    def at(self, t: float | np.ndarray) -> np.ndarray | float:
        """Share in service at time(s) `t`."""
        if isinstance(t, int | float):
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

    def integral(self, t: np.ndarray | float) -> np.ndarray | float:
        """Capacity-hours in service from the timeline's start to `t` (in shares times hours);
        differences of two are what any window holds."""
        knots = np.append(self.times, self.horizon)
        area = np.concatenate([[0.0], np.cumsum(self.share * np.diff(knots))])
        return np.interp(t, knots, area)

    def mean(self, t0: float = 0.0, t1: float | None = None) -> float:
        """Time-average share in service over [t0, t1]."""
        t1 = self.horizon if t1 is None else t1
        if t1 <= t0:
            return float(self.at(t0))
        return float((self.integral(t1) - self.integral(t0)) / (t1 - t0))

    def hourly(self, n_hours: int, start: int = 0) -> np.ndarray:
        """Mean share in each hour [k, k+1), k = start..start+n_hours-1 (exact capacity-hours);
        each hour's value is the same whatever block of hours it is asked in."""
        if self.is_constant:
            return np.full(n_hours, self.share[0])
        edges = np.minimum(np.arange(start, start + n_hours + 1, dtype=float), self.horizon)
        area = np.diff(self.integral(edges))
        width = np.diff(edges)
        out = np.where(width > 0, area / np.where(width > 0, width, 1.0), self.share[-1])
        return out


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
    touch (nodes shared with cargo belong to the cargo model), their fleets' vessels, and the
    dispatchable plants at the sites power flows leave."""
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
    if "power" in carriers:  # dispatchable plants at the sites power flows leave, "<node>.<plant>"
        sites = sorted({f.origin for f in scenario.flows.values() if f.carrier == "power"})
        out += [Component(plant_id(nid, pid), "plant", p.reliability) for nid in sites
                for pid, p in scenario.nodes[nid].plants.items() if p.reliability is not None]
    fleets = sorted({fid for lid in mine if (fid := scenario.links[lid].fleet)})
    for fid in fleets:
        fleet = scenario.fleets[fid]
        if fleet.reliability is not None:
            out += [Component(vessel_id(fid, i), "vessel", fleet.reliability)
                    for i in range(int(fleet.vessels.value))]
    return out


def vessel_id(fleet: str, i: int) -> str:
    return f"{fleet}#{i + 1}"


def plant_id(node: str, plant: str) -> str:
    return f"{node}.{plant}"


# --- simulation ------------------------------------------------------------------------------


@dataclass
class Outage:
    """One outage of a component: a part failing, a maintenance window, a scheduled event.

    `end_h` is NaN while a failure is under repair; waits are None where they do not apply (no
    repair crew; a planned outage)."""

    component: str
    kind: ComponentKind
    start_h: float
    end_h: float
    cause: str
    capacity_lost_share: float
    wait_crew_h: float | None = None
    wait_weather_h: float | None = None
    ongoing: bool = False  # still running at the end of the horizon

    def record(self) -> dict[str, Any]:
        """The outage as a report row (the waits and `ongoing` only where they apply)."""
        out: dict[str, Any] = {"component": self.component, "kind": self.kind,
                               "start_h": self.start_h, "end_h": self.end_h, "cause": self.cause,
                               "capacity_lost_share": self.capacity_lost_share}
        if self.wait_crew_h is not None:
            out["wait_crew_h"] = self.wait_crew_h
        if self.wait_weather_h is not None:
            out["wait_weather_h"] = self.wait_weather_h
        if self.ongoing:
            out["ongoing"] = True
        return out


@dataclass
class Outcome:
    """Every component's timeline and every outage (as report rows) in one replication, and
    the weather's closures that the repairs saw."""

    horizon: float
    timelines: dict[str, Timeline] = field(default_factory=dict)
    outages: list[dict[str, Any]] = field(default_factory=list)
    closures: Closures = field(default_factory=lambda: Closures({}, {}))
    events: int = 0

    def timeline(self, cid: str) -> Timeline:
        """The component's timeline; always in service when it has no reliability block."""
        return self.timelines.get(cid) or Timeline.constant(self.horizon)


@dataclass
class _Log:
    """Down/up changes of each component's parts, and failures, as the simulation runs."""

    changes: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    outages: list[Outage] = field(default_factory=list)


def simulate_reliability(scenario: Scenario, comps: list[Component], streams: Streams,
                         horizon: float) -> Outcome:
    """Failures, repairs, maintenance and scheduled outages of `comps` over [-spinup, horizon]."""
    spinup = scenario.simulation.spinup.value
    start = -spinup if spinup > 0 else 0.0
    closures = Closures.sample(scenario.weather, streams, horizon, start)
    env = simpy.Environment(initial_time=start)
    crews = {cid: simpy.Resource(env, capacity=max(int(c.vessels.value), 1))
             for cid, c in scenario.repair_crews.items()}
    log = _Log()
    for comp in comps:
        if comp.part_rate_per_h > 0:
            rng = streams.get(f"reliability:{comp.kind}:{comp.id}")
            weather = closures.entries.get(comp.reliability.weather or "", NEVER)
            for _ in range(comp.reliability.units):
                env.process(_part(env, comp, rng, crews.get(comp.reliability.repair_crew or ""),
                                  scenario, weather, log))
    env.run(until=horizon)
    outages = log.outages
    events = 0
    timelines: dict[str, Timeline] = {}
    for comp in comps:
        planned = _planned(comp, streams, horizon, start)
        outages += [Outage(comp.id, comp.kind, float(s), float(e), cause, float(share))
                    for s, e, share, cause in planned]
        timelines[comp.id] = _timeline(comp, log.changes.get(comp.id, []), planned, horizon, start)
        events += 2 * len(log.changes.get(comp.id, [])) + 2 * len(planned)
    if start < 0:  # an outage over before 1 January is not in the year
        outages = [o for o in outages if math.isnan(o.end_h) or o.end_h > 0]
    outages.sort(key=lambda o: (o.start_h, o.component))
    _close_open(outages, horizon)
    return Outcome(horizon, timelines, [o.record() for o in outages], closures, events)


def _part(env: simpy.Environment, comp: Component, rng: np.random.Generator,
          crew: simpy.Resource | None, scenario: Scenario, weather: Intervals, log: _Log
          ) -> Generator[simpy.Event, Any, None]:
    """One part of a component: up, failed, waiting for a vessel, mobilising, repaired, up."""
    rel = comp.reliability
    mobilisation: Distribution | None = None
    if rel.repair_crew:
        mobilisation = scenario.repair_crews[rel.repair_crew].mobilisation
    changes = log.changes.setdefault(comp.id, [])
    repair = rel.repair
    assert repair is not None  # sim.scenario.checks requires a repair time with failures
    while True:
        yield env.timeout(rng.exponential(1.0 / comp.part_rate_per_h))
        failed = env.now
        changes.append((failed, +1))
        outage = Outage(comp.id, comp.kind, float(failed), math.nan, "failure", 1.0 / rel.units)
        log.outages.append(outage)
        req = crew.request() if crew is not None else None
        if req is not None:
            outage.wait_crew_h = math.inf  # until a vessel comes (the horizon, if none does)
            yield req
            outage.wait_crew_h = float(env.now - failed)
            if mobilisation is not None:
                yield env.timeout(mobilisation.sample(rng))
        work = repair.sample(rng)
        done = weather.finish_work(env.now, work)
        waited = done - env.now - work
        outage.wait_weather_h = float(waited) if waited > 1e-9 else 0.0
        yield env.timeout(done - env.now)
        if crew is not None and req is not None:
            crew.release(req)
        outage.end_h = float(env.now)
        changes.append((env.now, -1))


def _close_open(outages: list[Outage], horizon: float) -> None:
    """Outages still running at the end of the horizon end there, marked ongoing."""
    for o in outages:
        if math.isnan(o.end_h) or o.end_h > horizon:
            o.end_h = float(horizon)
            o.ongoing = True
        if o.wait_crew_h is not None and not math.isfinite(o.wait_crew_h):
            o.wait_crew_h = float(horizon - o.start_h)
        if o.wait_weather_h is not None and not math.isfinite(o.wait_weather_h):
            o.wait_weather_h = float(horizon - o.start_h)


def _planned(comp: Component, streams: Streams, horizon: float,
             t0: float = 0.0) -> list[tuple[float, float, float, str]]:
    """Maintenance windows (with a random phase, from the clock's start `t0`) and scheduled
    outages (from hour 0): (start, end, share, cause)."""
    rel = comp.reliability
    out: list[tuple[float, float, float, str]] = []
    m = rel.maintenance
    if m is not None and m.share.value > 0:
        every, dur = m.every.value, min(m.duration.value, m.every.value)
        phase = streams.get(f"maintenance:{comp.kind}:{comp.id}").uniform(0.0, every)
        first = phase - every * (1 + math.ceil(-t0 / every))  # t0 <= 0: windows before it too
        for start in np.arange(first, horizon, every):
            s, e = max(start, t0), min(start + dur, horizon)
            if e > s:
                out.append((float(s), float(e), m.share.value, "maintenance"))
    for o in rel.outages:
        s, e = o.start.value, min(o.start.value + o.duration.value, horizon)
        if s < horizon and o.share.value > 0:
            out.append((s, e, o.share.value, o.cause))
    return out


def _timeline(comp: Component, changes: list[tuple[float, int]],
              planned: list[tuple[float, float, float, str]], horizon: float,
              t0: float = 0.0) -> Timeline:
    """The share in service: parts up times the planned factors, on the union of breakpoints."""
    units = comp.reliability.units
    ch = np.asarray(changes, float).reshape(-1, 2)
    pl = np.asarray([p[:3] for p in planned], float).reshape(-1, 3)
    times = np.unique(np.concatenate([[t0], ch[:, 0], pl[:, 0], pl[:, 1]]))
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
