"""A sweep's plan: everything that fixes its results (scenario, base overrides, seed, design).

Planning validates the base scenario and each varied path once, so a typo is one clear error
before any point runs, not one failure per point (a value that fails validation only at some
points is recorded at those points). The plan is written as the manifest `sweep.json`; a
resumed sweep must find the same identity there, else the logged points would not belong to it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import CorridorError, Problem, ScenarioError
from sim.sweep.designs import Design, Parameter, Point, make_design

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

SCHEMA_VERSION = "1.0"
MANIFEST = "sweep.json"
IDENTITY = ("scenario", "overrides", "seed", "replications", "design", "samples", "params", "points")


@dataclass
class SweepPlan:
    """Everything that fixes a sweep's results: scenario, base overrides, seed, design."""

    scenario: Path
    name: str
    sha256: str
    base: list[str]
    seed: int
    replications: int | None
    design: Design
    points: list[Point]
    targets: dict[str, str] = field(default_factory=dict)  # id -> its figure, as the tables describe it

    def manifest(self) -> dict[str, Any]:
        d = self.design
        return {
            "schema_version": SCHEMA_VERSION, "scenario": {"name": self.name, "file": str(self.scenario),
                                                            "sha256": self.sha256},
            "overrides": self.base, "seed": self.seed, "replications": self.replications,
            "targets": self.targets,
            "design": d.name, "samples": d.samples, "notes": d.notes,
            "params": [{"path": p.path, "spec": p.spec, "kind": p.kind, "unit": p.unit, "integer": p.integer}
                       for p in d.params],
            "points": [{"id": p.id, "overrides": dict(p.overrides)} for p in self.points],
            "rows": [p.id for p in d.rows] if d.unit is not None else None,
            "unit": d.unit.tolist() if d.unit is not None else None,
        }


def plan_sweep(scenario: Path, params: list[Parameter], *, overrides: Iterable[str] = (), seed: int | None = None,
               replications: int | None = None, design: str = "grid", samples: int | None = None) -> SweepPlan:
    """Validate the base scenario and the varied paths, and build the design (bad input raises)."""
    from sim.scenario.loading import read_raw, validate

    scenario = Path(scenario)
    base = list(overrides)
    model = validate(read_raw(scenario, base))
    if replications is not None and replications < 1:
        raise CorridorError(f"--replications: expected at least 1, got {replications}")
    sweep_seed = model.simulation.seed if seed is None else seed
    d = make_design(design, params, samples, sweep_seed)
    points = d.unique()
    check_paths(scenario, base, points[0])
    return SweepPlan(scenario, model.name, file_sha256(scenario), base, sweep_seed, replications, d, points,
                     describe_targets(model))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_paths(scenario: Path, base: list[str], point: Point) -> None:
    """A varied path that names a key the scenario does not have is a typo: bad input, raised now,
    not one failure per point. (A value that fails validation at some points is recorded there.)"""
    from sim.scenario.loading import parse_override, read_raw, validate

    data = read_raw(scenario, base).data
    for text in point.as_set():
        path, _ = parse_override(text)
        depth = _found_depth(data, path)
        if depth == len(path):
            continue  # the path exists: whatever its values do is up to each point
        flag = f"--vary {text.split('=', 1)[0]}"
        parent = _get(data, path[:depth])
        if 0 < depth < len(path) - 1 and isinstance(parent, dict):  # a named thing that is not there
            hint = difflib.get_close_matches(str(path[depth]), [str(k) for k in parent], n=1)
            where = ".".join(map(str, path[:depth]))
            also = f"; did you mean {hint[0]!r}?" if hint else ""
            raise CorridorError(f"{flag}: no {path[depth]!r} in {where}{also}")
        try:
            validate(read_raw(scenario, base + [text]))
        except ScenarioError as exc:
            mine = [p for p in exc.problems if tuple(p.path[: depth + 1]) == tuple(path[: depth + 1])]
            if mine:
                raise CorridorError([Problem(flag, p.path, None, p.message) for p in mine]) from None


def _found_depth(data: Any, path: tuple[str | int, ...]) -> int:
    """How many leading parts of `path` exist in `data`."""
    node = data
    for depth, part in enumerate(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return depth
    return len(path)


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def describe_targets(model: Scenario) -> dict[str, str]:
    """Each target's figure as a reader would say it: `4 GW firm in 95% of hours`."""
    out = {}
    for tid, t in model.targets.items():
        how = f" firm in {t.share_of_time.value:.0%} of hours" if t.measure == "firm" else ""
        out[tid] = f"{t.value.value:g} {t.value.unit}{how}"
    return out


def check_same(folder: Path, identity: dict[str, Any], name: str = MANIFEST,
               keys: tuple[str, ...] = IDENTITY) -> None:
    """On resume, the folder must hold the same sweep (else its points would not belong)."""
    path = folder / name
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except ValueError:
        return
    differ = [k for k in keys if old.get(k) != identity.get(k)]
    if differ:
        raise CorridorError(f"--resume: {folder} holds a different sweep ({', '.join(differ)} differ); "
                            "rerun without --resume to start it over, or choose another --out")
