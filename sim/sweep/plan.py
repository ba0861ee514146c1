"""A sweep's plan: everything that fixes its results (scenario, base overrides, seed, design).

Planning validates the base scenario and each varied path once, so a typo is one clear error
before any point runs, not one failure per point (a value that fails validation only at some
points is recorded at those points). The plan is written as the manifest `sweep.json`; a
resumed sweep must find the same identity there, else the logged points would not belong to it.
The identity holds a hash of every file the scenario was read from (the top file, each
`extends:` parent, each profile file it names), the `--set` overrides, the seed, replications
the design and whether each point builds the optimiser's plan first (`with_plan`, from
`--replan`): a resume after any change is refused, naming what changed, so a sweep never mixes
points simulated as written with points simulated with the plan built.
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
from sim.io import read_manifest
from sim.sweep.config import check_ranges
from sim.sweep.designs import Design, Parameter, Point, make_design

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

SCHEMA_VERSION = "1.0"
MANIFEST = "sweep.json"
IDENTITY = ("scenario", "sources", "overrides", "seed", "replications", "with_plan", "design", "samples", "params",
            "points")


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
    sources: list[dict[str, str]] = field(default_factory=list)  # every file read: {"file", "sha256"}
    with_plan: bool = False  # each point builds the optimiser's plan before simulating (--replan)

    def manifest(self) -> dict[str, Any]:
        d = self.design
        return {
            "schema_version": SCHEMA_VERSION, "scenario": {"name": self.name, "file": str(self.scenario),
                                                            "sha256": self.sha256},
            "sources": self.sources,
            "overrides": self.base, "seed": self.seed, "replications": self.replications,
            "with_plan": self.with_plan,
            "targets": self.targets,
            "design": d.name, "samples": d.samples, "notes": d.notes,
            "params": [{"path": p.path, "spec": p.spec, "kind": p.kind, "unit": p.unit, "integer": p.integer}
                       for p in d.params],
            "points": [{"id": p.id, "overrides": dict(p.overrides)} for p in self.points],
            "rows": [p.id for p in d.rows] if d.unit is not None else None,
            "unit": d.unit.tolist() if d.unit is not None else None,
        }


def plan_sweep(scenario: Path, params: list[Parameter], *, overrides: Iterable[str] = (), seed: int | None = None,
               replications: int | None = None, design: str = "grid", samples: int | None = None,
               with_plan: bool = False) -> SweepPlan:
    """Validate the base scenario and the varied paths, and build the design (bad input raises;
    `with_plan` on a scenario with no expansions to build too)."""
    from sim.run import check_with_plan
    from sim.scenario.loading import read_raw, validate

    check_ranges(seed=seed, replications=replications, samples=samples)
    scenario = Path(scenario)
    base = list(overrides)
    raw = read_raw(scenario, base)
    model = validate(raw)
    if with_plan:
        check_with_plan(model, "--replan")
    sweep_seed = model.simulation.seed if seed is None else seed
    d = make_design(design, params, samples, sweep_seed)
    points = d.unique()
    check_paths(scenario, base, points[0])
    return SweepPlan(scenario, model.name, file_sha256(scenario), base, sweep_seed, replications, d, points,
                     describe_targets(model), scenario_sources(raw.files, model), with_plan)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scenario_sources(files: Iterable[str], model: Scenario) -> list[dict[str, str]]:
    """Every file a scenario's results depend on, with its hash: the files it was read from (the
    top file and each `extends:` parent, as the loader lists them) and the profile files it names
    (found where `sim.energy.profiles` looks for them)."""
    from sim.energy.profiles import profile_path

    paths = [Path(f) for f in files]
    for node in model.nodes.values():
        if node.generation is not None:
            found = profile_path(node.generation)
            if found is not None and found not in paths:
                paths.append(found)
    return [{"file": str(p), "sha256": file_sha256(p)} for p in paths]


def scenario_identity(scenario: Path, base: list[str]) -> tuple[str, list[dict[str, str]]]:
    """The scenario's name and sources (`scenario_sources`), read and validated with `base`."""
    from sim.scenario.loading import read_raw, validate

    raw = read_raw(scenario, base)
    model = validate(raw)
    return model.name, scenario_sources(raw.files, model)


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
    """Each target's figure as a reader would say it, in its own measure: `4 GW firm in 95% of
    hours`, `4 GW transmission in 95% of hours`, `15 TWh/yr`."""
    from sim.targets import figure, unit

    out = {}
    for tid, t in model.targets.items():
        how = f" {t.measure} in {t.share_of_time.value:.0%} of hours" if t.measure in ("firm", "transmission") else ""
        out[tid] = f"{figure(t):g} {unit(t)}{how}"
    return out


def check_same(folder: Path, identity: dict[str, Any], name: str = MANIFEST,
               keys: tuple[str, ...] = IDENTITY) -> None:
    """On resume, the folder must hold the same sweep (else its points would not belong): refused,
    naming what changed, after any change to the scenario's files, the overrides or the design."""
    path = folder / name
    if not path.exists():
        return
    old = read_manifest(path, "sweep", "rerun without --resume to start over, or choose another --out")
    differ = [k for k in keys if old.get(k) != identity.get(k)]
    if differ:
        what = "; ".join(changes(old, identity, differ))
        raise CorridorError(f"--resume: {folder} holds a different sweep ({', '.join(differ)} differ): {what}; "
                            "rerun without --resume to start it over, or choose another --out")


def changes(old: dict[str, Any], new: dict[str, Any], keys: list[str]) -> list[str]:
    """What differs between two identities, as a reader would say it."""
    out = []
    for key in keys:
        was, now = old.get(key), new.get(key)
        if key == "sources" and isinstance(was, list) and isinstance(now, list):
            out += _file_changes(was, now)
        elif key == "scenario" and isinstance(was, dict) and isinstance(now, dict):
            if was.get("file") != now.get("file"):
                out.append(f"the scenario was {was.get('file')}, now {now.get('file')}")
            elif was.get("sha256") != now.get("sha256"):
                out.append(f"{now.get('file')} changed since the sweep began")
        elif key == "overrides":
            out.append(f"--set was {_short(was)}, now {_short(now)}")
        elif key == "with_plan":
            said = {True: "with --replan (the optimiser's plan built at each point)",
                    False: "without --replan (each point as written)"}
            before = said[was] if isinstance(was, bool) else "before --replan existed (its points built the plan)"
            out.append(f"the sweep was run {before}, now {said[now] if isinstance(now, bool) else repr(now)}; "
                       "its points cannot be mixed")
        elif key in ("points", "params"):
            out.append(f"the {key} of the design differ (--vary or --design changed)")
        else:
            out.append(f"{key} was {_short(was)}, now {_short(now)}")
    return list(dict.fromkeys(out)) or ["the manifest differs"]


def _file_changes(was: list[Any], now: list[Any]) -> list[str]:
    old = {d.get("file"): d.get("sha256") for d in was if isinstance(d, dict)}
    new = {d.get("file"): d.get("sha256") for d in now if isinstance(d, dict)}
    out = [f"{f} changed since the sweep began" for f in new if f in old and old[f] != new[f]]
    out += [f"{f} is read now and was not then" for f in new if f not in old]
    out += [f"{f} was read then and is not now" for f in old if f not in new]
    return out or ["the order of the scenario's files changed"]


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."
