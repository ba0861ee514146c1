"""The report document: what one run found, as typed records whose JSON form is report.json.

`build_document` assembles it from the scenario, the optimiser's result and the simulation;
`ReportDocument.to_json()` is report.json's content, validated by the JSON Schema beside this
module (`schema.json`, the machine contract); `ReportDocument.model_validate` reads one back.
Every figure comes from the run's results; the sources behind each target's verdict are listed
beside it.

Keys a run did not measure (a flow nothing delivered has no `delivered`) are absent from the
JSON, not null: records are dumped with `exclude_unset`. Rows of measured statistics (links,
nodes, fleets, flows) carry whatever statistics the simulation reports, each a number.
`passages` (node-to-node times on cargo routes) is optional: reports written before it existed
have none and still read. So is the run's `spinup_days` (how long the simulation ran before
1 January, never measured; 0: it started empty on 1 January): a report without it read as 0.

`plan_applied` says whether the simulation ran with the optimiser's plan built (`corridor run
--with-plan`) or on the scenario as written (false; a report written before the choice existed
has none and reads as false), and `built` lists the expansions built when it did. Each target's
optimiser bound is the one for the network simulated: as written (`max_together`, else alone),
or with the plan (`max_with_plan`).

`port_months` (optional too) gives, per port that counts its ship traffic and per calendar
month, tonnes in and out and vessel calls (corridor and background together) with 95%
intervals across replications, and the days of the month in the measured period.

Each target's `verdict` (`sim.targets`) is "met", "at risk" or "not met", judged with its
`probability` (the P(met) required) and `tolerance`; `simulated.p_met_ci95` is P(met)'s Wilson 95%
interval; a firm target's `share_of_time` is the quantile of hours measured. `met` is verdict ==
"met" (old readers); a report written before verdicts has none, and `TargetRow.judged` reads `met`
as the verdict.

`per_replication` (optional) keeps the statistics `corridor compare` tests, one value per
replication (`PER_REPLICATION`; flows' transit days; passages' days); a report without it still
reads, and compare says those figures were not tested.

`targets[].framings` (power targets only) judges the target as transmission, energy and firm
(`sim.targets`), each with its figure, unit, mean and 95% interval, P(met) and verdict; the
target's own verdict is the one of its `measure`. A report without it still reads.

`targets[].gap` (only with `corridor run --gaps`) splits a target's gap between the optimiser's
bound and the simulation into causes (`sim.attribution`); `with_gaps` adds it to a report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import numpy as np

from sim import calendar
from sim import targets as judge
from sim.network import TWH_PER_GW, build_network
from sim.replications import estimate
from sim.scenario import sources
from sim.scenario.schema import Asset, Carrier, Mode, Scenario, figures

if TYPE_CHECKING:
    from sim.optimiser.result import OptimiseResult
    from sim.report.frames import Frames
    from sim.simulate import SimulationResult

SCHEMA_VERSION = "1.0"


class Record(BaseModel):
    """A record of report.json: its keys as the JSON spells them, no others."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Measured(Record):
    """A row of simulated statistics: the named fields, then every statistic the run measured."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float] = Field(init=False)

    id: str


class ScenarioInfo(Record):
    """Which scenario ran: its file, the hashes of the file and of the resolved scenario."""

    name: str
    description: str
    year: int
    file: str
    sha256: str
    resolved_sha256: str
    overrides: list[str]
    files: list[str]


class RunInfo(Record):
    seed: int
    replications: int
    horizon_days: float
    warmup_days: float
    spinup_days: float = 0.0  # absent from reports written before the spin-up existed
    precision: float | None
    precision_reached: bool | None
    version: str
    simulate_wall_s: float
    wall_s: float
    solver: str | None


class Simulated(Record):
    """A target across replications: mean, 95% confidence interval, share of replications met
    (P(met)) with its Wilson 95% interval (absent from reports written before verdicts had it)."""

    mean: float
    ci95: list[float] = Field(min_length=2, max_length=2)
    p_met: float
    p_met_ci95: list[float] | None = Field(default=None, min_length=2, max_length=2)
    replications: list[float]


class Optimised(Record):
    """The optimiser's bound beside a target, on the network with the plan built."""

    max_deliverable: float | None
    max_existing: float | None
    max_together: float | None
    binding: list[str]
    binding_nodes: list[str]
    binding_fleets: list[str]


