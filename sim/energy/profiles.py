"""Generation profiles: the hourly capacity factor of a wind, solar or flat generation site,
from one stochastic weather process shared by all the generation sites of a scenario.

Hour 0 is 1 January 00:00 UTC; the weather is drawn a year (8760 hours, the sun's path of a
365-day year) at a time, so memory does not grow with the horizon.

The weather (`Weather`): for every wind or solar site two standard normal anomalies each hour,
a wind anomaly (an AR(1), 0.97 an hour: e-folding after ~33 h, the passing of weather systems)
and a cloud anomaly (a day-to-day AR(1), 0.6 a day, plus an hour-to-hour AR(1), 0.9 an hour).
The innovations are correlated between sites as exp(-distance / L), L = 400 km for wind and
150 km for cloud, so the anomalies are too (`WIND_CORRELATION_KM`, `CLOUD_CORRELATION_KM`). All
sites' weather comes from the replication's one `weather` stream: the same whatever the worker
count.

Solar (pvlib): solar position and Ineichen clear-sky irradiance with pvlib's bundled Linke
turbidity and altitude (computed once per site and cached), times a clear-sky index from a cloud
fraction (Kasten & Czeplak 1980: GHI = clear-sky GHI x (1 - 0.75 c^3.4)); the cloud fraction is
the cloud anomaly through a probit with a seasonal mean (more cloud in the hemisphere's winter);
Erbs decomposition to beam and diffuse, Hay-Davies transposition to a fixed, equator-facing plane
(`tilt`, default the latitude), PVWatts DC and inverter (clipping at the inverter's rating). The
one free number, the DC power per unit of inverter rating, is found by bisection so that the
expected capacity factor is the site's `capacity_factor`.

Wind (windpowerlib): hub-height speed = mean speed x seasonal (winter-high) x diurnal
(afternoon-high) cycle x a unit-mean Weibull (shape 2) of the wind anomaly, through the power
curve of the site's `turbine` from windpowerlib's bundled library, smoothed for a fleet of them
(`power_curve`); the mean speed is found by
bisection so that the expected capacity factor is the site's `capacity_factor`.

Calibration is on the expectation (every hour of the year, the anomaly's normal law on 64
equal-probability nodes), not on one draw: a year of one replication has its own weather and
its capacity factor scatters around the sourced one, as real years do.

Flat: the capacity factor every hour. A site with a `file` reads its capacity factors from it
(one an hour, repeated to cover the horizon), found beside the scenario file that names it, then
in the working folder, then among the bundled scenarios.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sim import bundled
from sim.energy.records import Hourly
from sim.errors import CorridorError
from sim.network import distance_km
from sim.scenario.schema import Generation, Node, Scenario

YEAR_HOURS = 8760  # a weather year: the sun's path of a 365-day year, repeated
GEOMETRY_YEAR = 2030  # the (non-leap) calendar year whose solar geometry stands for every year
WIND_CORRELATION_KM = 400.0  # assumed: hourly wind correlation ~0.3 at 500 km (Giebel 2000, Europe)
CLOUD_CORRELATION_KM = 150.0  # assumed: clouds decorrelate faster than wind (hourly clear-sky index)
WIND_PERSISTENCE = 0.97  # AR(1) coefficient an hour
CLOUD_DAY_PERSISTENCE = 0.6  # AR(1) coefficient a day
CLOUD_HOUR_PERSISTENCE = 0.9  # AR(1) coefficient an hour
CLOUD_DAY_SHARE = 0.6  # share of the cloud anomaly's variance that is day to day
CLOUD_MEAN, CLOUD_SEASONAL = 0.45, 0.2  # assumed cloud fraction 0.65 in mid-winter, 0.25 in mid-summer
CLOUD_SPREAD = 1.5  # probit slope: skies mostly clear or mostly overcast
WEIBULL_SHAPE = 2.0
WIND_SEASONAL = 0.12  # speed +-12 % over the year, highest mid-January (mid-July south)
WIND_DIURNAL, WIND_PEAK_HOUR = 0.06, 15.0  # speed +-6 % over the day, highest at 15:00 local solar time
NODES = 64  # equal-probability nodes of the normal law for the expected capacity factor
CALIBRATION_TOL = 1e-9


@dataclass(frozen=True)
class Site:
    """What a weather-driven profile needs from a generation site (hashable: calibrations are cached)."""

    lat: float
    lon: float
    profile: str
    capacity_factor: float
    tilt: float
    turbine: str

    @classmethod
    def of(cls, node: Node) -> Site:
        gen = node.generation
        assert gen is not None  # internal invariant: callers pass generation sites
        tilt = abs(node.lat) if gen.tilt is None else gen.tilt
        return cls(node.lat, node.lon, gen.profile, gen.capacity_factor.value, tilt, gen.turbine)


def correlation(coords: list[tuple[float, float]], length_km: float) -> np.ndarray:
    """exp(-distance / L) between every pair of sites (positive definite on the sphere)."""
    d = np.array([[distance_km(a, b) for b in coords] for a in coords])
    return np.exp(-d / length_km)


class Weather:
    """The wind and cloud anomalies of a set of sites, a year at a time (standard normal each
    hour, correlated between sites as exp(-d/L)). Year y's innovations come from its own child
    of one seed drawn from `rng`, and the AR states carry over from year to year: asking for a
    year again, or out of order, replays from the start and gives the same numbers."""

    def __init__(self, coords: dict[str, tuple[float, float]], rng: np.random.Generator):
        self.ids = sorted(coords)
        pts = [coords[i] for i in self.ids]
        jitter = 1e-9 * np.eye(len(pts))  # two sites at one place: perfectly correlated, still factorable
        self._wind_mix = np.linalg.cholesky(correlation(pts, WIND_CORRELATION_KM) + jitter)
        self._cloud_mix = np.linalg.cholesky(correlation(pts, CLOUD_CORRELATION_KM) + jitter)
        self._entropy = int(rng.integers(0, 2**63))
        self._year = -1
        self._state: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._current: tuple[np.ndarray, np.ndarray] | None = None

    def year(self, y: int) -> tuple[np.ndarray, np.ndarray]:
        """(wind, cloud) anomalies of year `y`, each YEAR_HOURS x sites (columns in `ids` order)."""
        if y < self._year:  # replay from the start
            self._year, self._state, self._current = -1, None, None
        while self._year < y:
            self._current = self._draw(self._year + 1)
            self._year += 1
        assert self._current is not None
        return self._current

    def _draw(self, y: int) -> tuple[np.ndarray, np.ndarray]:
        from scipy.signal import lfilter  # imported when weather is drawn: scipy.signal is slow to import

        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self._entropy, spawn_key=(y,))))
        k = len(self.ids)
        if self._state is None:  # the stationary law at hour 0
            self._state = (self._wind_mix @ rng.standard_normal(k), self._cloud_mix @ rng.standard_normal(k),
                           self._cloud_mix @ rng.standard_normal(k))
        w0, d0, h0 = self._state
        days = YEAR_HOURS // 24

        def ar(e: np.ndarray, phi: float, last: np.ndarray) -> np.ndarray:
            out: np.ndarray = lfilter([math.sqrt(1 - phi * phi)], [1.0, -phi], e, axis=0, zi=(phi * last)[None, :])[0]
            return out

        wind = ar(rng.standard_normal((YEAR_HOURS, k)) @ self._wind_mix.T, WIND_PERSISTENCE, w0)
        daily = ar(rng.standard_normal((days, k)) @ self._cloud_mix.T, CLOUD_DAY_PERSISTENCE, d0)
        hourly = ar(rng.standard_normal((YEAR_HOURS, k)) @ self._cloud_mix.T, CLOUD_HOUR_PERSISTENCE, h0)
        self._state = (wind[-1], daily[-1], hourly[-1])
        cloud = math.sqrt(CLOUD_DAY_SHARE) * np.repeat(daily, 24, axis=0) + math.sqrt(1 - CLOUD_DAY_SHARE) * hourly
        return wind, cloud



@dataclass(frozen=True)
class SunPath:
    """A site's deterministic solar geometry and clear-sky irradiance at the middle of every hour
    of the weather year."""

    zenith: np.ndarray
    azimuth: np.ndarray
    ghi_clear: np.ndarray
    dni_extra: np.ndarray
    doy: np.ndarray
    day: np.ndarray  # sun above the horizon and clear-sky GHI > 0


@lru_cache(maxsize=32)
def sun_path(lat: float, lon: float) -> SunPath:
    import pandas as pd
    from pvlib import irradiance, location

    times = pd.date_range(f"{GEOMETRY_YEAR}-01-01 00:30", periods=YEAR_HOURS, freq="h", tz="UTC")
    site = location.Location(lat, lon)  # altitude from pvlib's bundled map
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dayofyear is deprecated")  # pvlib on pandas 3
        pos = site.get_solarposition(times)
        clear = site.get_clearsky(times, model="ineichen", solar_position=pos)  # bundled Linke turbidity
    zenith = pos["zenith"].to_numpy(dtype=float)
    ghi = clear["ghi"].to_numpy(dtype=float)
    doy = np.arange(YEAR_HOURS) // 24 + 1.0
    return SunPath(zenith, pos["azimuth"].to_numpy(dtype=float), ghi,
                   np.asarray(irradiance.get_extra_radiation(doy), dtype=float), doy, (zenith < 90) & (ghi > 0))


def cloud_fraction(z: np.ndarray, doy: np.ndarray, lat: float) -> np.ndarray:
    """Cloud fraction from the cloud anomaly: a probit whose mean over the anomaly's normal law is
    CLOUD_MEAN + CLOUD_SEASONAL x cos(day of year from mid-January), flipped in the south."""
    from scipy.special import ndtr, ndtri

    season = CLOUD_MEAN + CLOUD_SEASONAL * (1.0 if lat >= 0 else -1.0) * np.cos(2 * np.pi * (doy - 15) / 365.0)
    return np.asarray(ndtr(ndtri(season) * math.sqrt(1 + CLOUD_SPREAD**2) + CLOUD_SPREAD * z))


def plane_dc(site: Site, z: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """PVWatts DC power per unit of DC rating (25 C cells) on the site's plane at the hours `rows`
    of the weather year, with cloud anomalies `z` (the same shape as `rows`)."""
    from pvlib import irradiance, pvsystem

    sun = sun_path(site.lat, site.lon)
    zen, doy = sun.zenith[rows], sun.doy[rows]
    ghi = sun.ghi_clear[rows] * (1 - 0.75 * cloud_fraction(z, doy, site.lat) ** 3.4)
    parts = irradiance.erbs(ghi, zen, doy)
    poa = irradiance.get_total_irradiance(site.tilt, 180.0 if site.lat >= 0 else 0.0, zen, sun.azimuth[rows],
                                          parts["dni"], ghi, parts["dhi"], dni_extra=sun.dni_extra[rows],
                                          model="haydavies")["poa_global"]
    dc = pvsystem.pvwatts_dc(np.nan_to_num(np.asarray(poa, dtype=float)), 25.0, 1.0, -0.004)
    return np.maximum(np.asarray(dc, dtype=float), 0.0)


def inverter_ac(dc: np.ndarray, dc_per_ac: float) -> np.ndarray:
    """AC output per unit of inverter rating for DC per unit of DC rating, `dc_per_ac` the DC
    rating per unit of inverter rating (PVWatts inverter, clipped at its rating)."""
    from pvlib import inverter

    eta = 0.96
    return np.asarray(inverter.pvwatts(dc * dc_per_ac, 1.0 / eta, eta_inv_nom=eta), dtype=float)


@lru_cache(maxsize=64)
def solar_calibration(site: Site, where: str) -> float:
    """The DC rating per unit of inverter rating whose expected capacity factor is the site's."""
    sun = sun_path(site.lat, site.lon)
    rows = np.repeat(np.flatnonzero(sun.day), NODES)
    z = np.tile(normal_nodes(), int(sun.day.sum()))
    dc = plane_dc(site, z, rows)
    expected = lambda k: float(inverter_ac(dc, k).sum() / (NODES * YEAR_HOURS))
    most = float((dc > 0).sum() / (NODES * YEAR_HOURS))
    return bisect(expected, site.capacity_factor, most, where, "hours of sunshine")


