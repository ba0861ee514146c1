"""A linear programme held as rows of column indices and coefficients, handed to PuLP in bulk.

The formulation appends columns and rows here (cheap Python lists); `to_pulp` makes PuLP's
objects in bulk: subclasses of PuLP's variable, expression, constraint and problem (`Column`,
`Terms`, `Row`, `Problem`) whose constructors set what PuLP's set, minus the checks a modelling
layer needs for hand-written input (names are made LP-safe once for all; each row's terms go
into its expression's dict in one call), with the cyclic garbage collector paused meanwhile.
`solve` runs the problem through PuLP with HiGHS (highspy) or PuLP's bundled CBC. With HiGHS,
`BulkHiGHS` hands the model over in one call per kind (columns, integers, rows): for a
`Problem` still as `to_pulp` made it, the matrix comes from the programme's CSR arrays and the
bounds from PuLP's objects (the same model PuLP's objects describe, bit for bit); for any other
problem, by walking its constraints. Values, reduced costs, duals and slacks are written back
onto PuLP's objects. `write_lp` and CBC take the same objects, so PuLP stays the modelling layer.
`solve` makes, solves and lets go of PuLP's objects with the garbage collector paused (they hold
no cycles; reference counting frees them). `to_highs` passes the same matrix straight to
highspy in the same calls, with the same options (`highs_options`); the N-1 tests use it for
their warm starts, the benchmark compares the two routes (same model, same answer bit for bit).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import itertools
import math
import operator
import os
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pulp

from sim.errors import CorridorError
from sim.scenario.schema import Solver

INF = math.inf
_INDEX = operator.attrgetter("index")
_CONSTANT = operator.attrgetter("constant")
_SENSE = operator.attrgetter("sense")
_LOW = operator.attrgetter("lowBound")
_UP = operator.attrgetter("upBound")
_VALUE = operator.attrgetter("varValue")
_PI = operator.attrgetter("pi")
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

    def to_pulp(self) -> tuple[Problem, list[pulp.LpVariable], list[pulp.LpConstraint]]:
        """The PuLP model: one variable per column, one constraint per row, built in bulk.

        The objects are PuLP's own classes, made without the per-object checks that a modelling
        layer needs for hand-written names and expressions: the names are made LP-safe here once
        for all (one scan of all of them), the terms go into each expression's dict in one call.
        The returned `Problem` keeps this programme, so `BulkHiGHS` reads its matrix directly.
        The cyclic garbage collector is paused meanwhile: the objects made hold no cycles, and
        tens of thousands of them would otherwise set off full collections of the whole heap.
        """
        with gc_paused():
            return self._to_pulp()

    def _to_pulp(self) -> tuple[Problem, list[pulp.LpVariable], list[pulp.LpConstraint]]:
        prob = Problem(self)
        names = self.col_names
        joined = "\n".join(names)  # cleaned in one call, then split again
        if any(char in joined for char in pulp.LpElement.illegal_chars):
            if joined.count("\n") == len(names) - 1:
                names = joined.translate(pulp.LpElement.trans).split("\n")
            else:  # a name holds the separator
                names = [name.translate(pulp.LpElement.trans) for name in names]
            prob.names_unique = len(set(names)) == len(names)
        lows = [None if v == -INF else v for v in self.lb]
        ups = [None if v == INF else v for v in self.ub]
        cats = map((pulp.LpContinuous, pulp.LpInteger).__getitem__, self.integer)
        xs: list[pulp.LpVariable] = list(map(Column, names, lows, ups, cats))
        cost = np.asarray(self.cost, dtype=float)
        priced = np.flatnonzero(cost).tolist()
        objective = Terms(zip(map(xs.__getitem__, priced), cost[priced].tolist()))
        prob.setObjective(objective)
        # each row: =, <= or >= as PuLP's operators would make it (a range keeps its upper side)
        lo, hi = np.asarray(self.row_lo, dtype=float), np.asarray(self.row_hi, dtype=float)
        eq = lo == hi
        le = ~eq & (hi != INF)
        senses = np.where(eq, pulp.LpConstraintEQ, np.where(le, pulp.LpConstraintLE, pulp.LpConstraintGE)).tolist()
        rhs = np.where(le, hi, lo).tolist()
        terms = map(Terms, map(zip, map(map, itertools.repeat(xs.__getitem__), self.row_cols), self.row_coefs))
        cons: list[pulp.LpConstraint] = list(map(Row, terms, senses, rhs))
        prob.extend(dict(zip(self.row_names, cons)))  # names are unique and LP-safe already
        prob.columns, prob.rows, prob.column_names = xs, cons, names
        prob.objective_terms, prob.objective_size = objective, len(objective)
        return prob, xs, cons

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows as CSR arrays: starts (n_rows + 1, int32), column indices (int64), values."""
        lengths = np.fromiter(map(len, self.row_cols), dtype=np.int64, count=self.n_rows)
        start = np.zeros(self.n_rows + 1, dtype=np.int32)
        np.cumsum(lengths, out=start[1:])
        nnz = int(start[-1])
        index = np.fromiter(itertools.chain.from_iterable(self.row_cols), np.int64, nnz)
        value = np.fromiter(itertools.chain.from_iterable(self.row_coefs), float, nnz)
        return start, index, value

    def write_lp(self, path: Path) -> None:
        """Write the model in LP format (PuLP's writeLP) without solving it."""
        prob, _, _ = self.to_pulp()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            prob.writeLP(str(path))
        except (pulp.PulpError, OSError) as exc:
            raise CorridorError(f"--save-lp {path}: {exc}") from None

    def solve(self, solver: str) -> Solution:
        """Solve through PuLP; solver errors come back as a status, not an exception.

        PuLP's objects are made, solved and let go of with the cyclic garbage collector paused:
        they hold no cycles, so reference counting frees them all when the solve returns, and
        the collector never walks them (it would, once, if they outlived the pause)."""
        t0 = time.perf_counter()
        with gc_paused():
            model = self._to_pulp()
            solution = self.solve_pulp(model, solver, build_s=time.perf_counter() - t0)
            del model
        return solution

    def solve_pulp(self, model: tuple[pulp.LpProblem, list[pulp.LpVariable], list[pulp.LpConstraint]],
                   solver: str | pulp.LpSolver, build_s: float = 0.0) -> Solution:
        """Solve the PuLP model `to_pulp` made with a solver by name (`pulp_solver`) or a PuLP
        solver; the values and duals are read back off PuLP's objects."""
        prob, xs, cons = model
        t1 = time.perf_counter()
        try:
            code = prob.solve(pulp_solver(solver, self.is_mip) if isinstance(solver, str) else solver)
        except (pulp.PulpError, OSError) as exc:
            return Solution(f"error: {exc}", build_s=build_s, solve_s=time.perf_counter() - t1)
        t2 = time.perf_counter()
        status = _STATUS.get(code, "undefined")
        x = _values(xs, _VALUE)  # a column HiGHS was not given (in no row, no cost) is 0
        duals = _values(cons, _PI)
        objective = float(np.dot(self.cost, x)) if status == "optimal" else math.nan
        return Solution(status, objective, x, duals, build_s, t2 - t1)

    # --- highspy directly (the benchmark's reference route, and the N-1 tests' warm starts) -----

    def to_highs(self, *, pulp_order: bool = False):  # -> highspy.Highs
        """The same model passed to highspy as CSR arrays, bypassing PuLP: one call per kind
        (columns, integers, rows), the calls `BulkHiGHS` makes, so HiGHS holds the same model.

        `pulp_order` puts the columns in the order PuLP hands them over (sorted by name), so a
        MILP's branch and bound takes the same path by both routes and only the modelling
        overhead differs. The options are `highs_options()`, as PuLP's route sets them.
        """
        import highspy

        quiet_highs()
        order = np.arange(self.n_cols)
        if pulp_order:
            order = np.array(sorted(range(self.n_cols), key=self.col_names.__getitem__), dtype=np.int64)
        position = np.empty(self.n_cols, dtype=np.int32)
        position[order] = np.arange(self.n_cols, dtype=np.int32)
        h = highspy.Highs()
        for option, setting in highs_options().items():
            h.setOptionValue(option, setting)
        start, index, value = self.csr()
        # numpy's buffers are read as they are (a HighsLp's fields would be filled element by
        # element; passModel's array form would give an LP an all-continuous integrality)
        integers = np.flatnonzero(np.asarray(self.integer, dtype=bool)[order])
        add_columns(h, np.asarray(self.cost, dtype=float)[order], np.asarray(self.lb, dtype=float)[order],
                    np.asarray(self.ub, dtype=float)[order], integers)
        h.addRows(self.n_rows, np.asarray(self.row_lo, dtype=float), np.asarray(self.row_hi, dtype=float),
                  len(value), start[:-1], position[index], value)
        return h


