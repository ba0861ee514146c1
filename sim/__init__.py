"""corridor: simulator and optimiser of the Trans-Caspian (Middle Corridor) transit network.

    from sim import load_scenario, optimise, simulate, run, compare
"""

from sim.report.compare import compare
from sim.errors import CorridorError, Problem, ScenarioError
from sim.scenario.loading import load_scenario
from sim.network import Network, build_network
from sim.optimiser.optimise import apply_plan, optimise
from sim.run import evaluate, rerun, run
from sim.scenario.schema import Scenario
from sim.simulate import simulate

__version__ = "0.1.0"
__all__ = ["CorridorError", "Network", "Problem", "Scenario", "ScenarioError", "apply_plan", "build_network",
           "compare", "evaluate", "load_scenario", "optimise", "rerun", "run", "simulate"]