class Gap(Record):
    """A target's gap split into causes (`corridor run --gaps`, `sim.attribution`), in its unit:
    the optimiser's bound, what each present cause costs (its Shapley value over counterfactual
    runs with common random numbers; mean and 95% interval across replications), the residual
    bound - v(every cause off), and the simulated mean of those runs (none off)."""

    bound: float | None
    bound_kind: str | None
    simulated: float
    simulated_ci95: list[float] = Field(min_length=2, max_length=2)
    all_off: float
    causes: dict[str, float]
    causes_ci95: dict[str, list[float]]
    residual: float | None
    coalitions: int
    replications: int
    seed: int
    unit: str


class FramingRow(Record):
    """A power target judged in one framing (`sim.targets`): the figure (`value`; `assumed` when
    derived, not written in the scenario) and its unit, the simulated mean with its 95% interval,
    P(met) with its Wilson 95% interval and the verdict; transmission: the N-1 capacity beside it
    and whether it reaches the figure less tolerance; energy: the utilisation of the figure's
    capacity (mean delivered power over the figure)."""

    value: float
    unit: str
    assumed: bool = False
    share_of_time: float | None = None  # transmission and firm: the quantile of hours measured
    mean: float
    ci95: list[float] = Field(min_length=2, max_length=2)
    p_met: float
    p_met_ci95: list[float] = Field(min_length=2, max_length=2)
    verdict: judge.Verdict
    met: bool
    n_minus_1: float | None = None
    n_minus_1_met: bool | None = None
    utilisation: float | None = None


class TargetRow(Record):
    id: str
    carrier: Carrier
    unit: str
    target: float
    measure: judge.Measure
    description: str | None
    share_of_time: float | None  # firm and transmission targets only
    tolerance: float
    probability: float | None = None  # P(met) required; absent from reports written before verdicts
    simulated: Simulated
    optimised: Optimised
    verdict: judge.Verdict | None = None  # `sim.targets`; absent from reports written before verdicts
    met: bool  # verdict == "met", for readers written before verdicts
    sources: list[str]
    gap: Gap | None = None  # with `corridor run --gaps` only
    # power targets: judged as transmission, energy and firm (absent from other targets and older reports)
    framings: dict[judge.Framing, FramingRow] | None = None

    @property
    def judged(self) -> judge.Verdict:
        """The verdict; a report written before verdicts has only `met` (judged on the mean)."""
        if self.verdict is not None:
            return self.verdict
        return "met" if self.met else "not met"


class Delivered(Record):
    mean: float
    ci95: list[float] = Field(min_length=2, max_length=2)
    replications: list[float]


class FlowRow(Measured):
    """A flow's demand and what the simulation delivered (absent when no replication carried it)."""

    carrier: Carrier
    unit: str
    origin: str
    destination: str
    demand: float
    region: str | None
    delivered: Delivered | None = None
    in_system_t: float | None = None
    arrived_t: float | None = None  # mass carriers
    transit_days: dict[str, float] | None = None  # cargo and tankers: mean, p50, p95...


class LinkRow(Measured):
    carrier: Carrier
    mode: Mode
    unit: str
    from_: str = Field(alias="from")
    to: str
    nameplate: float
    firm: float
    utilisation: float | None
    availability: float | None  # simulated, else the analytic one
    availability_analytic: float


class NodeRow(Measured):
    pass


class FleetRow(Measured):
    pass


class PassageDays(Record):
    """Days from reaching one route node to reaching another: each replication's mean, median
    and 95th percentile, averaged across replications."""

    mean: float
    p50: float
    p95: float


class PassageRow(Record):
    """A node-to-node passage on cargo routes (`sim.cargo.journey`): its days, and `n` the mean
    number of consignments per replication that made it."""

    from_: str = Field(alias="from")
    to: str
    days: PassageDays
    n: float


