"""Sweep designs: what a `--vary PATH=SPEC` means, and the samplers that turn specs into points.

A spec is a list (`2,4,6`, `1 GW, 2 GW`), a range (`1..4 step 0.5`, `1GW..4GW step 0.5GW`, or
`10..40` for whole numbers) or a distribution to sample (`uniform(1 GW, 4 GW)`,
`triangular(20 d, 30 d, 90 d)`, `normal(3 GW, 0.5 GW)`, `lognormal(mean, sd)`).
A point is a set of overrides as `--set` takes them, values written with their units.

A sampler is one small class with one abstract method (as in EMA Workbench); the random
generator is passed in, never global; Latin hypercube comes from `scipy.stats.qmc`, Sobol and
Morris from SALib (so their sensitivity indices can be computed from the same rows).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import yaml
from scipy import stats
from scipy.stats import qmc

from sim.scenario import units
from sim.errors import CorridorError

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_RANGE = re.compile(r"^(.+?)\.\.(.+?)(?:\s+step\s+(.+))?$", re.S)
_DIST = re.compile(r"^\s*(uniform|triangular|normal|lognormal)\s*\((.*)\)\s*$", re.S | re.I)
_DIST_ARGS = {"uniform": 2, "triangular": 3, "normal": 2, "lognormal": 2}
_EDGE = 1e-9  # quantiles are kept inside (0, 1) so normal tails stay finite
MAX_POINTS = 100_000  # design rows a sweep may have: checked before a row is built or a point is run


@dataclass(frozen=True)
class Point:
    """One sweep point: scenario overrides (path -> value text with units)."""

    overrides: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        """Stable across runs and machines: a hash of the sorted overrides (resume matches by content)."""
        blob = json.dumps(sorted(self.overrides), separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def as_set(self) -> list[str]:
        """The overrides as `--set PATH=VALUE` texts."""
        return [f"{path}={value}" for path, value in self.overrides]

    def value(self, path: str) -> str:
        return dict(self.overrides)[path]


@dataclass(frozen=True)
class Parameter(ABC):
    """One varied scenario value: its path, and what values it may take. A parameter is a list of
    values, a range or a distribution (`kind`), each a subclass with the fields its kind needs."""

    kind: ClassVar[str]
    path: str
    spec: str
    unit: str = ""  # the unit as the user wrote it ("" for plain numbers)
    integer: bool = False

    @abstractmethod
    def grid(self) -> list[str]:
        """Every value a grid design visits."""

    @abstractmethod
    def grid_size(self) -> int:
        """How many values `grid` gives, counted without building them."""

    @abstractmethod
    def from_unit(self, u: np.ndarray) -> list[str]:
        """Values at quantiles `u` in [0, 1]."""

    @property
    @abstractmethod
    def bounds(self) -> tuple[float, float] | None:
        """Lowest and highest value, in `unit` (threshold search bisects between them)."""

    @property
    def numeric(self) -> bool:
        return True

    def text(self, x: float, sampled: bool = False) -> str:
        """A number as override text, with the unit (whole numbers without a decimal point)."""
        if self.integer:
            body = str(int(round(x)))
        else:
            body = f"{x:.6g}" if sampled else f"{x:.10g}"
        return f"{body} {self.unit}" if self.unit else body

    def number(self, text: str) -> float | str:
        """A value text as a number in this parameter's unit (text that is no quantity stays text)."""
        m = _NUMBER.match(text)
        if m and m.group(2) == self.unit:  # the common case, the design's own texts: no unit parsing
            return float(m.group(1))
        try:
            q = units.parse(text)
            if self.unit:
                return units.convert(q, str(units.parse(f"1 {self.unit}").units))
            return float(q.to("dimensionless").magnitude) if q.dimensionless else text
        except (ValueError, AttributeError):
            return text

    def _quantiles(self, u: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(u, dtype=float), _EDGE, 1 - _EDGE)


