"""The files that ship with corridor: bundled scenarios and the seeds (article, targets,
reference rows). In a source checkout they are the top-level `scenarios/` and `seeds/`
folders; an installed wheel carries the same files as the packages `sim.bundled_scenarios`
and `sim.bundled_seeds` (mapped in pyproject.toml), found through `importlib.resources`.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


@functools.cache
def folder(kind: str) -> Path:
    """The folder of bundled `scenarios` or `seeds`."""
    local = _CHECKOUT / kind
    if local.is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return local
    try:
        resource = importlib.resources.files(f"sim.bundled_{kind}")
    except ModuleNotFoundError:
        return local
    if isinstance(resource, Path):
        return resource
    # a data package without __init__.py is a namespace package: its files are real paths
    return next(p for p in resource.iterdir() if isinstance(p, Path)).parent


def scenarios() -> list[Path]:
    """Every bundled scenario file, by name."""
    return sorted(folder("scenarios").glob("*.yaml"))


def scenario(name: str) -> Path | None:
    """The bundled scenario called `name` (`baseline-2023`), or None."""
    path = folder("scenarios") / f"{name}.yaml"
    return path if path.is_file() else None


def resolve(text: str) -> Path:
    """A scenario path as given, or the bundled scenario of that name when no such file exists."""
    path = Path(text)
    if path.is_file() or path.suffix in (".yaml", ".yml"):
        return path
    return scenario(text) or path
