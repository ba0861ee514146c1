"""Security-constrained planning (N-1) by constraint generation, as grid planners do it.

The full formulation (`formulation.plan_model` given every contingency) holds, per lost link,
a copy of every flow of the targets of that link's carrier group. Two facts give the same
answer from far fewer rows:

1. Blocks. The targets' flows fall into independent blocks: two flows share a block when one
   target or one capacity row holds both. A link's loss changes only the blocks that hold a
   row the link is in ("touched"); in every other block its copy is the same intact copy (no
   loss, routes free to re-route). So a contingency's copy holds its touched blocks only, and
   the w identical intact copies of a block (one per contingency that leaves it intact) are
   one copy with costs x w: the same optimum and shortfalls, and row duals w times one copy's,
   so their sum over copies, which the shadow prices read, is unchanged.
2. Generation. Most contingencies bind nowhere. The plan is solved with none; every
   contingency is then tested against the plan's capacities, each touched block alone: one
   highspy model per block (the block's intact copy, least unmet), whose row bounds follow the
   plan and whose lost link's columns are fixed at zero for the test, warm-started from the
   previous basis; a test is skipped when a feasible flow already found in the block avoids
   the link. The violated contingencies' copies are added and the plan solved again, until
   none is violated: the plan is then feasible for every contingency, and optimal.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.optimiser.formulation import (PlanModel, add_contingency, add_flows, at_least, contingency_links, name,
                                       plan_amounts, plan_model)
from sim.optimiser.lp import INF, LinearProgram, Solution
from sim.optimiser.model import Corridor, Demand

VIOLATION = 1e-7  # unmet share of a target's figure (at least 1 unit) that makes a contingency violated
MAX_ROUNDS = 50  # then every contingency left is added (the full formulation)
_ZERO = 1e-12
_KEPT_FLOWS = 16  # feasible flows kept per block to skip tests


@dataclass
class Security:
    """The N-1 structure: contingencies, the blocks of the targets' flows and which each touches."""

    links: list[str]  # contingencies whose carrier group has a target to keep, in model order
    targets: dict[str, list[Demand]]  # link -> the targets kept at the share when it is lost
    block: dict[str, int]  # flow -> block
    members: dict[int, list[Demand]]  # block -> its targets
    touched: dict[str, list[int]]  # link -> blocks its loss changes
    weight: dict[int, int]  # block -> contingencies that leave it intact

    def flows(self, blocks: Iterable[int]) -> list[str]:
        return [f for b in blocks for d in self.members[b] for f in d.flows]


def security(m: Corridor, links: Iterable[str]) -> Security:
    """Blocks of the kept targets' flows (joined by a target or a shared capacity row) and, per
    contingency link, the blocks it touches (those holding a row the link is in)."""
    by_group: dict[str, list[Demand]] = defaultdict(list)
    for d in m.targets():
        if d.required > 0:
            by_group[m.group[d.carrier]].append(d)
    links = [a for a in links if by_group.get(m.group[m.arcs[a].carrier])]
    kept = [d for ds in by_group.values() for d in ds]
    block = m.flow_blocks((f for d in kept for f in d.flows), kept)
    members: dict[int, list[Demand]] = defaultdict(list)
    for d in kept:
        members[block[d.flows[0]]].append(d)
    rows_by_arc = m.rows_by_arc()
    targets: dict[str, list[Demand]] = {}
    touched: dict[str, list[int]] = {}
    weight: dict[int, int] = defaultdict(int)
    for a in links:
        targets[a] = by_group[m.group[m.arcs[a].carrier]]
        near = {a} | {x for r in rows_by_arc.get(a, []) for x in r.arcs()}
        hit = {block[f] for x in near for c in m.users.get(x, ()) if (f := m.commodities[c].flow) in block}
        group_blocks = list(dict.fromkeys(block[f] for d in targets[a] for f in d.flows))
        touched[a] = [b for b in group_blocks if b in hit]
        for b in group_blocks:
            if b not in hit:
                weight[b] += 1
    return Security(links, targets, block, dict(members), touched, dict(weight))


def master(m: Corridor, sec: Security, share: float, links: Iterable[str], blocks: Iterable[int]) -> PlanModel:
    """The plan with the copies of contingencies `links` (their touched blocks) and the intact
    copies of `blocks`, each at its weight; N-1 slacks listed as the full formulation lists them."""
    pm = plan_model(m)
    chosen, intact = set(links), set(blocks)
    own: dict[tuple[str, str], int] = {}
    for a in sec.links:
        if a in chosen and sec.touched[a]:
            targets = [d for b in sec.touched[a] for d in sec.members[b]]
            pm.contingencies[a], cols = add_contingency(pm, m, targets, share, name("n1", a), without=a)
            own.update(((a, did), col) for did, col in cols.items())
    shared: dict[tuple[int, str], int] = {}
    for b in sorted(intact):
        pm.intact[b], cols = add_contingency(pm, m, sec.members[b], share, f"n1_intact{b}", weight=sec.weight[b])
        shared.update(((b, did), col) for did, col in cols.items())
    for a in sec.links:
        for d in sec.targets[a]:
            slack = own.get((a, d.id), shared.get((sec.block[d.flows[0]], d.id)))
            if slack is not None:
                pm.n1_unmet[a, d.id] = slack
    return pm