class Interval(Record):
    """A figure across replications: mean and 95% confidence interval (`sim.replications.estimate`)."""

    mean: float
    ci95: list[float] = Field(min_length=2, max_length=2)


class PortMonthRow(Record):
    """A port's ship traffic in one calendar month (1 = January), summed over the measured
    period's days in that month (`measured_days`; a month the warm-up covers counts none):
    tonnes unloaded (`tonnes_in`) and loaded (`tonnes_out`), and vessel calls, corridor and
    background traffic together (`sim.cargo.model`)."""

    port: str
    month: int = Field(ge=1, le=12)
    measured_days: float
    tonnes_in: Interval
    tonnes_out: Interval
    calls: Interval


# Statistics kept per replication (`per_replication`) for `corridor compare`'s tests; a name
# ending in ":" stands for every statistic it begins (one per berth kind).
PER_REPLICATION = {
    "nodes": ("utilisation", "wait_h_mean", "closed_days", "tonnes_in", "tonnes_out", "calls", "berth_utilisation",
              "berth_utilisation:", "berth_wait_h_mean:", "wait_h_per_call:berth"),
    "links": ("utilisation", "availability"),
    "fleets": ("utilisation", "voyages", "quay_wait_h_mean"),
}
PASSAGE_DAYS = ("mean", "p50", "p95")  # flows' transit_days and passages' days kept per replication

Values = dict[str, list[float | None]]  # statistic -> its value in each replication (null: not measured)


class PerReplication(Record):
    """Each compared statistic's value in every replication, in replication order (null where a
    replication did not measure it), by row id: nodes', links' and fleets' statistics named in
    `PER_REPLICATION`, flows' `transit_days.<mean|p50|p95>` and passages' days (by "from→to")."""

    nodes: dict[str, Values] = {}
    links: dict[str, Values] = {}
    fleets: dict[str, Values] = {}
    flows: dict[str, Values] = {}
    passages: dict[str, Values] = {}


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float, np.integer, np.floating)) and np.isfinite(x) else None


class Floats:
    """One float object per value met (a value seen again is the object seen first): a
    statistic repeated across replications (0, 1, a count) is then kept once however many
    replications report it. 0.0 and -0.0 stay apart (JSON writes them differently)."""

    def __init__(self) -> None:
        self.seen: dict[Any, float] = {}

    def __call__(self, x: float | None) -> float | None:
        if x is None:
            return None
        return self.seen.setdefault(x if x else (x, math.copysign(1.0, x)), x)


def kept_per_replication(table: str, stat: str) -> bool:
    """Whether statistic `stat` of a `table` ("nodes", "links", "fleets") row is kept per replication."""
    return any(stat == n or (n.endswith(":") and stat.startswith(n)) for n in PER_REPLICATION[table])


def per_replication(result: SimulationResult) -> PerReplication:
    """The statistics `corridor compare` tests, one value per replication."""
    # one pass over the replications (each is unpacked when read: `sim.replications.Replications`),
    # each compared figure appended to its list as it is read; a list first met in replication j
    # starts with j nulls, and every list is padded with a null where a replication lacks it
    tables: dict[str, dict[str, Values]] = {table: {} for table in PER_REPLICATION}
    flows: dict[str, Values] = {}
    flows_seen: set[str] = set()  # flows with transit days in some replication
    passages: dict[tuple[str, str], Values] = {}
    share = Floats()
    for n, r in enumerate(result.replications):
        for table, rows in tables.items():
            for ident, row in getattr(r, table).items():
                acc = rows.setdefault(ident, {})
                for k, v in row.items():
                    if kept_per_replication(table, k) and (x := share(_number(v))) is not None:
                        acc.setdefault(k, [None] * n).append(x)
        for fid, f in r.flows.items():
            days = f.transit_days
            acc = flows.setdefault(fid, {f"transit_days.{k}": [None] * n for k in PASSAGE_DAYS})
            if days:
                flows_seen.add(fid)
            for k in PASSAGE_DAYS:
                acc[f"transit_days.{k}"].append(share(_number(days.get(k))))
        for pair, days in r.passages.items():
            acc = passages.setdefault(pair, {k: [None] * n for k in PASSAGE_DAYS})
            for k in PASSAGE_DAYS:
                acc[k].append(share(_number(days.get(k))))
        groups: list[Mapping[Any, Values]] = [*tables.values(), flows, passages]
        for group in groups:
            for stats in group.values():
                for column in stats.values():
                    if len(column) <= n:
                        column.append(None)
    return PerReplication(**{table: {i: stats for i, stats in rows.items() if stats} for table, rows in tables.items()},
                          flows={fid: v for fid, v in flows.items() if fid in flows_seen},
                          passages={f"{a}→{b}": passages[(a, b)] for a, b in sorted(passages)})


