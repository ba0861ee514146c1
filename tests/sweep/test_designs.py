"""Sweep specs and designs: sizes, bounds and values against hand-built lists and mathematics."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.sweep.designs import (GridSampler, LatinHypercubeSampler, MorrisSampler, Point, SobolSampler, design_rng,
                               make_design, parse_spec, parse_vary)
from sim.errors import CorridorError


def test_list_spec_keeps_texts_and_reads_numbers():
    p = parse_vary("fleets.ferries.vessels=2,4,6")
    assert p.grid() == ["2", "4", "6"]
    assert p.integer and p.numeric and p.bounds == (2, 6)
    q = parse_vary("links.cable.capacity=1 GW, 1500 MW")
    assert q.grid() == ["1 GW", "1500 MW"]
    assert [q.number(t) for t in q.grid()] == [1.0, 1.5]  # in the unit of the first value


def test_range_with_units_converts_every_figure_to_the_first_unit():
    p = parse_vary("links.cable.capacity=500 MW..2 GW step 250 MW")
    assert p.grid() == [f"{500 + 250 * i} MW" for i in range(7)]
    p = parse_vary("x=1GW..4GW step 0.5GW")
    assert p.grid() == ["1 GW", "1.5 GW", "2 GW", "2.5 GW", "3 GW", "3.5 GW", "4 GW"]


def test_range_step_has_no_float_noise_and_whole_numbers_step_by_one():
    assert parse_vary("x=0.1..0.7 step 0.1").grid() == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]
    assert parse_vary("n=10..14").grid() == ["10", "11", "12", "13", "14"]


@pytest.mark.parametrize("text", [
    "no-equals-sign", "x=", "x=4..1 step 1", "x=1..4 step 0", "x=1 GW..30 d step 1 GW", "x=1 GW..4",
    "x=uniform(1 GW)", "x=triangular(3, 1, 2)", "x=normal(1, 0)", "x=1 furlongs..2 furlongs step 1 blarg",
    "x=2,2",
])
def test_bad_specs_are_bad_input(text):
    with pytest.raises(CorridorError):
        p = parse_vary(text)
        p.grid()


def test_a_continuous_range_without_step_is_only_for_sampled_designs():
    p = parse_vary("x=1.5..4")
    with pytest.raises(CorridorError, match="step"):
        make_design("grid", [p], None, 1)
    assert len(make_design("lhs", [p], 5, 1).rows) == 5


def test_grid_is_the_cartesian_product():
    a = parse_vary("a=1..3")
    b = parse_vary("b=10 GW, 20 GW")
    c = parse_vary("c=when_full,schedule")
    d = make_design("grid", [a, b, c], None, 1)
    expected = list(itertools.product(["1", "2", "3"], ["10 GW", "20 GW"], ["when_full", "schedule"]))
    assert [tuple(v for _, v in p.overrides) for p in d.rows] == expected
    assert len({p.id for p in d.rows}) == 12


def test_lhs_has_one_sample_per_stratum_and_stays_in_bounds():
    params = [parse_vary("a=2 GW..6 GW"), parse_vary("b=uniform(30 d, 90 d)")]
    n = 20
    d = make_design("lhs", params, n, seed=3)
    assert len(d.rows) == n and d.unit.shape == (n, 2)
    for j in range(2):  # Latin hypercube: each of the n equal strata of each column holds one sample
        assert sorted(np.floor(d.unit[:, j] * n).astype(int)) == list(range(n))
    a = [params[0].number(p.value("a")) for p in d.rows]
    b = [params[1].number(p.value("b")) for p in d.rows]
    assert min(a) >= 2 and max(a) <= 6 and min(b) >= 30 and max(b) <= 90
    assert all(p.value("a").endswith(" GW") and p.value("b").endswith(" d") for p in d.rows)


def test_lhs_over_whole_numbers_visits_each_evenly():
    p = parse_vary("n=1..4")
    d = make_design("lhs", [p], 40, seed=1)
    counts = {v: sum(r.value("n") == v for r in d.rows) for v in ["1", "2", "3", "4"]}
    assert counts == {"1": 10, "2": 10, "3": 10, "4": 10}  # 40 strata, a quarter on each whole number


def test_sampled_distributions_have_their_analytic_moments():
    n = 400
    tri = parse_vary("x=triangular(20 d, 30 d, 90 d)")
    d = make_design("lhs", [tri], n, seed=2)
    x = np.array([tri.number(r.value("x")) for r in d.rows])
    assert x.mean() == pytest.approx((20 + 30 + 90) / 3, rel=0.01)
    norm = parse_vary("x=normal(3 GW, 0.5 GW)")
    x = np.array([norm.number(r.value("x")) for r in make_design("lhs", [norm], n, seed=2).rows])
    assert x.mean() == pytest.approx(3, abs=0.02) and x.std() == pytest.approx(0.5, rel=0.05)
    logn = parse_vary("x=lognormal(60 d, 45 d)")
    x = np.array([logn.number(r.value("x")) for r in make_design("lhs", [logn], n, seed=2).rows])
    assert x.mean() == pytest.approx(60, rel=0.05) and x.min() > 0


def test_sobol_size_is_n_times_k_plus_2_in_bounds_and_rounds_to_a_power_of_two():
    params = [parse_vary("a=1..9"), parse_vary("b=uniform(1 GW, 2 GW)"), parse_vary("c=0.5..1.5")]
    d = make_design("sobol", params, 16, seed=1)
    assert len(d.rows) == 16 * (3 + 2) and d.unit.shape == (80, 3)
    assert d.unit.min() >= 0 and d.unit.max() <= 1
    b = [params[1].number(p.value("b")) for p in d.rows]
    assert min(b) >= 1 and max(b) <= 2
    d = make_design("sobol", params, 20, seed=1)
    assert d.samples == 32 and len(d.rows) == 32 * 5 and "rounded up" in d.notes[0]


def test_morris_size_and_levels():
    params = [parse_vary("a=0..30 step 10"), parse_vary("b=1 GW..4 GW")]
    d = make_design("morris", params, 6, seed=1)
    assert len(d.rows) == 6 * (2 + 1)
    levels = {params[1].number(p.value("b")) for p in d.rows}
    assert levels <= {1.0, 2.0, 3.0, 4.0}  # 4 levels: 1 + j x (4 - 1) / 3


def test_designs_are_reproducible_from_the_seed():
    params = [parse_vary("a=1 GW..2 GW"), parse_vary("b=1..9")]
    for name in ("lhs", "sobol", "morris"):
        one, two = make_design(name, params, 8, 7), make_design(name, params, 8, 7)
        assert [p.id for p in one.rows] == [p.id for p in two.rows]
    seven, eight = make_design("lhs", params, 8, 7), make_design("lhs", params, 8, 8)
    assert [p.id for p in seven.rows] != [p.id for p in eight.rows]
    assert design_rng(3).random() == design_rng(3).random()


def test_point_id_is_by_content_not_order():
    a = Point((("x", "1 GW"), ("y", "3")))
    b = Point((("y", "3"), ("x", "1 GW")))
    c = Point((("x", "1 GW"), ("y", "4")))
    assert a.id == b.id != c.id and len(a.id) == 16
    assert a.as_set() == ["x=1 GW", "y=3"]


def test_sweep_file_lists_become_override_texts():
    p = parse_spec("links.cable.reliability.repair", [{"dist": "exponential", "mean": "30 d"}, "60 d"])
    assert p.kind == "list" and p.grid()[0] == "{dist: exponential, mean: 30 d}"
    from sim.scenario.loading import parse_override

    assert parse_override(f"x={p.grid()[0]}")[1] == {"dist": "exponential", "mean": "30 d"}


def test_sobol_indices_of_a_linear_function():
    """y = u1 + 2 u2 with independent uniform inputs: S1 = (1/12) / (5/12) = 0.2 and 0.8, ST = S1."""
    params = [parse_vary("a=0..1 step 0.5"), parse_vary("b=0..1 step 0.5")]
    d = SobolSampler().design(params, 1024, design_rng(1))
    y = d.unit[:, 0] + 2 * d.unit[:, 1]
    s = SobolSampler.analyse(params, d.unit, y)
    assert s["a"]["S1"] == pytest.approx(0.2, abs=0.03) and s["b"]["S1"] == pytest.approx(0.8, abs=0.03)
    assert s["a"]["ST"] == pytest.approx(0.2, abs=0.03) and s["b"]["ST"] == pytest.approx(0.8, abs=0.03)
    assert SobolSampler.analyse(params, d.unit, y) == s  # the bootstrap confidence intervals too


def test_morris_effects_of_a_linear_function():
    """y = 3 u1 + u2: every elementary effect is the slope, so mu* = 3 and 1, sigma = 0."""
    params = [parse_vary("a=0..1 step 0.5"), parse_vary("b=0..1 step 0.5")]
    d = MorrisSampler().design(params, 10, design_rng(1))
    m = MorrisSampler.analyse(params, d.unit, 3 * d.unit[:, 0] + d.unit[:, 1])
    assert m["a"]["mu_star"] == pytest.approx(3) and m["b"]["mu_star"] == pytest.approx(1)
    assert m["a"]["sigma"] == pytest.approx(0, abs=1e-9)


def test_samplers_share_one_interface():
    for cls in (GridSampler, LatinHypercubeSampler, SobolSampler, MorrisSampler):
        d = cls().design([parse_vary("a=1..4")], 4, design_rng(0))
        assert d.name == cls.name and d.rows


def test_design_errors():
    with pytest.raises(CorridorError, match="design"):
        make_design("factorial", [parse_vary("a=1..2")], None, 1)
    with pytest.raises(CorridorError, match="twice"):
        make_design("grid", [parse_vary("a=1..2"), parse_vary("a=3..4")], None, 1)
    with pytest.raises(CorridorError, match="distribution"):
        make_design("grid", [parse_vary("a=uniform(1, 2)")], None, 1)
    with pytest.raises(CorridorError, match="samples"):
        make_design("lhs", [parse_vary("a=1..2")], 0, 1)
