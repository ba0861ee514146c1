"""Where an observation is judged: the model's value per replication, and the score.

The model simulates one year (`simulation.horizon`) and measures it after `simulation.warmup`;
its rates are annualised over that measured span. A calendar-year window takes the annualised
figure as the year; a window of months takes that share of it (Jan-Oct is 10/12): a pro-rata
estimate, said so in each item's `basis`.

An item passes when |model mean - observed| <= tolerance x observed (for a range: the mean
within the range widened by the tolerance, or the 95% CI overlapping the range). It is
covered when the 95% CI holds the observed value (overlaps the range). An item the model does
not measure is `not measured`, with the reason: never skipped, never a pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from collections.abc import Sequence
from typing import Any

from sim.backtest.observations import MASS_UNITS, Item
from sim.replications import Replication, estimate
from sim.scenario.schema import Scenario

HOURS_PER_YEAR = 8760.0

SCORED, NOT_MEASURED, NOT_SCORED = "scored", "not measured", "not scored"


class NotMeasured(Exception):
    """The model has no measurement for this item (the reason)."""


@dataclass
class Score:
    """One item's comparison: observed against the model across replications."""

    item: Item
    status: str  # scored | not measured | not scored
    reason: str = ""
    basis: str = ""  # how the model's figure was obtained (pro-rata, annualised, ...)
    values: list[float] = field(default_factory=list)
    mean: float = math.nan
    lo: float = math.nan
    hi: float = math.nan
    rel_error: float = math.nan
    covered: bool = False
    passed: bool = False

    @property
    def missed(self) -> bool:
        return self.status == SCORED and not self.passed

    def to_dict(self) -> dict[str, Any]:
        it = self.item
        return {"ref": it.ref, "row": it.row, "item": it.id, "measure": it.measure, "where": list(it.where),
                "window": str(it.window) if it.window else None, "unit": it.unit,
                "observed": {"value": it.value} if it.range is None else {"range": list(it.range)},
                "tolerance": it.tolerance, "source": it.source, "note": it.note, "status": self.status,
                "reason": self.reason, "basis": self.basis,
                "model": None if self.status != SCORED else {
                    "mean": self.mean, "ci95": [self.lo, self.hi], "replications": self.values},
                "rel_error": None if self.status != SCORED else self.rel_error,
                "covered": self.covered if self.status == SCORED else None,
                "pass": self.passed if self.status == SCORED else None}


def judge(item: Item, values: list[float], basis: str = "") -> Score:
    """Score an item on the model's per-replication values (already in the item's unit)."""
    est = estimate(values)
    lo_obs, hi_obs = item.low, item.high
    if est.mean < lo_obs:
        error = (est.mean - lo_obs) / lo_obs
    elif est.mean > hi_obs:
        error = (est.mean - hi_obs) / hi_obs
    else:
        error = 0.0
    covered = est.lo <= hi_obs and est.hi >= lo_obs
    within = lo_obs * (1 - item.tolerance) <= est.mean <= hi_obs * (1 + item.tolerance)
    passed = within or (item.range is not None and covered)
    if item.range is None:
        error = (est.mean - lo_obs) / lo_obs
    return Score(item, SCORED, basis=basis, values=list(values), mean=est.mean, lo=est.lo, hi=est.hi,
                 rel_error=error, covered=covered, passed=passed)


def score(item: Item, scenario: Scenario, replications: Sequence[Replication]) -> Score:
    """Measure the item in every replication and judge it; `not measured` with the reason when
    the model cannot."""
    if not item.scored:
        return Score(item, NOT_SCORED, reason=item.note)
    try:
        values, basis = measure(item, scenario, replications)
    except NotMeasured as exc:
        return Score(item, NOT_MEASURED, reason=str(exc))
    return judge(item, values, basis)