class Expansion(Record):
    id: str
    asset: Asset
    element: str
    kind: Literal["continuous", "project"]
    amount: float
    unit: str
    size: float
    cost: float  # MUSD/yr
    description: str | None


class Contingency(Record):
    """A target after the worst single link loss on the planned network."""

    target: str
    link: str | None
    deliverable: float | None
    share_kept: float | None
    required_share: float
    secure: bool
    shortfall: float


class SecurityShortfall(Record):
    link: str
    amount: float


class NMinus1(Record):
    required_share: float | None = None
    secure: bool | None = None
    targets: dict[str, Contingency] = {}
    shortfalls: dict[str, SecurityShortfall] = {}


class FirmSupplySimulated(Record):
    """A firm plan judged by the simulation: its firm level's mean, P(met) and the verdict."""

    firm_mean: float
    p_met: float
    p_met_ci95: list[float]
    replications: int
    verdict: str


class FirmSupplyRow(Record):
    """What makes a power target firm (`sim.optimiser.firm`), cheapest: the expansions built (GW),
    the annual cost, the hours exempt, what is still short, and the simulation's judgement."""

    target: str
    figure: float
    unit: str
    share_of_time: float
    status: str
    built: dict[str, float] = {}
    investment_musd_yr: float | None = None
    fuel_musd_yr: float | None = None
    cost_musd_yr: float | None = None
    exempt_hours: int
    hours: int | None = None
    short_gwh_yr: float | None = None
    short_hours: int | None = None
    simulated: FirmSupplySimulated


class PlanSection(Record):
    """The least-cost expansion plan (empty when the optimiser did not plan)."""

    status: str | None = None
    feasible: bool | None = None
    cost: float | int | None = None  # MUSD/yr; the optimiser writes a plan with nothing built as 0
    cost_unit: str | None = None
    expansions: list[Expansion] = []
    shortfalls: dict[str, float | None] = {}  # demand id -> unmet, in its unit
    n_minus_1: NMinus1 | None = None

    @property
    def made(self) -> bool:
        """Whether the optimiser made a plan (report.json's plan is `{}` when it did not)."""
        return bool(self.model_fields_set)


class Busy(Record):
    """A resource as the simulation found it."""

    id: str
    words: str
    utilisation: float
    wait_h: float
    score: float  # utilisation x wait_h


class Binding(Record):
    """A capacity row that stops a target's growth in the optimiser."""

    target: str
    id: str
    words: str
    marginal: float  # target units a year per unit of the row
    marginal_unit: str
    shadow_price: float | None = None  # MUSD/yr per unit, where the plan pays for it
    shadow_unit: str | None = None


class Bottlenecks(Record):
    """Bottlenecks from both sides (`sim.report.bottlenecks`): the simulation's busiest resources
    (utilisation x mean wait), the optimiser's binding rows per target, and whether they agree."""

    simulation: list[Busy] = Field(default_factory=list)
    optimiser: list[Binding] = Field(default_factory=list)
    agree: bool | None = None
    headline: str = ""


class ShadowPrice(Record):
    value: float | None
    unit: str