@dataclass(frozen=True)
class ListParameter(Parameter):
    """`2,4,6` or `1 GW, 1500 MW`: these values (texts kept as written), with equal weight."""

    kind: ClassVar[str] = "list"
    choices: tuple[str, ...] = ()

    def grid(self) -> list[str]:
        return list(self.choices)

    def grid_size(self) -> int:
        return len(self.choices)

    def from_unit(self, u: np.ndarray) -> list[str]:
        idx = np.minimum((self._quantiles(u) * len(self.choices)).astype(int), len(self.choices) - 1)
        return [self.choices[i] for i in idx]

    def numbers(self) -> list[float] | None:
        """The values as numbers in `unit`, or None if any is no quantity."""
        nums = [self.number(c) for c in self.choices]
        floats = [x for x in nums if isinstance(x, float)]
        return floats if len(floats) == len(nums) else None

    @property
    def numeric(self) -> bool:
        return self.numbers() is not None

    @property
    def bounds(self) -> tuple[float, float] | None:
        nums = self.numbers()
        return (min(nums), max(nums)) if nums is not None else None


@dataclass(frozen=True)
class RangeParameter(Parameter):
    """`1..4 step 0.5` or `10..40` (whole numbers, step 1): a grid visits the steps, a sample anywhere."""

    kind: ClassVar[str] = "range"
    low: float = 0.0  # in `unit`
    high: float = 0.0
    step: float | None = None

    def grid(self) -> list[str]:
        step = self._grid_step()
        return [self.text(self.low + i * step) for i in range(self.grid_size())]

    def grid_size(self) -> int:
        steps = (self.high - self.low) / self._grid_step()
        return int(math.floor(steps + 1e-9)) + 1 if math.isfinite(steps) and steps < 1e18 else 10**18

    def _grid_step(self) -> float:
        step = self.step if self.step is not None else (1.0 if self.integer else None)
        if step is None:
            raise CorridorError(f"--vary {self.path}: a grid over {self.spec!r} needs a step ('{self.spec} step ...')")
        return step

    def from_unit(self, u: np.ndarray) -> list[str]:
        q = self._quantiles(u)
        if self.integer:
            lo, hi = int(round(self.low)), int(round(self.high))
            return [self.text(lo + min(int(x * (hi - lo + 1)), hi - lo)) for x in q]
        return [self.text(self.low + x * (self.high - self.low), sampled=True) for x in q]

    @property
    def bounds(self) -> tuple[float, float]:
        return self.low, self.high


@dataclass(frozen=True)
class DistributionParameter(Parameter):
    """`uniform(a, b)`, `triangular(a, mode, b)`, `normal(mean, sd)`, `lognormal(mean, sd)`: for sampled
    designs only (a lognormal's mean and sd are of the value itself)."""

    kind: ClassVar[str] = "dist"
    dist: str = "uniform"
    args: tuple[float, ...] = ()  # in `unit`

    def grid(self) -> list[str]:
        raise CorridorError(f"--vary {self.path}: {self.spec!r} is a distribution, for sampled designs "
                            "(lhs, sobol, morris); a grid needs a list or a range")

    def grid_size(self) -> int:
        return len(self.grid())

    def from_unit(self, u: np.ndarray) -> list[str]:
        q, args = self._quantiles(u), self.args
        if self.dist == "uniform":
            x = args[0] + q * (args[1] - args[0])
        elif self.dist == "triangular":
            lo, mode, hi = args
            x = stats.triang.ppf(q, (mode - lo) / (hi - lo) if hi > lo else 0.5, loc=lo, scale=hi - lo)
        elif self.dist == "normal":
            x = stats.norm.ppf(q, loc=args[0], scale=args[1])
        else:
            mean, sd = args
            sigma2 = math.log(1 + (sd / mean) ** 2)
            x = stats.lognorm.ppf(q, math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2))
        return [self.text(v, sampled=True) for v in x]

    @property
    def bounds(self) -> tuple[float, float] | None:
        return (self.args[0], self.args[-1]) if self.dist in ("uniform", "triangular") else None


