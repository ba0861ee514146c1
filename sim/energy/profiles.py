"""Generation profiles: the hourly capacity factor of a wind, solar or flat generation site.

Hour 0 is 1 January 00:00 UTC. A site with a `file` reads its capacity factors from it (one an
hour, repeated to cover the horizon). Otherwise the profile is synthetic, with the site's daily
and seasonal shape, scaled to its mean `capacity_factor` (`scale_to_mean`):
- wind: winter-high and afternoon-high, with hour-to-hour persistence (a lognormal AR(1) with
  coefficient 0.97 an hour);
- solar: the sun's elevation at the site's latitude and longitude times a day-by-day cloud
  factor (an AR(1) with coefficient 0.6 a day);
- flat: the capacity factor every hour.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim import bundled
from sim.energy.records import Hourly
from sim.errors import CorridorError
from sim.scenario.schema import Node


def generation_profile(nid: str, node: Node, n_hours: int, rng: np.random.Generator) -> Hourly:
    """Hourly capacity factor of generation site `nid` over `n_hours`."""
    gen = node.generation
    if gen is None:
        raise ValueError(f"node {nid!r} has no generation")  # callers pass generation sites only
    if gen.file:
        return profile_file(nid, gen.file, n_hours)
    cf = gen.capacity_factor.value
    if gen.profile == "flat" or cf == 0:
        return np.full(n_hours, cf)
    t = np.arange(n_hours, dtype=np.float64) + 0.5
    raw = wind(t, node.lat, node.lon, rng) if gen.profile == "wind" else solar(t, node.lat, node.lon, rng)
    return scale_to_mean(raw, cf, f"nodes.{nid}.generation")


def ar1(n: int, phi: float, rng: np.random.Generator) -> Hourly:
    """A stationary AR(1) series with unit variance."""
    e = rng.standard_normal(n)
    e[0] /= math.sqrt(1 - phi * phi)
    from scipy.signal import lfilter  # imported when a profile is drawn: scipy.signal is slow to import

    series: Hourly = lfilter([math.sqrt(1 - phi * phi)], [1.0, -phi], e)
    return series


def wind(t: Hourly, lat: float, lon: float, rng: np.random.Generator) -> Hourly:
    """Unscaled wind output at hours `t`: seasonal (high in the hemisphere's winter) times
    diurnal (high mid-afternoon, local time) times a lognormal AR(1)."""
    doy = (t / 24.0) % 365.25
    winter = 1.0 if lat >= 0 else -1.0
    season = 1.0 + 0.3 * winter * np.cos(2 * np.pi * (doy - 15) / 365.25)
    local = (t + lon / 15.0) % 24.0
    diurnal = 1.0 + 0.15 * np.cos(2 * np.pi * (local - 15.0) / 24.0)
    z = ar1(len(t), 0.97, rng)
    return season * diurnal * np.exp(0.6 * z - 0.18)


def solar(t: Hourly, lat: float, lon: float, rng: np.random.Generator) -> Hourly:
    """Unscaled solar output at hours `t`: the sine of the sun's elevation (0 at night) times a
    daily cloud factor between 0.1 and 1."""
    doy = (t / 24.0) % 365.25
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + doy) / 365.25)
    solar_time = (t % 24.0) + lon / 15.0
    omega = np.radians(15.0 * (solar_time - 12.0))
    phi = math.radians(lat)
    sin_el = math.sin(phi) * np.sin(decl) + math.cos(phi) * np.cos(decl) * np.cos(omega)
    days = int(t[-1] // 24) + 1
    cloud = np.clip(0.75 + 0.2 * ar1(days, 0.6, rng), 0.1, 1.0)
    return np.clip(sin_el, 0.0, None) * cloud[(t // 24).astype(int)]


def scale_to_mean(raw: Hourly, cf: float, where: str = "generation") -> Hourly:
    """min(k x raw, 1) with k chosen (bisection) so the mean is `cf`."""
    if cf >= np.mean(raw > 0) - 1e-9:
        raise CorridorError(f"{where}.capacity_factor: {cf:.0%} is more than this profile can give "
                            f"(it produces in {np.mean(raw > 0):.0%} of hours)")
    lo, hi = 0.0, cf / raw.mean()
    while np.minimum(raw * hi, 1.0).mean() < cf:
        lo, hi = hi, hi * 2
    for _ in range(80):
        mid = (lo + hi) / 2
        if np.minimum(raw * mid, 1.0).mean() < cf:
            lo = mid
        else:
            hi = mid
    return np.minimum(raw * hi, 1.0)


def profile_file(nid: str, name: str, n_hours: int) -> Hourly:
    """Hourly capacity factors from a text/CSV file (last column, one row an hour), repeated
    to cover the horizon. A relative path is looked up in the working and scenarios folders."""
    candidates = [Path(name), bundled.folder("scenarios") / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise CorridorError(f"nodes.{nid}.generation.file: no profile file {name!r}")
    values = []
    for line in path.read_text().splitlines():
        cell = line.replace(";", ",").split(",")[-1].strip()
        try:
            values.append(float(cell))
        except ValueError:
            continue  # a header or a comment
    x = np.asarray(values)
    if x.size == 0 or np.any(x < 0) or np.any(x > 1):
        raise CorridorError(f"nodes.{nid}.generation.file: expected capacity factors between 0 and 1, "
                            f"one an hour, in {name!r}")
    return np.resize(x, n_hours)
