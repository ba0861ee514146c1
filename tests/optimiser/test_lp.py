"""The LP container and its solve through PuLP: a small LP solved by hand, duals, statuses, the
one solver check, and the bulk route to HiGHS (the same model as PuLP's objects describe)."""

from __future__ import annotations

import math

import pulp
import pytest
from support import plan_lp

from sim.errors import CorridorError
from sim.optimiser.lp import SOLVERS, LinearProgram, Problem, check_solver, pulp_solver


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


def plain_copy(prob: pulp.LpProblem) -> pulp.LpProblem:
    """The same objective and constraint objects in a stock LpProblem (solved the generic way)."""
    plain = pulp.LpProblem(prob.name, prob.sense)
    plain.setObjective(prob.objective)
    plain.extend(dict(zip((f"r{i}" for i in range(len(prob.constraints()))), prob.constraints())))
    return plain


def highs_model(prob: pulp.LpProblem) -> dict[str, list]:
    lp = prob.solverModel.getLp()
    a = lp.a_matrix_
    return {"cost": list(lp.col_cost_), "lower": list(lp.col_lower_), "upper": list(lp.col_upper_),
            "row_lower": list(lp.row_lower_), "row_upper": list(lp.row_upper_), "integrality": list(lp.integrality_),
            "format": [a.format_], "start": list(a.start_), "index": list(a.index_), "value": list(a.value_)}


def test_the_bulk_route_hands_highs_the_model_pulps_objects_describe():
    """From the programme's arrays (the fast route) or by walking PuLP's objects (the generic
    route): the same matrix, bounds and integers, bit for bit, and the same answers on PuLP's
    objects."""
    lp = plan_lp()
    assert lp.is_mip and lp.n_rows > 10
    fast, xs, cons = lp.to_pulp()
    assert isinstance(fast, Problem) and fast.as_built()
    fast.solve(pulp_solver("highs", mip=True))
    fast_values = [(v.varValue, v.dj) for v in xs], [(c.pi, c.slack) for c in cons]
    plain = plain_copy(lp.to_pulp()[0])
    plain.solve(pulp_solver("highs", mip=True))
    assert highs_model(fast) == highs_model(plain)
    _, xs2, cons2 = plain, plain.variables(), plain.constraints()
    by_name = {v.name: v for v in xs2}
    assert fast_values[0] == [(by_name[v.name].varValue, by_name[v.name].dj) if v.name in by_name else (None, None)
                              for v in xs]
    assert fast_values[1] == [(c.pi, c.slack) for c in cons2]
    assert fast.status == plain.status == pulp.LpStatusOptimal
    assert pulp.value(fast.objective) == pulp.value(plain.objective)


def test_pulps_objects_made_in_bulk_read_as_pulps_own():
    lp = two_products()
    prob, (x, y), (cap, labour, market) = lp.to_pulp()
    made = pulp.LpProblem("two", pulp.LpMinimize)
    px, py = made.add_variable("x", 0), made.add_variable("y", 0)
    made += -3.0 * px - 2.0 * py
    for name, con in (("cap", px + py <= 4.0), ("labour", px + 3.0 * py <= 9.0), ("market", px <= 3.0)):
        made += con, name
    assert [(v.name, a) for v, a in prob.objective.items()] == [(v.name, a) for v, a in made.objective.items()]
    assert [str(c) for c in prob.constraints()] == [str(c) for c in made.constraints()]
    assert [(c.sense, c.constant, c.getLb(), c.getUb()) for c in (cap, labour, market)] == [
        (c.sense, c.constant, c.getLb(), c.getUb()) for c in made.constraints()]
    assert (x.name, x.lowBound, x.upBound, x.cat) == ("x", 0.0, None, pulp.LpContinuous)
    x.bounds(1.0, 1.0)
    x.unfixValue()  # back to the bounds it was made with
    assert (x.lowBound, x.upBound) == (0.0, None)


def test_a_problem_changed_after_it_was_made_is_solved_as_changed():
    """A row added, a bound moved on a variable, a constraint's right-hand side changed: each
    is in the model HiGHS solves."""
    prob, (x, y), cons = two_products().to_pulp()
    prob += y >= 2, "more_y"
    assert not prob.as_built()
    prob.solve(pulp_solver("highs", mip=False))
    assert (x.varValue, y.varValue) == pytest.approx((2.0, 2.0))

    prob, (x, y), (cap, _, market) = two_products().to_pulp()
    y.lowBound = 1.0  # a bound moved on the variable: still the fast route, read off the variable
    cap.changeRHS(3.0)
    assert prob.as_built()
    prob.solve(pulp_solver("highs", mip=False))
    assert (x.varValue, y.varValue) == pytest.approx((2.0, 1.0))
    assert cap.pi == pytest.approx(-3.0) and market.slack == pytest.approx(1.0)


def test_names_pulp_cannot_hold_are_made_safe_and_clashes_solved_the_generic_way():
    lp = LinearProgram("names")
    a, b = lp.add_col("s-p", cost=-1.0, ub=1.0), lp.add_col("s_p", cost=-2.0, ub=1.0)
    lp.add_row("both", [a, b], [1.0, 1.0], hi=1.5)
    prob, xs, _ = lp.to_pulp()
    assert [v.name for v in xs] == ["s_p", "s_p"] and not prob.as_built()
    sol = lp.solve("highs")
    assert sol.ok and list(sol.x) == pytest.approx([0.5, 1.0])
