"""The validated scenario: pydantic models of everything a scenario file can say.

Every number is a `Figure` (a number in its canonical unit, the text as written, and its source)
or a `Distribution`; the field types below say which kinds of number a field takes and its lower
bound. Unknown keys are errors. Each model checks its own consistency; references between
parts (a link's ends, a target's flows) are checked by `sim.scenario.checks` once the shape is
valid, so each problem keeps its own key path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, PrivateAttr, StringConstraints,
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
Probability = Annotated[Figure, _figure("fraction", minimum="positive"), _AS_SPEC]  # in (0, 1]
Duration = Annotated[Figure, _figure("duration", minimum="positive"), _AS_SPEC]
Elapsed = Annotated[Figure, _figure("duration"), _AS_SPEC]  # a time from the start, may be 0
Length = Annotated[Figure, _figure("length", minimum="positive"), _AS_SPEC]
Mass = Annotated[Figure, _figure("mass"), _AS_SPEC]
PositiveMass = Annotated[Figure, _figure("mass", minimum="positive"), _AS_SPEC]
Money = Annotated[Figure, _figure("money"), _AS_SPEC]
Penalty = Annotated[Figure, _figure("money", minimum="positive"), _AS_SPEC]
Power = Annotated[Figure, _figure("power"), _AS_SPEC]
Energy = Annotated[Figure, _figure("energy", minimum="positive"), _AS_SPEC]
MoneyPerEnergy = Annotated[Figure, _figure("money_per_energy"), _AS_SPEC]
EnergyRate = Annotated[Figure, _figure("energy_rate", minimum="positive"), _AS_SPEC]  # TWh a year
EnergyPerMass = Annotated[Figure, _figure("energy_per_mass", minimum="positive"), _AS_SPEC]  # MWh a tonne
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
    """How often the maintenance comes round. Example: `365 d`"""
    duration: Duration
    """How long each maintenance lasts. Example: `72 h`"""
    share: Share = fraction(1.0, "100 %")
    """Share of the capacity out during maintenance."""


class Outage(Strict):
    """A scheduled outage (a stress case: a cable cut, a pipeline shut-in), starting at `start`
    after the beginning of the horizon and taking `share` of the capacity out for `duration`."""

    start: Elapsed
    """When the outage begins, after the start of the horizon (1 January). Example: `60 d`"""
    duration: Duration
    """How long the outage lasts. Example: `30 d`"""
    share: Share = fraction(1.0, "100 %")
    """Share of the capacity out (100 %: the whole link or node)."""
    cause: str = "scheduled"
    """What the outage stands for, for the report. Example: `anchor strike`"""


class Reliability(Strict):
    """Random failures and repairs of a link or node.

    `failure_rate` is per year, or per 100 km per year for long cables (scaled by the length).
    `outages` are scheduled events on top of the random ones.
    A link made of `units` identical parts (two poles, several fibre pairs) loses one part per
    failure. Repairs wait for a vessel from `repair_crew` when one is named, and sea repairs wait
    out the `weather` closures when named.
    """

    failure_rate: FailureRate = Figure(0.0, "1/yr", "frequency", "0 /yr")
    """Random failures per year, or per 100 km per year (`0.1 /100km/yr`, scaled by the link's length).
    Example: `{value: 0.1 /100km/yr, source: s5_100}`"""
    repair: Time | None = None
    """Time to repair one failure (needed when failure_rate > 0). Example: `{dist: lognormal, mean: 60 d, sd: 30 d}`"""
    units: int = Field(default=1, ge=1, le=1000)
    """Identical parts (cable poles, fibre pairs); a failure takes one out. Example: `2`"""
    repair_crew: str | None = None
    """Id of the repair crew (repair_crews) whose vessels repairs wait for. Example: `caspian_cable_ship`"""
    weather: str | None = None
    """Id of the weather entry whose closures a sea repair waits out. Example: `caspian_storms`"""
    maintenance: Maintenance | None = None
    """Planned outages that repeat."""
    outages: list[Outage] = Field(default_factory=list)
    """Scheduled outages (stress cases) on top of the random failures. Example: `[{start: 60 d, duration: 30 d}]`"""


class Berth(Strict):
    """Berths of one kind at a port, and the time one vessel or consignment occupies one."""

    count: Count
    """Berths of this kind at the port. Example: `2`"""
    service: Time
    """Time one vessel or consignment occupies a berth.
    Example: `{dist: triangular, low: 6 h, mode: 8 h, high: 12 h}`"""


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
    """Kind of berth each call holds (the port must have one). Example: `dry`"""
    rate: TrafficRate
    """Tonnes a year of background cargo. Example: `3.65 Mt/yr`"""
    call: PositiveMass
    """Tonnes loaded or unloaded per call. Example: `5000 t`"""
    direction: Literal["out", "in", "both"]
    """`out` loaded, `in` unloaded, `both` half the calls each way. Example: `both`"""
    seasonality: list[float] | None = None
    """Twelve monthly factors (January first) shaping the calls through the year. Example: `[1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1]`"""
    yard_dwell: Time | None = None
    """Hours a call's cargo lies in the port's yard; without it the cargo does not use the yard. Example: `48 h`"""
    description: str | None = None
    """What the traffic is, for the report. Example: `oil products and grain`"""

    @model_validator(mode="after")
    def _seasonality(self) -> PortTraffic:
        s = self.seasonality
        if s is not None and (len(s) != 12 or min(s) < 0 or sum(s) <= 0):
            raise ValueError("seasonality: expected twelve non-negative monthly factors")
        return self


class Port(Strict):
    berths: dict[BerthKind, Berth]
    """Berths by kind (ferry, roro, container, dry, oil, grain). Example: `{ferry: {count: 2, service: 6 h}}`"""
    yard: Mass | None = None
    """Tonnes the yard holds; cargo waits there for a vessel. Example: `50000 t`"""
    traffic: dict[Id, PortTraffic] = Field(default_factory=dict)  # background, by entry
    """Background traffic sharing the berths, by id. Example: `{other_cargo: {berth: dry, rate: 3.65 Mt/yr, call: 5000
    t, direction: both}}`"""


class Storage(Strict):
    capacity: PositiveMass
    """Tonnes the tanks hold. Example: `400000 t`"""
    initial: Mass | None = None
    """Tonnes in the tanks at the start (default: empty). Example: `200000 t`"""


class Generation(Strict):
    """A generation site: capacity and an hourly capacity-factor profile (wind and solar from a
    stochastic weather process shared by the scenario's sites, `sim.energy.profiles`)."""

    capacity: Power
    """Installed power. Example: `2 GW`"""
    profile: Literal["wind", "solar", "flat"] = "flat"
    """Hourly shape of the output: wind (a wind-speed process through a turbine's power curve), solar (pvlib:
    clear-sky irradiance, clouds, a fixed tilted plane) or flat."""
    capacity_factor: Share
    """Mean output as a share of capacity; the wind or solar profile is calibrated so that its expected capacity
    factor is this one. Example: `35 %`"""
    file: str | None = None
    """A CSV of hourly capacity factors (last column) replacing the profile, looked up beside the scenario file
    that names it, then in the working folder, then the bundled scenarios folder.
    Example: `profiles/wind_az.csv`"""
    turbine: str = "E-126/4200"
    """Wind turbine type from windpowerlib's turbine library whose power curve a wind profile uses (default: an
    Enercon E-126 4.2 MW, 127 m rotor). Example: `V126/3450`"""
    tilt: float | None = Field(default=None, ge=0, le=90)
    """Tilt of a solar site's fixed, equator-facing panels in degrees (default: the site's latitude). Example: `30`"""

    _folder: Path | None = PrivateAttr(default=None)

    @property
    def folder(self) -> Path | None:
        """The folder of the scenario file that names `file` (set by the loader), where it is looked up first."""
        return self._folder

    def read_beside(self, folder: Path) -> None:
        """Look a relative `file` up in `folder` first (the loader gives the folder of the file naming it)."""
        self._folder = folder


class Store(Strict):
    """Storage of power at a generation site: a battery or pumped hydro, charged from the site's
    generation and discharged into its flows. Charging and discharging each lose the square root
    of the round-trip efficiency."""

    kind: Literal["battery", "pumped_hydro"]
    """What stores the energy."""
    power: Power
    """Most charged or discharged at once. Example: `{value: 1 GW, source: assumption}`"""
    energy: Energy
    """Energy held when full. Example: `{value: 4 GWh, source: assumption}`"""
    round_trip_efficiency: Probability
    """Share of the energy charged that comes back out. Example: `{value: 85 %, source: assumption}`"""
    soc_min: Share = fraction(0.0, "0 %")
    """Lowest state of charge, a share of `energy`. Example: `10 %`"""
    soc_max: Share = fraction(1.0, "100 %")
    """Highest state of charge, a share of `energy`. Example: `90 %`"""
    initial: Share = fraction(0.5, "50 %")
    """State of charge on 1 January, a share of `energy`. Example: `50 %`"""
    note: str | None = None
    """Free text for readers of the file. Example: `four hours, as most grid batteries built since 2020`"""

    @model_validator(mode="after")
    def _charge_limits(self) -> Store:
        charge_limits(self.soc_min, self.soc_max, self.initial)
        return self


def charge_limits(soc_min: Figure, soc_max: Figure, initial: Figure) -> None:
    """ValueError unless soc_min <= initial <= soc_max (a store's, or one an expansion builds)."""
    lo, hi, start = soc_min.value, soc_max.value, initial.value
    if lo > hi:
        raise ValueError(f"soc_min ({soc_min.text}) is above soc_max ({soc_max.text})")
    if not lo <= start <= hi:
        raise ValueError(f"initial ({initial.text}) must lie between soc_min ({soc_min.text}) "
                         f"and soc_max ({soc_max.text})")


class Plant(Strict):
    """A dispatchable plant at a generation site (gas, oil, hydro with a reservoir): it runs
    whenever it raises delivery (the value of delivered power, `optimiser.value_of_power`, above
    its fuel cost), within its availability, minimum output and ramp limits."""

    fuel: str = Field(min_length=1, max_length=40)
    """What it burns or runs on. Example: `gas`"""
    capacity: Power
    """Installed power. Example: `{value: 1 GW, source: assumption}`"""
    availability: Share = fraction(1.0, "100 %")
    """Share of the capacity in service on average (a constant derating). Example: `90 %`"""
    ramp: Share = fraction(1.0, "100 %")
    """Most the output changes in an hour, a share of the capacity. Example: `50 %`"""
    fuel_cost: MoneyPerEnergy = Figure(0.0, "USD/MWh", "money_per_energy", "0 USD/MWh")
    """Fuel and variable cost per unit of energy generated. Example: `{value: 60 USD/MWh, source: assumption}`"""
    min_output: Share = fraction(0.0, "0 %")
    """Least output while available, a share of the available capacity. Example: `20 %`"""
    reliability: Reliability | None = None
    """Random failures and outages of the plant (its units), on top of the `availability` derating. Example:
    `{failure_rate: 2 /yr, repair: 3 d, units: 4}`"""
    note: str | None = None
    """Free text for readers of the file. Example: `open-cycle gas turbines kept as backup`"""


# Hydrogen's lower heating value (120 MJ/kg) and the hydrogen in a tonne of ammonia (3 x 1.008 / 17.031):
# an electrolyser of efficiency e (LHV) needs at least these MWh / e for a tonne of its product.
PRODUCT_LHV_MWH_PER_T: dict[str, float] = {"hydrogen": 120e3 / 3600, "ammonia": 120e3 / 3600 * 3 * 1.008 / 17.031}


class Electrolyser(Strict):
    """Power-to-X at a generation site: each hour it takes the site's generation that the power
    dispatch left unsent, up to `capacity`, and makes `product` at `energy_per_tonne`; the flow
    naming the site in `produced_by` carries the product."""

    capacity: Power
    """Electric power it takes at most. Example: `{value: 1 GW, source: assumption}`"""
    efficiency: Probability
    """Electrolysis efficiency on hydrogen's lower heating value. Example: `{value: 65 %, source: assumption}`"""
    product: Literal["hydrogen", "ammonia"]
    """What it makes: hydrogen, or ammonia (electrolysis, air separation and Haber-Bosch)."""
    energy_per_tonne: EnergyPerMass
    """Electricity a tonne of the product needs, every step included. Example: `{value: 10 MWh/t, source:
    assumption}`"""
    note: str | None = None
    """Free text for readers of the file. Example: `a first 1 GW stage of the coast plant`"""

    @model_validator(mode="after")
    def _enough_energy(self) -> Electrolyser:
        least = PRODUCT_LHV_MWH_PER_T[self.product] / self.efficiency.value
        if self.energy_per_tonne.value < least * (1 - 1e-9):
            raise ValueError(f"energy_per_tonne: {self.energy_per_tonne.text} is less than the {least:.3g} MWh/t "
                             f"that a tonne of {self.product} needs by electrolysis alone at {self.efficiency.text} "
                             "(hydrogen's lower heating value, 33.3 MWh/t, over the efficiency)")
        return self


class Node(Strict):
    kind: NodeKind
    """What the place is; a port has berths, a port or oil terminal storage, a generation site generation."""
    name: str | None = None
    """Name shown in reports and maps. Example: `Port of Baku (Alat)`"""
    country: str = Field(min_length=2, max_length=2)
    """ISO 3166 two-letter country code. Example: `AZ`"""
    lon: float = Field(ge=-180, le=180)
    """Longitude in degrees east. Example: `49.4`"""
    lat: float = Field(ge=-90, le=90)
    """Latitude in degrees north. Example: `39.9`"""
    capacity: Capacity | None = None
    """Most that passes the node (a border crossing's trains a day, a terminal's tonnes a year). Example: `{value: 28
    trains/d, source: s3_059}`"""
    processing: Time | None = None
    """Time a consignment spends being handled at the node. Example: `6 h`"""
    port: Port | None = None
    """Berths, yard and background traffic (a port node only)."""
    storage: Storage | None = None
    """Tanks (a port or oil terminal only)."""
    generation: Generation | None = None
    """Generating capacity (a generation node only)."""
    stores: dict[Id, Store] = Field(default_factory=dict)
    """Batteries and pumped hydro at a generation site, by id. Example: `{battery: {kind: battery, power: 1 GW,
    energy: 4 GWh, round_trip_efficiency: 85 %}}`"""
    plants: dict[Id, Plant] = Field(default_factory=dict)
    """Dispatchable plants at a generation site, by id. Example: `{ccgt: {fuel: gas, capacity: 1 GW, ramp: 50 %,
    fuel_cost: 60 USD/MWh}}`"""
    electrolyser: Electrolyser | None = None
    """Hydrogen or ammonia made from the site's generation its power flows leave (a node with a generation block
    only). Example: `{capacity: 1 GW, efficiency: 65 %, product: ammonia, energy_per_tonne: 10 MWh/t}`"""
    reliability: Reliability | None = None
    """Random failures and outages of the node."""
    note: str | None = None
    """Free text for readers of the file. Example: `the new Alat port`"""

    @model_validator(mode="after")
    def _blocks_fit_kind(self) -> Node:
        fits = {"port": {"port"}, "storage": {"oil_terminal", "port"}, "generation": {"generation"}}
        for block, kinds in fits.items():
            if getattr(self, block) is not None and self.kind not in kinds:
                raise ValueError(f"{block}: only a {' or '.join(sorted(kinds))} node has one, "
                                 f"this node is a {self.kind}")
        for block in ("stores", "plants"):
            if getattr(self, block) and self.generation is None:
                raise ValueError(f"{block}: only a node with a generation block has them; a node without one "
                                 "is fed from a grid with unlimited supply, where stores and plants change nothing")
        if self.electrolyser is not None and self.generation is None:
            raise ValueError("electrolyser: only a node with a generation block has one (it runs on the site's "
                             "generation its power flows leave)")
        return self


class Link(Strict):
    from_: str = Field(alias="from")
    """Id of the node the link leaves. Example: `aktau`"""
    to: str
    """Id of the node the link reaches. Example: `alat`"""
    mode: Mode
    """How the link carries: rail, road, ferry, sea, pipeline, HVDC/HVAC overhead or subsea, fibre."""
    carrier: Carrier
    """What it carries; the mode must allow it (a pipeline: oil, hydrogen, ammonia)."""
    name: str | None = None
    """Name shown in reports and maps. Example: `BTK railway`"""
    capacity: Capacity | None = None
    """Most it carries: Mt/yr, GW, Tbps, or trains/d for rail (needs payload.train). Needed unless a fleet sails it.
    Example: `{value: 20 trains/d, source: s3_060}`"""
    fleet: str | None = None
    """Id of the fleet that sails it (ferry and sea links). Example: `asco_ferries`"""
    length: Length | None = None
    """Route length (losses, failures per km). Example: `1100 km`"""
    transit: Time | None = None
    """Time to cross it (needed when a fleet sails it). Example: `{dist: triangular, low: 18 h, mode: 20 h, high: 24
    h}`"""
    loss_per_1000km: Share | None = None
    """Share of power lost per 1000 km. Example: `3 %`"""
    converter_loss: Share | None = None
    """Share of power lost in the converters at the ends. Example: `1 %`"""
    background: FlowRate | None = None
    """Flow already using the link outside the scenario's flows (capacity left to them is less). Example: `10 Mt/yr`"""
    reliability: Reliability | None = None
    """Random failures, repairs and outages of the link."""
    note: str | None = None
    """Free text for readers of the file. Example: `single-track section`"""

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
    """When a loaded vessel leaves: when full, on a schedule, or when full or after max_wait."""
    max_wait: Duration | None = None
    """Longest a vessel waits to fill (rule when_full_or_max_wait). Example: `48 h`"""
    interval: Duration | None = None
    """Time between scheduled departures (rule schedule). Example: `24 h`"""

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
    """Kind of vessel."""
    vessels: Count
    """Vessels in the fleet. Example: `{value: 13, source: s2_042}`"""
    capacity: VoyageCapacity
    """One vessel's load in its main unit: wagons, TEU, trucks, or tonnes. Example: `{value: 54 wagons, source:
    s2_045}`"""
    deck: dict[LoadUnit, VoyageCapacity] = Field(default_factory=dict)
    """The same deck filled with other units instead (a mixed load fills it pro rata). Example: `{truck: 50 truck}`"""
    load: Time
    """Time to load a vessel. Example: `12 h`"""
    unload: Time
    """Time to unload a vessel. Example: `12 h`"""
    departure: Departure = Field(default_factory=lambda: Departure(rule="when_full"))
    """When a loaded vessel leaves (default: when full)."""
    reliability: Reliability | None = None
    """Breakdowns of vessels."""
    owner: str | None = None
    """Owner or operator, for the report. Example: `ASCO`"""
    home: str | None = None
    """Port id the vessels start at and return to when no cargo waits. Example: `alat`"""
    note: str | None = None
    """Free text for readers of the file. Example: `Ro-Pax ferries`"""

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
    """Ids of the ports or places closed together. Example: `[aktau, kuryk]`"""
    rate: ClosureRate | list[ClosureRate]
    """Closures a year: one rate, or twelve monthly rates (January first). Example: `6 /yr`"""
    duration: Time
    """How long one closure lasts. Example: `{dist: exponential, mean: 36 h}`"""
    description: str | None = None
    """What the closures are, for the report. Example: `winter storms on the Caspian`"""

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
    """Node ids from the flow's origin to its destination. Example: `[dostyk, aktau, alat, poti]`"""
    share: Share | None = None
    """Share of the flow taking this route (route_choice shares). Example: `60 %`"""


class Flow(Strict):
    """What must move from `origin` to `destination`, per year, and how it arrives."""

    carrier: Carrier
    """What moves."""
    origin: str
    """Node id where the flow starts. Example: `dostyk`"""
    destination: str
    """Node id where it must arrive. Example: `poti`"""
    rate: FlowRate
    """Demand per year, in the carrier's unit (Mt/yr, GW, Tbps). Example: `{value: 2.8 Mt/yr, source: s1_025}`"""
    previous_rate: FlowRate | None = None  # arrivals during a spin-up (before 1 January); default: rate
    """Demand during the spin-up, before 1 January (default: rate). Example: `2.5 Mt/yr`"""
    description: str | None = None
    """What the flow is, for the report. Example: `China-Europe containers`"""
    region: str | None = None
    """A grouping for the report. Example: `China`"""
    mix: dict[LoadUnit, float] | None = None
    """Shares of the tonnes by load unit (sum to 1). Example: `{TEU: 0.7, wagon: 0.3}`"""
    consignment: LoadUnit = "train"
    """Unit cargo arrives in (a train rides ferries as wagons)."""
    # units of `consignment` arriving together (a convoy of trucks): fewer, larger consignments
    # for the simulation, the same tonnes; counts at ports stay in units
    batch: int = Field(default=1, ge=1, le=1000)
    """Units of consignment arriving together (a convoy): fewer, larger consignments, the same tonnes. Example: `10`"""
    arrival: Literal["exponential", "deterministic"] = "exponential"
    """Arrivals at random (Poisson) or evenly spaced."""
    seasonality: list[float] | None = None
    """Twelve monthly factors (January first) shaping arrivals through the year. Example: `[1.2, 1.2, 1, 1, 1, 0.9,
    0.9, 0.9, 1, 1, 1, 1]`"""
    routes: dict[Id, Route] | None = None
    """Named paths the flow may take; without them it takes the shortest. Example: `{via_baku: {path: [aktau, alat,
    poti], share: 100 %}}`"""
    route_choice: Literal["shares", "fastest"] = "shares"
    """Split by the routes' shares, or each consignment takes the fastest route."""
    # Empty wagons or containers going back: `rate` is the deck space they take (units a year x
    # the unit's payload); ports count them in units, not in tonnes, and no target counts them.
    empties: bool = False
    """Empty wagons or containers going back: counted in units at ports, by no target."""
    produced_by: str | None = None
    """A hydrogen or ammonia flow made by the electrolyser at this generation node: production each hour is what
    the electrolyser makes from the site's unsent power, entering at the flow's origin; `rate` is then the
    nominal rate (the optimiser's demand, the report's reference). Example: `kz_wind`"""

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
        if self.produced_by is not None and self.carrier not in ("hydrogen", "ammonia"):
            raise ValueError(f"produced_by: only a hydrogen or ammonia flow is made by an electrolyser, "
                             f"this one carries {self.carrier}")
        if self.produced_by is not None and self.seasonality is not None:
            raise ValueError("seasonality: a flow produced_by an electrolyser follows the site's power hour by "
                             "hour; drop seasonality")
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
    """A figure to meet: the delivered rate of `flows` (throughput), a firm capacity, a transfer
    capacity (transmission) or an energy a year, judged met when a share `probability` of
    replications reach it less `tolerance` (`Verdicts`). A power target is also judged in the two
    framings it is not measured in (`sim.targets`)."""

    carrier: Carrier
    """What the target counts."""
    value: FlowRate
    """Figure to reach, in the carrier's unit. Example: `{value: 10 Mt/yr, source: article:P2}`"""
    flows: list[str] = Field(min_length=1)
    """Ids of the flows whose delivered rate counts. Example: `[china_europe, kazakh_export]`"""
    measure: Literal["throughput", "firm", "transmission", "energy"] = "throughput"
    """throughput: the delivered rate; firm: capacity delivered share_of_time of the hours; transmission (power):
    capacity the flows' paths carry share_of_time of the hours with unlimited supply; energy (power): TWh a year
    delivered, against `energy`."""
    share_of_time: Share = fraction(0.95, "95 %")
    """For a firm or transmission target: share of hours the capacity must be there."""
    energy: EnergyRate | None = None
    """For a power target: the energy a year its figure means, judged by the energy framing (required with
    measure energy; default: the figure x hours x capacity factor of the generation behind its flows x their
    best path efficiency). Example: `{value: 15 TWh/yr, source: assumption}`"""
    tolerance: Share = fraction(0.0, "0 %")
    """Shortfall still judged met. Example: `5 %`"""
    probability: Probability | None = None  # required P(met); None: the scenario's `verdicts.probability`
    """Required share of replications meeting it (default: verdicts.probability). Example: `95 %`"""
    description: str | None = None
    """What the target is, for the report. Example: `10 Mt/yr through the corridor by 2030`"""

    @model_validator(mode="after")
    def _unit(self) -> Target:
        if self.value.unit != units.CARRIER_UNIT[self.carrier]:
            raise ValueError(f"value: a {self.carrier} target is in {units.CARRIER_UNIT[self.carrier]}, "
                             f"got {self.value.text!r}")
        if self.carrier != "power" and (self.measure in ("transmission", "energy") or self.energy is not None):
            what = f"measure: {self.measure}" if self.energy is None else "energy"
            raise ValueError(f"{what}: only a power target is judged by transmission or energy, "
                             f"this one counts {self.carrier}")
        if self.measure == "energy" and self.energy is None:
            raise ValueError("energy: a target measured in energy needs its energy a year, "
                             "e.g. energy: {value: 15 TWh/yr, source: assumption, note: ...}")
        return self


class StoreDesign(Strict):
    """A store an expansion builds at a generation site: a `Store` whose power is the amount
    built and whose energy is that power times `hours`."""

    kind: Literal["battery", "pumped_hydro"]
    """What stores the energy."""
    hours: Duration
    """Energy held when full per unit of power (GWh a GW). Example: `{value: 4 h, source: assumption}`"""
    round_trip_efficiency: Probability
    """Share of the energy charged that comes back out. Example: `{value: 85 %, source: assumption}`"""
    soc_min: Share = fraction(0.0, "0 %")
    """Lowest state of charge, a share of the energy. Example: `10 %`"""
    soc_max: Share = fraction(1.0, "100 %")
    """Highest state of charge, a share of the energy. Example: `90 %`"""
    initial: Share = fraction(0.5, "50 %")
    """State of charge on 1 January, a share of the energy. Example: `50 %`"""

    @model_validator(mode="after")
    def _charge_limits(self) -> StoreDesign:
        charge_limits(self.soc_min, self.soc_max, self.initial)
        return self


class PlantDesign(Strict):
    """A dispatchable plant an expansion builds at a generation site: a `Plant` whose capacity is
    the amount built."""

    fuel: str = Field(min_length=1, max_length=40)
    """What it burns or runs on. Example: `gas`"""
    availability: Share = fraction(1.0, "100 %")
    """Share of the capacity in service on average. Example: `90 %`"""
    ramp: Share = fraction(1.0, "100 %")
    """Most the output changes in an hour, a share of the capacity. Example: `50 %`"""
    fuel_cost: MoneyPerEnergy = Figure(0.0, "USD/MWh", "money_per_energy", "0 USD/MWh")
    """Fuel and variable cost per unit of energy generated. Example: `{value: 60 USD/MWh, source: assumption}`"""
    min_output: Share = fraction(0.0, "0 %")
    """Least output while available, a share of the available capacity. Example: `20 %`"""


class Expansion(Strict):
    """A candidate investment: more capacity on a link or node, or more vessels in a fleet, or a
    store or dispatchable plant at a generation site (`node` with `store` or `plant`, `size` in GW).

    `project` expansions are all-or-nothing (`size` exactly); `continuous` ones any amount up to
    `size`, costed pro rata. Cost is annualised from `capex` over `lifetime` at the optimiser's
    discount rate, plus `opex` (a share of capex per year).
    """

    link: str | None = None
    """Id of the link it adds capacity to. Example: `btk_rail`"""
    node: str | None = None
    """Id of the node it adds capacity (or berths) to. Example: `alat`"""
    berth: BerthKind | None = None  # with `node`: more berths of this kind (`size` a count)
    """With node: adds berths of this kind (size a count). Example: `ferry`"""
    fleet: str | None = None
    """Id of the fleet it adds vessels to (size a count). Example: `asco_ferries`"""
    store: StoreDesign | None = None
    """With node (a generation site): builds a store of this design, `size` its power. Example: `{kind: battery,
    hours: 4 h, round_trip_efficiency: 85 %}`"""
    plant: PlantDesign | None = None
    """With node (a generation site): builds a dispatchable plant of this design, `size` its capacity. Example:
    `{fuel: gas, availability: 90 %, ramp: 50 %, fuel_cost: 60 USD/MWh}`"""
    kind: Literal["continuous", "project"] = "continuous"
    """project: all or nothing; continuous: any amount up to size, costed pro rata."""
    size: ExpansionSize
    """Capacity, berths or vessels added (at most, when continuous). Example: `5 Mt/yr`"""
    capex: Money
    """Investment cost. Example: `{value: 450 MUSD, source: s4_070}`"""
    lifetime: Duration
    """Years the investment is annualised over. Example: `30 yr`"""
    opex: Share = fraction(0.0, "0 %")
    """Yearly operating cost as a share of capex."""
    description: str | None = None
    """What the investment is, for the report. Example: `second track Marabda-Akhalkalaki`"""

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
        built = [k for k in ("berth", "store", "plant") if getattr(self, k) is not None]
        if len(built) > 1:
            raise ValueError(f"{built[1]}: an expansion builds one thing, got {' and '.join(built)}")
        for k in ("store", "plant"):
            if getattr(self, k) is not None and (self.node is None or self.size.unit != "GW"):
                raise ValueError(f"{k}: builds at a generation site: needs `node` and a size in GW "
                                 f"(got {'no node' if self.node is None else repr(self.size.text)})")
        return self


class RepairCrew(Strict):
    vessels: Count
    """Repair vessels available at once. Example: `1`"""
    mobilisation: Time | None = None
    """Time from a failure until the crew starts. Example: `{dist: uniform, low: 7 d, high: 21 d}`"""


class Simulation(Strict):
    horizon: Duration = Figure(8760.0, "h", "duration", "365 d")
    """Simulated time measured from 1 January."""
    warmup: Elapsed = Figure(0.0, "h", "duration", "0 d")
    """Time at the start of the horizon not measured (the window is the rest; at least half)."""
    # simulated before 1 January (clock from hour -spinup), not measured: carries the backlog in
    spinup: Elapsed = Figure(0.0, "h", "duration", "0 d")
    """Time simulated before 1 January and never measured, to carry the backlog in (at most a year)."""
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)
    """Independent runs, each with its own random streams."""
    seed: int = Field(default=2024, ge=0, le=MAX_SEED)
    """Seed of every random stream: the same seed gives the same figures."""
    precision: Share | None = None
    """Add replications until every target's 95 % interval half-width is within this share of its mean.
    Example: `5 %`"""
    max_replications: int = Field(default=200, ge=1, le=MAX_REPLICATIONS)
    """Most replications precision may take."""
    trace: bool = False
    """Keep an event trace of each replication (slow; for debugging)."""


class Verdicts(Strict):
    """How targets are judged (`sim.targets`): `probability` is the share of replications that must
    reach a target's figure less its tolerance for the verdict "met" (default 90 %); a target's own
    `probability` overrides it. "at risk": the mean reaches it but fewer replications do."""

    probability: Probability = fraction(0.9, "90 %")
    """Share of replications that must meet a target for the verdict met."""


class Optimiser(Strict):
    """`routing`: `simulated` (default) moves each flow as the simulator does (route shares, one
    path without routes, at most its rate), the bound to set beside a simulation; `free` lets
    every flow split over any allowed links with no demand cap (the network's max-flow)."""

    solver: Solver = "highs"
    """LP solver: HiGHS, or CBC."""
    routing: Literal["simulated", "free"] = "simulated"
    """simulated: flows move as the simulator moves them; free: any split over allowed links (max-flow)."""
    n_minus_1: Share = fraction(0.0, "0 %")
    """Share of each target that must still be met with any one link out."""
    discount_rate: Share = fraction(0.08, "8 %")
    """Rate investments are annualised at."""
    unmet_penalty: Penalty = Figure(1e5, "MUSD", "money", "100000 MUSD")
    """Cost per unit of a target left unmet, in the plan's objective."""
    firm_supply: bool = False
    """Also plan, for each power target, the cheapest stores, plants, generation and transmission among the
    expansions that deliver its figure in share_of_time of the hours (an hourly LP over a weather year, seconds;
    `sim.optimiser.firm`), and judge that plan by simulation. With none among the expansions, the plan says what is
    short."""
    value_of_power: MoneyPerEnergy = Figure(1000.0, "USD/MWh", "money_per_energy", "1000 USD/MWh")
    """Value of delivered power, against which plants' fuel costs are weighed in the hourly dispatch (assumed:
    high enough that a plant runs whenever it raises delivery)."""


class Scenario(Strict):
    name: str = Field(min_length=1)
    """Name of the scenario; also its results folder (letters, digits, _ . -). Example: `baseline-2023`"""
    description: str = Field(min_length=1)
    """One or two sentences on what the scenario is. Example: `The corridor as it ran in 2023.`"""
    year: int = Field(ge=1990, le=2100)
    """Calendar year the scenario stands for. Example: `2023`"""
    simulation: Simulation = Field(default_factory=Simulation)
    """Horizon, warm-up, replications and seed."""
    optimiser: Optimiser = Field(default_factory=Optimiser)
    """Solver and the optimiser's settings."""
    verdicts: Verdicts = Field(default_factory=Verdicts)
    """How targets are judged met, at risk or not met."""
    payload: dict[LoadUnit, PositiveMass] = Field(default_factory=dict)
    """Tonnes carried by one load unit. Example: `{train: 1200 t, wagon: 47 t, TEU: 14 t, truck: 20 t}`"""
    nodes: dict[Id, Node]
    """Places by id: terminals, border crossings, ports, converter stations, generation, demand."""
    links: dict[Id, Link] = Field(default_factory=dict)
    """Connections by id between two nodes, each of one mode and carrier."""
    fleets: dict[Id, Fleet] = Field(default_factory=dict)
    """Vessels by id that sail ferry and sea links."""
    weather: dict[Id, Weather] = Field(default_factory=dict)
    """Closures of ports and sea areas by id."""
    repair_crews: dict[Id, RepairCrew] = Field(default_factory=dict)
    """Repair vessels by id that cable and pipeline repairs wait for."""
    flows: dict[Id, Flow] = Field(default_factory=dict)
    """What must move by id, from an origin to a destination, per year."""
    targets: dict[Id, Target] = Field(default_factory=dict)
    """Figures to meet by id, judged on the simulation."""
    expansions: dict[Id, Expansion] = Field(default_factory=dict)
    """Candidate investments by id, for the optimiser's plan."""

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
