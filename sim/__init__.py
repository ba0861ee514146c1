"""corridor: simulator and optimiser of the Trans-Caspian (Middle Corridor) transit network."""

from sim.errors import CorridorError, Problem, ScenarioError
from sim.loading import load_scenario
from sim.network import Network, build_network
from sim.scenario import Scenario

__version__ = "0.1.0"
__all__ = ["CorridorError", "Network", "Problem", "Scenario", "ScenarioError", "build_network",
           "load_scenario"]