class ReportDocument(Record):
    """report.json: which scenario ran and how, then every figure it produced."""

    schema_version: str
    plan_applied: bool = False  # absent from reports written before runs simulated as written
    built: list[Expansion] = []  # the expansions built before simulating (plan_applied only)
    scenario: ScenarioInfo
    run: RunInfo
    targets: list[TargetRow]
    flows: list[FlowRow]
    links: list[LinkRow]
    nodes: list[NodeRow]
    fleets: list[FleetRow]
    passages: list[PassageRow] = []  # absent from reports written before passages were measured
    port_months: list[PortMonthRow] = []  # absent from reports written before months were measured
    per_replication: PerReplication | None = None  # absent from reports written before it existed
    bottlenecks: Bottlenecks | None = None  # absent from reports written before it existed
    plan: PlanSection
    firm_supply: list[FirmSupplyRow] = []  # only with optimiser.firm_supply
    n_minus_1: NMinus1
    shadow_prices: dict[str, ShadowPrice]
    sources: dict[str, str]  # source id -> what it is

    def to_json(self) -> dict[str, Any]:
        """report.json's content (dicts, lists, numbers and strings)."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def binding_links(self) -> set[str]:
        """Links that bind some target in the optimiser."""
        return {lid for t in self.targets for lid in t.optimised.binding}

    def frames(self) -> Frames:
        """Tidy pandas DataFrames of the report's tables (`sim.report.frames`); every target has
        a verdict, a report written before verdicts too (`TargetRow.judged`)."""
        from sim.report.frames import frames

        data = self.to_json()
        data["targets"] = [row | {"verdict": t.judged} for row, t in zip(data["targets"], self.targets)]
        return frames(data)

    def __repr__(self) -> str:
        from sim.report.frames import summary

        return summary("ReportDocument", self.scenario.name, self.run.replications, self.run.seed,
                       [(t.id, t.simulated.mean, t.unit, t.judged) for t in self.targets])

    __str__ = __repr__  # print() too: one line, not every field


def as_document(data: ReportDocument | Mapping[str, Any]) -> ReportDocument:
    """The typed document, from itself or from its JSON form (report.json, `Evaluation.data`)."""
    return data if isinstance(data, ReportDocument) else ReportDocument.model_validate(data)


def version(package: str) -> str | None:
    """The installed version of `package`, None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def target_sources(scenario: Scenario, tid: str) -> list[str]:
    """Source ids of every figure behind a target: its value, its flows, and the links, nodes,
    fleets and weather those flows can use."""
    target = scenario.targets[tid]
    flows = [scenario.flows[f] for f in target.flows]
    nodes: set[str] = set()
    links: set[str] = set()
    for flow in flows:
        routes = [r.path for r in (flow.routes or {}).values()]
        if routes:
            for route in routes:
                nodes.update(route)
                links.update(lid for lid, l in scenario.links.items()
                             if l.carrier == flow.carrier and any(
                                 (l.from_, l.to) == pair for pair in zip(route, route[1:])))
        else:
            links.update(lid for lid, l in scenario.links.items() if l.carrier == flow.carrier)
            nodes.update(n for lid in links for n in (scenario.links[lid].from_, scenario.links[lid].to))
    fleets = {fleet for l in links if (fleet := scenario.links[l].fleet)}
    weather = {w for w, spec in scenario.weather.items() if nodes & set(spec.nodes)}
    wanted: set[tuple[str | int, ...]] = (
        {("targets", tid)} | {("flows", f) for f in target.flows} | {("links", l) for l in links}
        | {("nodes", n) for n in nodes} | {("fleets", f) for f in fleets}
        | {("weather", w) for w in weather} | {("payload",)})
    found: list[str] = []
    for path, fig in figures(scenario):
        if fig.source and (path[:2] in wanted or path[:1] in wanted) and fig.source not in found:
            found.append(fig.source)
    return found