def solar_year(site: Site, cloud: np.ndarray, where: str) -> Hourly:
    day = sun_path(site.lat, site.lon).day
    out = np.zeros(YEAR_HOURS)
    rows = np.flatnonzero(day)
    out[rows] = inverter_ac(plane_dc(site, cloud[rows], rows), solar_calibration(site, where))
    return out



@lru_cache(maxsize=16)
def power_curve(turbine: str) -> tuple[np.ndarray, np.ndarray]:
    """(wind speeds m/s, output per unit of nominal power) of a fleet of a turbine type in
    windpowerlib's library: the turbine's curve smoothed over the spread of speeds across a site's
    many turbines (Staffell & Pfenninger 2016, a Gaussian of 0.6 + 0.2 v m/s), since a generation
    site of gigawatts is hundreds of turbines over tens of kilometres."""
    from windpowerlib import WindTurbine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing curve is reported below, as ours
        t = WindTurbine(hub_height=150.0, turbine_type=turbine)
    if t.power_curve is None or not t.nominal_power:
        raise KeyError(turbine)
    from windpowerlib.power_curves import smooth_power_curve

    curve = t.power_curve.sort_values("wind_speed")
    fleet = smooth_power_curve(curve["wind_speed"], curve["value"], standard_deviation_method="Staffell_Pfenninger")
    return (fleet["wind_speed"].to_numpy(dtype=float), fleet["value"].to_numpy(dtype=float) / float(t.nominal_power))