def measure(item: Item, scenario: Scenario, replications: Sequence[Replication]) -> tuple[list[float], str]:
    """The model's value of an item in each replication, in the item's unit, and how it was got."""
    assert item.window is not None  # internal: scored items have a window
    sim = scenario.simulation
    span_h = sim.horizon.value - sim.warmup.value
    if span_h <= 0:
        raise NotMeasured("the scenario measures no time (horizon <= warm-up)")
    share = item.window.share
    days = span_h / 24
    if item.window.whole_year:
        basis = f"the measured {days:.0f} days (after a {sim.warmup.value / 24:.0f}-day warm-up), annualised"
    else:
        basis = (f"pro-rata estimate: {share * 12:.0f}/12 of the rate annualised over the measured "
                 f"{days:.0f} days; the model does not resolve months")
    fn = _MEASURES[item.measure]
    if item.measure in _MONTHLY and not item.window.whole_year and _months_measured(scenario):
        months = [_port_months(item, scenario, rep, span_h) for rep in replications]
        values = [v for v, _ in months]
        if all(whole for _, whole in months):
            basis = f"the model's months {item.window.first}-{item.window.last} of the measured year"
        else:
            basis = (f"months {item.window.first}-{item.window.last} where the port counts them by month, "
                     f"else {share * 12:.0f}/12 of the annualised rate")
        return values, basis
    values = [fn(item, scenario, rep, span_h) * (share if item.measure != "transit_days" else 1.0)
              for rep in replications]
    if item.measure == "transit_days":
        basis = f"{item.statistic} transit days of the delivered consignments in the measured {days:.0f} days"
    return values, basis


_MONTHLY = {"port_throughput": ("tonnes_in", "tonnes_out"), "port_calls": ("calls",),
            "port_wagons": ("wagons_in", "wagons_out"), "port_teu": ("teu_in", "teu_out"),
            "port_trucks": ("trucks_in", "trucks_out")}


def _months_measured(s: Scenario) -> bool:
    """Whether the run measures whole calendar months: no warm-up inside the year, and a year."""
    return s.simulation.warmup.value == 0 and s.simulation.horizon.value >= 365 * 24


def _port_months(item: Item, s: Scenario, rep: Replication, span_h: float) -> tuple[float, bool]:
    """An item over its months: each port's monthly counts (`month:<port>:<key>` series) where the
    model keeps them, else its annualised figure times the window's share; and whether every
    port had its months."""
    assert item.window is not None
    w = item.window
    keys = _MONTHLY[item.measure]
    total, whole = 0.0, True
    for n in item.where:
        series = [x for k in keys if (x := rep.series.get(f"month:{n}:{k}")) is not None]
        if series:  # a direction the port does not count by month moved none of it
            count = sum(float(sum(x[w.first - 1:w.last])) for x in series)
            total += _to_unit(count / 1e6, item.unit) if item.measure == "port_throughput" else count
        else:
            whole = False
            total += _MEASURES[item.measure](replace(item, where=(n,)), s, rep, span_h) * w.share
    return total, whole


def _to_unit(mt: float, unit: str) -> float:
    return mt / MASS_UNITS[unit]


def _annual(x: float, span_h: float) -> float:
    return x * HOURS_PER_YEAR / span_h