def _values(objects: list, attribute: operator.attrgetter) -> np.ndarray:
    """An attribute of PuLP's objects as floats, None (not solved, not in the model) as 0."""
    out = np.array(list(map(attribute, objects)), dtype=float)  # None becomes nan here
    out[np.isnan(out)] = 0.0
    return out


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block that makes many acyclic objects."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _set_all(objects: Iterable[object], attribute: str, values: Iterable[object]) -> None:
    """setattr(o, attribute, v) for each object and value in turn."""
    collections.deque(map(setattr, objects, itertools.repeat(attribute), values), maxlen=0)


class Column(pulp.LpVariable):
    """A PuLP variable made from a column whose name `to_pulp` made LP-safe already.

    `name` is a plain attribute here (PuLP's is a property that cleans every name it is given);
    the rest is what `LpVariable.__init__` sets, without its per-variable checks (bounds are
    finite or None by construction). The hash is the object's identity as in PuLP (`hash` is
    `id`), taken by `object.__hash__` in C: every row's expression hashes each of its variables
    once. The bounds it was made with are kept under a public name, for `unfixValue`.
    """

    name = ""
    hash = property(id)
    __hash__ = object.__hash__

    def __init__(self, name: str, low: float | None, up: float | None, cat: str):
        # every attribute a solve writes is set here too, so all columns share one key layout
        self.name = name
        self.lowBound, self.upBound, self.cat = low, up, cat
        self.original_bounds = (low, up)
        self.modified, self.varValue, self.dj = True, None, None

    def unfixValue(self) -> None:
        self.bounds(*self.original_bounds)


