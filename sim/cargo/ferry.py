"""Caspian ferries: a fleet's vessels load at a port berth, sail by the scenario's departure
rule, cross, unload, and return.

A fleet is shared by every link that names it (Aktau, Kuryk, Turkmenbashi to Baku/Alat).
Where a free vessel goes (`Fleet.choose`): to a link with cargo that no other vessel is
already coming for, preferring links that start where the vessel lies (no empty leg), then
ports with a loading berth not yet taken by a vessel of the fleet (no queueing at a busy
quay while another port waits), and among those the one whose front consignment has waited
longest (first come, first served across ports, so a small port is not starved by a busy
one). If cargo waits only across the sea it sails there empty; if none waits anywhere it
returns empty to the port it last loaded at and waits there for cargo. Empty legs take a
link's crossing time (either way), else the great-circle distance at the fleet's speed.

Departure rules (`fleet.departure.rule`), once berthed at the loading port:
  when_full              sail when a full load waits on the quay (or as much as the port's
                         yard can hold, when that is less);
  when_full_or_max_wait  the same, or `max_wait` after berthing with whatever has come (at
                         least one consignment);
  schedule               sail at every multiple of `interval` hours with what waits (a slot
                         with no cargo is skipped; a slot lost to a storm waits for the next).
Loading and unloading take the fleet's `load` and `unload` times per call, whatever the load.
A closed port lets no vessel berth, load or sail; a vessel sails only when both ends are open,
and waits at anchor for room in the destination's yard before berthing there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import simpy

from sim.draws import Draws
from sim.cargo.port import Berths, CargoQueue, Lot, Port

if TYPE_CHECKING:
    from sim.scenario.schema import Fleet as FleetSpec
    from sim.weather import Closures

# Berth kinds each sort of vessel uses, in order of preference.
FLEET_BERTHS = {
    "ferry": ("ferry", "roro"),
    "roro": ("roro", "ferry"),
    "container_ship": ("container",),
    "bulk": ("dry", "grain"),
    "tanker": ("oil",),
}
# What a vessel is doing, for the fleet's shares of time.
IDLE, WAITING, WORKING, EMPTY = "idle", "waiting", "working", "empty"


@dataclass(eq=False, slots=True)
class FerryLink:
    """A link sailed by a fleet: cargo gathers on the quay at `origin` and crosses to
    `destination` in `transit` hours."""

    id: str
    origin: Port
    destination: Port
    transit: Draws
    queue: CargoQueue
    assigned: int = 0  # vessels on their way to load here, or loading
    voyages: int = 0  # loaded departures after the warm-up
    kg: int = 0  # kilograms loaded after the warm-up


@dataclass(eq=False, slots=True)
class Vessel:
    index: int
    port: str
    home: str  # the port it last loaded at: where it returns when no cargo waits
    state: str = IDLE
    since: float = 0.0


@dataclass(eq=False)
class Fleet:
    """A fleet's vessels, the links they share, and the rule that sends a free vessel."""

    env: simpy.Environment
    id: str
    spec: FleetSpec
    cap_kg: int
    links: list[FerryLink]
    closures: Closures
    load: Draws
    unload: Draws
    on_landed: Callable[[Lot], None]
    warmup: float
    horizon: float
    berths: dict[str, Berths | None] = field(default_factory=dict)  # by port id
    legs: dict[tuple[str, str], Callable[[], float]] = field(default_factory=dict)
    trace: Callable[[dict], None] | None = None
    vessels: list[Vessel] = field(default_factory=list)
    hours: dict[str, float] = field(default_factory=lambda: {IDLE: 0.0, WAITING: 0.0,
                                                             WORKING: 0.0, EMPTY: 0.0})
    calling: dict[str, int] = field(default_factory=dict)  # vessels sent to load, by port
    _idle: list[tuple[Vessel, simpy.Event]] = field(default_factory=list)

    def __post_init__(self) -> None:
        kinds = FLEET_BERTHS.get(self.spec.kind, ("ferry",))
        for link in self.links:
            for port in (link.origin, link.destination):
                self.berths[port.id] = port.berths_for(kinds)
            self.calling[link.origin.id] = 0
            link.queue.on_put = partial(self.cargo_arrived, link)
        dep = self.spec.departure
        self.rule = dep.rule
        self.max_wait = dep.max_wait.value if dep.max_wait is not None else math.inf
        self.interval = dep.interval.value if dep.interval is not None else 0.0

    # --- dispatch -----------------------------------------------------------------------------

    def full_kg(self, link: FerryLink) -> int:
        """A full load at the link's port: the vessel's capacity, or the yard's if smaller (a
        quay cannot gather more than its yard holds)."""
        yard = link.origin.yard
        return min(self.cap_kg, yard.capacity_kg) if yard is not None else self.cap_kg

    def _unclaimed(self, link: FerryLink) -> int:
        return link.queue.kg - link.assigned * self.cap_kg

    def _berth_free(self, link: FerryLink) -> bool:
        """Whether the link's port has a loading berth no vessel of the fleet is bound for."""
        berths = self.berths[link.origin.id]
        return berths is None or self.calling[link.origin.id] < berths.count

    def _send(self, link: FerryLink) -> None:
        link.assigned += 1
        self.calling[link.origin.id] += 1

    def choose(self, v: Vessel) -> FerryLink | None:
        """The link a free vessel lying at `v.port` should serve next (see the module text)."""
        best, best_key = None, None
        cap = self.cap_kg
        for link in self.links:
            q = link.queue
            if q.kg - link.assigned * cap <= 0:  # `_unclaimed`, inlined: a vessel's every call
                continue
            key = (link.origin.id == v.port, self._berth_free(link), -q.lots[0].since)
            if best_key is None or key > best_key:
                best, best_key = link, key
        if best is not None:
            self._send(best)
        return best

    def idle(self, v: Vessel) -> simpy.Event:
        """Wait for cargo anywhere on the fleet's links; the event's value is the link."""
        ev = self.env.event()
        self._idle.append((v, ev))
        return ev

    def cargo_arrived(self, link: FerryLink) -> None:
        """Wake an idle vessel (the one lying at the link's port first) for unclaimed cargo."""
        idle = self._idle
        if not idle or self._unclaimed(link) <= 0:
            return
        pick, port = 0, link.origin.id
        for i, (v, _) in enumerate(idle):
            if v.port == port:
                pick = i
                break
        _, ev = idle.pop(pick)
        self._send(link)
        ev.succeed(link)

    def leg_h(self, a: str, b: str) -> float:
        """Hours to sail empty from port `a` to port `b`."""
        if a == b:
            return 0.0
        leg = self.legs.get((a, b))
        return leg() if leg is not None else 0.0

    # --- bookkeeping --------------------------------------------------------------------------

    def set_state(self, v: Vessel, state: str) -> None:
        now = self.env._now
        w = self.warmup
        if now > w:
            since = v.since
            self.hours[v.state] += now - (since if since > w else w)
        v.since = now
        v.state = state

    def departure_wait(self, link: FerryLink, berthed: float) -> simpy.Event | None:
        """What a vessel berthed at `berthed` on `link` must wait for before it may take its
        cargo by the departure rule, or None if it may take it now."""
        q = link.queue
        now = self.env._now
        rule = self.rule
        if rule == "when_full":
            cap = self.full_kg(link)
            if q.kg < cap:
                return q.wait_for(cap)
        elif rule == "when_full_or_max_wait":
            cap = self.full_kg(link)
            if q.kg < cap:
                due = berthed + self.max_wait
                if now < due:
                    return q.wait_for(cap, due - now)
                if q.kg == 0:
                    return q.wait_for(1)
        else:  # schedule
            slot = self.next_slot(now)
            if slot > now:
                return self.env.timeout(slot - now)
            if q.kg == 0:
                return self.env.timeout(self.interval)
        return None

    def next_slot(self, now: float) -> float:
        iv = self.interval
        return math.ceil((now - 1e-6) / iv) * iv

    def summary(self) -> dict[str, float]:
        for v in self.vessels:
            self.set_state(v, v.state)
        total = sum(self.hours.values())
        share = {k: (h / total if total else 0.0) for k, h in self.hours.items()}
        voyages = sum(link.voyages for link in self.links)
        kg = sum(link.kg for link in self.links)
        return {
            "vessels": float(len(self.vessels)),
            "utilisation": share[WORKING] + share[EMPTY],
            "working_share": share[WORKING],
            "empty_share": share[EMPTY],
            "waiting_share": share[WAITING],
            "idle_share": share[IDLE],
            "voyages": float(voyages),
            "tonnes": kg / 1000,
            "load_factor": kg / (voyages * self.cap_kg) if voyages else 0.0,
        }


