"""Scenario files: YAML in, a validated, immutable Scenario out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.schema import DIMENSIONS, ROLES, Scenario
from sim.scenario.yaml_source import apply_overrides, parse_override, read_yaml, validate

__all__ = ["DIMENSIONS", "ROLES", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_overrides"]


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Turn ['a.b=1', ...] from the command line into {'a.b': 1, ...}."""
    return dict(parse_override(item) for item in items or [])


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file; raise ScenarioError listing every problem."""
    data, lines = read_yaml(path)
    data.setdefault("name", Path(path).stem)
    data, touched = apply_overrides(data, overrides or {})
    return validate(Scenario, data, str(path), lines, touched)


def _from_dict(data: dict[str, Any], overrides: dict[str, Any] | None = None, source: str = "<dict>") -> Scenario:
    data, touched = apply_overrides(data, overrides or {})
    return validate(Scenario, data, source, None, touched)


def _with_overrides(self: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A new Scenario with values replaced by dotted key path, validated again."""
    return _from_dict(self.model_dump(mode="python"), overrides, source=self.name)


# Attached here rather than in schema.py so the schema stays free of file handling.
Scenario.load = staticmethod(load_scenario)  # type: ignore[attr-defined]
Scenario.from_dict = staticmethod(_from_dict)  # type: ignore[attr-defined]
Scenario.with_overrides = _with_overrides  # type: ignore[attr-defined]
