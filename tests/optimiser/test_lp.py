"""The LP container and its solve through PuLP: a small LP solved by hand, duals, statuses, and
the one solver check."""

from __future__ import annotations

import math

import pytest

from sim.errors import CorridorError
from sim.optimiser.lp import SOLVERS, LinearProgram, check_solver, pulp_solver


def two_products() -> LinearProgram:
    """max 3x + 2y s.t. x + y <= 4, x + 3y <= 9, x <= 3: optimum x=3, y=1, value 11."""
    lp = LinearProgram("two")
    x = lp.add_col("x", cost=-3.0)
    y = lp.add_col("y", cost=-2.0)
    lp.add_row("cap", [x, y], [1.0, 1.0], hi=4.0)
    lp.add_row("labour", [x, y], [1.0, 3.0], hi=9.0)
    lp.add_row("market", [x], [1.0], hi=3.0)
    return lp


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_hand_solved_lp_and_its_duals(solver):
    sol = two_products().solve(solver)
    assert sol.ok and sol.objective == pytest.approx(-11.0)
    assert list(sol.x) == pytest.approx([3.0, 1.0])
    # one more unit of `cap` is worth 2, of `market` 1 (= 3 - 2); labour is slack
    assert list(sol.duals) == pytest.approx([-2.0, 0.0, -1.0])


def test_infeasible_is_a_status_not_an_exception():
    lp = LinearProgram("bad")
    x = lp.add_col("x", ub=1.0)
    lp.add_row("need", [x], [1.0], lo=2.0)
    sol = lp.solve("highs")
    assert sol.status == "infeasible" and not sol.ok and math.isnan(sol.objective)


def test_repeated_columns_in_a_row_are_summed_and_names_kept_unique():
    lp = LinearProgram()
    a, b = lp.add_col("a"), lp.add_col("a")
    row = lp.add_row("r", [a, a, b], [1.0, 2.0, 1.0], hi=1.0)
    assert lp.col_names == ["a", "a_1"] and lp.row_cols[row] == [a, b] and lp.row_coefs[row] == [3.0, 1.0]


def test_fixing_a_column_makes_it_continuous_at_its_value():
    lp = LinearProgram()
    c = lp.add_col("build", 0.0, 1.0, integer=True)
    assert lp.is_mip
    lp.fix({c: 1.0})
    assert not lp.is_mip and (lp.lb[c], lp.ub[c]) == (1.0, 1.0)


def test_the_solver_check_is_one_place():
    assert check_solver("cbc") == "cbc"
    with pytest.raises(CorridorError, match="--solver: expected one of highs, cbc, got 'gurobi'"):
        check_solver("gurobi", "--solver")
    with pytest.raises(CorridorError, match="solver"):
        pulp_solver("glpk")
