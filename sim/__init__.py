"""Critical Mass: how collective leadership spreads through a school system and where it tips outcomes."""

from sim.model import SchoolSystemModel
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Scenario", "ScenarioError", "SchoolSystemModel", "load_scenario"]
__version__ = "0.1.0"
