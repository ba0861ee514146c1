"""PuLP's route and highspy's direct route to HiGHS: the same options, the same model and the
same answer bit for bit; and the PuLP objects made in bulk behave as PuLP's own (identity
hashes, LP-safe names, no reference cycles, so a solve lets them go without the collector)."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pulp
import pytest
from support import plan_lp

from sim.optimiser.lp import LinearProgram, gc_paused, highs_options, highs_state


@pytest.mark.parametrize("relaxed", [False, True], ids=["milp", "lp"])
def test_pulp_and_highspy_routes_solve_the_same_model_with_the_same_options(relaxed):
    lp = plan_lp()
    if relaxed:  # the integers fixed at 1: an LP (no integrality at all by either route)
        lp.fix({c: 1.0 for c, integer in enumerate(lp.integer) if integer})
    made = lp.to_pulp()
    ours = lp.solve_pulp(made, "highs")
    h = lp.to_highs(pulp_order=True)
    h.run()
    (options, model), (direct_options, direct_model) = highs_state(made[0].solverModel), highs_state(h)
    assert options == direct_options
    assert all(options[name] == value for name, value in highs_options().items())
    assert model == direct_model
    assert (len(model["integrality_"]) > 0) is not relaxed
    order = sorted(range(lp.n_cols), key=lp.col_names.__getitem__)  # HiGHS's column j is order[j]
    x = np.zeros(lp.n_cols)
    x[order] = h.getSolution().col_value
    assert ours.ok and np.array_equal(ours.x, x)
    assert np.array_equal(ours.duals, h.getSolution().row_dual)
    assert ours.objective == pytest.approx(h.getInfo().objective_function_value, rel=1e-12)


def test_columns_hash_by_identity_as_pulps_variables_do():
    lp = LinearProgram()
    a, b = lp.add_col("a", cost=1.0), lp.add_col("b", cost=2.0)
    lp.add_row("r", [a, b], [1.0, 1.0], lo=1.0)
    prob, (x, y), (row,) = lp.to_pulp()
    assert x.hash == id(x) and hash(x) == object.__hash__(x) and hash(x) != hash(y)
    assert row.expr[x] == 1.0 and prob.objective[y] == 2.0
    assert x == x and isinstance(x == y, pulp.LpConstraint)  # PuLP's operators, not identity


@pytest.mark.parametrize("raw", [["rail->ferry", "a b", "plain", "x[1]+y", "-lead"],
                                 ["rail->ferry", "odd\nname-1", "plain"]], ids=["one-pass", "newline"])
def test_names_are_made_lp_safe_as_pulp_makes_them(raw):
    """PuLP's own variables clean names (its `add_variable`); ours must end the same, whatever
    the names hold (a newline included, the separator of the one-pass cleaning)."""
    lp = LinearProgram("names")
    cols = [lp.add_col(name, cost=1.0) for name in raw]
    lp.add_row("all", cols, [1.0] * len(cols), lo=1.0)
    _, xs, _ = lp.to_pulp()
    reference = pulp.LpProblem("reference", pulp.LpMinimize)
    with warnings.catch_warnings():  # PuLP warns of a name that starts with what it cleans
        warnings.simplefilter("ignore", UserWarning)
        expected = [reference.add_variable(name).name for name in raw]
    assert [x.name for x in xs] == expected and expected[0] == "rail__ferry"


def test_pulps_objects_hold_no_cycles_so_a_solve_frees_them_without_the_collector():
    lp = plan_lp()
    with gc_paused():
        made = lp.to_pulp()
        lp.solve_pulp(made, "highs")
        prob, xs, cons = made
        watched = [weakref.ref(o) for o in (prob, xs[0], xs[-1], cons[0], cons[0].expr, prob.objective)]
        del made, prob, xs, cons
        assert gc.isenabled() is False and [ref() for ref in watched] == [None] * len(watched)
