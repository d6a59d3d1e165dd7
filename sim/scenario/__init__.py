"""Scenario files: YAML in, a validated, immutable Scenario out."""

from __future__ import annotations

from typing import Any

from sim.scenario.loading import load_scenario
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.schema import DIMENSIONS, PLACED_ROLES, ROLES, Scenario
from sim.scenario.yaml_source import parse_override

__all__ = [
    "DIMENSIONS", "PLACED_ROLES", "ROLES", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_overrides",
]


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Turn ['a.b=1', ...] from the command line into {'a.b': 1, ...}."""
    return dict(parse_override(item) for item in items or [])
