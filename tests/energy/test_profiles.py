"""Generation profiles: mean equal to the capacity factor, the sun dark at night, wind
windier in winter and persistent hour to hour, and profile files read and repeated."""

from __future__ import annotations

import numpy as np
import pytest

from sim.energy.profiles import ar1, generation_profile, scale_to_mean
from sim.errors import CorridorError
from sim.scenario.schema import Node


def node(profile: str, cf: str, lat: float = 40.4, lon: float = 49.8) -> Node:
    return Node.model_validate({"kind": "generation", "country": "AZ", "lon": lon, "lat": lat,
                                "generation": {"capacity": "1 GW", "profile": profile, "capacity_factor": cf}})


def file_node(path) -> Node:
    return Node.model_validate({"kind": "generation", "country": "AZ", "lon": 49, "lat": 40,
                                "generation": {"capacity": "1 GW", "capacity_factor": "25 %", "file": str(path)}})


@pytest.mark.parametrize("profile, cf", [("wind", "38 %"), ("solar", "22 %"), ("flat", "60 %")])
def test_profiles_have_the_capacity_factor_as_mean(profile, cf):
    n = 8760
    x = generation_profile("g", node(profile, cf), n, np.random.default_rng(4))
    assert x.mean() == pytest.approx(float(cf.split()[0]) / 100, abs=1e-6)
    assert x.min() >= 0 and x.max() <= 1
    again = generation_profile("g", node(profile, cf), n, np.random.default_rng(4))
    assert np.array_equal(x, again)


def test_solar_is_dark_at_night_and_wind_blows_more_in_winter():
    n = 8760
    sun = generation_profile("g", node("solar", "22 %", lon=45.0), n, np.random.default_rng(5))
    hour = (np.arange(n) + 45.0 / 15) % 24  # local solar time, hour 0 is midnight UTC
    assert sun[(hour < 4) | (hour > 21)].max() == 0
    assert sun[(hour > 11) & (hour < 13)].mean() > 2.5 * sun.mean()
    wind = generation_profile("g", node("wind", "38 %"), n, np.random.default_rng(5))
    days = np.arange(n) // 24
    winter, summer = wind[(days < 59) | (days >= 334)], wind[(days >= 152) & (days < 243)]
    assert winter.mean() > summer.mean()
    x = np.asarray(wind)
    assert np.corrcoef(x[:-1], x[1:])[0, 1] > 0.8  # hour-to-hour persistence


def test_ar1_has_unit_variance_and_its_coefficient_as_lag_one_correlation():
    x = ar1(200_000, 0.6, np.random.default_rng(6))
    assert x.var() == pytest.approx(1.0, abs=0.02)
    assert np.corrcoef(x[:-1], x[1:])[0, 1] == pytest.approx(0.6, abs=0.01)


def test_scale_to_mean_reaches_the_capacity_factor_and_caps_at_one():
    raw = np.random.default_rng(7).exponential(1.0, 5000)
    x = scale_to_mean(raw, 0.45)
    assert x.mean() == pytest.approx(0.45, abs=1e-9)
    assert x.max() == 1.0  # the windiest hours are clipped at full output
    assert np.all(np.diff(x[np.argsort(raw)]) >= 0)  # the shape keeps its order


def test_an_impossible_capacity_factor_is_a_user_error():
    with pytest.raises(CorridorError, match="capacity_factor"):
        scale_to_mean(np.array([0.0, 0.0, 1.0, 1.0]), 0.6)


def test_a_profile_file_is_read_and_repeated_over_the_horizon(tmp_path):
    path = tmp_path / "wind.csv"
    path.write_text("hour,cf\n0,0.5\n1,0.25\n2,0\n")
    x = generation_profile("g", file_node(path), 7, np.random.default_rng(0))
    assert x.tolist() == [0.5, 0.25, 0, 0.5, 0.25, 0, 0.5]


@pytest.mark.parametrize("text", ["hour,cf\n0,0.5\n1,1.5\n", "hour,cf\n", "0;-0.1\n"],
                         ids=["above one", "empty", "negative"])
def test_a_bad_profile_file_is_a_user_error(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CorridorError, match="nodes.g.generation.file: expected capacity factors"):
        generation_profile("g", file_node(path), 24, np.random.default_rng(0))


def test_a_missing_profile_file_is_a_user_error(tmp_path):
    with pytest.raises(CorridorError, match="no profile file"):
        generation_profile("g", file_node(tmp_path / "absent.csv"), 24, np.random.default_rng(0))
