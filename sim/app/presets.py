"""Presets: the shipped scenario files, plus the one the app was started with."""

from __future__ import annotations

from pathlib import Path

from sim.app.workshop_model import SHIPPED, load, name_of, teachers
from sim.scenario import ScenarioError

DEFAULT = SHIPPED / "clustered.yaml"
# every browser builds its own model: a million-teacher system takes seconds and over half a
# gigabyte each, too much to offer a room of browsers; the facilitator can still start with one
MAX_OFFERED_TEACHERS = 100_000


def available(launch: Path | None = None) -> dict[str, str]:
    """Preset name -> file: the launch scenario first, then shipped ones of a size a room of browsers
    can each run (files that do not validate are left out)."""
    found: dict[str, str] = {}
    if launch:
        found[name_of(load(str(launch)))] = str(launch)
    for file in sorted(SHIPPED.glob("*.yaml")) if SHIPPED.is_dir() else []:
        try:
            scenario = load(str(file))
        except (ScenarioError, OSError):
            continue
        if teachers(scenario) <= MAX_OFFERED_TEACHERS:
            found.setdefault(name_of(scenario), str(file))
    return found
