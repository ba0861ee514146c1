"""The validated scenario: pydantic models of everything a scenario file can say.

Every figure is a `Figure` (a number in its canonical unit, the text as written, and its source)
or a `Distribution`. Unknown keys are errors. Cross-references (a link's ends, a target's flows)
are checked by `references()` after the shape is valid, so each problem keeps its own key path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, model_validator

from sim.scenario import units
from sim.scenario.distributions import Distribution, parse_distribution

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

MODE_CARRIERS: dict[str, set[str]] = {
    "rail": {"cargo", "oil", "ammonia", "hydrogen"},
    "road": {"cargo"},
    "ferry": {"cargo", "oil", "ammonia"},
    "sea": {"cargo", "oil", "ammonia", "hydrogen"},
    "pipeline": {"oil", "hydrogen", "ammonia"},
    "hvdc_overhead": {"power"},
    "hvdc_subsea": {"power"},
    "hvac_overhead": {"power"},
    "hvac_subsea": {"power"},
    "fibre": {"data"},
}
SEA_MODES = {"ferry", "sea"}
MASS_CARRIERS = {"cargo", "oil", "hydrogen", "ammonia"}


@dataclass(frozen=True)
class Figure:
    """A number from a scenario file in its canonical unit, with the text and source behind it."""

    value: float
    unit: str
    kind: str
    text: str
    source: str | None = None
    note: str | None = None

    def __float__(self) -> float:
        return self.value

    def to_spec(self) -> Any:
        text: Any = int(self.value) if self.kind == "count" else self.text
        if self.source or self.note:
            out: dict[str, Any] = {"value": text, "source": self.source}
            return out | ({"note": self.note} if self.note else {})
        return text


def _figure_parser(kinds: tuple[str, ...], minimum: str | None) -> Any:
    def parse(raw: Any) -> Figure:
        if isinstance(raw, Figure):
            return raw
        source = note = None
        if isinstance(raw, dict):
            extra = set(raw) - {"value", "source", "note"}
            if "value" not in raw or extra:
                raise ValueError(
                    "expected a quantity ('15 Mt/yr') or {value: 15 Mt/yr, source: s1_025}"
                    + (f"; unknown key(s): {', '.join(sorted(map(str, extra)))}" if extra else "")
                )
            source, note, raw = raw.get("source"), raw.get("note"), raw["value"]
            if source is not None and not isinstance(source, str):
                raise ValueError("source: expected a row id such as s1_025 or article:P2")
        if isinstance(raw, bool) or raw is None or not isinstance(raw, (str, int, float)):
            raise ValueError(f"expected a quantity in {' or '.join(units.CANONICAL[k] for k in kinds)}, "
                             f"got {raw!r}")
        if kinds == ("count",):
            if isinstance(raw, str) or raw != int(raw):
                raise ValueError(f"expected a whole number, got {raw!r}")
            value, kind, text = float(raw), "count", str(raw)
        else:
            q = units.parse(raw)
            errors = []
            for kind in kinds:
                try:
                    value = units.convert(q, units.CANONICAL[kind])
                    break
                except ValueError as exc:
                    errors.append(str(exc))
            else:
                if len(kinds) == 1:
                    raise ValueError(errors[0])
                wanted = " or ".join(units.CANONICAL[k] for k in kinds)
                raise ValueError(f"expected a quantity in {wanted}, got {raw!r}")
            text = str(raw)
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"expected a finite quantity, got {raw!r}")
        if minimum == "positive" and not value > 0:
            raise ValueError(f"must be > 0, got {text!r}")
        if minimum == "nonneg" and value < 0:
            raise ValueError(f"must be >= 0, got {text!r}")
        if kind == "fraction" and minimum is not None and value > 1:
            raise ValueError(f"must be a share between 0 and 1 (or 0-100 %), got {text!r}")
        unit = "1" if kind == "count" else units.CANONICAL[kind]
        return Figure(value, unit, kind, text, source, note)

    return parse


def quantity(*kinds: str, minimum: str | None = "nonneg") -> Any:
    """A Figure field accepting any of `kinds` (see units.CANONICAL), with a lower bound."""
    return Annotated[
        Figure,
        PlainValidator(_figure_parser(kinds, minimum)),
        PlainSerializer(lambda f: f.to_spec()),
    ]


def distribution(kind: str = "duration") -> Any:
    def parse(raw: Any) -> Distribution:
        return parse_distribution(raw, kind)

    return Annotated[Distribution, PlainValidator(parse), PlainSerializer(lambda d: d.to_spec())]


Count = quantity("count")
Share = quantity("fraction")
Duration = quantity("duration", minimum="positive")
Length = quantity("length", minimum="positive")
Mass = quantity("mass")
Money = quantity("money")
FlowRate = quantity("mass_rate", "power", "data_rate")
Capacity = quantity("mass_rate", "power", "data_rate", "train_rate")
Time = distribution("duration")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, populate_by_name=True)


class Maintenance(Strict):
    """Planned outage: `duration` every `every`, taking `share` of the capacity out."""

    every: Duration
    duration: Duration
    share: Share = Field(default_factory=lambda: Figure(1.0, "dimensionless", "fraction", "100 %"))


class Outage(Strict):
    """A scheduled outage (a stress case: a cable cut, a pipeline shut-in), starting at `start`
    after the beginning of the horizon and taking `share` of the capacity out for `duration`."""

    start: quantity("duration")
    duration: Duration
    share: Share = Field(default_factory=lambda: Figure(1.0, "dimensionless", "fraction", "100 %"))
    cause: str = "scheduled"


class Reliability(Strict):
    """Random failures and repairs of a link or node.

    `failure_rate` is per year, or per 100 km per year for long cables (scaled by the length).
    `outages` are scheduled events on top of the random ones.
    A link made of `units` identical parts (two poles, several fibre pairs) loses one part per
    failure. Repairs wait for a vessel from `repair_crew` when one is named, and sea repairs wait
    out the `weather` closures when named.
    """

    failure_rate: quantity("frequency", "frequency_per_length") = Field(
        default_factory=lambda: Figure(0.0, "1/yr", "frequency", "0 /yr"))
    repair: Time | None = None
    units: int = Field(default=1, ge=1)
    repair_crew: str | None = None
    weather: str | None = None
    maintenance: Maintenance | None = None
    outages: list[Outage] = Field(default_factory=list)


class Berth(Strict):
    """Berths of one kind at a port, and the time one vessel or consignment occupies one."""

    count: Count
    service: Time


class Port(Strict):
    berths: dict[BerthKind, Berth]
    yard: Mass | None = None


class Storage(Strict):
    capacity: quantity("mass", minimum="positive")
    initial: Mass | None = None


class Generation(Strict):
    """A generation site: capacity and an hourly capacity-factor profile."""

    capacity: quantity("power")
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
    kind: Literal["ferry", "roro", "tanker", "container_ship", "bulk"]
    vessels: Count
    capacity: quantity("mass", "wagon", "teu", "truck", minimum="positive")
    load: Time
    unload: Time
    departure: Departure = Field(default_factory=lambda: Departure(rule="when_full"))
    reliability: Reliability | None = None
    note: str | None = None


class Weather(Strict):
    """Closures of ports or sea areas: a seasonal rate (one per year, or twelve monthly rates)."""

    nodes: list[str] = Field(min_length=1)
    rate: quantity("frequency") | list[quantity("frequency")]
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
    description: str | None = None
    region: str | None = None
    mix: dict[LoadUnit, float] | None = None
    consignment: LoadUnit = "train"
    arrival: Literal["exponential", "deterministic"] = "exponential"
    seasonality: list[float] | None = None
    routes: dict[str, Route] | None = None
    route_choice: Literal["shares", "fastest"] = "shares"

    @model_validator(mode="after")
    def _consistent(self) -> Flow:
        if self.rate.unit != units.CARRIER_UNIT[self.carrier]:
            raise ValueError(f"rate: a {self.carrier} flow is in {units.CARRIER_UNIT[self.carrier]}, "
                             f"got {self.rate.text!r}")
        if self.seasonality is not None and (len(self.seasonality) != 12 or min(self.seasonality) < 0
                                             or sum(self.seasonality) <= 0):
            raise ValueError("seasonality: expected twelve non-negative monthly factors")
        if self.mix is not None and (any(v < 0 for v in self.mix.values()) or
                                     abs(sum(self.mix.values()) - 1) > 1e-6):
            raise ValueError("mix: shares must be non-negative and sum to 1")
        if self.routes and self.route_choice == "shares":
            shares = [r.share.value if r.share else None for r in self.routes.values()]
            if len(shares) > 1 and (None in shares or abs(sum(shares) - 1) > 1e-6):
                raise ValueError("routes: with route_choice shares, every route needs a share and "
                                 "the shares must sum to 1")
        return self


class Target(Strict):
    """A figure to meet: the delivered rate of `flows` (throughput) or a firm capacity."""

    carrier: Carrier
    value: FlowRate
    flows: list[str] = Field(min_length=1)
    measure: Literal["throughput", "firm"] = "throughput"
    share_of_time: Share = Field(default_factory=lambda: Figure(0.95, "dimensionless", "fraction", "95 %"))
    tolerance: Share = Field(default_factory=lambda: Figure(0.0, "dimensionless", "fraction", "0 %"))
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
    fleet: str | None = None
    kind: Literal["continuous", "project"] = "continuous"
    size: quantity("mass_rate", "power", "data_rate", "count", minimum="positive")
    capex: Money
    lifetime: Duration
    opex: Share = Field(default_factory=lambda: Figure(0.0, "dimensionless", "fraction", "0 %"))
    description: str | None = None

    @model_validator(mode="after")
    def _one_asset(self) -> Expansion:
        named = [k for k in ("link", "node", "fleet") if getattr(self, k) is not None]
        if len(named) != 1:
            raise ValueError("expected exactly one of link, node or fleet")
        if self.fleet is not None and self.size.kind != "count":
            raise ValueError("size: a fleet expansion is a number of vessels")
        return self


class RepairCrew(Strict):
    vessels: Count
    mobilisation: Time | None = None


class Simulation(Strict):
    horizon: Duration = Field(default_factory=lambda: Figure(8760.0, "h", "duration", "365 d"))
    warmup: quantity("duration") = Field(default_factory=lambda: Figure(0.0, "h", "duration", "0 d"))
    replications: int = Field(default=10, ge=1, le=10_000)
    seed: int = Field(default=2024, ge=0)
    precision: Share | None = None
    max_replications: int = Field(default=200, ge=1)
    trace: bool = False


class Optimiser(Strict):
    solver: Literal["highs", "cbc"] = "highs"
    n_minus_1: Share = Field(default_factory=lambda: Figure(0.0, "dimensionless", "fraction", "0 %"))
    discount_rate: Share = Field(default_factory=lambda: Figure(0.08, "dimensionless", "fraction", "8 %"))
    unmet_penalty: quantity("money", minimum="positive") = Field(
        default_factory=lambda: Figure(1e5, "MUSD", "money", "100000 MUSD"))


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    simulation: Simulation = Field(default_factory=Simulation)
    optimiser: Optimiser = Field(default_factory=Optimiser)
    payload: dict[LoadUnit, quantity("mass", minimum="positive")] = Field(default_factory=dict)
    nodes: dict[str, Node]
    links: dict[str, Link] = Field(default_factory=dict)
    fleets: dict[str, Fleet] = Field(default_factory=dict)
    weather: dict[str, Weather] = Field(default_factory=dict)
    repair_crews: dict[str, RepairCrew] = Field(default_factory=dict)
    flows: dict[str, Flow] = Field(default_factory=dict)
    targets: dict[str, Target] = Field(default_factory=dict)
    expansions: dict[str, Expansion] = Field(default_factory=dict)

    def payload_t(self, unit: str) -> float:
        """Tonnes carried by one load unit (train, wagon, TEU, truck)."""
        if unit == "t":
            return 1.0
        return self.payload[unit].value  # presence is checked by references()


def references(s: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """Every dangling or inconsistent reference, as (key path, message)."""
    out: list[tuple[tuple[Any, ...], str]] = []

    def need(path: tuple[Any, ...], ref: str | None, table: dict[str, Any], what: str) -> bool:
        if ref is None or ref in table:
            return True
        import difflib

        hint = difflib.get_close_matches(ref, list(table), n=1)
        out.append((path, f"no {what} called {ref!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")))
        return False

    def reliability(path: tuple[Any, ...], r: Reliability | None, length: Figure | None) -> None:
        if r is None:
            return
        need(path + ("repair_crew",), r.repair_crew, s.repair_crews, "repair crew")
        need(path + ("weather",), r.weather, s.weather, "weather")
        if r.failure_rate.value > 0 and r.repair is None:
            out.append((path + ("repair",), "random failures need a repair time"))
        if r.failure_rate.kind == "frequency_per_length" and length is None:
            out.append((path + ("failure_rate",), "a rate per length needs the link's length"))

    for nid, node in s.nodes.items():
        reliability(("nodes", nid, "reliability"), node.reliability, None)
    for lid, link in s.links.items():
        need(("links", lid, "from"), link.from_, s.nodes, "node")
        need(("links", lid, "to"), link.to, s.nodes, "node")
        need(("links", lid, "fleet"), link.fleet, s.fleets, "fleet")
        reliability(("links", lid, "reliability"), link.reliability, link.length)
        if link.capacity is not None and link.capacity.kind == "train_rate" and "train" not in s.payload:
            out.append((("links", lid, "capacity"), "trains per day needs payload.train (tonnes a train)"))
        elif link.capacity is not None and link.capacity.kind != "train_rate" and \
                link.capacity.unit != units.CARRIER_UNIT[link.carrier]:
            out.append((("links", lid, "capacity"),
                        f"a {link.carrier} link's capacity is in {units.CARRIER_UNIT[link.carrier]}, "
                        f"got {link.capacity.text!r}"))
    for lid, link in s.links.items():
        if link.fleet is not None and link.transit is None:
            out.append((("links", lid, "transit"), "a link sailed by a fleet needs a transit time"))
    for fid, fleet in s.fleets.items():
        unit = {"wagon": "wagon", "teu": "TEU", "truck": "truck"}.get(fleet.capacity.kind)
        if unit and unit not in s.payload:
            out.append((("fleets", fid, "capacity"), f"capacity in {unit}s needs payload.{unit}"))
        if not any(link.fleet == fid for link in s.links.values()):
            out.append((("fleets", fid), "no link is sailed by this fleet"))
        reliability(("fleets", fid, "reliability"), fleet.reliability, None)
    for wid, w in s.weather.items():
        for i, nid in enumerate(w.nodes):
            need(("weather", wid, "nodes", i), nid, s.nodes, "node")
    for fid, flow in s.flows.items():
        need(("flows", fid, "origin"), flow.origin, s.nodes, "node")
        need(("flows", fid, "destination"), flow.destination, s.nodes, "node")
        if flow.carrier == "cargo":
            for unit in list(flow.mix or {}) + [flow.consignment]:
                if unit != "t" and unit not in s.payload:
                    out.append((("flows", fid), f"{unit} consignments need payload.{unit}"))
        for rid, route in (flow.routes or {}).items():
            path = ("flows", fid, "routes", rid, "path")
            if route.path[0] != flow.origin or route.path[-1] != flow.destination:
                out.append((path, f"a route must run from {flow.origin!r} to {flow.destination!r}"))
            ok = all(need(path + (i,), n, s.nodes, "node") for i, n in enumerate(route.path))
            if ok:
                for i, (a, b) in enumerate(zip(route.path, route.path[1:])):
                    if not any(l.from_ == a and l.to == b and l.carrier == flow.carrier
                               for l in s.links.values()):
                        out.append((path + (i + 1,), f"no {flow.carrier} link from {a!r} to {b!r}"))
    for tid, target in s.targets.items():
        for i, fid in enumerate(target.flows):
            if need(("targets", tid, "flows", i), fid, s.flows, "flow") and \
                    s.flows[fid].carrier != target.carrier:
                out.append((("targets", tid, "flows", i),
                            f"flow {fid!r} carries {s.flows[fid].carrier}, the target {target.carrier}"))
    for eid, e in s.expansions.items():
        need(("expansions", eid, "link"), e.link, s.links, "link")
        need(("expansions", eid, "node"), e.node, s.nodes, "node")
        need(("expansions", eid, "fleet"), e.fleet, s.fleets, "fleet")
        if e.link in s.links and e.size.kind != "count" and \
                e.size.unit != units.CARRIER_UNIT[s.links[e.link].carrier]:
            out.append((("expansions", eid, "size"),
                        f"link {e.link!r} carries {s.links[e.link].carrier}, in "
                        f"{units.CARRIER_UNIT[s.links[e.link].carrier]}"))
    if s.simulation.warmup.value >= s.simulation.horizon.value:
        out.append((("simulation", "warmup"), "the warm-up must be shorter than the horizon"))
    return out


def figures(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Figure | Distribution]]:
    """Every Figure and Distribution in a scenario, with its key path (for sources and reports)."""
    found: list[tuple[tuple[Any, ...], Figure | Distribution]] = []
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
