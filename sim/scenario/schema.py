"""The validated scenario: pydantic models of everything a scenario file can say.

Every number is a `Figure` (a number in its canonical unit, the text as written, and its source)
or a `Distribution`; the field types below say which kinds of number a field takes and its lower
bound. Unknown keys are errors. Each model checks its own consistency; references between
parts (a link's ends, a target's flows) are checked by `sim.scenario.checks` once the shape is
valid, so each problem keeps its own key path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, StringConstraints,
                      field_validator, model_validator)

from sim.errors import CorridorError
from sim.io import results_folder
from sim.scenario import units
from sim.scenario.distributions import Distribution, parse_distribution
from sim.scenario.figure import Figure, Minimum, fraction, parser
from sim.scenario.units import Kind

Carrier = Literal["cargo", "oil", "power", "data", "hydrogen", "ammonia"]
Mode = Literal[
    "rail", "road", "ferry", "sea", "pipeline",
    "hvdc_overhead", "hvdc_subsea", "hvac_overhead", "hvac_subsea", "fibre",
]
NodeKind = Literal[
    "rail_terminal", "border_crossing", "port", "oil_terminal", "converter_station",
    "generation", "landing_station", "demand", "junction",
]
LoadUnit = Literal["train", "wagon", "TEU", "truck", "t"]
BerthKind = Literal["ferry", "roro", "container", "dry", "oil", "grain"]
Solver = Literal["highs", "cbc"]
Asset = Literal["link", "node", "fleet"]  # what an expansion adds to
FleetKind = Literal["ferry", "roro", "tanker", "container_ship", "bulk"]

MODE_CARRIERS: dict[Mode, frozenset[Carrier]] = {
    "rail": frozenset({"cargo", "oil", "ammonia", "hydrogen"}),
    "road": frozenset({"cargo"}),
    "ferry": frozenset({"cargo", "oil", "ammonia"}),
    "sea": frozenset({"cargo", "oil", "ammonia", "hydrogen"}),
    "pipeline": frozenset({"oil", "hydrogen", "ammonia"}),
    "hvdc_overhead": frozenset({"power"}),
    "hvdc_subsea": frozenset({"power"}),
    "hvac_overhead": frozenset({"power"}),
    "hvac_subsea": frozenset({"power"}),
    "fibre": frozenset({"data"}),
}
# A fleet capacity's kind -> the load unit it counts (tonnes through the scenario's payload table).
LOAD_UNITS: dict[str, LoadUnit] = {"wagon": "wagon", "teu": "TEU", "truck": "truck"}
# A consignment's unit -> the unit it takes on a vessel's deck (a train rides as wagons).
DECK_UNIT: dict[LoadUnit, LoadUnit] = {"train": "wagon", "wagon": "wagon", "TEU": "TEU", "truck": "truck", "t": "t"}
MAX_REPLICATIONS = 10_000  # per run, sweep point or scenario: a bound on memory and time
MAX_SEED = 2**63 - 1
SEA_MODES: frozenset[Mode] = frozenset({"ferry", "sea"})
MASS_CARRIERS: frozenset[Carrier] = frozenset({"cargo", "oil", "hydrogen", "ammonia"})


# Field types: a Figure of the given kinds and lower bound, written back as its file form.
def _figure(*kinds: Kind, minimum: Minimum = "nonneg") -> PlainValidator:
    return PlainValidator(parser(kinds, minimum))


_AS_SPEC = PlainSerializer(lambda f: f.to_spec())

Count = Annotated[Figure, _figure("count"), _AS_SPEC]
Share = Annotated[Figure, _figure("fraction"), _AS_SPEC]
Duration = Annotated[Figure, _figure("duration", minimum="positive"), _AS_SPEC]
Elapsed = Annotated[Figure, _figure("duration"), _AS_SPEC]  # a time from the start, may be 0
Length = Annotated[Figure, _figure("length", minimum="positive"), _AS_SPEC]
Mass = Annotated[Figure, _figure("mass"), _AS_SPEC]
PositiveMass = Annotated[Figure, _figure("mass", minimum="positive"), _AS_SPEC]
Money = Annotated[Figure, _figure("money"), _AS_SPEC]
Penalty = Annotated[Figure, _figure("money", minimum="positive"), _AS_SPEC]
Power = Annotated[Figure, _figure("power"), _AS_SPEC]
FlowRate = Annotated[Figure, _figure("mass_rate", "power", "data_rate"), _AS_SPEC]
Capacity = Annotated[Figure, _figure("mass_rate", "power", "data_rate", "train_rate"), _AS_SPEC]
FailureRate = Annotated[Figure, _figure("frequency", "frequency_per_length"), _AS_SPEC]
ClosureRate = Annotated[Figure, _figure("frequency"), _AS_SPEC]
VoyageCapacity = Annotated[Figure, _figure("mass", "wagon", "teu", "truck", minimum="positive"), _AS_SPEC]
ExpansionSize = Annotated[Figure, _figure("mass_rate", "power", "data_rate", "count", minimum="positive"),
                          _AS_SPEC]


def _duration_distribution(raw: Any) -> Distribution:
    return parse_distribution(raw, "duration")


# A time that varies: a distribution in hours (a bare quantity is deterministic).
Time = Annotated[Distribution, PlainValidator(_duration_distribution), PlainSerializer(lambda d: d.to_spec())]


# An id names a node, link, fleet, flow, target... in files, tables, pictures and messages: plain text.
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)]

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, populate_by_name=True,
                              allow_inf_nan=False)


class Maintenance(Strict):
    """Planned outage: `duration` every `every`, taking `share` of the capacity out."""

    every: Duration
    duration: Duration
    share: Share = fraction(1.0, "100 %")


class Outage(Strict):
    """A scheduled outage (a stress case: a cable cut, a pipeline shut-in), starting at `start`
    after the beginning of the horizon and taking `share` of the capacity out for `duration`."""

    start: Elapsed
    duration: Duration
    share: Share = fraction(1.0, "100 %")
    cause: str = "scheduled"


class Reliability(Strict):
    """Random failures and repairs of a link or node.

    `failure_rate` is per year, or per 100 km per year for long cables (scaled by the length).
    `outages` are scheduled events on top of the random ones.
    A link made of `units` identical parts (two poles, several fibre pairs) loses one part per
    failure. Repairs wait for a vessel from `repair_crew` when one is named, and sea repairs wait
    out the `weather` closures when named.
    """

    failure_rate: FailureRate = Figure(0.0, "1/yr", "frequency", "0 /yr")
    repair: Time | None = None
    units: int = Field(default=1, ge=1, le=1000)
    repair_crew: str | None = None
    weather: str | None = None
    maintenance: Maintenance | None = None
    outages: list[Outage] = Field(default_factory=list)


class Berth(Strict):
    """Berths of one kind at a port, and the time one vessel or consignment occupies one."""

    count: Count
    service: Time


TrafficRate = Annotated[Figure, _figure("mass_rate"), _AS_SPEC]


class PortTraffic(Strict):
    """Background traffic at a port: vessels calling for cargo outside the corridor's flows (oil
    products, grain, dry bulk) that share the port's berths, yard and weather.

    `rate` tonnes a year arrive in calls of `call` tonnes (a seasonal Poisson stream of calls,
    `seasonality` as a flow's), each holding one berth of kind `berth` for that berth's service
    time. `direction`: `out` loaded, `in` unloaded, `both` half the calls each way (they
    alternate). `yard_dwell`: hours a call's cargo lies in the port's yard before it is loaded
    (out) or after it is unloaded (in); without it the cargo does not use the yard.
    """

    berth: BerthKind
    rate: TrafficRate
    call: PositiveMass
    direction: Literal["out", "in", "both"]
    seasonality: list[float] | None = None
    yard_dwell: Time | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _seasonality(self) -> PortTraffic:
        s = self.seasonality
        if s is not None and (len(s) != 12 or min(s) < 0 or sum(s) <= 0):
            raise ValueError("seasonality: expected twelve non-negative monthly factors")
        return self


class Port(Strict):
    berths: dict[BerthKind, Berth]
    yard: Mass | None = None
    traffic: dict[Id, PortTraffic] = Field(default_factory=dict)  # background, by entry


class Storage(Strict):
    capacity: PositiveMass
    initial: Mass | None = None


class Generation(Strict):
    """A generation site: capacity and an hourly capacity-factor profile."""

    capacity: Power
    profile: Literal["wind", "solar", "flat"] = "flat"
    capacity_factor: Share
    file: str | None = None


class Node(Strict):
    kind: NodeKind
    name: str | None = None
    country: str = Field(min_length=2, max_length=2)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    capacity: Capacity | None = None
    processing: Time | None = None
    port: Port | None = None
    storage: Storage | None = None
    generation: Generation | None = None
    reliability: Reliability | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _blocks_fit_kind(self) -> Node:
        fits = {"port": {"port"}, "storage": {"oil_terminal", "port"}, "generation": {"generation"}}
        for block, kinds in fits.items():
            if getattr(self, block) is not None and self.kind not in kinds:
                raise ValueError(f"{block}: only a {' or '.join(sorted(kinds))} node has one, "
                                 f"this node is a {self.kind}")
        return self


class Link(Strict):
    from_: str = Field(alias="from")
    to: str
    mode: Mode
    carrier: Carrier
    name: str | None = None
    capacity: Capacity | None = None
    fleet: str | None = None
    length: Length | None = None
    transit: Time | None = None
    loss_per_1000km: Share | None = None
    converter_loss: Share | None = None
    background: FlowRate | None = None
    reliability: Reliability | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Link:
        if self.carrier not in MODE_CARRIERS[self.mode]:
            raise ValueError(f"carrier: a {self.mode} link cannot carry {self.carrier} "
                             f"(it carries {', '.join(sorted(MODE_CARRIERS[self.mode]))})")
        if self.fleet is not None and self.mode not in SEA_MODES:
            raise ValueError("fleet: only ferry and sea links are sailed by a fleet")
        if self.capacity is None and self.fleet is None:
            raise ValueError("capacity: a link needs a capacity, or a fleet that sails it")
        if self.capacity is not None and self.capacity.kind == "train_rate" and self.mode != "rail":
            raise ValueError("capacity: trains per day is a rail capacity")
        return self


class Departure(Strict):
    """When a loaded vessel leaves: when full, on a schedule, or when full or after `max_wait`."""

    rule: Literal["when_full", "schedule", "when_full_or_max_wait"] = "when_full_or_max_wait"
    max_wait: Duration | None = None
    interval: Duration | None = None

    @model_validator(mode="after")
    def _needs(self) -> Departure:
        if self.rule == "when_full_or_max_wait" and self.max_wait is None:
            raise ValueError("max_wait: needed by the rule when_full_or_max_wait")
        if self.rule == "schedule" and self.interval is None:
            raise ValueError("interval: needed by the rule schedule")
        return self


class Fleet(Strict):
    """Vessels of one kind and owner: how many, what one carries, how long a call takes.

    `capacity` is one vessel's load in its main unit (wagons, TEU, trucks, or tonnes). `deck`
    gives the same deck filled with other units instead (a Ro-Pax takes 56 wagons or 50 trucks):
    a mixed load fills the deck pro rata, so a vessel may carry 28 wagons and 25 trucks. A vessel
    carries only the units its capacity and deck name (any cargo when the capacity is in tonnes).
    Vessels start at `home` (else spread over the ports their links leave from) and return there
    when no cargo waits; `owner` is for the report.
    """

    kind: FleetKind
    vessels: Count
    capacity: VoyageCapacity
    deck: dict[LoadUnit, VoyageCapacity] = Field(default_factory=dict)
    load: Time
    unload: Time
    departure: Departure = Field(default_factory=lambda: Departure(rule="when_full"))
    reliability: Reliability | None = None
    owner: str | None = None
    home: str | None = None
    note: str | None = None

    @field_validator("deck")
    @classmethod
    def _deck_units(cls, deck: dict[LoadUnit, Figure]) -> dict[LoadUnit, Figure]:
        for unit, cap in deck.items():
            if LOAD_UNITS.get(cap.kind, "t") != unit:
                raise ValueError(f"{unit}: expected a number of {unit}s, got {cap.text!r}")
        return deck

    @model_validator(mode="after")
    def _deck_beside_units(self) -> Fleet:
        if self.deck and self.capacity.kind == "mass":
            raise ValueError("deck: a capacity in tonnes already takes any cargo")
        return self

    def carries(self, unit: LoadUnit) -> bool:
        """Whether a vessel of this fleet takes cargo travelling as `unit` (`DECK_UNIT` of the
        consignment: a train rides as wagons)."""
        main = LOAD_UNITS.get(self.capacity.kind)
        return main is None or unit == main or unit in self.deck


class Weather(Strict):
    """Closures of ports or sea areas: a seasonal rate (one per year, or twelve monthly rates)."""

    nodes: list[str] = Field(min_length=1)
    rate: ClosureRate | list[ClosureRate]
    duration: Time
    description: str | None = None

    @model_validator(mode="after")
    def _twelve(self) -> Weather:
        if isinstance(self.rate, list) and len(self.rate) != 12:
            raise ValueError(f"rate: expected one rate or twelve monthly rates, got {len(self.rate)}")
        return self

    def monthly_rates(self) -> list[float]:
        """Closure starts per year, month by month (January first)."""
        return [r.value for r in self.rate] if isinstance(self.rate, list) else [self.rate.value] * 12


class Route(Strict):
    path: list[str] = Field(min_length=2)
    share: Share | None = None


class Flow(Strict):
    """What must move from `origin` to `destination`, per year, and how it arrives."""

    carrier: Carrier
    origin: str
    destination: str
    rate: FlowRate
    previous_rate: FlowRate | None = None  # arrivals during a spin-up (before 1 January); default: rate
    description: str | None = None
    region: str | None = None
    mix: dict[LoadUnit, float] | None = None
    consignment: LoadUnit = "train"
    # units of `consignment` arriving together (a convoy of trucks): fewer, larger consignments
    # for the simulation, the same tonnes; counts at ports stay in units
    batch: int = Field(default=1, ge=1, le=1000)
    arrival: Literal["exponential", "deterministic"] = "exponential"
    seasonality: list[float] | None = None
    routes: dict[Id, Route] | None = None
    route_choice: Literal["shares", "fastest"] = "shares"
    # Empty wagons or containers going back: `rate` is the deck space they take (units a year x
    # the unit's payload); ports count them in units, not in tonnes, and no target counts them.
    empties: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Flow:
        if self.rate.unit != units.CARRIER_UNIT[self.carrier]:
            raise ValueError(f"rate: a {self.carrier} flow is in {units.CARRIER_UNIT[self.carrier]}, "
                             f"got {self.rate.text!r}")
        if self.previous_rate is not None and self.previous_rate.unit != self.rate.unit:
            raise ValueError(f"previous_rate: in the unit of rate ({self.rate.unit}), "
                             f"got {self.previous_rate.text!r}")
        if self.seasonality is not None and (len(self.seasonality) != 12 or min(self.seasonality) < 0
                                             or sum(self.seasonality) <= 0):
            raise ValueError("seasonality: expected twelve non-negative monthly factors")
        if self.mix is not None and (any(v < 0 for v in self.mix.values()) or
                                     abs(sum(self.mix.values()) - 1) > 1e-6):
            raise ValueError("mix: shares must be non-negative and sum to 1")
        if self.routes and self.route_choice == "shares":
            shares = [r.share.value for r in self.routes.values() if r.share is not None]
            if len(self.routes) > 1 and (len(shares) < len(self.routes) or abs(sum(shares) - 1) > 1e-6):
                raise ValueError("routes: with route_choice shares, every route needs a share and "
                                 "the shares must sum to 1")
        return self


class Target(Strict):
    """A figure to meet: the delivered rate of `flows` (throughput) or a firm capacity."""

    carrier: Carrier
    value: FlowRate
    flows: list[str] = Field(min_length=1)
    measure: Literal["throughput", "firm"] = "throughput"
    share_of_time: Share = fraction(0.95, "95 %")
    tolerance: Share = fraction(0.0, "0 %")
    description: str | None = None

    @model_validator(mode="after")
    def _unit(self) -> Target:
        if self.value.unit != units.CARRIER_UNIT[self.carrier]:
            raise ValueError(f"value: a {self.carrier} target is in {units.CARRIER_UNIT[self.carrier]}, "
                             f"got {self.value.text!r}")
        return self


class Expansion(Strict):
    """A candidate investment: more capacity on a link or node, or more vessels in a fleet.

    `project` expansions are all-or-nothing (`size` exactly); `continuous` ones any amount up to
    `size`, costed pro rata. Cost is annualised from `capex` over `lifetime` at the optimiser's
    discount rate, plus `opex` (a share of capex per year).
    """

    link: str | None = None
    node: str | None = None
    berth: BerthKind | None = None  # with `node`: more berths of this kind (`size` a count)
    fleet: str | None = None
    kind: Literal["continuous", "project"] = "continuous"
    size: ExpansionSize
    capex: Money
    lifetime: Duration
    opex: Share = fraction(0.0, "0 %")
    description: str | None = None

    def asset(self) -> tuple[Asset, str]:
        """What the expansion adds to: ("link" | "node" | "fleet", its id)."""
        if self.link is not None:
            return "link", self.link
        if self.node is not None:
            return "node", self.node
        if self.fleet is not None:
            return "fleet", self.fleet
        raise ValueError("expected exactly one of link, node or fleet")  # the validator below ensures one

    @model_validator(mode="after")
    def _one_asset(self) -> Expansion:
        named = [k for k in ("link", "node", "fleet") if getattr(self, k) is not None]
        if len(named) != 1:
            raise ValueError("expected exactly one of link, node or fleet")
        if self.fleet is not None and self.size.kind != "count":
            raise ValueError("size: a fleet expansion is a number of vessels")
        if self.berth is not None and self.node is None:
            raise ValueError("berth: names a kind of berth at `node`, which is missing")
        if self.berth is not None and self.size.kind != "count":
            raise ValueError("size: a berth expansion is a number of berths")
        return self


class RepairCrew(Strict):
    vessels: Count
    mobilisation: Time | None = None


class Simulation(Strict):
    horizon: Duration = Figure(8760.0, "h", "duration", "365 d")
    warmup: Elapsed = Figure(0.0, "h", "duration", "0 d")
    # simulated before 1 January (clock from hour -spinup), not measured: carries the backlog in
    spinup: Elapsed = Figure(0.0, "h", "duration", "0 d")
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=2024, ge=0, le=MAX_SEED)
    precision: Share | None = None
    max_replications: int = Field(default=200, ge=1, le=MAX_REPLICATIONS)
    trace: bool = False


class Optimiser(Strict):
    """`routing`: `simulated` (default) moves each flow as the simulator does (route shares, one
    path without routes, at most its rate), the bound to set beside a simulation; `free` lets
    every flow split over any allowed links with no demand cap (the network's max-flow)."""

    solver: Solver = "highs"
    routing: Literal["simulated", "free"] = "simulated"
    n_minus_1: Share = fraction(0.0, "0 %")
    discount_rate: Share = fraction(0.08, "8 %")
    unmet_penalty: Penalty = Figure(1e5, "MUSD", "money", "100000 MUSD")


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    simulation: Simulation = Field(default_factory=Simulation)
    optimiser: Optimiser = Field(default_factory=Optimiser)
    payload: dict[LoadUnit, PositiveMass] = Field(default_factory=dict)
    nodes: dict[Id, Node]
    links: dict[Id, Link] = Field(default_factory=dict)
    fleets: dict[Id, Fleet] = Field(default_factory=dict)
    weather: dict[Id, Weather] = Field(default_factory=dict)
    repair_crews: dict[Id, RepairCrew] = Field(default_factory=dict)
    flows: dict[Id, Flow] = Field(default_factory=dict)
    targets: dict[Id, Target] = Field(default_factory=dict)
    expansions: dict[Id, Expansion] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _slug(cls, name: str) -> str:
        """The name is a folder under results/: the rule of `sim.io.results_folder`, in one place."""
        try:
            results_folder(name)
        except CorridorError as exc:
            raise ValueError(str(exc)) from None
        return name

    def takes(self, link: Link, unit: LoadUnit) -> bool:
        """Whether cargo travelling as `unit` may use `link`: any link not sailed by a fleet, or one
        whose fleet's vessels carry the unit (a fleet that does not exist is reported elsewhere)."""
        return link.fleet is None or link.fleet not in self.fleets or self.fleets[link.fleet].carries(unit)

    def payload_t(self, unit: LoadUnit) -> float:
        """Tonnes carried by one load unit (train, wagon, TEU, truck)."""
        if unit == "t":
            return 1.0
        return self.payload[unit].value  # presence is checked by sim.scenario.checks


def figures(obj: object, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Figure | Distribution]]:
    """Every Figure and Distribution in a scenario, with its key path (for sources and reports)."""
    found: list[tuple[tuple[str | int, ...], Figure | Distribution]] = []
    if isinstance(obj, (Figure, Distribution)):
        found.append((path, obj))
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            field = type(obj).model_fields[name]
            found += figures(getattr(obj, name), path + (field.alias or name,))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += figures(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += figures(v, path + (i,))
    return found