def turbine_curve(turbine: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        return power_curve(turbine)
    except KeyError:
        import difflib

        from windpowerlib import get_turbine_types

        names = get_turbine_types(print_out=False)["turbine_type"].tolist()
        hint = difflib.get_close_matches(turbine, names, n=3)
        raise CorridorError(f"{where}.turbine: no power curve for {turbine!r} in windpowerlib's turbine library"
                            + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else "")) from None


def wind_cycle(lat: float, lon: float) -> np.ndarray:
    """Seasonal times diurnal factor of the wind speed at every hour of the weather year."""
    t = np.arange(YEAR_HOURS) + 0.5
    doy = t / 24.0
    winter = 1.0 if lat >= 0 else -1.0
    local = (t + lon / 15.0) % 24.0
    return ((1 + WIND_SEASONAL * winter * np.cos(2 * np.pi * (doy - 15) / 365.0))
            * (1 + WIND_DIURNAL * np.cos(2 * np.pi * (local - WIND_PEAK_HOUR) / 24.0)))


def weibull_of(z: np.ndarray) -> np.ndarray:
    """A unit-mean Weibull (shape WEIBULL_SHAPE) variate from a standard normal one, quantile to quantile."""
    from scipy.special import log_ndtr

    return np.asarray((-log_ndtr(-z)) ** (1 / WEIBULL_SHAPE) / math.gamma(1 + 1 / WEIBULL_SHAPE))