class Terms(pulp.LpAffineExpression):
    """A PuLP expression from ready (variable, coefficient) pairs with distinct variables (as
    `add_row` leaves them) and no constant: made by dict's own constructor, no name, the
    constant a class default (an expression that adds one in place gets its own)."""

    name = None
    constant = 0.0
    __init__ = dict.__init__


class Row(pulp.LpConstraint):
    """A PuLP constraint `terms (sense) rhs` over a `Terms`, as `LpConstraint(terms, sense,
    rhs=rhs)` makes it (constant 0 - rhs), without re-checking the expression. No name: the
    problem's dict of constraints holds it, as `LpProblem.extend` leaves it (a plain class
    attribute here, not PuLP's cleaning property)."""

    name = None

    def __init__(self, terms: Terms, sense: int, rhs: float):
        # every attribute a solve writes is set here too, so all rows share one key layout
        self.expr = terms
        self.constant = 0.0 - rhs
        self.sense = sense
        self.pi, self.slack, self.modified = None, None, True


class Problem(pulp.LpProblem):
    """A PuLP problem made by `LinearProgram.to_pulp`, keeping the programme it was made from so
    `BulkHiGHS` can hand HiGHS the programme's arrays instead of walking every constraint.
    A new objective, or a constraint added or taken away, sends the solve the generic way;
    variables' bounds and categories and constraints' right-hand sides are read off PuLP's
    objects either way. Terms edited inside a row's expression after `to_pulp` are not seen
    (edit the `LinearProgram` and make the problem again)."""

    def __init__(self, program: LinearProgram):
        super().__init__(program.name, pulp.LpMinimize)
        self.program = program
        self.columns: list[pulp.LpVariable] = []
        self.column_names: list[str] = []
        self.rows: list[pulp.LpConstraint] = []
        self.objective_terms: pulp.LpAffineExpression | None = None
        self.objective_size = 0
        self.names_unique = True

    def as_built(self) -> bool:
        """Whether the objective and rows are still those `to_pulp` made (and the objective
        has a term, else PuLP adds a dummy variable to it), and no two columns' names became
        one when made LP-safe (PuLP would order those by where they first appear)."""
        constraints = self.constraints()
        return (self.objective is self.objective_terms and self.sense == pulp.LpMinimize
                and len(self.objective_terms) == self.objective_size > 0 and self.names_unique
                and len(constraints) == len(self.rows) == self.program.n_rows
                and all(map(operator.is_, constraints, self.rows)))


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


