"""Ports: berths by kind, a yard that fills and turns trains away when full, and the cargo
waiting on the quay for each ferry link.

Cargo is counted in whole kilograms inside the model so that splitting a train between two
ferries never creates or loses a gram (conservation is then exact).

A port's queue is the cargo that has arrived and whose outbound move has not yet begun: loading
onto a ferry, a berth for a ship, or its turn on the outbound railway. Its waiting time is
measured per consignment (a train split between two ferries waits until its last wagon leaves).

A port also counts its ship traffic after the warm-up, as ports publish it: kilograms loaded onto
vessels (out) and unloaded from them (in), by cargo flow (so each flow's unit mix turns them
into wagons, TEU and trucks), and the berthings of fleet vessels (`calls`). A fleet vessel's
cargo is counted out when it is taken on board and in when it is landed, each berthing to load
or unload is one call (counted with its cargo); cargo moved to or from a ship without a fleet is
counted when its handling ends (no vessel is modelled, so no call). A background vessel call
(`sim.cargo.background`: cargo outside the corridor's flows) is counted, tonnes and call, when
its service at the berth ends, in the totals and apart (`background_*`). Every count is kept
by calendar month (the month of the counting event), and the year's totals are the months'
sums, so the months of the measured period add up to its totals exactly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim import calendar
from sim.draws import Draws
from sim.measures import Queue, Tally, TimeWeighted
from sim.network import HANDLING_KINDS

if TYPE_CHECKING:
    from sim.cargo.journey import Lot
    from sim.weather import Closures

KG_PER_MT = 1e9  # cargo is counted in whole kilograms; rates are in Mt a year

# Berth kinds a consignment uses to move between land and a ship that is not a fleet ferry
# (Poti onto Black Sea shipping), in order of preference.


class Berths:
    """`count` berths of one kind at a port; a vessel or consignment holds one while served,
    the others wait first come, first served."""

    __slots__ = ("env", "kind", "count", "service", "free", "waiting", "busy", "waits", "_wanted")

    def __init__(self, env: simpy.Environment, kind: str, count: int, service: Draws,
                 warmup: float, horizon: float):
        self.env = env
        self.kind = kind
        self.count = count
        self.service = service
        self.free = count
        self.waiting: deque[tuple[float, simpy.Event]] = deque()
        self.busy = TimeWeighted(warmup, horizon)
        self.waits = Tally(warmup)
        self._wanted: simpy.Event | None = None  # shared by every vessel lingering here

    def wanted(self) -> simpy.Event:
        """An event that fires when someone waits for one of these berths (now, if someone does):
        a vessel lingering at a berth for cargo gives way then (`sim.cargo.ferry`). One event
        serves every vessel lingering at the same time, so none is left behind when they go."""
        if self._wanted is None or self._wanted.triggered:
            self._wanted = self.env.event()
            if self.waiting:
                self._wanted.succeed()
        return self._wanted

    def seize(self) -> simpy.Event | None:
        """Take a berth: None if one was free, else an event that fires when one is yours."""
        now = self.env.now
        if self.free > 0 and not self.waiting:
            self.free -= 1
            self.busy.add(now, 1.0)
            self.waits.add(now, 0.0)
            return None
        ev = self.env.event()
        self.waiting.append((now, ev))
        if self._wanted is not None and not self._wanted.triggered:
            self._wanted.succeed()
        return ev

    def release(self) -> None:
        """Give the berth back; it passes straight to the first in line."""
        now = self.env.now
        if self.waiting:
            joined, ev = self.waiting.popleft()
            self.waits.add(joined, now - joined)
            ev.succeed()
        else:
            self.free += 1
            self.busy.add(now, -1.0)

    def expected_wait_h(self) -> float:
        """Rough wait for a berth now: the line ahead shared by all berths."""
        ahead = len(self.waiting) + (self.count - self.free) + 1 - self.count
        return max(ahead, 0) * self.service.mean / max(self.count, 1)

    def summary(self) -> dict[str, float]:
        return {"utilisation": self.busy.mean() / self.count if self.count else 0.0,
                "wait_h_mean": self.waits.mean()}


class Yard:
    """Storage at a port, in kilograms. Arrivals wait outside, in order, while it is full; a
    consignment larger than the whole yard is let into an empty yard so nothing waits forever."""

    __slots__ = ("env", "capacity_kg", "level", "waiting", "blocked", "stock")

    def __init__(self, env: simpy.Environment, capacity_kg: int, warmup: float, horizon: float):
        self.env = env
        self.capacity_kg = capacity_kg
        self.level = 0
        self.waiting: deque[tuple[int, float, simpy.Event]] = deque()
        self.blocked = Tally(warmup)  # hours waiting outside for room
        self.stock = TimeWeighted(warmup, horizon, daily=True)

    def _fits(self, kg: int) -> bool:
        return self.level + kg <= self.capacity_kg or self.level == 0

    def enter(self, kg: int) -> simpy.Event | None:
        """Ask to put `kg` in: None if admitted now, else an event that fires on admission."""
        now = self.env.now
        if not self.waiting and self._fits(kg):
            self._admit(kg, now, now)
            return None
        ev = self.env.event()
        self.waiting.append((kg, now, ev))
        return ev

    def _admit(self, kg: int, joined: float, now: float) -> None:
        self.level += kg
        self.stock.add(now, kg / 1000)
        self.blocked.add(joined, now - joined)

    def leave(self, kg: int) -> None:
        now = self.env.now
        self.level -= kg
        self.stock.add(now, -kg / 1000)
        while self.waiting and self._fits(self.waiting[0][0]):
            want, joined, ev = self.waiting.popleft()
            self._admit(want, joined, now)
            ev.succeed()


class CargoQueue:
    """Consignments waiting on the quay at a port for a vessel of one ferry link, oldest first.

    What waits is measured in deck space (`space`), in kilograms of the fleet's main load unit:
    a consignment of `kg` takes `kg` of it when it travels in that unit, and `kg x deck[flow]`
    when it travels in another the fleet's vessels also take (a truck on a deck rated in wagons),
    rounded to whole kilograms when it joins the queue (`Lot.space`). Vessels loading there wait
    with `wait_for` until enough space is taken; `on_put` tells the fleet's dispatcher that
    cargo arrived (to wake an idle vessel). `waited_kgh` and `waited_kg` add up, for cargo taken
    after the warm-up, its kilograms x the hours it waited at the port, and its kilograms: the
    mean wait of cargo for a vessel of this link (`FerryFleet.summary`).
    """

    __slots__ = ("env", "port", "lots", "space", "deck", "_waiters", "on_put", "waited_kgh", "waited_kg")

    def __init__(self, env: simpy.Environment, port: Port):
        self.env = env
        self.port = port
        self.lots: deque[Lot] = deque()
        self.space = 0
        self.deck: dict[str, float] = {}  # flow id -> deck space per kilogram, where not 1
        self._waiters: list[tuple[int, simpy.Event]] = []
        self.on_put: Callable[[], None] | None = None
        self.waited_kgh = 0.0
        self.waited_kg = 0

    def put(self, lot: Lot) -> None:
        self.lots.append(lot)
        per_kg = self.deck.get(lot.consignment.flow.id) if self.deck else None
        lot.space = lot.kg if per_kg is None else round(lot.kg * per_kg)
        self.space += lot.space
        if self._waiters:
            keep = []
            for want, ev in self._waiters:
                if ev.triggered:
                    continue
                if self.space >= want:
                    ev.succeed()
                else:
                    keep.append((want, ev))
            self._waiters = keep
        if self.on_put is not None:
            self.on_put()

    def wait_for(self, space: int, timeout: float | None = None) -> simpy.Event:
        """An event that fires once at least `space` waits here, or after `timeout` hours."""
        ev = self.env.event()
        if self.space >= space:
            ev.succeed()
            return ev
        self._waiters.append((space, ev))
        if timeout is not None:
            def expire(_: simpy.Event) -> None:
                if not ev.triggered:
                    ev.succeed()
            self.env.timeout(timeout).callbacks.append(expire)
        return ev

    def take(self, cap: int) -> tuple[list[Lot], int]:
        """Up to `cap` of deck space from the front, splitting the last consignment if it does
        not fit; the lots taken and their kilograms.

        The taken cargo leaves the port's yard, and a consignment's wait at the port ends when
        its last part is taken.
        """
        now = self.env.now
        lots = self.lots
        queue = self.port.queue
        room = cap
        kg = 0
        taken: list[Lot] = []
        while lots and room > 0:
            lot = lots[0]
            if lot.space <= room:
                lots.popleft()
                queue.leave(now, lot.since)
                taken.append(lot)
                room -= lot.space
                kg += lot.kg
                continue
            if lot.space == lot.kg:  # one unit: the part is exactly the room left
                part = lot.split(room)
                part.space, lot.space = room, lot.space - room
            else:
                per_kg = lot.space / lot.kg
                part_kg = int(room / per_kg)
                if part_kg <= 0:
                    break
                part = lot.split(part_kg)
                rest = round(lot.kg * per_kg)
                part.space, lot.space = lot.space - rest, rest
            taken.append(part)
            kg += part.kg
            room -= part.space
            break
        self.space -= cap - room
        if kg and now >= self.port.warmup:
            self.waited_kgh += sum(lot.kg * (now - lot.since) for lot in taken)
            self.waited_kg += kg
        if kg and self.port.yard is not None:
            self.port.yard.leave(kg)
        return taken, kg


class Port:
    """A port (or any node where cargo meets a ship): berths by kind, yard, cargo queue."""

    def __init__(self, env: simpy.Environment, port_id: str, berths: dict[str, Berths],
                 yard: Yard | None, warmup: float, horizon: float):
        self.env = env
        self.id = port_id
        self.berths = berths
        self.yard = yard
        self.warmup, self.horizon = warmup, horizon
        self.queue = Queue(warmup, horizon, daily=True)
        self.handling = self.berths_for(HANDLING_KINDS)
        # ship traffic after the warm-up (see the module text), by calendar month: kilograms of
        # each (flow, out) that a route moves between land and a ship here (listed when the routes
        # are built, so the keys do not vary with chance), of background calls by direction
        # (`out`), and the calls of fleet vessels and background ships together
        self.shipped_kg: dict[tuple[str, bool], list[int]] = {}
        self.background_kg: dict[bool, list[int]] = {False: [0] * 12, True: [0] * 12}
        self.month_calls = [0] * 12
        self.background_calls = 0
        self.fleet_calls = False  # a fleet's vessels berth here: its calls are counted
        self.background = False  # the port has background traffic: its calls are counted

    def handles(self, fid: str, out: bool) -> None:
        """List flow `fid` as loaded onto (`out`) or unloaded from ships here by one of its routes."""
        self.shipped_kg.setdefault((fid, out), [0] * 12)

    def shipped(self, lot: Lot, out: bool) -> None:
        """Count `lot` as loaded onto (`out`) or unloaded from a vessel now, if measured."""
        now = self.env.now
        if now >= self.warmup:
            self.shipped_kg[(lot.consignment.flow.id, out)][calendar.month(now)] += lot.kg

    def called(self) -> None:
        """Count a fleet vessel's berthing now, if measured."""
        now = self.env.now
        if now >= self.warmup:
            self.month_calls[calendar.month(now)] += 1

    def background_call(self, kg: int, out: bool) -> None:
        """Count a background call whose service ended now, loading (`out`) or unloading `kg`,
        if measured: in the port's tonnes and calls, and apart as background."""
        now = self.env.now
        if now < self.warmup:
            return
        m = calendar.month(now)
        self.background_kg[out][m] += kg
        self.background_calls += 1
        self.month_calls[m] += 1

    def berths_for(self, kinds: tuple[str, ...]) -> Berths | None:
        """The port's berths of the first of `kinds` it has (None: no limit of that sort)."""
        for k in kinds:
            if k in self.berths:
                return self.berths[k]
        return None

    def handle(self, lot: Lot, closures: Closures) -> Generator[simpy.Event, Any, None]:
        """Process step: move a consignment between land and a ship at a handling berth, once
        the port is open; its wait at the port ends when its service begins."""
        berths = self.handling
        env = self.env
        if berths is None:
            self.queue.leave(env.now, lot.since)
            return
        ev = berths.seize()
        if ev is not None:
            yield ev
        if closures.open_at(env.now, self.id) > env.now:
            yield from closures.wait_open(env, self.id)
        self.queue.leave(env.now, lot.since)
        yield env.timeout(berths.service.next())
        berths.release()

    def summary(self, measured_h: float, closures: Closures) -> dict[str, float]:
        out = self.queue.summary(measured_h)
        busy = sum(b.busy.mean() for b in self.berths.values())
        count = sum(b.count for b in self.berths.values())
        out["berth_utilisation"] = busy / count if count else 0.0
        for kind, b in self.berths.items():
            s = b.summary()
            out[f"berth_utilisation:{kind}"] = s["utilisation"]
            out[f"berth_wait_h_mean:{kind}"] = s["wait_h_mean"]
        if self.yard is not None:
            y = self.yard
            out["yard_t_mean"] = y.stock.mean()
            out["yard_t_max"] = y.stock.peak
            out["yard_utilisation"] = y.stock.mean() / (y.capacity_kg / 1000) if y.capacity_kg else 0.0
            out["blocked_h_mean"] = y.blocked.mean()
        closed = closures.node(self.id)
        out["closed_days"] = closed.hours(self.warmup, self.horizon) / 24
        out["closures"] = float(closed.count(self.warmup))
        return out
