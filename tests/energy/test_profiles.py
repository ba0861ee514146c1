"""Generation profiles: the expected capacity factor is the sourced one and long runs reproduce it;
the sun dark at night and highest at solar noon, more in summer; wind windier in winter and in the
afternoon and persistent hour to hour; sites' weather correlated as exp(-d/L); the weather the same
however the hours are asked for; profile files read beside the scenario that names them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.energy.profiles import (CLOUD_CORRELATION_KM, WIND_CORRELATION_KM, WIND_PERSISTENCE, YEAR_HOURS,
                                 GenerationProfiles, Weather, distance_km, generation_profile)
from sim.errors import CorridorError
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Node


def node(profile: str, cf: str, lat: float = 40.4, lon: float = 49.8, **extra: object) -> Node:
    return Node.model_validate({"kind": "generation", "country": "AZ", "lon": lon, "lat": lat,
                                "generation": {"capacity": "1 GW", "profile": profile, "capacity_factor": cf,
                                               **extra}})


def file_node(path) -> Node:
    return Node.model_validate({"kind": "generation", "country": "AZ", "lon": 49, "lat": 40,
                                "generation": {"capacity": "1 GW", "capacity_factor": "25 %", "file": str(path)}})


def years(x: np.ndarray) -> np.ndarray:
    return x[: x.size // YEAR_HOURS * YEAR_HOURS].reshape(-1, YEAR_HOURS)


@pytest.mark.parametrize("profile, cf", [("wind", "38 %"), ("solar", "22 %")])
def test_many_years_of_weather_reproduce_the_capacity_factor(profile, cf):
    """Calibrated on the expectation: 30 years' mean within 4 standard errors (from the spread of the
    yearly means, which scatter as real years do) of the target, and within 1.5 points of it."""
    target = float(cf.split()[0]) / 100
    x = generation_profile("g", node(profile, cf), 30 * YEAR_HOURS, np.random.default_rng(4))
    yearly = years(x).mean(axis=1)
    se = yearly.std(ddof=1) / math.sqrt(yearly.size)
    assert abs(x.mean() - target) < max(4 * se, 1e-3)
    assert abs(x.mean() - target) < 0.015
    assert x.min() >= 0 and x.max() <= 1 + 1e-12
    again = generation_profile("g", node(profile, cf), 30 * YEAR_HOURS, np.random.default_rng(4))
    assert np.array_equal(x, again)


def test_a_flat_profile_is_the_capacity_factor_every_hour():
    x = generation_profile("g", node("flat", "60 %"), 100, np.random.default_rng(0))
    assert np.all(x == 0.6)


def test_solar_is_dark_at_night_and_peaks_within_an_hour_of_solar_noon():
    from pvlib import solarposition
    import pandas as pd

    lon = 45.0
    n = 2 * YEAR_HOURS
    sun = generation_profile("g", node("solar", "22 %", lat=40.0, lon=lon), n, np.random.default_rng(5))
    times = pd.date_range("2030-01-01 00:30", periods=YEAR_HOURS, freq="h", tz="UTC")
    elevation = solarposition.get_solarposition(times, 40.0, lon)["elevation"].to_numpy()
    night = np.tile(elevation < -1.0, 2)  # the sun a degree below the horizon at mid-hour
    assert sun[night].max() == 0
    by_hour = sun.reshape(-1, 24).mean(axis=0)  # UTC hours h .. h+1, centred on h + 0.5
    noon_utc = 12.0 - lon / 15.0
    assert abs(int(np.argmax(by_hour)) + 0.5 - noon_utc) <= 1.0


def test_solar_summer_over_winter_at_40_north_is_in_the_physical_range():
    """A latitude-tilted array at 40 N gives roughly 1.3-3x as much in June-August as in
    December-February (longer days, higher sun, fewer clouds; PVGIS gives ~1.9 at Baku)."""
    sun = years(generation_profile("g", node("solar", "22 %", lat=40.0), 10 * YEAR_HOURS, np.random.default_rng(6)))
    days = np.arange(YEAR_HOURS) // 24
    summer, winter = (days >= 151) & (days < 243), (days < 59) | (days >= 334)
    ratio = sun[:, summer].mean() / sun[:, winter].mean()
    assert 1.3 < ratio < 3.0


def test_wind_blows_more_in_winter_and_in_the_afternoon_and_persists_hour_to_hour():
    lon = 49.8
    wind = years(generation_profile("g", node("wind", "38 %", lon=lon), 10 * YEAR_HOURS, np.random.default_rng(5)))
    days = np.arange(YEAR_HOURS) // 24
    winter, summer = (days < 59) | (days >= 334), (days >= 152) & (days < 243)
    assert wind[:, winter].mean() > 1.1 * wind[:, summer].mean()
    local = ((np.arange(YEAR_HOURS) + 0.5 + lon / 15.0) % 24).astype(int)
    by_hour = np.array([wind[:, local == h].mean() for h in range(24)])
    assert abs(int(np.argmax(by_hour)) + 0.5 - 15.0) <= 3.0
    assert by_hour.max() > 1.05 * by_hour.min()
    x = wind.ravel()
    assert np.corrcoef(x[:-1], x[1:])[0, 1] > 0.8


def places(*km_east: float, lat: float = 40.0, lon: float = 45.0) -> dict[str, tuple[float, float]]:
    """Sites on a parallel, each `km` east of the first."""
    per_degree = distance_km((lat, lon), (lat, lon + 1.0))
    return {f"s{i}": (lat, lon + km / per_degree) for i, km in enumerate(km_east)}


@pytest.mark.slow
def test_wind_anomalies_are_correlated_as_exp_minus_distance_over_l():
    """Sample correlation of two AR(1) series with common coefficient phi: standard error about
    (1 - rho^2) sqrt((1 + phi^2) / (N (1 - phi^2))) (Bartlett)."""
    coords = places(0.0, 150.0, 600.0)
    w = Weather(coords, np.random.default_rng(7))
    wind = np.concatenate([w.year(y)[0] for y in range(20)])
    n, phi = wind.shape[0], WIND_PERSISTENCE
    for j, name in ((1, "s1"), (2, "s2")):
        rho = math.exp(-distance_km(coords["s0"], coords[name]) / WIND_CORRELATION_KM)
        se = (1 - rho**2) * math.sqrt((1 + phi**2) / (n * (1 - phi**2)))
        assert np.corrcoef(wind[:, 0], wind[:, j])[0, 1] == pytest.approx(rho, abs=4 * se + 0.01)
    assert np.all(np.abs(wind.mean(axis=0)) < 0.1) and np.allclose(wind.std(axis=0), 1.0, atol=0.1)


def test_cloud_anomalies_are_correlated_as_exp_minus_distance_over_l():
    coords = places(0.0, 100.0)
    w = Weather(coords, np.random.default_rng(8))
    cloud = np.concatenate([w.year(y)[1] for y in range(6)])
    rho = math.exp(-100.0 / CLOUD_CORRELATION_KM)
    assert np.corrcoef(cloud[:, 0], cloud[:, 1])[0, 1] == pytest.approx(rho, abs=0.06)


def test_output_correlation_falls_with_distance():
    km = (0.0, 50.0, 300.0, 1200.0)
    coords = places(*km)
    nodes = {nid: node("wind", "38 %", lat=lat, lon=lon) for nid, (lat, lon) in coords.items()}
    profiles = GenerationProfiles(nodes, np.random.default_rng(9))
    x = {nid: profiles.hours(nid, 0, 3 * YEAR_HOURS) for nid in nodes}
    r = [np.corrcoef(x["s0"], x[f"s{i}"])[0, 1] for i in (1, 2, 3)]
    assert r[0] > r[1] > r[2]
    assert r[2] < 0.3  # 1200 km apart: the weather systems mostly differ


def test_the_weather_is_the_same_however_the_hours_are_asked_for():
    coords = places(0.0, 80.0)
    nodes = {"s0": node("wind", "40 %", *coords["s0"]), "s1": node("solar", "22 %", *coords["s1"])}
    whole = GenerationProfiles(nodes, np.random.default_rng(10))
    parts = GenerationProfiles(nodes, np.random.default_rng(10))
    for nid in nodes:
        a = whole.hours(nid, 0, 3 * YEAR_HOURS)
        later = parts.hours(nid, 2 * YEAR_HOURS - 7, 3 * YEAR_HOURS)  # across a year's end, then back
        early = parts.hours(nid, 0, 2 * YEAR_HOURS - 7)
        assert np.array_equal(a, np.concatenate([early, later]))


def test_a_site_alone_is_drawn_from_the_same_law_as_among_others():
    """Adding a site changes its neighbours' draws (one process) but not their law: the site
    alone and the site beside another give the same expected capacity factor."""
    alone = generation_profile("s0", node("wind", "38 %"), 5 * YEAR_HOURS, np.random.default_rng(11))
    both = GenerationProfiles({"s0": node("wind", "38 %"), "s1": node("wind", "38 %", lon=50.5)},
                              np.random.default_rng(11)).hours("s0", 0, 5 * YEAR_HOURS)
    assert alone.mean() == pytest.approx(both.mean(), abs=0.05)


def test_an_impossible_capacity_factor_is_a_user_error():
    with pytest.raises(CorridorError, match="nodes.g.generation.capacity_factor"):
        generation_profile("g", node("solar", "60 %"), 24, np.random.default_rng(0))


def test_an_unknown_turbine_is_a_user_error():
    with pytest.raises(CorridorError, match=r"nodes.g.generation.turbine: no power curve for 'E-126/9999'.*E-126"):
        generation_profile("g", node("wind", "38 %", turbine="E-126/9999"), 24, np.random.default_rng(0))


def test_a_profile_file_is_read_and_repeated_over_the_horizon(tmp_path):
    path = tmp_path / "wind.csv"
    path.write_text("hour,cf\n0,0.5\n1,0.25\n2,0\n")
    x = generation_profile("g", file_node(path), 7, np.random.default_rng(0))
    assert x.tolist() == [0.5, 0.25, 0, 0.5, 0.25, 0, 0.5]


def test_a_profile_file_is_read_beside_the_scenario_file_that_names_it(tmp_path, monkeypatch):
    folder = tmp_path / "studies"
    folder.mkdir()
    (folder / "wind.csv").write_text("cf\n0.1\n0.7\n")
    (folder / "windy.yaml").write_text("extends: targets-2030\nname: windy\n"
                                       "nodes:\n  az_wind:\n    generation:\n      file: wind.csv\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load_scenario(folder / "windy.yaml")
    assert scenario.nodes["az_wind"].generation.folder == folder
    x = GenerationProfiles(scenario.nodes, np.random.default_rng(0)).hours("az_wind", 3, 6)
    assert x.tolist() == [0.7, 0.1, 0.7]


@pytest.mark.parametrize("text", ["hour,cf\n0,0.5\n1,1.5\n", "hour,cf\n", "0;-0.1\n", "0,nan\n"],
                         ids=["above one", "empty", "negative", "not a number"])
def test_a_bad_profile_file_is_a_user_error(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(CorridorError, match="nodes.g.generation.file: expected capacity factors"):
        generation_profile("g", file_node(path), 24, np.random.default_rng(0))


def test_a_missing_profile_file_is_a_user_error(tmp_path):
    with pytest.raises(CorridorError, match="no profile file"):
        generation_profile("g", file_node(tmp_path / "absent.csv"), 24, np.random.default_rng(0))