@lru_cache(maxsize=64)
def wind_calibration(site: Site, where: str) -> float:
    """The mean hub-height speed (m/s) whose expected capacity factor is the site's."""
    speeds, output = turbine_curve(site.turbine, where)
    shape = np.outer(wind_cycle(site.lat, site.lon), weibull_of(normal_nodes())).ravel()
    expected = lambda v: float(np.interp(v * shape, speeds, output, left=0.0, right=0.0).mean())
    grid = np.linspace(1.0, 25.0, 25)
    top = float(grid[int(np.argmax([expected(v) for v in grid]))])
    return bisect(expected, site.capacity_factor, expected(top), where, f"turbine {site.turbine!r}", top)


def wind_year(site: Site, wind: np.ndarray, where: str) -> Hourly:
    speeds, output = turbine_curve(site.turbine, where)
    v = wind_calibration(site, where) * wind_cycle(site.lat, site.lon) * weibull_of(wind)
    from windpowerlib.power_output import power_curve as curve_output

    return np.asarray(curve_output(v, speeds, output), dtype=float)



@lru_cache(maxsize=1)
def normal_nodes() -> np.ndarray:
    """NODES equal-probability points of the standard normal law (midpoints in probability)."""
    from scipy.special import ndtri

    return np.asarray(ndtri((np.arange(NODES) + 0.5) / NODES))


def bisect(expected: Any, cf: float, most: float, where: str, what: str, hi: float | None = None) -> float:
    """The scale x in (0, hi] with expected(x) = cf, `expected` increasing on it."""
    if cf >= most - 1e-9:
        raise CorridorError(f"{where}.capacity_factor: {cf:.0%} is more than this profile can give "
                            f"({what}: at most {most:.0%})")
    lo = 0.0
    if hi is None:
        hi = 1.0
        while expected(hi) < cf:
            lo, hi = hi, hi * 2
    while hi - lo > CALIBRATION_TOL * hi:
        mid = (lo + hi) / 2
        if expected(mid) < cf:
            lo = mid
        else:
            hi = mid
    return hi



def weather_driven(gen: Generation) -> bool:
    return gen.file is None and gen.profile in ("wind", "solar") and gen.capacity_factor.value > 0


