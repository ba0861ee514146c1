"""Distributions named in scenario files, each with `sample` and its analytic `mean` and `variance`.

Values are held in the canonical unit of the field they belong to (hours for durations); the
random generator is always passed in, never global.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from sim.scenario import units
from sim.scenario.units import Kind


@dataclass(frozen=True)
class Distribution:
    """Base class: a named distribution over non-negative values in one canonical unit."""

    name: ClassVar[str] = ""
    params: ClassVar[tuple[str, ...]] = ()
    unit: str = field(default="h", kw_only=True)
    source: str | None = field(default=None, kw_only=True, compare=False)
    note: str | None = field(default=None, kw_only=True, compare=False)

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.sample_many(rng, 1)[0])

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        """The file form of this distribution, for the resolved scenario."""
        spec: dict[str, Any] = {"dist": self.name}
        for p in self.params:
            v = getattr(self, p)
            if p == "weights":
                spec[p] = list(v)
            elif p == "values":
                spec[p] = [f"{x:g} {self.unit}" for x in v]
            else:
                spec[p] = f"{v:g} {self.unit}"
        return _with_source(spec, self)


def _with_source(spec: dict[str, Any], d: Distribution) -> dict[str, Any]:
    """The spec with the distribution's source and note, which the resolved scenario keeps."""
    return spec | ({"source": d.source} if d.source else {}) | ({"note": d.note} if d.note else {})


@dataclass(frozen=True)
class Deterministic(Distribution):
    name: ClassVar[str] = "deterministic"
    params: ClassVar[tuple[str, ...]] = ("value",)
    value: float = 0.0

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0


@dataclass(frozen=True)
class Exponential(Distribution):
    name: ClassVar[str] = "exponential"
    params: ClassVar[tuple[str, ...]] = ("mean",)
    mean_: float = field(default=1.0, metadata={"param": "mean"})

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean_))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def to_spec(self) -> dict[str, Any]:
        return _with_source({"dist": self.name, "mean": f"{self.mean_:g} {self.unit}"}, self)


@dataclass(frozen=True)
class Lognormal(Distribution):
    """Lognormal given by its own mean and standard deviation (not those of the log)."""

    name: ClassVar[str] = "lognormal"
    params: ClassVar[tuple[str, ...]] = ("mean", "sd")
    mean_: float = 1.0
    sd: float = 1.0

    @property
    def _mu_sigma(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator) -> float:
        mu, sigma = self._mu_sigma
        return float(rng.lognormal(mu, sigma))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self._mu_sigma
        return rng.lognormal(mu, sigma, n)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.sd**2

    def to_spec(self) -> dict[str, Any]:
        return _with_source({"dist": self.name, "mean": f"{self.mean_:g} {self.unit}",
                             "sd": f"{self.sd:g} {self.unit}"}, self)


@dataclass(frozen=True)
class Triangular(Distribution):
    name: ClassVar[str] = "triangular"
    params: ClassVar[tuple[str, ...]] = ("low", "mode", "high")
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0

    def sample(self, rng: np.random.Generator) -> float:
        if self.high == self.low:
            return self.low
        return float(rng.triangular(self.low, self.mode, self.high))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.high == self.low:
            return np.full(n, self.low)
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


@dataclass(frozen=True)
class Uniform(Distribution):
    name: ClassVar[str] = "uniform"
    params: ClassVar[tuple[str, ...]] = ("low", "high")
    low: float = 0.0
    high: float = 0.0

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12


@dataclass(frozen=True)
class Empirical(Distribution):
    """Draws one of the observed `values`, with optional `weights`."""

    name: ClassVar[str] = "empirical"
    params: ClassVar[tuple[str, ...]] = ("values", "weights")
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def _p(self) -> np.ndarray:
        w = np.asarray(self.weights or [1.0] * len(self.values), dtype=float)
        return w / w.sum()

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values), size=n, p=self._p)

    @property
    def mean(self) -> float:
        return float(np.dot(self._p, self.values))

    @property
    def variance(self) -> float:
        v = np.asarray(self.values)
        return float(np.dot(self._p, (v - self.mean) ** 2))


@dataclass(frozen=True)
class Scaled(Distribution):
    """An assumed distribution stretched by a factor (`scale: 0.7` beside its parameters), so a
    calibration can fit an assumed time as a whole: `calibrate: {scale: [low, high]}` marks the
    factor's range (`sim.calibrate`). Samples, mean and spread scale with the factor."""

    name: ClassVar[str] = "scaled"
    inner: Distribution = field(default_factory=lambda: Deterministic(value=0.0))
    factor: float = 1.0
    calibrate: tuple[float, float] | None = None

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.inner.sample_many(rng, n) * self.factor

    @property
    def mean(self) -> float:
        return self.inner.mean * self.factor

    @property
    def variance(self) -> float:
        return self.inner.variance * self.factor ** 2

    def to_spec(self) -> dict[str, Any]:
        spec = self.inner.to_spec() | {"scale": float(f"{self.factor:.15g}")}
        if self.calibrate is not None:
            spec["calibrate"] = {"scale": list(self.calibrate)}
        return spec


