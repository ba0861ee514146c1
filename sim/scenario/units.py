"""Units: one pint registry for the whole package, with the corridor's own units.

Quantities in scenario files are text (`4 GW`, `1.5 Mt/yr`, `28 trains/d`, `0.1 /100km/yr`).
Everything inside the package works in a small set of canonical units, named here once.

The registry is built on first use (`registry()`; `ureg` and `Q_` are still module attributes,
resolved through it): importing pint and reading its definitions is about half a second of CPU,
which a process that never reads a quantity (a worker, a command that reads no scenario) does not
pay. It is the same registry with the same definitions whenever it is built, so every figure is
the same. Most figures never need it: a number in one of the units scenarios write (`15 Mt/yr`,
`95 %`) is read by `known`, from pint's own factors saved in `unit_factors.py`.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from sim.scenario.unit_factors import FACTORS

if TYPE_CHECKING:
    import pint


@cache
def registry() -> pint.UnitRegistry:
    """The package's pint registry, built (and pint imported) on the first call."""
    import pint

    # Redefinitions replace pint's own (`yr`, `kt`) without a warning.
    ureg: pint.UnitRegistry = pint.UnitRegistry(on_redefinition="ignore", autoconvert_offset_to_baseunit=True)
    # Freight load units each have their own dimension: a wagon becomes tonnes only through the
    # scenario's payload table, never by a hidden constant.
    ureg.define("train = [train]")
    ureg.define("wagon = [wagon]")
    ureg.define("TEU = [teu] = teu")
    ureg.define("truck = [truck]")
    # Data rates have their own dimension (pint's `bps` is a baud, a bare 1/s).
    ureg.define("bit_per_second = [data_rate]")
    for prefix, factor in (("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15)):
        ureg.define(f"{prefix}bps = {factor:g} * bit_per_second")
    # Money: US dollars are the base; the euro at a fixed assumed rate (EUR/USD 1.08, 2024 average).
    ureg.define("USD = [currency] = usd")
    ureg.define("MUSD = 1e6 * USD")
    ureg.define("bnUSD = 1e9 * USD")
    ureg.define("EUR = 1.08 * USD")
    ureg.define("MEUR = 1e6 * EUR")
    ureg.define("bnEUR = 1e9 * EUR")
    # pint reads `kt` as a knot; in freight and oil it means a kilotonne. Knots stay as `kn`/`knot`.
    ureg.define("kt = 1000 * metric_ton")
    ureg.define("yr = year")
    ureg.define("wk = week")
    return ureg


def __getattr__(name: str) -> Any:
    """`ureg` (the registry) and `Q_` (its Quantity class), built on first access."""
    if name == "ureg":
        return registry()
    if name == "Q_":
        return registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The kinds of number a scenario holds, and the canonical unit each is held in inside the package.
Kind = Literal[
    "mass_rate", "power", "data_rate", "duration", "length", "mass", "speed", "frequency",
    "frequency_per_length", "money", "money_rate", "train_rate", "fraction",
    "wagon", "teu", "truck", "count", "energy", "money_per_energy", "energy_rate", "energy_per_mass",
]
CANONICAL: dict[Kind, str] = {
    "mass_rate": "Mt/yr",  # cargo, oil, hydrogen, ammonia flows
    "power": "GW",
    "data_rate": "Tbps",
    "duration": "h",
    "length": "km",
    "mass": "t",
    "speed": "km/h",
    "frequency": "1/yr",  # failure and closure rates
    "frequency_per_length": "1/km/yr",
    "money": "MUSD",
    "money_rate": "MUSD/yr",
    "train_rate": "train/d",
    "fraction": "dimensionless",
    "energy": "GWh",  # a store's energy
    "money_per_energy": "USD/MWh",  # a plant's fuel cost, the value of delivered power
    "energy_rate": "TWh/yr",  # energy a year (a power target's energy framing); pint's year, as HOURS_PER_YEAR
    "energy_per_mass": "MWh/t",  # the electricity an electrolyser needs a tonne of its product
    # Load units (a fleet's capacity per voyage) and plain counts (vessels in an expansion).
    "wagon": "wagon",
    "teu": "TEU",
    "truck": "truck",
    "count": "dimensionless",
}
# Carrier -> the flow unit the network and optimiser use for it.
CARRIER_UNIT = {
    "cargo": "Mt/yr",
    "oil": "Mt/yr",
    "hydrogen": "Mt/yr",
    "ammonia": "Mt/yr",
    "power": "GW",
    "data": "Tbps",
}

MAX_TEXT = 200  # characters in a quantity's text; '12.5 trains/d' needs a dozen
_PER_NUMBER_UNIT = re.compile(r"/\s*(\d+(?:\.\d+)?)\s*([A-Za-z]\w*)")
# A number and a unit, as figures are written: `15 Mt/yr`, `95 %`, `0.1 /100km/yr`.
_NUMBER_UNIT = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*")


def known(text: str | float | int, unit: str) -> float | None:
    """`text`'s magnitude in `unit` (a canonical unit) without pint, when it is a number, or a
    number and one of the units in `unit_factors.FACTORS`: the number times pint's own factor,
    rounded as `convert` rounds. None for anything else, which pint reads (and words any error)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        number: float | int = text
        factor = 1.0 if unit == "dimensionless" else None
    elif isinstance(text, str) and len(text) <= MAX_TEXT and (m := _NUMBER_UNIT.fullmatch(text)):
        number = float(m[1])
        factor = FACTORS.get(m[2], {}).get(unit)
    else:
        return None
    if factor is None:
        return None
    try:
        value = number * factor
    except OverflowError:
        return None
    return float(f"{value:.15g}") if math.isfinite(value) else None


def parse(text: str | float | int) -> pint.Quantity:
    """Parse a quantity written as text; `0.1 /100km/yr` means 0.1 per (100 km) per year.

    Powers (`**`, `^`) are refused: pint would compute `9**9**9` exactly, for ever, and no
    figure in a scenario needs one. So is text longer than MAX_TEXT characters.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            number = float(text)
        except OverflowError:
            raise ValueError("expected a finite quantity, got a number too large for a float") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite quantity, got {text!r}")
        return registry().Quantity(number, "dimensionless")
    if not isinstance(text, str):
        raise ValueError(f"expected a quantity such as '4 GW', got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"expected a quantity such as '4 GW', got {len(text):,} characters of text")
    if "**" in text or "^" in text:
        raise ValueError(f"cannot read {text!r} as a quantity: powers (** or ^) are not allowed")
    cleaned = _PER_NUMBER_UNIT.sub(r"/(\1 \2)", text.strip())
    if not cleaned:
        raise ValueError("expected a quantity such as '4 GW', got an empty string")
    import pint

    Q_ = registry().Quantity
    try:
        q: pint.Quantity = Q_(cleaned)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise ValueError(f"cannot read {text!r} as a quantity: {exc}") from None
    except Exception as exc:  # pint's tokenizer raises several unrelated types on garbage
        raise ValueError(f"cannot read {text!r} as a quantity ({type(exc).__name__})") from None
    if not isinstance(q, pint.Quantity):  # a bare number parses to a plain float
        q = Q_(float(q), "dimensionless")
    try:
        finite = math.isfinite(float(q.magnitude))
    except (OverflowError, TypeError, ValueError):
        finite = False
    if not finite:
        raise ValueError(f"expected a finite quantity, got {text!r}")
    return q


def convert(q: pint.Quantity, unit: str) -> float:
    """Magnitude of `q` in `unit`, or ValueError naming both dimensions."""
    ureg = registry()
    target = ureg.Unit(unit) if unit != "dimensionless" else ureg.dimensionless
    if q.dimensionality != target.dimensionality:
        raise ValueError(
            f"expected a quantity in {unit} ({_dim(target)}), got '{q:~P}' ({_dim(q)})"
        )
    # 15 significant digits: drop pint's float noise (95 % -> 0.9500000000000001) so a figure
    # and its resolved text load to the same number.
    return float(f"{q.to(target).magnitude:.15g}")


def _dim(q: pint.Quantity | pint.Unit) -> str:
    d = str(q.dimensionality)
    return "no unit" if d == "dimensionless" else d


def to_canonical(text: str | float | int, kind: Kind) -> float:
    """Parse `text` and return its magnitude in the canonical unit for `kind`."""
    unit = CANONICAL[kind]
    value = known(text, unit)
    return value if value is not None else convert(parse(text), unit)
