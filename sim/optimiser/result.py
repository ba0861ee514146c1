"""What the optimiser returns: per-target bounds, the plan, N-1, shadow prices and link rows.

`OptimiseResult.to_dict()` is JSON-ready: its `targets[id]` blocks are the report's
`targets[].optimised` and its `plan` block is the report's `plan`. `plan_markdown` renders
`plan.md`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TargetResult:
    """One target's bounds from the LP, in the target's unit.

    max_alone: the most its flows deliver with no other flow running (firm capacities), moving
      as the simulator moves them: each route at most its share of its flow's rate.
    growth: how many times its flows' rates the target could carry, its flows grown together
      at their mix and route shares, every other flow idle; `binding`, `binding_nodes` and
      `binding_fleets` name the capacity rows that stop that growth, and `marginal` what one
      more unit of each (a berth, a vessel, a Mt/yr) adds to the target there.
    max_network: the same on the free network: any split over the allowed links and no cap at
      the flows' rates (the network's max-flow; `min_cut` names its cut where it is one).
    max_nameplate: the same with no availability derating (background traffic still counted).
    max_together: the most it gets while every other target and flow keeps its max-min fair
      share (`together_share` is this target's own fair share of its figure, <= 1).
    max_with_plan: max_together again on the network with the plan's expansions built: the
      bound to set beside a simulation of that network (binding_with_plan and
      binding_nodes_with_plan name what limits the target alone there).
    binding: links that stop the growth (their capacity rows have a positive dual);
      binding_nodes / binding_fleets name limiting nodes (throughput, berths) and fleets
      (vessel-hours).
    """

    id: str
    carrier: str
    unit: str
    value: float
    required: float
    max_alone: float | None = None
    max_network: float | None = None
    growth: float | None = None
    marginal: dict[str, tuple[float, str]] = field(default_factory=dict)
    max_nameplate: float | None = None
    max_together: float | None = None
    together_share: float | None = None
    max_with_plan: float | None = None
    binding: list[str] = field(default_factory=list)
    binding_nodes: list[str] = field(default_factory=list)
    binding_fleets: list[str] = field(default_factory=list)
    min_cut: list[str] | None = None
    binding_with_plan: list[str] = field(default_factory=list)
    marginal_with_plan: dict[str, tuple[float, str]] = field(default_factory=dict)
    binding_nodes_with_plan: list[str] = field(default_factory=list)

    def bottleneck(self, most: int = 3) -> str:
        """The rows that stop the target's growth, in words, with what one more unit adds."""
        return ", ".join(f"{row_words(rid)} (+{_num(v)} {self.unit} a {unit})"
                         for rid, (v, unit) in list(self.marginal.items())[:most])

    def optimised(self) -> dict[str, Any]:
        """The report's `targets[].optimised` block."""
        out = asdict(self)
        for key in ("id", "carrier", "unit", "value", "required"):
            out.pop(key)
        return {"max_deliverable": self.max_alone, "unit": self.unit, "target": self.value} | out


def row_words(rid: str) -> str:
    """A capacity row's id as a reader says it: `berth:alat:ferry` -> `alat ferry berths`."""
    kind, _, rest = rid.partition(":")
    if kind == "berth":
        node, _, berth = rest.partition(":")
        return f"{node} {berth} berths"
    if kind == "fleet":
        return f"fleet {rest}"
    if kind == "node":
        return f"{rest} throughput"
    if kind == "generation":
        return f"generation at {rest}"
    return f"link {rid}"


@dataclass
class PlannedExpansion:
    id: str
    asset: str  # link | node | fleet
    element: str
    kind: str  # continuous | project
    amount: float
    unit: str
    size: float
    cost: float  # MUSD/yr, annualised capex + opex
    description: str | None = None


@dataclass
class Contingency:
    """A target after the worst single link loss on the planned network (alone)."""

    target: str
    link: str | None  # the worst single link to lose
    deliverable: float | None  # what is left after losing it
    share_kept: float | None  # deliverable / the target's figure
    required_share: float
    secure: bool
    shortfall: float = 0.0  # unmet N-1 requirement in the security-constrained plan


@dataclass
class Plan:
    status: str
    feasible: bool = False
    cost: float = 0.0  # MUSD/yr
    expansions: list[PlannedExpansion] = field(default_factory=list)
    shortfalls: dict[str, float] = field(default_factory=dict)  # demand id -> unmet, its unit
    n_minus_1_shortfalls: dict[str, dict[str, Any]] = field(default_factory=dict)

    def amounts(self) -> dict[str, float]:
        return {e.id: e.amount for e in self.expansions}


@dataclass
class LinkRow:
    id: str
    carrier: str
    mode: str
    unit: str
    nameplate: float
    capacity: float  # nameplate less background
    availability: float
    firm: float  # as the LP sees it (a fleet-only link: the whole fleet on this link)
    planned_firm: float  # firm with the plan's expansions
    flow: float  # in the plan, base case
    utilisation: float | None  # the tightest row the link is in: used / available


@dataclass
class OptimiseResult:
    scenario: str
    status: str
    solver: str
    build_s: float = 0.0
    solve_s: float = 0.0
    firm: bool = True
    n_minus_1_share: float = 0.0
    targets: dict[str, TargetResult] = field(default_factory=dict)
    plan: Plan = field(default_factory=lambda: Plan("not solved"))
    n_minus_1: dict[str, Contingency] = field(default_factory=dict)
    shadow_prices: dict[str, float] = field(default_factory=dict)
    shadow_units: dict[str, str] = field(default_factory=dict)
    links: list[LinkRow] = field(default_factory=list)
    lp_size: dict[str, int] = field(default_factory=dict)
    lps_solved: int = 0
    notes: list[str] = field(default_factory=list)
    firm_supply: dict[str, dict[str, Any]] = field(default_factory=dict)  # power target -> `FirmPlan.to_dict`

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `targets[id]` is the report's targets[].optimised, `plan` its plan."""
        return _clean({
            "scenario": self.scenario, "status": self.status, "solver": self.solver,
            "build_s": self.build_s, "solve_s": self.solve_s, "firm": self.firm,
            "targets": {tid: t.optimised() for tid, t in self.targets.items()},
            "plan": self.plan_dict(),
            "n_minus_1": self.n_minus_1_dict(),
            "shadow_prices": {k: {"value": v, "unit": self.shadow_units.get(k, "")}
                              for k, v in self.shadow_prices.items()},
            "links": [asdict(r) for r in self.links],
            "lp_size": self.lp_size, "lps_solved": self.lps_solved, "notes": self.notes,
            "firm_supply": self.firm_supply,
        })

    def plan_dict(self) -> dict[str, Any]:
        """The report's `plan` block."""
        p = self.plan
        return _clean({
            "status": p.status, "feasible": p.feasible, "cost": p.cost, "cost_unit": "MUSD/yr",
            "expansions": [asdict(e) for e in p.expansions],
            "shortfalls": p.shortfalls,
            "n_minus_1": self.n_minus_1_dict(),
        })

    def n_minus_1_dict(self) -> dict[str, Any]:
        """Per target the worst single link loss (on the planned network) and the share kept."""
        return _clean({
            "required_share": self.n_minus_1_share,
            "secure": all(c.secure for c in self.n_minus_1.values()) if self.n_minus_1 else None,
            "targets": {tid: asdict(c) for tid, c in self.n_minus_1.items()},
            "shortfalls": self.plan.n_minus_1_shortfalls,
        })


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become None, floats are rounded to 9 significant digits."""
    if isinstance(obj, float):
        return None if not math.isfinite(obj) else float(f"{obj:.9g}")
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _num(v: float | None, digits: int = 4) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def plan_markdown(r: OptimiseResult) -> str:
    """`plan.md`: the plan, its cost, shortfalls, N-1 and the binding links, as tables."""
    p = r.plan
    verdict = "meets every target" if p.feasible else "falls short (see shortfalls)"
    lines = [f"# Expansion plan: {r.scenario}", "",
             f"Solver {r.solver}, status {p.status}; the plan {verdict}. "
             f"Annualised cost {_num(p.cost, 6)} MUSD/yr. Capacities are "
             f"{'firm (nameplate x availability)' if r.firm else 'nameplate'}.", "",
             "## Expansions", ""]
    if p.expansions:
        lines += ["| expansion | asset | amount | cost (MUSD/yr) | description |", "|---|---|---|---|---|"]
        lines += [f"| {e.id} | {e.asset} {e.element} | {_num(e.amount)} {e.unit} | {_num(e.cost)} | "
                  f"{e.description or ''} |" for e in p.expansions]
    else:
        lines.append("None needed.")
    lines += ["", "## Targets", "",
              "Max alone and together: what the flows deliver as the simulator routes them (each route "
              "its share, at most the flows' rates). Headroom: how many times their rates the flows "
              "could grow at their mix before a capacity binds; binding: those capacities, with what "
              "one more unit of each adds. Network max: any split over the links, no demand cap.", "",
              "| target | figure | max alone | max together | with plan | headroom | binding | network max "
              "| shortfall |",
              "|---|---|---|---|---|---|---|---|---|"]
    for t in r.targets.values():
        lines.append(f"| {t.id} | {_num(t.value)} {t.unit} | {_num(t.max_alone)} | "
                     f"{_num(t.max_together)} | {_num(t.max_with_plan)} | "
                     f"{'-' if t.growth is None else f'x{_num(t.growth)}'} | {t.bottleneck() or '-'} | "
                     f"{_num(t.max_network)} | {_num(p.shortfalls.get(t.id, 0.0))} |")
    if r.n_minus_1:
        lines += ["", f"## N-1 (required share {_num(r.n_minus_1_share)})", "",
                  "| target | worst link loss | left | share kept | plan short after a loss | secure |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {c.target} | {c.link or '-'} | {_num(c.deliverable)} | {_num(c.share_kept)} | "
                  f"{_num(c.shortfall)} | {'yes' if c.secure else 'no'} |" for c in r.n_minus_1.values()]
    if r.shadow_prices:
        lines += ["", "## Shadow prices (value of one more unit of capacity)", "",
                  "| element | MUSD/yr per unit | unit |", "|---|---|---|"]
        lines += [f"| {k} | {_num(v)} | {r.shadow_units.get(k, '')} |"
                  for k, v in sorted(r.shadow_prices.items(), key=lambda kv: -kv[1])]
    if r.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in r.notes]
    return "\n".join(lines) + "\n"