KINDS: dict[str, type[Distribution]] = {
    d.name: d for d in (Deterministic, Exponential, Lognormal, Triangular, Uniform, Empirical)
}
_REQUIRED = {
    "deterministic": ("value",),
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "empirical": ("values",),
}


def parse_distribution(raw: Any, kind: Kind = "duration") -> Distribution:
    """Build a distribution from its file form; a bare quantity (`20 h`) is deterministic.

    Raises ValueError with a message that names the offending key.
    """
    unit = units.CANONICAL[kind]
    if isinstance(raw, Distribution):
        return raw
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return Deterministic(value=_nonneg(units.to_canonical(raw, kind), "value"), unit=unit)
    if not isinstance(raw, dict):
        raise ValueError(
            "expected a quantity ('20 h') or a distribution "
            "({dist: triangular, low: 18 h, mode: 20 h, high: 30 h})"
        )
    raw = dict(raw)
    scale, marked = raw.pop("scale", None), raw.pop("calibrate", None)
    inner = _parse(raw, kind)
    if scale is None and marked is None:
        return inner
    factor = 1.0 if scale is None else _factor(scale, "scale")
    calibrate = None
    if marked is not None:
        if inner.source != "assumption":
            raise ValueError(f"calibrate: only an assumption is fitted to observations (this "
                             f"distribution's source is {inner.source}); mark it source: assumption, "
                             f"with a note saying why")
        ends = marked.get("scale") if isinstance(marked, dict) and set(marked) == {"scale"} else None
        if not isinstance(ends, list) or len(ends) != 2:
            raise ValueError("calibrate: expected {scale: [low, high]}, the range of the factor "
                             "the distribution is stretched by")
        lo, hi = _factor(ends[0], "calibrate.scale"), _factor(ends[1], "calibrate.scale")
        if not lo < hi:
            raise ValueError(f"calibrate.scale: expected low < high, got [{lo:g}, {hi:g}]")
        if not lo <= factor <= hi:
            raise ValueError(f"scale: {factor:g} is outside its calibrate range [{lo:g}, {hi:g}]")
        calibrate = (lo, hi)
    return Scaled(inner=inner, factor=factor, calibrate=calibrate, unit=inner.unit,
                  source=inner.source, note=inner.note)


def _factor(x: Any, key: str) -> float:
    """A positive finite plain number (a scale factor)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x < math.inf:
        raise ValueError(f"{key}: expected a positive number, got {x!r}")
    return float(x)


def _parse(raw: dict[str, Any], kind: Kind) -> Distribution:
    """A distribution from its file form without `scale` and `calibrate`."""
    unit = units.CANONICAL[kind]
    name = raw.pop("dist", None)
    source, note = raw.pop("source", None), raw.pop("note", None)
    if not isinstance(name, str) or name not in KINDS:
        hint = difflib.get_close_matches(str(name), KINDS, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"dist: expected one of {', '.join(KINDS)}, got {name!r}{extra}")
    allowed = set(KINDS[name].params)
    for key in raw:
        if not isinstance(key, str) or key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ValueError(f"{key}: not a parameter of {name} (takes {', '.join(sorted(allowed))}){extra}")
    missing = [p for p in _REQUIRED[name] if p not in raw]
    if missing:
        raise ValueError(f"{name} needs {', '.join(missing)}")
    meta = {"unit": unit, "source": source, "note": note}

    def q(key: str) -> float:
        try:
            return _nonneg(units.to_canonical(raw[key], kind), key)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None

    if name == "deterministic":
        return Deterministic(value=q("value"), **meta)
    if name == "exponential":
        return Exponential(mean_=_positive(q("mean"), "mean"), **meta)
    if name == "lognormal":
        return Lognormal(mean_=_positive(q("mean"), "mean"), sd=q("sd"), **meta)
    if name == "triangular":
        low, mode, high = q("low"), q("mode"), q("high")
        if not low <= mode <= high:
            raise ValueError("triangular needs low <= mode <= high")
        return Triangular(low=low, mode=mode, high=high, **meta)
    if name == "uniform":
        low, high = q("low"), q("high")
        if not low <= high:
            raise ValueError("uniform needs low <= high")
        return Uniform(low=low, high=high, **meta)
    values = raw["values"]
    if not isinstance(values, list) or not values:
        raise ValueError("values: expected a non-empty list of quantities")
    vals = tuple(_nonneg(units.to_canonical(v, kind), "values") for v in values)
    weights = raw.get("weights") or []
    if weights and (not isinstance(weights, list) or len(weights) != len(vals) or any(
            isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w <= 1e300 for w in weights)
            or not 0 < sum(weights) < math.inf):
        raise ValueError("weights: expected one finite non-negative number per value, not all zero")
    return Empirical(values=vals, weights=tuple(float(w) for w in weights), **meta)


def _nonneg(x: float, key: str) -> float:
    if not x >= 0 or math.isinf(x):
        raise ValueError(f"{key}: must be a finite value >= 0, got {x:g}")
    return x


def _positive(x: float, key: str) -> float:
    if not x > 0:
        raise ValueError(f"{key}: must be > 0, got {x:g}")
    return x