def framing_rows(scenario: Scenario, planned: Scenario,
                 result: SimulationResult) -> dict[str, dict[judge.Framing, FramingRow]]:
    """Every power target judged in each framing (`sim.targets.judge_framings`) on the network
    simulated (`planned`), from each replication's measured framings (one pass over them)."""
    power = {tid: t for tid, t in scenario.targets.items() if t.carrier == "power"}
    if not power:
        return {}
    values: dict[str, dict[judge.Framing, list[float]]] = {tid: {f: [] for f in judge.FRAMINGS} for tid in power}
    for r in result.replications:
        for tid, t in power.items():
            for f, v in judge.framing_values(t, tid, [r]).items():
                values[tid][f] += v
    network = build_network(planned)
    out = {}
    for tid, t in power.items():
        rows = {}
        for j in judge.judge_framings(scenario, network, tid, values[tid], judge.required_probability(scenario, tid)):
            level = j.judgement.threshold
            rows[j.framing] = FramingRow(
                value=j.figure, unit=j.unit, assumed=j.assumed,
                share_of_time=t.share_of_time.value if j.framing != "energy" else None,
                mean=j.judgement.mean, ci95=list(j.ci95), p_met=j.judgement.p_met,
                p_met_ci95=list(j.judgement.p_met_ci95), verdict=j.judgement.verdict,
                met=j.judgement.verdict == "met", n_minus_1=j.n_minus_1,
                n_minus_1_met=None if j.n_minus_1 is None else j.n_minus_1 >= level - judge.EPS,
                utilisation=j.utilisation)
        out[tid] = rows
    return out


def simulated_target(scenario: Scenario, tid: str, result: SimulationResult) -> dict[str, Any]:
    """A target's row as the simulation alone gives it, `TargetRow`'s fields less the optimiser's
    bound, the sources and the framings: the figure, the simulated values and the verdict."""
    t = scenario.targets[tid]
    sim_t = result.target(tid)
    judged = judge.judge(t, sim_t["values"], judge.required_probability(scenario, tid))
    return {"id": tid, "carrier": t.carrier, "unit": judge.unit(t), "target": judge.figure(t), "measure": t.measure,
            "description": t.description,
            "share_of_time": t.share_of_time.value if t.measure in ("firm", "transmission") else None,
            "tolerance": t.tolerance.value, "probability": judged.probability,
            "simulated": {"mean": sim_t["mean"], "ci95": sim_t["ci95"], "p_met": judged.p_met,
                          "p_met_ci95": list(judged.p_met_ci95), "replications": sim_t["values"]},
            "verdict": judged.verdict, "met": judged.verdict == "met"}


def _target_row(scenario: Scenario, tid: str, result: SimulationResult, bounds: Mapping[str, Any],
                plan_applied: bool, framings: Mapping[str, dict[judge.Framing, FramingRow]]) -> TargetRow:
    t = scenario.targets[tid]
    # The bound set beside the simulation is the one for the network simulated.
    if plan_applied:
        bound = bounds.get("max_with_plan", bounds.get("max_deliverable"))
        links = bounds.get("binding_with_plan", bounds.get("binding", []))
        nodes = bounds.get("binding_nodes_with_plan", bounds.get("binding_nodes", []))
    else:
        together = bounds.get("max_together")
        bound = together if together is not None else bounds.get("max_deliverable")
        links, nodes = bounds.get("binding", []), bounds.get("binding_nodes", [])
    alone, together = bounds.get("max_alone"), bounds.get("max_together")
    if t.measure == "energy":  # the optimiser's steady state is a mean power (GW): as energy a year, TWh/yr
        bound, alone, together = (None if b is None else b * TWH_PER_GW for b in (bound, alone, together))
    row = TargetRow(
        **simulated_target(scenario, tid, result),
        optimised=Optimised(max_deliverable=bound, max_existing=alone,
                            max_together=together, binding=links, binding_nodes=nodes,
                            binding_fleets=bounds.get("binding_fleets", [])),
        sources=target_sources(scenario, tid),
    )
    if tid in framings:  # set only for power targets: absent from the JSON of others
        row.framings = framings[tid]
    return row


def _link_rows(planned: Scenario, result: SimulationResult) -> list[LinkRow]:
    measured = result.table_means("links")
    rows = []
    for lid, view in build_network(planned).links.items():
        stats = measured.get(lid, {})
        rows.append(LinkRow.model_validate({
            "id": lid, "carrier": view.carrier, "mode": view.mode, "unit": view.unit, "from": view.source,
            "to": view.target, "nameplate": view.nameplate, "firm": view.firm,
            "utilisation": stats.get("utilisation"), "availability": stats.get("availability", view.availability),
            "availability_analytic": view.availability,
            **{k: v for k, v in stats.items() if k not in ("utilisation", "availability")}}))
    return rows


