"""Critical Mass: how collective leadership spreads through a school system and where it tips outcomes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from sim.model import SchoolSystemModel

__all__ = ["Scenario", "ScenarioError", "SchoolSystemModel", "load_scenario"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # importing Mesa takes seconds; `critical-mass --help` or `validate` should not pay for it
    if name == "SchoolSystemModel":
        from sim.model import SchoolSystemModel

        return SchoolSystemModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