def _flow_delivered(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
    missing = [f for f in item.where if f not in rep.flows]
    if missing:
        raise NotMeasured(f"no record of flow {', '.join(missing)} in the simulation")
    return _to_unit(sum(rep.flows[f].delivered for f in item.where), item.unit)


def _flow_trains(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
    total = 0.0
    for f in item.where:
        if s.flows[f].consignment != "train" or f not in rep.flows:
            raise NotMeasured(f"flow {f} does not move in trains (consignment: {s.flows[f].consignment})")
        total += rep.flows[f].extra.get("consignments_delivered", 0.0)
    return _annual(total, span_h)


def _transit_days(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
    vals = []
    for f in item.where:
        rec = rep.flows.get(f)
        if rec is None or item.statistic not in rec.transit_days:
            raise NotMeasured(f"no transit times recorded for flow {f}")
        vals.append(rec.transit_days[item.statistic])
    return sum(vals) / len(vals)


def _port_throughput(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
    """Tonnes handled at the nodes, each tonne once: the larger of what came in and what went out
    over the node's cargo and oil links (a transit tonne enters by rail and leaves by sea)."""
    total_mt = 0.0
    for n in item.where:
        own = rep.nodes.get(n, {})
        if "tonnes" in own:  # a port that counts its own tonnes (both directions)
            total_mt += _annual(own["tonnes"], span_h) / 1e6
            continue
        flows = {"in": 0.0, "out": 0.0}
        for lid, link in s.links.items():
            side = "in" if link.to == n else "out" if link.from_ == n else None
            if side is None or link.carrier not in ("cargo", "oil"):
                continue
            stats = rep.links.get(lid, {})
            if link.carrier == "cargo":
                flows[side] += _annual(stats.get("tonnes", 0.0), span_h) / 1e6
            else:
                flows[side] += _oil_mt(lid, s, stats)
        total_mt += max(flows.values())
    return _to_unit(total_mt, item.unit)


def _oil_mt(lid: str, s: Scenario, stats: dict[str, float]) -> float:
    """A liquids link's annual Mt: what it carried, or its utilisation of its capacity."""
    if "carried_mt" in stats:
        return stats["carried_mt"]
    cap = s.links[lid].capacity
    if cap is None or "utilisation" not in stats:
        raise NotMeasured(f"link {lid} records neither what it carried nor its utilisation")
    return stats["utilisation"] * cap.value


def _pipeline_flow(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
    total = 0.0
    for lid in item.where:
        stats = rep.links.get(lid)
        if stats is None:
            raise NotMeasured(f"no record of link {lid} in the simulation")
        with_bg = stats.get("utilisation_with_background")
        cap = s.links[lid].capacity
        if with_bg is not None and cap is not None:
            total += with_bg * cap.value  # everything in the pipe, the background crude included
        else:
            total += _oil_mt(lid, s, stats)
    return _to_unit(total, item.unit)


def _port_calls(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
    """Vessel calls: the port's own count when it keeps one, else the measured voyages of the
    ferry links that call there (one call at each end of a voyage)."""
    total = 0.0
    for n in item.where:
        own = rep.nodes.get(n, {})
        if "calls" in own:
            total += own["calls"]
            continue
        ferry = [lid for lid, link in s.links.items()
                 if n in (link.from_, link.to) and "voyages" in rep.links.get(lid, {})]
        if not ferry:
            raise NotMeasured(f"the model counts voyages per ferry link only, and no ferry link calls at {n}; "
                              "tanker and other vessel calls are not counted per port")
        total += sum(rep.links[lid]["voyages"] for lid in ferry)
    return _annual(total, span_h)


def _port_units(key: str, why: str) -> Any:
    def fn(item: Item, s: Scenario, rep: Replication, span_h: float) -> float:
        total = 0.0
        for n in item.where:
            own = rep.nodes.get(n, {})
            if key not in own:
                raise NotMeasured(why)
            total += own[key]
        return _annual(total, span_h)

    return fn


_MEASURES: dict[str, Any] = {
    "flow_delivered": _flow_delivered,
    "flow_trains": _flow_trains,
    "transit_days": _transit_days,
    "port_throughput": _port_throughput,
    "port_calls": _port_calls,
    "pipeline_flow": _pipeline_flow,
    "port_wagons": _port_units("wagons", "no flow with wagons in its mix is loaded or unloaded "
                                         "at the port in the model"),
    "port_teu": _port_units("teu", "no flow with TEU in its mix is loaded or unloaded at the port "
                                   "in the model"),
    "port_trucks": _port_units("trucks", "the model has no trucks at the port: no flow with trucks "
                                         "in its mix is loaded or unloaded there (no Ro-Ro traffic)"),
}
