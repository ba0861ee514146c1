"""Sampled moments against each distribution's analytic mean and variance (seeded)."""

import numpy as np
import pytest

from sim.scenario.distributions import parse_distribution

SPECS = [
    {"dist": "deterministic", "value": "20 h"},
    {"dist": "exponential", "mean": "60 d"},
    {"dist": "lognormal", "mean": "30 d", "sd": "20 d"},
    {"dist": "triangular", "low": "18 h", "mode": "20 h", "high": "30 h"},
    {"dist": "uniform", "low": "1 h", "high": "5 h"},
    {"dist": "empirical", "values": ["1 d", "2 d", "10 d"], "weights": [5, 3, 2]},
]


@pytest.mark.parametrize("spec", SPECS, ids=[s["dist"] for s in SPECS])
def test_sampled_moments_match_analytic(spec):
    d = parse_distribution(spec)
    x = d.sample_many(np.random.default_rng(7), 200_000)
    se = np.sqrt(d.variance / len(x)) if d.variance else 1e-12
    assert abs(x.mean() - d.mean) < 5 * se + 1e-9
    assert x.var() == pytest.approx(d.variance, rel=0.03, abs=1e-9)
    assert (x >= 0).all()


def test_units_are_converted_to_hours():
    assert parse_distribution("2 d").mean == 48
    assert parse_distribution({"dist": "exponential", "mean": "1 wk"}).mean == 168


def test_resolved_spec_round_trips():
    for spec in SPECS:
        d = parse_distribution(spec)
        again = parse_distribution(d.to_spec())
        assert again.mean == pytest.approx(d.mean) and again.variance == pytest.approx(d.variance)


@pytest.mark.parametrize("spec, message", [
    ({"dist": "triangle", "low": "1 h", "mode": "2 h", "high": "3 h"}, "did you mean 'triangular'"),
    ({"dist": "triangular", "low": "3 h", "mode": "2 h", "high": "1 h"}, "low <= mode <= high"),
    ({"dist": "exponential", "mean": "-2 h"}, "mean"),
    ({"dist": "exponential", "mean": "2 km"}, "expected a quantity in h"),
    ({"dist": "lognormal", "mean": "2 h"}, "needs sd"),
    ({"dist": "exponential", "mena": "2 h"}, "did you mean 'mean'"),
    ([1, 2], "expected a quantity"),
])
def test_bad_distributions_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_distribution(spec)


def test_resolved_spec_keeps_source_and_note():
    for spec in SPECS:
        d = parse_distribution(spec | {"source": "s5_101", "note": "why"})
        assert d.to_spec()["source"] == "s5_101" and d.to_spec()["note"] == "why"


def test_a_scaled_distribution_stretches_samples_mean_and_spread():
    from sim.scenario.distributions import Scaled, parse_distribution

    spec = {"dist": "triangular", "low": "4 h", "mode": "6 h", "high": "14 h", "source": "assumption",
            "note": "why", "scale": 0.5, "calibrate": {"scale": [0.25, 2]}}
    d = parse_distribution(spec)
    assert isinstance(d, Scaled) and d.calibrate == (0.25, 2.0)
    inner = parse_distribution({k: v for k, v in spec.items() if k not in ("scale", "calibrate")})
    assert d.mean == pytest.approx(inner.mean / 2) and d.variance == pytest.approx(inner.variance / 4)
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    assert np.array_equal(d.sample_many(a, 50), inner.sample_many(b, 50) * 0.5)
    assert parse_distribution(d.to_spec()) == d  # the file form reads back


@pytest.mark.parametrize(("extra", "message"), [
    ({"calibrate": {"scale": [0.5, 2]}, "source": "s2_045"}, "only an assumption is fitted"),
    ({"calibrate": {"range": [0.5, 2]}}, "expected {scale: [low, high]}"),
    ({"calibrate": {"scale": [2, 0.5]}}, "expected low < high"),
    ({"calibrate": {"scale": [0.5, 2]}, "scale": 3}, "outside its calibrate range"),
    ({"scale": -1}, "scale: expected a positive number"),
    ({"scale": "1 h"}, "scale: expected a positive number"),
])
def test_a_bad_scale_or_range_is_refused(extra, message):
    from sim.scenario.distributions import parse_distribution

    spec = {"dist": "triangular", "low": "4 h", "mode": "6 h", "high": "14 h", "source": "assumption",
            "note": "why"} | extra
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("{", r"\{")):
        parse_distribution(spec)
