"""The fleet engine shared by Caspian ferries (`sim.cargo.ferry`) and tankers
(`sim.energy.tankers`): when a berthed vessel sails, and where its hours go.

Departure rules (`fleet.departure.rule`), asked of a vessel berthed at its loading port:
  when_full              sail when a full load is ready;
  when_full_or_max_wait  the same, or `max_wait` after berthing with whatever has come (at
                         least some cargo: with none it waits for the first);
  schedule               sail at every multiple of `interval` hours with what is ready (a slot
                         with no cargo is skipped: the vessel looks again an interval later).
`DepartureRule.wait` answers with what to wait for, or None to sail now; how a model waits
(cargo on a quay, crude in a tank) is its own business.

Vessel states. A vessel is in one state at a time; `StateClock` books the hours of each state
inside [warmup, horizon]. Waits are split by cause: weather (a port closed), a berth, cargo
(the departure rule), room (in the receiving yard or tank). A fleet's report may group states
(`REPORT_GROUP`: idle, waiting, working, empty); the clock then books the groups too, each as
one span however often the cause changes inside it. With `waits_at`, the clock also books each
wait to the place the vessel is at (`StateClock.place`), so a port's waits can be split by cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Departure

# What a vessel is doing.
IDLE = "idle"  # free, with no cargo anywhere to fetch
SAILING_EMPTY = "sailing_empty"
WAITING_WEATHER = "waiting_weather"
WAITING_BERTH = "waiting_berth"
WAITING_CARGO = "waiting_cargo"
WAITING_ROOM = "waiting_space"  # for room in the receiving yard or tank
LOADING = "loading"
SAILING_LOADED = "sailing_loaded"
UNLOADING = "discharging"
DOWN = "down"  # failed, under repair
WAITS = (WAITING_WEATHER, WAITING_BERTH, WAITING_CARGO, WAITING_ROOM)
ACTIVE = (LOADING, SAILING_LOADED, UNLOADING, SAILING_EMPTY)

# The four groups a ferry fleet reports its time in.
REPORT_GROUP = {IDLE: "idle", SAILING_EMPTY: "empty", LOADING: "working",
                SAILING_LOADED: "working", UNLOADING: "working"} | \
    dict.fromkeys(WAITS, "waiting")

SLOT_TOLERANCE_H = 1e-6  # a vessel this close after a slot time is on time for it


class Await(Enum):
    """What a berthed vessel waits for before it may sail."""

    FULL = "full"  # a full load (or the time limit, whichever first)
    ANY = "any"  # any cargo at all
    TIME = "time"  # the time limit only (a timetable slot)


@dataclass(frozen=True, slots=True)
class Wait:
    kind: Await
    hours: float  # at most this long (infinite: no limit)


@dataclass(frozen=True, slots=True)
class DepartureRule:
    """A fleet's departure rule, with its `max_wait` and `interval` in hours."""

    rule: str
    max_wait: float = math.inf
    interval: float = 0.0

    @classmethod
    def from_spec(cls, spec: Departure) -> DepartureRule:
        return cls(spec.rule,
                   spec.max_wait.value if spec.max_wait is not None else math.inf,
                   spec.interval.value if spec.interval is not None else 0.0)

    def next_slot(self, now: float) -> float:
        """The first timetable slot at or after `now` (within the tolerance)."""
        iv = self.interval
        return math.ceil((now - SLOT_TOLERANCE_H) / iv) * iv

    def wait(self, now: float, berthed: float, full: bool, empty: bool) -> Wait | None:
        """What a vessel berthed since `berthed` waits for now, or None: sail. `full`: a full
        load is ready; `empty`: no cargo at all is."""
        rule = self.rule
        if rule == "when_full":
            return None if full else Wait(Await.FULL, math.inf)
        if rule == "when_full_or_max_wait":
            if full:
                return None
            due = berthed + self.max_wait
            if now < due:
                return Wait(Await.FULL, due - now)
            return Wait(Await.ANY, math.inf) if empty else None
        slot = self.next_slot(now)  # schedule
        if slot > now:
            return Wait(Await.TIME, slot - now)
        return Wait(Await.TIME, self.interval) if empty else None


@dataclass(eq=False, slots=True)
class StateClock:
    """One vessel's state, and the hours booked to each state inside [warmup, horizon].

    `hours` may be shared by a fleet's vessels (fleet totals); with `groups`, hours are booked
    to the state's group (spans of one group booked whole) and the states' own hours, waits
    included, to `detail`.
    """

    warmup: float
    horizon: float
    hours: dict[str, float]
    state: str = SAILING_EMPTY
    since: float = 0.0
    groups: dict[str, str] | None = None
    detail: dict[str, float] = field(default_factory=dict)
    group_since: float = 0.0
    place: str = ""  # where the vessel is (a port id), for `waits_at`
    waits_at: dict[tuple[str, str], float] | None = None  # (place, wait state) -> hours


    def enter(self, state: str, now: float) -> None:
        """The vessel changes to `state` at `now`; the time in the old one is booked."""
        # `overlap(since, now, warmup, horizon)`, inlined: a vessel's every move comes here
        w, h = self.warmup, self.horizon
        hi = now if now < h else h
        old = self.state
        groups = self.groups
        if groups is None:
            lo = self.since if self.since > w else w
            hours = self.hours
            hours[old] = hours.get(old, 0.0) + (hi - lo if hi > lo else 0.0)
        else:
            group = groups[old]
            if group != groups[state] or state == old:  # a group's span ends (or the books close)
                lo = self.group_since if self.group_since > w else w
                self.hours[group] += hi - lo if hi > lo else 0.0
                self.group_since = now
            lo = self.since if self.since > w else w
            detail = self.detail
            detail[old] = detail.get(old, 0.0) + (hi - lo if hi > lo else 0.0)
        waits_at = self.waits_at
        if waits_at is not None and old in WAITS and hi > (lo := self.since if self.since > w else w):
            key = (self.place, old)
            waits_at[key] = waits_at.get(key, 0.0) + hi - lo
        self.state = state
        self.since = now
