"""Background port traffic: vessels that call at a port for cargo outside the corridor's flows
(oil products, grain, dry bulk, other ports' cargo), sharing its berths, yard and weather.

Each entry of a port's `traffic` is a seasonal Poisson stream: `rate` tonnes a year in calls of
`call` tonnes, so calls arrive at rate / call a year, times the month's seasonality factor
(normalised to mean 1), timed by `sim.calendar.after` as a flow's consignments are. Every random
number an entry uses (gaps, service and dwell times, drawn in that order as each call arrives)
comes from its own stream `cargo:traffic:<port>:<entry>`, so adding an entry moves no other
component's numbers, and an entry's calls do not depend on what the corridor does.

A call (`call`), loading (out) or unloading (in); `both` alternates, the first call loading:
  - out, with `yard_dwell`: its cargo enters the port's yard (waiting outside while the yard is
    full) and lies there for the dwell before the vessel calls;
  - the vessel waits for the port to be open (`sim.weather.Closures`);
  - in, with `yard_dwell`: it waits at anchor for room in the yard (as a ferry does);
  - it takes a berth of its kind, first come first served with the corridor's ferries and
    handling on the same `Berths`, waits there if the port has closed meanwhile, and holds the
    berth for the service time (its entry's draw of the berth's service distribution);
  - it leaves: an out call's cargo leaves the yard as loading ends; an in call's cargo lies in
    the yard for the dwell after unloading ends, then leaves it.
A call is counted (tonnes in or out, one call) when its service ends, if that is after the
warm-up (`Port.background_call`): each call's tonnes once, in the month its service ends.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim import calendar
from sim.cargo.port import KG_PER_MT, Berths, Port
from sim.draws import Draws
from sim.scenario.distributions import Exponential
from sim.scenario.schema import PortTraffic
from sim.weather import Closures



@dataclass(eq=False, slots=True)
class Background:
    """One entry of a port's background traffic in one replication."""

    id: str
    port: Port
    berths: Berths
    kg: int  # one call's cargo
    rates: list[float]  # calls per hour, month by month (January first)
    direction: str  # out, in or both
    gaps: Draws  # unit-mean exponential work between calls
    service: Draws  # hours at the berth
    dwell: Draws | None  # hours in the yard

    @classmethod
    def build(cls, tid: str, spec: PortTraffic, port: Port, rng: np.random.Generator) -> Background:
        """The entry `tid` of `port`'s traffic, drawing from `rng` (its own stream). The
        scenario checks ensure the port has the berth kind, and a yard when there is a dwell."""
        berths = port.berths[spec.berth]
        kg = max(round(spec.call.value * 1000), 1)  # whole kilograms, as all cargo in the model
        per_h = spec.rate.value * KG_PER_MT / calendar.HOURS_PER_YEAR / kg
        season = calendar.normalised(spec.seasonality) if spec.seasonality else [1.0] * 12
        return cls(tid, port, berths, kg, [per_h * f for f in season], spec.direction,
                   gaps=Draws(Exponential(mean_=1.0), rng),
                   service=Draws(berths.service.dist, rng),
                   dwell=Draws(spec.yard_dwell, rng) if spec.yard_dwell is not None else None)


def arrivals(env: simpy.Environment, bg: Background, closures: Closures, horizon: float
             ) -> Generator[simpy.Event, Any, None]:
    """Process: the entry's calls arriving from now to the horizon, each started as a `call`."""
    if not any(r > 0 for r in bg.rates):
        return
    flat = bg.rates[0] if len(set(bg.rates)) == 1 else None  # no seasonality: skip the calendar
    t = env.now
    n = 0
    while True:
        work = bg.gaps.next()
        t = t + work / flat if flat else calendar.after(t, work, bg.rates)
        if not t < horizon:  # past the horizon, or never (inf)
            return
        service = bg.service.next()
        dwell = bg.dwell.next() if bg.dwell is not None else 0.0
        out = bg.direction == "out" or (bg.direction == "both" and n % 2 == 0)
        n += 1
        yield env.timeout(t - env.now)
        env.process(call(env, bg, closures, out, service, dwell))


def call(env: simpy.Environment, bg: Background, closures: Closures, out: bool, service: float,
         dwell: float) -> Generator[simpy.Event, Any, None]:
    """Process: one background vessel call (see the module text)."""
    port, kg = bg.port, bg.kg
    yard = port.yard if bg.dwell is not None else None
    if out and yard is not None:
        ev = yard.enter(kg)
        if ev is not None:
            yield ev
        yield env.timeout(dwell)
    if closures.open_at(env.now, port.id) > env.now:
        yield from closures.wait_open(env, port.id)
    if not out and yard is not None:
        ev = yard.enter(kg)
        if ev is not None:
            yield ev
    ev = bg.berths.seize()
    if ev is not None:
        yield ev
    if closures.open_at(env.now, port.id) > env.now:
        yield from closures.wait_open(env, port.id)
    yield env.timeout(service)
    bg.berths.release()
    port.background_call(kg, out)
    if yard is not None:
        if not out:
            yield env.timeout(dwell)
        yard.leave(kg)