def parse_vary(text: str) -> Parameter:
    """`PATH=SPEC` (as `--vary` takes it) -> a Parameter. Bad specs raise CorridorError."""
    if "=" not in text:
        raise CorridorError(f"--vary: expected PATH=SPEC, got {text!r}")
    path, spec = (part.strip() for part in text.split("=", 1))
    if not path or not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+", path):
        raise CorridorError(f"--vary: expected a scenario key path before '=', got {path!r}")
    return parse_spec(path, spec)


def parse_spec(path: str, spec: Any) -> Parameter:
    """A spec (text, or a YAML list from a sweep file) for the value at `path`."""
    where = f"--vary {path}"
    if isinstance(spec, list):
        return _list(path, [_as_text(v) for v in spec], where)
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = str(spec)
    if not isinstance(spec, str) or not spec.strip():
        raise CorridorError(f"{where}: expected a list, a range or a distribution, got {spec!r}")
    spec = spec.strip()
    m = _DIST.match(spec)
    if m:
        return _dist(path, spec, m.group(1).lower(), m.group(2), where)
    m = _RANGE.match(spec)
    if m and "," not in spec:
        return _range(path, spec, m.group(1), m.group(2), m.group(3), where)
    return _list(path, [s.strip() for s in spec.split(",")], where)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _quantity(text: str, where: str) -> tuple[float, str, bool]:
    """`2.5 GW` -> (2.5, 'GW', False); `12` -> (12.0, '', True)."""
    m = _NUMBER.match(text)
    if not m:
        raise CorridorError(f"{where}: expected a number with an optional unit, got {text.strip()!r}")
    number, unit = m.group(1), m.group(2)
    if unit:
        try:
            units.parse(f"1 {unit}")
        except ValueError as exc:
            raise CorridorError(f"{where}: {exc}") from None
    is_int = not unit and re.fullmatch(r"[-+]?\d+", number) is not None
    return float(number), unit, is_int


def _in_unit(text: str, unit: str, where: str) -> float:
    """A quantity text as a number in `unit` (the unit of the spec's first figure)."""
    value, own, _ = _quantity(text, where)
    if own == unit:
        return value
    if not unit or not own:
        raise CorridorError(f"{where}: give every figure a unit or none ({text.strip()!r})")
    try:
        return units.convert(units.parse(f"{value} {own}"), str(units.parse(f"1 {unit}").units))
    except ValueError as exc:
        raise CorridorError(f"{where}: {exc}") from None


def _range(path: str, spec: str, lo: str, hi: str, step: str | None, where: str) -> Parameter:
    low, unit, int_lo = _quantity(lo, where)
    high = _in_unit(hi, unit, where)
    integer = int_lo and _quantity(hi, where)[2]
    step_v = None
    if step is not None:
        step_v = _in_unit(step, unit, where)
        integer = integer and _quantity(step, where)[2]
        if not step_v > 0:
            raise CorridorError(f"{where}: the step must be > 0, got {step.strip()!r}")
    if not high > low:
        raise CorridorError(f"{where}: a range runs from low to high, got {spec!r}")
    return RangeParameter(path, spec, unit, bool(integer), low=low, high=high, step=step_v)


def _list(path: str, items: list[str], where: str) -> Parameter:
    if not items or any(not i for i in items):
        raise CorridorError(f"{where}: a list needs values separated by commas, got {', '.join(items)!r}")
    if len(set(items)) != len(items):
        raise CorridorError(f"{where}: a value appears twice in {', '.join(items)!r}")
    unit, integer = "", False
    try:
        parsed = [_quantity(i, where) for i in items]
        unit = parsed[0][1]
        for i in items:
            _in_unit(i, unit, where)
        integer = all(p[2] for p in parsed)
    except CorridorError:
        unit = ""  # values that are not all quantities of one kind: plain text choices
    return ListParameter(path, ", ".join(items), unit, integer, choices=tuple(items))