def highs_options() -> dict[str, bool | float]:
    """HiGHS's options in every solve here, by PuLP's route (`pulp_solver`: PuLP's `msg`,
    `gapRel`, `gapAbs`) and by highspy's (`to_highs`): quiet, and branch and bound's stopping
    gaps. Everything else is HiGHS's default: threads, presolve, no time limit."""
    return {"output_flag": False, "mip_rel_gap": MIP_GAP_REL, "mip_abs_gap": MIP_GAP_ABS}


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
        ours = lp if isinstance(lp, Problem) and lp.as_built() else None
        constraints = ours.rows if ours is not None else lp.constraints()
        n = len(constraints)
        constant = np.fromiter(map(_CONSTANT, constraints), dtype=float, count=n)
        sense = np.fromiter(map(_SENSE, constraints), dtype=np.int64, count=n)
        if ours is not None:
            variables = self.build_from_program(ours, constant, sense)
        else:
            variables = lp.variables()
            self.buildSolverModel(lp, variables)
        self.callSolver(lp)
        status, sol_status = self._read_back(lp, variables, constraints, constant, sense)
        lp.assignStatus(status, sol_status)
        return status

    @staticmethod
    def _read_back(lp: pulp.LpProblem, variables: list[pulp.LpVariable], constraints: list[pulp.LpConstraint],
                   constant: np.ndarray, sense: np.ndarray) -> tuple[int, int]:
        import highspy

        ms = highspy.HighsModelStatus
        solution = lp.solverModel.getSolution()
        # attribute by attribute over all objects (map runs the loop in C)
        _set_all(variables, "varValue", solution.col_value)
        _set_all(variables, "dj", solution.col_dual)
        _set_all(variables, "modified", itertools.repeat(False))
        value = constant + np.asarray(solution.row_value, dtype=float)[:len(constant)]
        _set_all(constraints, "slack", np.where(sense == pulp.LpConstraintLE, -value, value).tolist())  # as PuLP
        _set_all(constraints, "pi", solution.row_dual)
        _set_all(constraints, "modified", itertools.repeat(False))
        model_status = lp.solverModel.getModelStatus()
        if model_status == ms.kOptimal:
            return pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible
        if model_status == ms.kUnbounded:
            return pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded
        return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound  # limits, errors

    def _integers(self, variables: list[pulp.LpVariable]) -> list[int]:
        """Positions of the integer variables (none unless solving as a MILP)."""
        return [i for i, v in enumerate(variables) if v.cat == pulp.LpInteger] if self.mip else []

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
        add_columns(lp.solverModel, cost, lower, upper, self._integers(variables))
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

    def build_from_program(self, lp: Problem, constant: np.ndarray, sense: np.ndarray) -> list[pulp.LpVariable]:
        """Hand HiGHS the model `buildSolverModel` would, from the programme's arrays.

        The same columns in the same order (those in the objective or in a row, sorted by name,
        as `LpProblem.variables()` gives them), bounds and categories read off the variables,
        row bounds off the constraints (`getLb`/`getUb`), the rows' terms (zeros dropped) from
        the programme's CSR arrays: the matrix HiGHS gets is identical, so are its answers.
        `constant` and `sense` are the rows' (`LpConstraint.constant`, `.sense`). Returns the
        variables in HiGHS's column order.
        """
        import highspy

        inf = highspy.kHighsInf
        program, columns = lp.program, lp.columns
        start, index, value = program.csr()
        cost = np.asarray(program.cost, dtype=float)
        used = cost != 0
        used[index] = True
        names = lp.column_names
        order = np.array(sorted(np.flatnonzero(used).tolist(), key=names.__getitem__), dtype=np.int64)
        n = len(order)
        position = np.full(program.n_cols, -1, dtype=np.int32)
        position[order] = np.arange(n, dtype=np.int32)
        variables = list(map(columns.__getitem__, order.tolist()))
        cost = cost[order]
        cost[cost == 0] = 0.0  # no -0.0: a column out of the objective costs 0.0
        lower = np.fromiter(map(_LOW, variables), object, n).astype(float)  # a bound of None is nan here
        lower[np.isnan(lower)] = -inf
        upper = np.fromiter(map(_UP, variables), object, n).astype(float)
        upper[np.isnan(upper)] = inf
        add_columns(lp.solverModel, cost, lower, upper, self._integers(variables))
        n_rows = program.n_rows
        starts = start[:-1]
        if not value.all():  # zero terms are left out, as PuLP's interface does
            keep = value != 0
            row_of = np.repeat(np.arange(n_rows), np.diff(start))
            starts = np.zeros(n_rows, dtype=np.int32)
            np.cumsum(np.bincount(row_of[keep], minlength=n_rows)[:-1], out=starts[1:])
            index, value = index[keep], value[keep]
        bound = -constant
        row_lo = np.where(sense != pulp.LpConstraintLE, bound, -inf)
        row_hi = np.where(sense != pulp.LpConstraintGE, bound, inf)
        lp.solverModel.addRows(n_rows, row_lo, row_hi, len(index), starts, position[index], value)
        return variables


def add_columns(h: Any, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                integers: Sequence[int] | np.ndarray) -> None:
    """Columns without matrix entries (the rows come after) into a highspy model, the columns at
    positions `integers` marked integer."""
    import highspy

    empty = np.zeros(0, dtype=np.int32)
    h.addCols(len(cost), cost, lower, upper, 0, empty, empty, np.zeros(0))
    ints = np.asarray(integers, dtype=np.int32)
    if len(ints):
        kinds = np.full(len(ints), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
        h.changeColsIntegrality(len(ints), ints, kinds)


def highs_state(h: Any) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Every option of a highspy model, and its model (bounds, costs, integers, matrix): two
    routes that hand HiGHS the same model and options give equal states (the benchmark and the
    tests compare PuLP's route with highspy's this way)."""
    options = h.getOptions()
    lp = h.getLp()
    a = lp.a_matrix_
    model = {name: list(getattr(lp, name)) for name in
             ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_", "integrality_")}
    model.update(sense=[lp.sense_], format=[a.format_], start=list(a.start_), index=list(a.index_),
                 value=list(a.value_))
    return {name: getattr(options, name) for name in dir(options) if not name.startswith("_")}, model