def _flow_rows(planned: Scenario, result: SimulationResult) -> list[FlowRow]:
    # The simulation's own carrier and unit, when it carried the flow, replace the scenario's.
    return [FlowRow.model_validate({
        "id": fid, "carrier": flow.carrier, "unit": flow.rate.unit, "origin": flow.origin,
        "destination": flow.destination, "demand": flow.rate.value, "region": flow.region, **result.flow(fid)})
        for fid, flow in planned.flows.items()]


MONTH_MEASURES = ("tonnes_in", "tonnes_out", "calls")  # series `month:<port>:<measure>`


def port_months(planned: Scenario, result: SimulationResult) -> list[PortMonthRow]:
    """Twelve rows per port that counts its ship traffic, ports in the order the simulation
    first reports them: each month's figure across the replications that report the port."""
    ports: dict[str, None] = {}
    months: list[dict[str, Any]] = []  # each replication's month series, read in one pass
    for r in result.replications:
        months.append({k: v for k, v in r.series.items() if k.startswith("month:")})
        for key in r.series:
            if key.startswith("month:") and key.endswith(":calls"):
                ports.setdefault(key.split(":")[1], None)
    days = measured_days(planned.simulation.warmup.value, planned.simulation.horizon.value)
    rows = []
    for port in ports:
        stacks = {m: np.array([s[f"month:{port}:{m}"] for s in months
                               if f"month:{port}:{m}" in s], dtype=float) for m in MONTH_MEASURES}
        for i in range(12):
            cells = {}
            for m, stack in stacks.items():
                e = estimate(stack[:, i])
                cells[m] = Interval(mean=e.mean, ci95=[e.lo, e.hi])
            rows.append(PortMonthRow(port=port, month=i + 1, measured_days=days[i], **cells))
    return rows