def _dist(path: str, spec: str, name: str, body: str, where: str) -> Parameter:
    args = [a.strip() for a in body.split(",")]
    if len(args) != _DIST_ARGS[name] or not all(args):
        raise CorridorError(f"{where}: {name} takes {_DIST_ARGS[name]} figures, got {spec!r}")
    first, unit, _ = _quantity(args[0], where)
    values = (first,) + tuple(_in_unit(a, unit, where) for a in args[1:])
    if name == "uniform" and not values[1] > values[0]:
        raise CorridorError(f"{where}: uniform needs low < high, got {spec!r}")
    if name == "triangular" and not (values[0] <= values[1] <= values[2] and values[2] > values[0]):
        raise CorridorError(f"{where}: triangular needs low <= mode <= high, got {spec!r}")
    if name in ("normal", "lognormal") and not values[1] > 0:
        raise CorridorError(f"{where}: {name} needs a standard deviation > 0, got {spec!r}")
    if name == "lognormal" and not values[0] > 0:
        raise CorridorError(f"{where}: lognormal needs a mean > 0, got {spec!r}")
    return DistributionParameter(path, spec, unit, dist=name, args=values)


# --- samplers --------------------------------------------------------------------------------


@dataclass
class Design:
    """The rows of a design (in order, possibly repeating a point) and their unit-cube coordinates."""

    name: str
    params: list[Parameter]
    rows: list[Point]
    unit: np.ndarray | None = None  # rows x params, for the sensitivity analysis
    samples: int | None = None
    notes: list[str] = field(default_factory=list)

    def unique(self) -> list[Point]:
        """Each distinct point once, in the order of first appearance (what is run)."""
        seen: set[str] = set()
        out = []
        for p in self.rows:
            if p.id not in seen:
                seen.add(p.id)
                out.append(p)
        return out


class Sampler(ABC):
    """Turns parameters into design rows."""

    name: ClassVar[str]

    @abstractmethod
    def design(self, params: list[Parameter], samples: int | None, rng: np.random.Generator) -> Design:
        """The design rows for `params`; `samples` sets the size of sampled designs."""

    @abstractmethod
    def size(self, params: list[Parameter], samples: int | None) -> int:
        """How many rows `design` gives, counted before any is built."""

    def why(self, params: list[Parameter], samples: int | None) -> str:
        """What the row count comes from, as the message of a design that is too big says it."""
        return f"--samples {samples} over {', '.join(p.path for p in params)}"


class SensitivitySampler(Sampler):
    """A sampler whose rows also give each parameter's sensitivity indices."""

    @classmethod
    @abstractmethod
    def analyse(cls, params: list[Parameter], unit: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float]]:
        """Indices per parameter, from the design's unit-cube rows and the output `y` at each row."""


def _points(params: list[Parameter], unit: np.ndarray) -> list[Point]:
    columns = [p.from_unit(unit[:, j]) for j, p in enumerate(params)]
    return [Point(tuple((p.path, col[i]) for p, col in zip(params, columns))) for i in range(len(unit))]


def _salib_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _problem(params: list[Parameter]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[0.0, 1.0]] * len(params)}


class GridSampler(Sampler):
    """Every combination of every parameter's values (lists and stepped ranges)."""

    name = "grid"

    def design(self, params: list[Parameter], samples: int | None, rng: np.random.Generator) -> Design:
        grids = [p.grid() for p in params]
        rows = [Point(tuple(zip((p.path for p in params), combo))) for combo in itertools.product(*grids)]
        return Design(self.name, params, rows)

    def size(self, params: list[Parameter], samples: int | None) -> int:
        return math.prod(p.grid_size() for p in params)

    def why(self, params: list[Parameter], samples: int | None) -> str:
        return " x ".join(f"{p.path} ({p.grid_size():,} values)" for p in params)


class LatinHypercubeSampler(Sampler):
    """`samples` points, each parameter's range cut into `samples` strata visited once."""

    name = "lhs"

    def design(self, params: list[Parameter], samples: int | None, rng: np.random.Generator) -> Design:
        n = samples or 32
        unit = qmc.LatinHypercube(d=len(params), rng=rng).random(n)
        return Design(self.name, params, _points(params, unit), unit, n)

    def size(self, params: list[Parameter], samples: int | None) -> int:
        return samples or 32


