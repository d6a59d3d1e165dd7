"""From a YAML file or plain data to a validated Scenario: overrides, renamed keys, every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.renames import rename_keys
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, apply_overrides, read_yaml, validate


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file; raise ScenarioError listing every problem."""
    data, lines = read_yaml(path)
    data.setdefault("name", Path(path).stem)
    return _validated(data, overrides, str(path), lines)


def scenario_from_dict(
    data: dict[str, Any], overrides: dict[str, Any] | None = None, source: str = "<dict>"
) -> Scenario:
    return _validated(data, overrides, source, None)


def _validated(
    data: dict[str, Any], overrides: dict[str, Any] | None, source: str, lines: dict[KeyPath, int] | None
) -> Scenario:
    lines = dict(lines or {})
    data, touched = apply_overrides(data, overrides or {})
    retired = rename_keys(data, lines, source)
    if retired:
        raise ScenarioError([
            Problem("--set" if path in touched else source, lines.get(path), ".".join(path), f"retired key: {why}")
            for path, why in retired
        ])
    return validate(Scenario, data, source, lines, touched)  # type: ignore[return-value]
