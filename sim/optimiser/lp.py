"""A linear programme held as rows of column indices and coefficients, handed to PuLP in bulk.

The formulation appends columns and rows here (cheap Python lists); `to_pulp` turns each row
into one `LpConstraint` built from a ready list of terms rather than by operator overloading
term by term, and `solve` runs it through PuLP with HiGHS (highspy) or PuLP's bundled CBC.
`to_highs` passes the same matrix straight to highspy; the benchmark compares the two routes.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import numpy as np
import pulp

from sim.errors import CorridorError
from sim.scenario.schema import Solver

INF = math.inf
_INDEX = operator.attrgetter("index")
SOLVERS: tuple[Solver, ...] = get_args(Solver)
_STATUS = {1: "optimal", 0: "not solved", -1: "infeasible", -2: "unbounded", -3: "undefined"}


@dataclass
class Solution:
    """What a solve returns: a status (never an exception), values, row duals and timings."""

    status: str
    objective: float = math.nan
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    duals: np.ndarray = field(default_factory=lambda: np.zeros(0))
    build_s: float = 0.0
    solve_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "optimal"


class LinearProgram:
    """Columns and rows of a minimisation, in a form both PuLP and highspy can take."""

    def __init__(self, name: str = "corridor"):
        self.name = name
        self.col_names: list[str] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.cost: list[float] = []
        self.integer: list[bool] = []
        self.row_names: list[str] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []
        self.row_cols: list[list[int]] = []
        self.row_coefs: list[list[float]] = []
        self._row_index: dict[str, int] = {}
        self._col_names: set[str] = set()

    @property
    def n_cols(self) -> int:
        return len(self.col_names)

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    @property
    def is_mip(self) -> bool:
        return any(self.integer)

    def add_col(self, name: str, lb: float = 0.0, ub: float = INF, cost: float = 0.0,
                integer: bool = False) -> int:
        if name in self._col_names:  # ids that differ only in characters LP names cannot hold
            name = f"{name}_{len(self.col_names)}"
        self._col_names.add(name)
        self.col_names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.col_names) - 1

    def add_row(self, name: str, cols: list[int], coefs: list[float], lo: float = -INF,
                hi: float = INF) -> int:
        """Add lo <= sum(coefs x cols) <= hi (one side, or equality when lo == hi)."""
        if len(set(cols)) != len(cols):
            merged: dict[int, float] = {}
            for c, v in zip(cols, coefs):
                merged[c] = merged.get(c, 0.0) + v
            cols, coefs = list(merged), list(merged.values())
        if name in self._row_index:
            name = f"{name}_{len(self.row_names)}"
        self._row_index[name] = len(self.row_names)
        self.row_names.append(name)
        self.row_cols.append(cols)
        self.row_coefs.append(coefs)
        self.row_lo.append(lo)
        self.row_hi.append(hi)
        return len(self.row_names) - 1

    def fix(self, values: dict[int, float]) -> None:
        """Fix columns at values and make them continuous (to read LP duals after a MILP)."""
        for c, v in values.items():
            self.lb[c] = self.ub[c] = v
            self.integer[c] = False

    # --- PuLP -----------------------------------------------------------------------------------

    def to_pulp(self) -> tuple[pulp.LpProblem, list[pulp.LpVariable], list[pulp.LpConstraint]]:
        """The PuLP model: one variable per column, one constraint per row, built in bulk."""
        prob = pulp.LpProblem(self.name, pulp.LpMinimize)
        xs = []
        for name, lb, ub, integer in zip(self.col_names, self.lb, self.ub, self.integer):
            cat = pulp.LpContinuous
            if integer:
                cat = pulp.LpBinary if (lb, ub) == (0.0, 1.0) else pulp.LpInteger
            xs.append(prob.add_variable(name, None if lb == -INF else lb,
                                        None if ub == INF else ub, cat))
        prob.setObjective(pulp.LpAffineExpression([(xs[c], v) for c, v in enumerate(self.cost) if v]))
        cons = []
        le, ge, eq = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
        for cols, coefs, lo, hi in zip(self.row_cols, self.row_coefs, self.row_lo, self.row_hi):
            expr = pulp.LpAffineExpression([(xs[c], v) for c, v in zip(cols, coefs)])
            if lo == hi:
                cons.append(pulp.LpConstraint(expr, eq, None, lo))
            elif hi != INF:
                cons.append(pulp.LpConstraint(expr, le, None, hi))
            else:
                cons.append(pulp.LpConstraint(expr, ge, None, lo))
        prob.extend(dict(zip(self.row_names, cons)))  # names are unique and LP-safe already
        return prob, xs, cons

    def write_lp(self, path: Path) -> None:
        """Write the model in LP format (PuLP's writeLP) without solving it."""
        prob, _, _ = self.to_pulp()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            prob.writeLP(str(path))
        except (pulp.PulpError, OSError) as exc:
            raise CorridorError(f"--save-lp {path}: {exc}") from None

    def solve(self, solver: str) -> Solution:
        """Solve through PuLP; solver errors come back as a status, not an exception."""
        t0 = time.perf_counter()
        prob, xs, cons = self.to_pulp()
        t1 = time.perf_counter()
        try:
            code = prob.solve(pulp_solver(solver, self.is_mip))
        except (pulp.PulpError, OSError) as exc:
            return Solution(f"error: {exc}", build_s=t1 - t0, solve_s=time.perf_counter() - t1)
        t2 = time.perf_counter()
        status = _STATUS.get(code, "undefined")
        x = np.array([v.varValue if v.varValue is not None else 0.0 for v in xs])
        duals = np.array([c.pi if c.pi is not None else 0.0 for c in cons])
        objective = float(np.dot(self.cost, x)) if status == "optimal" else math.nan
        return Solution(status, objective, x, duals, t1 - t0, t2 - t1)

    # --- highspy directly (the benchmark's reference route) -------------------------------------

    def to_highs(self, *, pulp_order: bool = False):  # -> highspy.Highs
        """The same model passed to highspy as CSR matrices, bypassing PuLP.

        `pulp_order` puts the columns in the order PuLP hands them over (sorted by name), so a
        MILP's branch and bound takes the same path by both routes and only the modelling
        overhead differs.
        """
        import highspy

        quiet_highs()
        order = np.arange(self.n_cols)
        if pulp_order:
            order = np.array(sorted(range(self.n_cols), key=self.col_names.__getitem__), dtype=np.int64)
        position = np.empty(self.n_cols, dtype=np.int32)
        position[order] = np.arange(self.n_cols, dtype=np.int32)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        lp.col_cost_ = np.asarray(self.cost, dtype=float)[order]
        lp.col_lower_ = np.asarray(self.lb, dtype=float)[order]
        lp.col_upper_ = np.asarray(self.ub, dtype=float)[order]
        lp.row_lower_ = np.asarray(self.row_lo, dtype=float)
        lp.row_upper_ = np.asarray(self.row_hi, dtype=float)
        lengths = np.fromiter((len(c) for c in self.row_cols), dtype=np.int64, count=self.n_rows)
        start = np.zeros(self.n_rows + 1, dtype=np.int32)
        np.cumsum(lengths, out=start[1:])
        nnz = int(start[-1])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = position[np.fromiter((c for row in self.row_cols for c in row), np.int64, nnz)]
        lp.a_matrix_.value_ = np.fromiter((v for row in self.row_coefs for v in row), float, nnz)
        if self.is_mip:
            kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
            lp.integrality_ = [kinds[self.integer[c]] for c in order]
            h.setOptionValue("mip_rel_gap", MIP_GAP_REL)
            h.setOptionValue("mip_abs_gap", MIP_GAP_ABS)
        h.passModel(lp)
        return h


@functools.cache
def quiet_highs() -> None:
    """Make this process's first HiGHS instance with stdout pointed at /dev/null.

    HiGHS prints its banner to the C-level stdout once per process, when the first solver is
    made, whatever `output_flag` says; that would corrupt `--format json` output.
    """
    import ctypes

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
            ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


# Branch and bound stops within this much (MUSD/yr) of the best plan. The default relative gap
# (1e-4) would be measured against an objective full of unmet penalties and could leave a plan
# hundreds of MUSD/yr dearer than the best.
MIP_GAP_ABS = 1e-4
MIP_GAP_REL = 1e-9


def check_solver(name: str, option: str = "solver") -> Solver:
    """`name` if it is a solver this package runs, else a CorridorError naming `option`."""
    for solver in SOLVERS:
        if name == solver:
            return solver
    raise CorridorError(f"{option}: expected one of {', '.join(SOLVERS)}, got {name!r}")


def pulp_solver(name: str, mip: bool = True) -> pulp.LpSolver:
    """PuLP's HiGHS (through highspy, model passed in bulk) or its bundled CBC, quiet."""
    gaps = {"gapRel": MIP_GAP_REL, "gapAbs": MIP_GAP_ABS}
    if check_solver(name) == "highs":
        quiet_highs()
        return BulkHiGHS(msg=False, mip=mip, **gaps)
    with warnings.catch_warnings():  # PuLP 3 flags its bundled CBC for removal in PuLP 4
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, mip=mip, **gaps)


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface, handing the columns and rows to highspy in one call each.

    PuLP's own `buildSolverModel` calls highspy once per column and once per row, and its
    solve collects and sorts the problem's variables three times; on the N-1 plan that cost
    more than HiGHS's solve. Here the variables are collected once and the values, reduced
    costs, row duals and slacks are written back onto PuLP's objects as PuLP does.
    """

    def actualSolve(self, lp: pulp.LpProblem) -> int:
        self.createAndConfigureSolver(lp)
        variables = lp.variables()
        self.buildSolverModel(lp, variables)
        self.callSolver(lp)
        status, sol_status = self._read_back(lp, variables)
        lp.assignStatus(status, sol_status)
        return status

    @staticmethod
    def _read_back(lp: pulp.LpProblem, variables: list[pulp.LpVariable]) -> tuple[int, int]:
        import highspy

        ms = highspy.HighsModelStatus
        solution = lp.solverModel.getSolution()
        for v, value, dj in zip(variables, solution.col_value, solution.col_dual):
            v.varValue, v.dj = value, dj
            v.modified = False
        for con, value, pi in zip(lp.constraints(), solution.row_value, solution.row_dual):
            con.slack = -(con.constant + value) if con.sense == pulp.LpConstraintLE else con.constant + value
            con.pi = pi
            con.modified = False
        model_status = lp.solverModel.getModelStatus()
        if model_status == ms.kOptimal:
            return pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible
        if model_status == ms.kUnbounded:
            return pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded
        return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound  # limits, errors

    def buildSolverModel(self, lp: pulp.LpProblem,
                         variables: list[pulp.LpVariable] | None = None) -> None:
        import highspy

        inf = highspy.kHighsInf
        variables = lp.variables() if variables is None else variables
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective or {}
        for i, v in enumerate(variables):
            v.index = i
        n = len(variables)
        cost = np.fromiter((sign * objective.get(v, 0.0) for v in variables), float, n)
        lower = np.fromiter((-inf if v.lowBound is None else v.lowBound for v in variables), float, n)
        upper = np.fromiter((inf if v.upBound is None else v.upBound for v in variables), float, n)
        empty = np.zeros(0, dtype=np.int32)
        lp.solverModel.addCols(n, cost, lower, upper, 0, empty, empty, np.zeros(0))
        if self.mip:
            ints = np.array([v.index for v in variables if v.cat == pulp.LpInteger], dtype=np.int32)
            if len(ints):
                kinds = np.full(len(ints), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
                lp.solverModel.changeColsIntegrality(len(ints), ints, kinds)
        starts: list[int] = []
        index: list[int] = []
        value: list[float] = []
        row_lo: list[float] = []
        row_hi: list[float] = []
        for i, con in enumerate(lp.constraints()):
            con.index = i
            starts.append(len(index))
            coefs = list(con.expr.values())
            if 0 in coefs:
                terms = [(v, a) for v, a in con.expr.items() if a != 0]
                index.extend(v.index for v, _ in terms)
                value.extend(a for _, a in terms)
            else:
                index.extend(map(_INDEX, con.expr.keys()))
                value.extend(coefs)
            lb, ub = con.getLb(), con.getUb()
            row_lo.append(-inf if lb is None else lb)
            row_hi.append(inf if ub is None else ub)
        lp.solverModel.addRows(len(starts), np.array(row_lo, dtype=float), np.array(row_hi, dtype=float),
                               len(index), np.array(starts, dtype=np.int32),
                               np.array(index, dtype=np.int32), np.array(value, dtype=float))