class SobolSampler(SensitivitySampler):
    """Saltelli's scheme on a Sobol sequence (SALib): N x (k + 2) rows for first and total indices."""

    name = "sobol"

    def design(self, params: list[Parameter], samples: int | None, rng: np.random.Generator) -> Design:
        from SALib.sample import sobol

        n = samples or 32
        base = self.base(n)
        notes = [f"--samples {n} rounded up to {base} (Sobol needs a power of two)"] if base != n else []
        unit = sobol.sample(_problem(params), base, calc_second_order=False, seed=_salib_seed(rng))
        return Design(self.name, params, _points(params, unit), unit, base, notes)

    @staticmethod
    def base(n: int) -> int:
        """`--samples` rounded up to a power of two."""
        return 1 << max(n - 1, 1).bit_length() if n & (n - 1) else n

    def size(self, params: list[Parameter], samples: int | None) -> int:
        return self.base(samples or 32) * (len(params) + 2)

    @classmethod
    def analyse(cls, params: list[Parameter], unit: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float]]:
        """First-order and total Sobol indices with their 95% confidence half-widths, per parameter."""
        from SALib.analyze import sobol

        res = sobol.analyze(_problem(params), np.asarray(y, float), calc_second_order=False,
                            print_to_console=False, seed=1)  # (SALib ignores a seed of 0: unseeded CIs)
        return {p.path: {"S1": float(res["S1"][i]), "S1_conf": float(res["S1_conf"][i]),
                         "ST": float(res["ST"][i]), "ST_conf": float(res["ST_conf"][i])}
                for i, p in enumerate(params)}


class MorrisSampler(SensitivitySampler):
    """Morris elementary-effects trajectories (SALib): N x (k + 1) rows on a 4-level grid."""

    name = "morris"
    levels: ClassVar[int] = 4

    def design(self, params: list[Parameter], samples: int | None, rng: np.random.Generator) -> Design:
        from SALib.sample import morris

        n = samples or 10
        unit = morris.sample(_problem(params), n, num_levels=self.levels, seed=_salib_seed(rng))
        return Design(self.name, params, _points(params, unit), unit, n)

    def size(self, params: list[Parameter], samples: int | None) -> int:
        return (samples or 10) * (len(params) + 1)

    @classmethod
    def analyse(cls, params: list[Parameter], unit: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float]]:
        """Mean absolute elementary effect (mu*), its confidence half-width, and sigma, per parameter."""
        from SALib.analyze import morris

        res = morris.analyze(_problem(params), np.asarray(unit, float), np.asarray(y, float),
                             num_levels=cls.levels, print_to_console=False, seed=0)
        return {p.path: {"mu_star": float(res["mu_star"][i]), "mu_star_conf": float(res["mu_star_conf"][i]),
                         "sigma": float(res["sigma"][i])} for i, p in enumerate(params)}


SAMPLERS: dict[str, type[Sampler]] = {s.name: s for s in (GridSampler, LatinHypercubeSampler, SobolSampler,
                                                          MorrisSampler)}


def design_rng(seed: int) -> np.random.Generator:
    """The design's random generator, derived from the sweep seed (its own stream, not a replication's)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0x5EE9,))))


def make_design(name: str, params: list[Parameter], samples: int | None, seed: int) -> Design:
    """Build the design `name` over `params` from the sweep seed."""
    if name not in SAMPLERS:
        raise CorridorError(f"--design: expected one of {', '.join(SAMPLERS)}, got {name!r}")
    if not params:
        raise CorridorError("sweep: nothing to vary (give --vary PATH=SPEC)")
    paths = [p.path for p in params]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        raise CorridorError(f"--vary: {', '.join(dup)} is varied twice")
    if samples is not None and not 1 <= samples <= MAX_POINTS:
        raise CorridorError(f"--samples: expected 1 to {MAX_POINTS:,}, got {samples}")
    sampler = SAMPLERS[name]()
    rows = sampler.size(params, samples)
    if rows > MAX_POINTS:
        raise CorridorError(f"--vary: the {name} design over {sampler.why(params, samples)} has {rows:,} points, "
                            f"more than the {MAX_POINTS:,} a sweep may have; use fewer values, a coarser step "
                            "or a sampled design (--design lhs --samples N)")
    return sampler.design(params, samples, design_rng(seed))
