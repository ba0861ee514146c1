"""corridor: simulator and optimiser of the Trans-Caspian (Middle Corridor) transit network.

    from sim import load_scenario, optimise, simulate, run, compare

The names below load their modules on first use, so `import sim` (and the command line's
`--help`) does not pay for matplotlib, PuLP, SciPy or SimPy until a command needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_WHERE = {
    "CorridorError": "sim.errors", "Problem": "sim.errors", "ScenarioError": "sim.errors",
    "load_scenario": "sim.scenario.loading", "Scenario": "sim.scenario.schema",
    "Network": "sim.network", "build_network": "sim.network",
    "optimise": "sim.optimiser.optimise", "apply_plan": "sim.optimiser.optimise",
    "simulate": "sim.simulate",
    "evaluate": "sim.run", "run": "sim.run", "rerun": "sim.run",
    "compare": "sim.report.compare",
}

__all__ = ["CorridorError", "Network", "Problem", "Scenario", "ScenarioError", "apply_plan", "build_network",
           "compare", "evaluate", "load_scenario", "optimise", "rerun", "run", "simulate"]

if TYPE_CHECKING:
    from sim.errors import CorridorError, Problem, ScenarioError
    from sim.network import Network, build_network
    from sim.optimiser.optimise import apply_plan, optimise
    from sim.report.compare import compare
    from sim.run import evaluate, rerun, run
    from sim.scenario.loading import load_scenario
    from sim.scenario.schema import Scenario
    from sim.simulate import simulate


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
