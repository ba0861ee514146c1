"""Caspian ferries: a fleet's vessels load at a port berth, sail by the scenario's departure
rule, cross, unload, and return.

A fleet is shared by every link that names it (Aktau, Kuryk, Turkmenbashi to Baku/Alat).
Where a free vessel goes (`FerryFleet.choose`): to a link with cargo that no other vessel is
already coming for, preferring links that start where the vessel lies (no empty leg), then
ports with a loading berth not yet taken by a vessel of the fleet (no queueing at a busy
quay while another port waits), and among those the one whose front consignment has waited
longest (first come, first served across ports, so a small port is not starved by a busy
one). If cargo waits only across the sea it sails there empty; if none waits anywhere it
returns empty to the port it last loaded at and waits there for cargo. Empty legs take a
link's crossing time (either way), else the great-circle distance at the fleet's speed.

A vessel that has unloaded keeps its berth if it loads next at the same port (it is already
there), and gives it up otherwise. Once berthed at the loading port a vessel sails by the
fleet's departure rule (`sim.fleet.DepartureRule`), a full load being the vessel's capacity or,
when less, what the port's yard can hold; but it does not linger at a berth another ship waits
for: it sails at once with the cargo it can take, or, with none, gives the berth up and chooses
again. Loading and unloading take the fleet's `load` and `unload` times per call, whatever the
load. A closed port (`sim.weather.Closures`) lets no vessel berth, load or sail; a vessel sails
only when both ends are open, and waits at anchor for room in the destination's yard before
berthing there. Its hours are booked by state (`sim.fleet`), and reported in four groups: idle,
waiting (any cause), working (loading, crossing, unloading), sailing empty. Each berthing to
load or unload is a call at its port (one call when it unloads and then loads there), counted
with its cargo (`Port.shipped`): out when the cargo is taken on board, in when it is landed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import simpy

from sim.cargo.port import Berths, CargoQueue, Port
from sim.draws import Draws
from sim.network import FLEET_BERTHS
from sim.fleet import (IDLE, LOADING, REPORT_GROUP, SAILING_EMPTY, SAILING_LOADED, UNLOADING,
                       WAITING_BERTH, WAITING_CARGO, WAITING_ROOM, WAITING_WEATHER, Await,
                       DepartureRule, StateClock)
from sim.weather import Closures

if TYPE_CHECKING:
    from sim.cargo.journey import Lot
    from sim.scenario.schema import Fleet as FleetSpec



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
    space: int = 0  # deck space loaded after the warm-up (see `CargoQueue`)


@dataclass(eq=False, slots=True)
class Ferry:
    """One vessel of a ferry fleet: where it lies, where it last loaded, and its clock."""

    index: int
    port: str
    home: str  # the port it last loaded at: where it returns when no cargo waits
    clock: StateClock
    berthed: bool = False  # still at the berth it unloaded at: loading there is the same call
    holding: Berths | None = None  # that berth, kept while it decides whether to load there


@dataclass(eq=False)
class FerryFleet:
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
    trace: Callable[[dict[str, Any]], None] | None = None
    vessels: list[Ferry] = field(default_factory=list)
    # hours by report group (all vessels), and by state: waits split by cause
    hours: dict[str, float] = field(default_factory=lambda: {"idle": 0.0, "waiting": 0.0,
                                                             "working": 0.0, "empty": 0.0})
    detail: dict[str, float] = field(default_factory=dict)
    calling: dict[str, int] = field(default_factory=dict)  # vessels sent to load, by port
    idle_vessels: list[tuple[Ferry, simpy.Event]] = field(default_factory=list)
    waits_at: dict[tuple[str, str], float] = field(default_factory=dict)  # (port, cause) -> vessel-hours

    def __post_init__(self) -> None:
        kinds = FLEET_BERTHS[self.spec.kind]
        for link in self.links:
            for port in (link.origin, link.destination):
                self.berths[port.id] = port.berths_for(kinds)
            self.calling[link.origin.id] = 0
            link.queue.on_put = partial(self.cargo_arrived, link)
        self.rule = DepartureRule.from_spec(self.spec.departure)

    def add_vessel(self, index: int, port: str) -> Ferry:
        """A vessel lying idle at `port`, its hours booked with the fleet's."""
        clock = StateClock(self.warmup, self.horizon, self.hours, IDLE, groups=REPORT_GROUP,
                           detail=self.detail, place=port, waits_at=self.waits_at)
        v = Ferry(index, port, port, clock)
        self.vessels.append(v)
        return v

    # --- dispatch -----------------------------------------------------------------------------

    def full_kg(self, link: FerryLink) -> int:
        """A full load at the link's port: the vessel's capacity, or the yard's if smaller (a
        quay cannot gather more than its yard holds)."""
        yard = link.origin.yard
        return min(self.cap_kg, yard.capacity_kg) if yard is not None else self.cap_kg

    def _unclaimed(self, link: FerryLink) -> int:
        return link.queue.space - link.assigned * self.cap_kg

    def _berth_free(self, link: FerryLink) -> bool:
        """Whether the link's port has a loading berth no vessel of the fleet is bound for."""
        berths = self.berths[link.origin.id]
        return berths is None or self.calling[link.origin.id] < berths.count

    def _send(self, link: FerryLink) -> None:
        link.assigned += 1
        self.calling[link.origin.id] += 1

    def choose(self, v: Ferry) -> FerryLink | None:
        """The link a free vessel lying at `v.port` should serve next (see the module text)."""
        best, best_key = None, None
        cap = self.cap_kg
        for link in self.links:
            q = link.queue
            if q.space - link.assigned * cap <= 0:  # `_unclaimed`, inlined: a vessel's every call
                continue
            key = (link.origin.id == v.port, self._berth_free(link), -q.lots[0].since)
            if best_key is None or key > best_key:
                best, best_key = link, key
        if best is not None:
            self._send(best)
        return best

    def idle(self, v: Ferry) -> simpy.Event:
        """Wait for cargo anywhere on the fleet's links; the event's value is the link."""
        ev = self.env.event()
        self.idle_vessels.append((v, ev))
        return ev

    def cargo_arrived(self, link: FerryLink) -> None:
        """Wake an idle vessel (the one lying at the link's port first) for unclaimed cargo."""
        idle = self.idle_vessels
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

    def set_state(self, v: Ferry, state: str) -> None:
        v.clock.enter(state, self.env.now)

    def wait_for(self, v: Ferry, cause: str) -> None:
        """The vessel waits, for `cause`, from now (a wait already for that cause goes on)."""
        if v.clock.state != cause:
            v.clock.enter(cause, self.env.now)

    def departure_wait(self, link: FerryLink, berthed: float) -> simpy.Event | None:
        """What a vessel berthed at `berthed` on `link` must wait for before it may take its
        cargo by the departure rule, or None if it may take it now."""
        q = link.queue
        cap = self.full_kg(link)
        wait = self.rule.wait(self.env.now, berthed, q.space >= cap, q.space == 0)
        if wait is None:
            return None
        if wait.kind is Await.FULL:
            return q.wait_for(cap, wait.hours if math.isfinite(wait.hours) else None)
        if wait.kind is Await.ANY:
            return q.wait_for(1)
        return self.env.timeout(wait.hours)

    def summary(self) -> dict[str, float]:
        for v in self.vessels:
            self.set_state(v, v.clock.state)
        total = sum(self.hours.values())
        share = {k: (h / total if total else 0.0) for k, h in self.hours.items()}
        voyages = sum(link.voyages for link in self.links)
        kg = sum(link.kg for link in self.links)
        space = sum(link.space for link in self.links)
        waited = sum(link.queue.waited_kg for link in self.links)
        return {
            "vessels": float(len(self.vessels)),
            "utilisation": share["working"] + share["empty"],
            "working_share": share["working"],
            "empty_share": share["empty"],
            "waiting_share": share["waiting"],
            "idle_share": share["idle"],
            "voyages": float(voyages),
            "tonnes": kg / 1000,
            "load_factor": space / (voyages * self.cap_kg) if voyages else 0.0,
            # hours cargo waited on the quay for one of the fleet's vessels (kilogram-weighted)
            "quay_wait_h_mean": sum(link.queue.waited_kgh for link in self.links) / waited if waited else 0.0,
        }