def measured_days(warmup_h: float, horizon_h: float) -> list[float]:
    """Days of each calendar month (`sim.calendar`: months of 730.5 h) inside [warmup, horizon],
    over every year of the horizon."""
    out = [0.0] * 12
    m = int(warmup_h // calendar.MONTH_H)
    while m * calendar.MONTH_H < horizon_h:
        lo, hi = max(m * calendar.MONTH_H, warmup_h), min((m + 1) * calendar.MONTH_H, horizon_h)
        out[m % 12] += max(hi - lo, 0.0) / calendar.DAY_H
        m += 1
    return out


def _targets_and_plan(scenario: Scenario, planned: Scenario, plan: OptimiseResult, result: SimulationResult,
                      plan_applied: bool) -> tuple[dict[str, Any], list[TargetRow], PlanSection]:
    """The optimiser's result as a dict, every target's row and the plan section: what
    `build_document` and `point_report` both begin with."""
    plan_doc = plan.to_dict()
    bounds = plan_doc.get("targets", {})
    framings = framing_rows(scenario, planned, result)
    targets = [_target_row(scenario, tid, result, bounds.get(tid, {}), plan_applied, framings)
               for tid in scenario.targets]
    return plan_doc, targets, PlanSection.model_validate(plan_doc.get("plan", {}))


def build_document(scenario: Scenario, planned: Scenario, plan: OptimiseResult, result: SimulationResult,
                   meta: Mapping[str, Any], *, plan_applied: bool = False,
                   firm_supply: Sequence[Mapping[str, Any]] = ()) -> ReportDocument:
    """The report of one run: `scenario` as given, `planned` the scenario simulated (with the
    optimiser's plan built when `plan_applied`, else `scenario` itself), and `meta` the scenario
    file's facts (file, sha256, resolved_sha256, overrides, files) and the run's wall time (wall_s)."""
    plan_doc, targets, section = _targets_and_plan(scenario, planned, plan, result, plan_applied)
    bounds = plan_doc.get("targets", {})
    horizon = planned.simulation
    cited = sorted({s for t in targets for s in t.sources})
    built: dict[str, Any] = {"built": section.expansions} if plan_applied else {}
    if firm_supply:  # the firm plans judged by simulation (`sim.planning.check_firm_plans`)
        built["firm_supply"] = [FirmSupplyRow.model_validate(row) for row in firm_supply]
    from sim.report.bottlenecks import bottlenecks

    links = _link_rows(planned, result)
    nodes = [{"id": n, **s} for n, s in result.table_means("nodes").items()]
    fleets = [{"id": f, **s} for f, s in result.table_means("fleets").items()]
    return ReportDocument(
        schema_version=SCHEMA_VERSION, plan_applied=plan_applied, **built,
        scenario=ScenarioInfo(name=scenario.name, description=scenario.description, year=scenario.year,
                              file=meta["file"], sha256=meta["sha256"], resolved_sha256=meta["resolved_sha256"],
                              overrides=meta["overrides"], files=meta["files"]),
        run=RunInfo(seed=result.seed, replications=len(result.replications),
                    horizon_days=horizon.horizon.value / 24, warmup_days=horizon.warmup.value / 24,
                    spinup_days=horizon.spinup.value / 24,
                    precision=result.precision, precision_reached=result.precision_reached,
                    version=version("corridor") or "unknown", simulate_wall_s=result.wall_s,
                    wall_s=meta["wall_s"], solver=plan_doc.get("solver")),
        targets=targets,
        flows=_flow_rows(planned, result),
        links=links,
        nodes=[NodeRow.model_validate(n) for n in nodes],
        fleets=[FleetRow.model_validate(f) for f in fleets],
        bottlenecks=bottlenecks(planned, nodes, fleets, [row.model_dump(by_alias=True) for row in links],
                                bounds, plan_doc.get("shadow_prices", {}), plan_applied),
        passages=[PassageRow.model_validate(p) for p in result.passages()],
        port_months=port_months(planned, result),
        per_replication=per_replication(result),
        plan=section,
        n_minus_1=NMinus1.model_validate(plan_doc.get("n_minus_1", {})),
        shadow_prices={k: ShadowPrice.model_validate(v) for k, v in plan_doc.get("shadow_prices", {}).items()},
        sources={s: sources.describe(s) for s in cited},
    )


def with_gaps(data: Mapping[str, Any], gaps: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """report.json's content with each target's gap (`Gap.model_dump()`, by
    target id) as `targets[].gap`."""
    rows = [dict(t) | ({"gap": Gap.model_validate(gaps[t["id"]]).model_dump()} if t["id"] in gaps else {})
            for t in data["targets"]]
    return dict(data) | {"targets": rows}


def build_report(scenario: Scenario, planned: Scenario, plan: OptimiseResult, result: SimulationResult,
                 meta: Mapping[str, Any], *, plan_applied: bool = False,
                 firm_supply: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The report.json content of one run (`build_document`'s JSON form)."""
    return build_document(scenario, planned, plan, result, meta, plan_applied=plan_applied,
                          firm_supply=firm_supply).to_json()


def point_report(scenario: Scenario, planned: Scenario, plan: OptimiseResult, result: SimulationResult, *,
                 plan_applied: bool = False) -> dict[str, Any]:
    """The part of report.json a sweep point keeps, built by the same rows as `build_report`
    (each key equal to the full report's): `plan_applied`, `built` (when it is), `targets`, `plan`,
    and the run's `seed` and `replications`; none of the tables, bottlenecks and source texts a
    sweep never reads."""
    _, targets, section = _targets_and_plan(scenario, planned, plan, result, plan_applied)
    out: dict[str, Any] = {"plan_applied": plan_applied}
    if plan_applied:
        out["built"] = [e.model_dump(by_alias=True, exclude_unset=True) for e in section.expansions]
    out["targets"] = [t.model_dump(by_alias=True, exclude_unset=True) for t in targets]
    out["plan"] = section.model_dump(by_alias=True, exclude_unset=True)
    out["run"] = {"seed": result.seed, "replications": len(result.replications)}
    return out
