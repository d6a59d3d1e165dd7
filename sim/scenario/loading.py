"""From a YAML file or plain data to a validated Scenario: overrides, renamed keys, every problem at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.renames import has_old_keys, rename_keys
from sim.scenario.schema import Scenario
from sim.scenario.yaml_source import KeyPath, apply_overrides, copied, read_yaml, validate


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
    retired = []
    if has_old_keys(data):
        data = copied(data)  # renaming works in place, and apply_overrides shares what it did not set
        retired = rename_keys(data, lines, source)
    if retired:
        raise ScenarioError([
            Problem("--set" if path in touched else source, lines.get(path), ".".join(path), f"retired key: {why}")
            for path, why in retired
        ])
    return validate(Scenario, data, source, lines, touched)  # type: ignore[return-value]


@contextmanager
def validating_many() -> Iterator[None]:
    """Pause Python's cycle collector while many scenarios are validated (a sweep's design points, the
    worlds of an uncertainty run). Validation makes many short-lived objects and no reference cycles,
    yet each batch of new objects set off a collection that walked every scenario made so far: more
    than half the time of checking a 14,000-point plan. Anything left in a cycle is collected when the
    collector resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