def vessel(env: simpy.Environment, fleet: FerryFleet, v: Ferry) -> Generator[simpy.Event, Any, None]:
    """Process: one vessel's working life: choose a link, sail there empty if it lies elsewhere,
    berth and load by the departure rule, cross, unload, and choose again.

    One generator for the whole cycle (no sub-generators): a vessel passes here at a fifth of
    the model's events, and each nested step would cost a generator and a delegation per event.
    """
    closures = fleet.closures
    stormy = bool(closures.nodes)  # weather somewhere: ask before every move
    open_at = closures.open_at
    timeout = env.timeout
    wait_for = fleet.wait_for
    while True:
        link = fleet.choose(v)
        held = v.holding
        if held is not None and (link is None or link.origin.id != v.port or fleet.berths[v.port] is not held):
            held.release()  # it will not load here: the berth it unloaded at is free again
            v.holding = None
        if link is None:
            if v.port == v.home:
                v.clock.enter(IDLE, env.now)
                link = yield fleet.idle(v)
                to = link.origin.id
            else:  # no cargo anywhere: back to the port it last loaded at
                to = v.home
        else:
            to = link.origin.id
        if to != v.port:  # sail empty, once both ends are open
            v.berthed = False
            if stormy and open_at(env.now, v.port, to) > env.now:
                v.clock.enter(WAITING_WEATHER, env.now)
                yield from closures.wait_open(env, v.port, to)
            v.clock.enter(SAILING_EMPTY, env.now)
            yield timeout(fleet.leg_h(v.port, to))
            v.port = v.clock.place = to
        if link is None:  # it sailed home empty: choose again there
            continue

        # load: berth at the link's origin, wait for the departure rule, take the cargo
        port = link.origin
        same_call = v.berthed  # loading at the berth it just unloaded at: one call, not two
        v.berthed = False
        v.clock.place = port.id
        v.clock.enter(WAITING_BERTH, env.now)
        if stormy and open_at(env.now, port.id) > env.now:
            wait_for(v, WAITING_WEATHER)
            yield from closures.wait_open(env, port.id)
        berths = fleet.berths[port.id]
        if v.holding is not None:  # loading at the berth it unloaded at: it keeps it
            v.holding = None
        elif berths is not None:
            ev = berths.seize()
            if ev is not None:
                wait_for(v, WAITING_BERTH)
                yield ev
        berthed = env.now
        ends = (port.id, link.destination.id)
        q = link.queue
        give_way = False  # another vessel waits for the berth and there is no cargo to take
        while True:
            ev = fleet.departure_wait(link, berthed)
            if ev is not None:
                if berths is not None and berths.waiting:  # no lingering while others wait
                    give_way = q.space == 0
                    break
                wait_for(v, WAITING_CARGO)
                yield ev if berths is None else ev | berths.wanted()
            elif stormy and open_at(env.now, *ends) > env.now:
                wait_for(v, WAITING_WEATHER)
                yield from closures.wait_open(env, *ends)
            else:
                break
        if give_way:  # leave the berth empty-handed and choose again (cargo may call it back)
            assert berths is not None
            berths.release()
            fleet.calling[port.id] -= 1
            link.assigned -= 1
            continue
        waiting = q.space
        lots, kg = q.take(fleet.cap_kg)
        space = waiting - q.space
        link.assigned -= 1
        fleet.cargo_arrived(link)  # what is left may call another vessel
        if env.now >= fleet.warmup:
            link.voyages += 1
            link.kg += kg
            link.space += space
            if not same_call:
                port.called()
            for lot in lots:
                port.shipped(lot, True)
        if fleet.trace:
            fleet.trace({"t": env.now, "event": "loading", "fleet": fleet.id, "vessel": v.index,
                         "link": link.id, "t_cargo": kg / 1000})
        v.clock.enter(LOADING, env.now)
        yield timeout(fleet.load.next())
        if stormy and open_at(env.now, *ends) > env.now:
            v.clock.enter(WAITING_WEATHER, env.now)
            yield from closures.wait_open(env, *ends)
        if berths is not None:
            berths.release()
        fleet.calling[port.id] -= 1

        # cross, wait for the destination to be open and its yard to have room, berth, unload
        dest = link.destination
        v.clock.enter(SAILING_LOADED, env.now)
        yield timeout(link.transit.next())
        v.clock.place = dest.id
        v.clock.enter(WAITING_BERTH, env.now)
        if stormy and open_at(env.now, dest.id) > env.now:
            wait_for(v, WAITING_WEATHER)
            yield from closures.wait_open(env, dest.id)
        if dest.yard is not None and kg:
            ev = dest.yard.enter(kg)
            if ev is not None:
                wait_for(v, WAITING_ROOM)
                yield ev
        berths = fleet.berths[dest.id]
        if berths is not None:
            ev = berths.seize()
            if ev is not None:
                wait_for(v, WAITING_BERTH)
                yield ev
        if stormy and open_at(env.now, dest.id) > env.now:
            wait_for(v, WAITING_WEATHER)
            yield from closures.wait_open(env, dest.id)
        v.clock.enter(UNLOADING, env.now)
        yield timeout(fleet.unload.next())
        v.port, v.home = dest.id, port.id
        v.berthed = True
        v.holding = berths  # released when it chooses not to load here (the loop's start)
        if env.now >= fleet.warmup:
            dest.called()
            for lot in lots:
                dest.shipped(lot, False)
        if fleet.trace:
            fleet.trace({"t": env.now, "event": "unloaded", "fleet": fleet.id, "vessel": v.index,
                         "link": link.id, "t_cargo": kg / 1000})
        for lot in lots:
            fleet.on_landed(lot)