def vessel(env: simpy.Environment, fleet: Fleet, v: Vessel):
    """Process: one vessel's working life: choose a link, sail there empty if it lies elsewhere,
    berth and load by the departure rule, cross, unload, and choose again.

    One generator for the whole cycle (no sub-generators): a vessel passes here at a fifth of
    the model's events, and each nested step would cost a generator and a delegation per event.
    """
    closures = fleet.closures
    closed = closures.closed
    timeout = env.timeout
    while True:
        link = fleet.choose(v)
        if link is None:
            if v.port == v.home:
                fleet.set_state(v, IDLE)
                link = yield fleet.idle(v)
                to = link.origin.id
            else:  # no cargo anywhere: back to the port it last loaded at
                to = v.home
        else:
            to = link.origin.id
        if to != v.port:  # sail empty, once both ends are open
            if closed and closures.any_closed((v.port, to)) is not None:
                fleet.set_state(v, WAITING)
                yield from closures.wait_open(v.port, to)
            fleet.set_state(v, EMPTY)
            yield timeout(fleet.leg_h(v.port, to))
            v.port = to
            if link is None:
                continue

        # load: berth at the link's origin, wait for the departure rule, take the cargo
        port = link.origin
        fleet.set_state(v, WAITING)
        if port.id in closed:
            yield from closures.wait_open(port.id)
        berths = fleet.berths[port.id]
        if berths is not None:
            ev = berths.seize()
            if ev is not None:
                yield ev
        berthed = env._now
        ends = (port.id, link.destination.id)
        while True:
            ev = fleet.departure_wait(link, berthed)
            if ev is not None:
                yield ev
            elif closed and closures.any_closed(ends) is not None:
                yield from closures.wait_open(*ends)
            else:
                break
        q = link.queue
        waiting = q.kg
        lots = q.take(fleet.cap_kg)
        kg = waiting - q.kg
        link.assigned -= 1
        fleet.cargo_arrived(link)  # what is left may call another vessel
        if env._now >= fleet.warmup:
            link.voyages += 1
            link.kg += kg
        if fleet.trace:
            fleet.trace({"t": env.now, "event": "loading", "fleet": fleet.id, "vessel": v.index,
                         "link": link.id, "t_cargo": kg / 1000})
        fleet.set_state(v, WORKING)
        yield timeout(fleet.load.next())
        if closed and closures.any_closed(ends) is not None:
            fleet.set_state(v, WAITING)
            yield from closures.wait_open(*ends)
            fleet.set_state(v, WORKING)
        if berths is not None:
            berths.release()
        fleet.calling[port.id] -= 1

        # cross, wait for the destination to be open and its yard to have room, berth, unload
        dest = link.destination
        yield timeout(link.transit.next())
        fleet.set_state(v, WAITING)
        if dest.id in closed:
            yield from closures.wait_open(dest.id)
        if dest.yard is not None and kg:
            ev = dest.yard.enter(kg)
            if ev is not None:
                yield ev
        berths = fleet.berths[dest.id]
        if berths is not None:
            ev = berths.seize()
            if ev is not None:
                yield ev
        if dest.id in closed:
            yield from closures.wait_open(dest.id)
        fleet.set_state(v, WORKING)
        yield timeout(fleet.unload.next())
        if berths is not None:
            berths.release()
        v.port, v.home = dest.id, port.id
        if fleet.trace:
            fleet.trace({"t": env.now, "event": "unloaded", "fleet": fleet.id, "vessel": v.index,
                         "link": link.id, "t_cargo": kg / 1000})
        for lot in lots:
            fleet.on_landed(lot)