class BlockTest:
    """One block's intact contingency copy as a highspy model: least unmet at the plan's
    capacities, with a lost link's columns fixed at zero for its test."""

    def __init__(self, m: Corridor, sec: Security, b: int, share: float):
        self.m = m
        lp = LinearProgram(f"n1_test{b}")
        self.copy = add_flows(lp, m, sec.flows([b]), reroute=True)
        self.unmet: list[tuple[int, float]] = []
        for d in sec.members[b]:
            col = lp.add_col(name("unmet", d.id), cost=1.0)
            at_least(lp, self.copy, d, share * d.required, [(col, 1.0)])
            self.unmet.append((col, VIOLATION * max(1.0, d.required)))
        by_id = {r.id: r for r in m.resources}
        self.rows = [(row, by_id[rid]) for rid, row in self.copy.rows.items()]
        self.row_index = np.array([row for row, _ in self.rows], dtype=np.int32)
        self.lb, self.ub = lp.lb, lp.ub
        self.h = lp.to_highs()
        self.caps: np.ndarray | None = None
        self.feasible: list[np.ndarray] = []  # flows found that meet every target of the block
        self.known: dict[str | None, bool] = {}  # verdicts at the current capacities
        self.solved = 0

    def follow(self, amounts: dict[str, float]) -> None:
        """Set the rows' bounds to the plan's capacities (forgetting verdicts if they moved)."""
        caps = np.array([self.m.capacity_of(r, amounts) for _, r in self.rows], dtype=float)
        if self.caps is not None and np.array_equal(caps, self.caps):
            return
        self.caps = caps
        self.h.changeRowsBounds(len(caps), self.row_index, np.full(len(caps), -INF), caps)
        self.feasible.clear()
        self.known.clear()

    def columns(self, link: str) -> list[int]:
        cols = [col for (_, a), col in self.copy.x.items() if a == link]
        y = self.copy.voyages.get(("y", link))
        return cols + ([y] if y is not None else [])

    def violated(self, link: str | None) -> bool:
        """Whether the block misses a target at the share with `link` lost (None: no loss)."""
        if link in self.known:
            return self.known[link]
        cols = self.columns(link) if link is not None else []
        if any(all(x[c] <= _ZERO for c in cols) for x in self.feasible):
            verdict = False
        else:
            verdict = self._solve(np.array(cols, dtype=np.int32))
        self.known[link] = verdict
        return verdict

    def _solve(self, cols: np.ndarray) -> bool:
        import highspy

        n = len(cols)
        if n:
            self.h.changeColsBounds(n, cols, np.zeros(n), np.zeros(n))
        self.h.run()
        self.solved += 1
        ok = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = np.asarray(self.h.getSolution().col_value) if ok else None
        if n:
            self.h.changeColsBounds(n, cols, np.array([self.lb[c] for c in cols]),
                                    np.array([self.ub[c] for c in cols]))
        if x is None:
            return True
        verdict = any(x[col] > tol for col, tol in self.unmet)
        if not verdict and len(self.feasible) < _KEPT_FLOWS:
            self.feasible.append(x)
        return verdict


def plan(m: Corridor, share: float, run: Callable[[Callable[[], PlanModel]], tuple[PlanModel, Solution]],
         tests_done: Callable[[int, float], None] | None = None) -> tuple[PlanModel, Solution]:
    """The security-constrained plan by constraint generation (see the module's text).

    `run` builds and solves a plan model (the optimiser's `Runner.run`); `tests_done` is told
    how many test LPs were solved and in how many seconds."""
    sec = security(m, contingency_links(m))
    tests: dict[int, BlockTest] = {}
    links: list[str] = []
    blocks: list[int] = []
    pm, sol = run(partial(master, m, sec, share, links, blocks))
    for _ in range(MAX_ROUNDS):
        if not sol.ok:
            return pm, sol
        t0 = time.perf_counter()
        amounts = plan_amounts(m, pm, sol.x)
        for b in sorted(set(sec.block.values())):
            if b not in tests:
                tests[b] = BlockTest(m, sec, b, share)
            tests[b].follow(amounts)
        added = [b for b, w in sorted(sec.weight.items()) if w and b not in blocks and tests[b].violated(None)]
        chosen = set(links)
        new = [a for a in sec.links if a not in chosen and any(tests[b].violated(a) for b in sec.touched[a])]
        if tests_done is not None:
            tests_done(sum(t.solved for t in tests.values()), time.perf_counter() - t0)
            for t in tests.values():
                t.solved = 0
        if not added and not new:
            return pm, sol
        blocks += added
        links += new
        pm, sol = run(partial(master, m, sec, share, list(links), list(blocks)))
    rest = [a for a in sec.links if a not in set(links)]
    blocks += [b for b, w in sec.weight.items() if w and b not in blocks]
    return run(partial(master, m, sec, share, links + rest, blocks))


__all__ = ["BlockTest", "Security", "master", "plan", "security"]
