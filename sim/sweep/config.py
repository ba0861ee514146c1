"""What a sweep is asked to do: a sweep file (YAML) merged with command-line flags, flags winning.

A sweep file reads:

    scenario: ../scenarios/plan-2024.yaml    # relative to the file, or a bundled name
    vary:
      fleets.caspian_ferries.vessels: 13..30
      links.btk.capacity: [5 Mt/yr, 6 Mt/yr]
    set: {simulation.horizon: 200 d}
    design: grid                             # lhs, sobol, morris (with samples: N)
    replications: 20
    level: 90%
    replan: false                            # true: build the optimiser's plan at each point
    out: results/ferries

Each point simulates the scenario as written unless `replan` (`--replan`) builds the optimiser's
plan there first. `--vary` flags add to (or replace, by path) the file's `vary`; `--set` flags
come after its `set`.
Unknown keys are refused with the nearest known one (a typo must not be silently ignored).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim import bundled
from sim.errors import CorridorError
from sim.scenario.schema import MAX_REPLICATIONS
from sim.sweep.designs import MAX_POINTS, Parameter, parse_spec, parse_vary

FILE_KEYS = ("scenario", "vary", "set", "seed", "replications", "design", "samples", "level", "find",
             "target", "replan", "out")


@dataclass(frozen=True)
class SweepConfig:
    """A sweep, or with `find` a threshold search, as asked for (not yet checked against the scenario)."""

    scenario: Path
    params: list[Parameter]
    overrides: list[str]  # PATH=VALUE texts applied at every point (`set`)
    seed: int | None = None  # None: the scenario's
    replications: int | None = None  # None: the scenario's
    design: str = "grid"
    samples: int | None = None
    level: float = 0.9  # the probability a target must be met with
    find: str | None = None  # the path a threshold search bisects
    target: str | None = None
    out: Path | None = None
    replan: bool = False  # build the optimiser's plan at each point before simulating


def read_config(file: Path | None, *, scenario: Path | str | None = None, vary: list[str] | None = None,
                overrides: list[str] | None = None, seed: int | None = None, replications: int | None = None,
                out: Path | None = None, design: str | None = None, samples: int | None = None,
                level: float | str | None = None, find: str | None = None,
                target: str | None = None, replan: bool | None = None) -> SweepConfig:
    """Merge a sweep file (YAML) with command-line flags; flags win."""
    doc = read_sweep_file(file) if file is not None else {}
    here = Path(file).parent if file is not None else Path(".")
    params: dict[str, Parameter] = {}
    for path, spec in (doc.get("vary") or {}).items():
        params[str(path)] = parse_spec(str(path), spec)
    for text in vary or []:
        p = parse_vary(text)
        params[p.path] = p
    whole = {key: _whole_number(key, doc.get(key)) for key in ("seed", "replications", "samples")}
    file_out = here / str(doc["out"]) if doc.get("out") else None
    file_replan = doc.get("replan", False)
    if not isinstance(file_replan, bool):
        raise CorridorError(f"--file {file}: replan: expected true or false, got {file_replan!r}")
    cfg = SweepConfig(
        scenario=Path(scenario) if scenario is not None else _file_scenario(doc.get("scenario"), here),
        params=list(params.values()),
        overrides=[*set_texts(doc.get("set")), *(overrides or [])],
        seed=seed if seed is not None else whole["seed"],
        replications=replications if replications is not None else whole["replications"],
        design=design or doc.get("design") or "grid",
        samples=samples if samples is not None else whole["samples"],
        level=parse_level(level if level is not None else doc.get("level", 0.9)),
        find=find if find is not None else doc.get("find"),
        target=target if target is not None else doc.get("target"),
        out=out if out is not None else file_out,
        replan=replan if replan is not None else file_replan,
    )
    check_ranges(seed=cfg.seed, replications=cfg.replications, samples=cfg.samples)
    if cfg.find is not None and cfg.target is None:
        raise CorridorError("--find needs --target ID (the target whose probability met is searched)")
    if cfg.find is not None and cfg.replan:
        raise CorridorError("--replan: not available with --find (a threshold search simulates each probe as "
                            "written); drop --replan, or sweep the range with --vary instead of --find")
    return cfg


def _file_scenario(name: Any, here: Path) -> Path:
    """The file's `scenario:`: a path relative to the sweep file, else a bundled scenario's name."""
    if name is None:
        raise CorridorError("sweep: name a scenario (on the command line or as `scenario:` in the sweep file)")
    beside = here / str(name)
    return beside if beside.is_file() else bundled.scenario(str(name)) or beside


MAX_SEED = 2**63 - 1
RANGES = {"seed": (0, MAX_SEED), "replications": (1, MAX_REPLICATIONS), "samples": (1, MAX_POINTS)}


def _whole_number(key: str, value: Any) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise CorridorError(f"{key}: expected a whole number, got {value!r}")
    return value


def check_ranges(**values: int | None) -> None:
    """Seed, replications and samples within the bounds the command line gives them (bad -> the flag named)."""
    for key, value in values.items():
        low, high = RANGES[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise CorridorError(f"--{key}: expected a whole number from {low:,} to {high:,}, got {value!r}")


def set_texts(value: Any) -> list[str]:
    """A sweep file's `set` (a mapping PATH: VALUE, or a list of PATH=VALUE) as `--set` texts."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{k}={_as_yaml_text(v)}" for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise CorridorError("set: expected a mapping PATH: VALUE, or a list of PATH=VALUE texts")


def _as_yaml_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


def read_sweep_file(file: Path) -> dict[str, Any]:
    """The sweep file's mapping, with every key known (else the nearest known key is suggested)."""
    try:
        doc = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorridorError(f"--file: cannot read {file}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CorridorError(f"--file {file}: malformed YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise CorridorError(f"--file {file}: expected a mapping with keys such as scenario, vary, design")
    for key in doc:
        if key not in FILE_KEYS:
            hint = difflib.get_close_matches(str(key), FILE_KEYS, n=1)
            known = f"; did you mean {hint[0]!r}?" if hint else f" (expected one of: {', '.join(FILE_KEYS)})"
            raise CorridorError(f"--file {file}: unknown key {key!r}{known}")
    if doc.get("vary") is not None and not isinstance(doc["vary"], dict):
        raise CorridorError(f"--file {file}: vary: expected a mapping PATH: SPEC")
    return doc


def parse_level(value: float | str) -> float:
    """`0.9`, `90%` or `90` -> 0.9: the probability a target must be met with. A bare number is a
    probability in (0, 1), or a whole percentage (2 to 99); anything else (1.5, 0, 100%) is refused."""
    text = str(value).strip()
    try:
        number = float(text.removesuffix("%"))
    except ValueError:
        raise CorridorError(f"--level: expected a probability such as 0.9 or 90%, got {value!r}") from None
    if text.endswith("%"):
        x = number / 100
    elif number > 1 and number.is_integer():
        x = number / 100  # `90`: a whole percentage
    else:
        x = number
    if not 0 < x < 1:
        raise CorridorError(f"--level: expected a probability between 0 and 1 (exclusive) such as 0.9, or a "
                            f"percentage such as 90%, got {value!r}")
    return x
