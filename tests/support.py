"""Helpers shared by test modules (importable as `support`: pytest puts tests/ on the path)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
MINIMAL = SCENARIOS / "minimal.yaml"
FAST = ["--set", "simulation.horizon=40 d", "--set", "simulation.warmup=5 d", "-r", "1"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below `folder` with a hash of its bytes (folders and links marked)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def key_paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a YAML document (mappings by key, lists by index), the root first."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from key_paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from key_paths(v, prefix + (i,))


def optimiser_scenario(name: str, *overrides: str) -> Any:
    """tests/scenarios/optimiser_<name>.yaml with `overrides` applied (a validated Scenario)."""
    from sim.scenario.loading import load_scenario

    return load_scenario(SCENARIOS / f"optimiser_{name}.yaml", list(overrides))