class GenerationProfiles:
    """Hourly capacity factors of a scenario's generation sites over hours [lo, hi), a weather year
    at a time (the last year asked is kept per site)."""

    def __init__(self, nodes: dict[str, Node], rng: np.random.Generator):
        self.nodes = {nid: n for nid, n in nodes.items() if n.generation is not None}
        driven = {nid: (n.lat, n.lon) for nid, n in self.nodes.items()
                  if n.generation is not None and weather_driven(n.generation)}
        self.weather = Weather(driven, rng)
        self._column = {nid: i for i, nid in enumerate(self.weather.ids)}
        self._kept: dict[str, tuple[int, Hourly]] = {}
        self._files: dict[str, Hourly] = {}

    def hours(self, nid: str, lo: int, hi: int) -> Hourly:
        """Capacity factor of site `nid` at hours lo .. hi - 1."""
        node = self.nodes.get(nid)
        if node is None or node.generation is None:
            raise ValueError(f"node {nid!r} has no generation")  # callers pass generation sites only
        gen = node.generation
        if gen.file:
            if nid not in self._files:
                self._files[nid] = profile_file(nid, gen)
            x = self._files[nid]
            return x[np.arange(lo, hi) % x.size]
        if not weather_driven(gen):
            return np.full(hi - lo, gen.capacity_factor.value)
        parts = []
        for y in range(lo // YEAR_HOURS, (hi - 1) // YEAR_HOURS + 1 if hi > lo else lo // YEAR_HOURS):
            year = self._year(nid, node, y)
            a, b = max(lo, y * YEAR_HOURS) - y * YEAR_HOURS, min(hi, (y + 1) * YEAR_HOURS) - y * YEAR_HOURS
            parts.append(year[a:b])
        return np.concatenate(parts) if parts else np.zeros(0)

    def _year(self, nid: str, node: Node, y: int) -> Hourly:
        kept = self._kept.get(nid)
        if kept is not None and kept[0] == y:
            return kept[1]
        wind, cloud = self.weather.year(y)
        col, site, where = self._column[nid], Site.of(node), f"nodes.{nid}.generation"
        x = wind_year(site, wind[:, col], where) if site.profile == "wind" else solar_year(site, cloud[:, col], where)
        self._kept[nid] = (y, x)
        return x


WEATHER_STREAM = "generation:weather"  # the named random stream of a replication's weather


def scenario_profiles(scenario: Scenario, seed: int, replication: int) -> GenerationProfiles:
    """The profiles of every generation site of `scenario` in replication `replication` of
    `seed`: one weather for all of them, drawn from a fresh `WEATHER_STREAM`, so the power
    model, the electrolysers and the firm-power plan see the same hours whoever asks first."""
    from sim.replications import Streams

    return GenerationProfiles(scenario.nodes, Streams(seed, replication).get(WEATHER_STREAM))


def generation_profile(nid: str, node: Node, n_hours: int, rng: np.random.Generator) -> Hourly:
    """Hourly capacity factor of generation site `nid` over `n_hours`, its weather drawn alone
    from `rng` (a scenario's sites share one weather process: `GenerationProfiles`)."""
    return GenerationProfiles({nid: node}, rng).hours(nid, 0, n_hours)


def profile_path(gen: Generation) -> Path | None:
    """Where a generation site's `file` is: beside the scenario file that names it, then in the
    working folder, then among the bundled scenarios (None when nowhere)."""
    if gen.file is None:
        return None
    name = Path(gen.file)
    candidates = ([gen.folder / name] if gen.folder is not None else []) + [name, bundled.folder("scenarios") / name]
    return next((p for p in candidates if p.is_file()), None)


def profile_file(nid: str, gen: Generation) -> Hourly:
    """Hourly capacity factors from a text/CSV file (last column, one row an hour)."""
    path = profile_path(gen)
    if path is None:
        beside = f" beside {gen.folder}," if gen.folder is not None else ""
        raise CorridorError(f"nodes.{nid}.generation.file: no profile file {gen.file!r}{beside} in the working "
                            "folder or among the bundled scenarios")
    values = []
    for line in path.read_text().splitlines():
        cell = line.replace(";", ",").split(",")[-1].strip()
        try:
            values.append(float(cell))
        except ValueError:
            continue  # a header or a comment
    x = np.asarray(values)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x > 1):
        raise CorridorError(f"nodes.{nid}.generation.file: expected capacity factors between 0 and 1, "
                            f"one an hour, in {str(path)!r}")
    return x
