"""Presets: the shipped scenario files, plus the one the app was started with."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sim.scenario import Scenario, ScenarioError, load_scenario

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT = SHIPPED / "clustered.yaml"
# the side-by-side view: the same programme spread out or clustered (scenarios/*.yaml say so)
COMPARE = ("dispersed", "clustered")
# every browser builds its own model: a million-teacher system takes seconds and over half a
# gigabyte each, too much to offer a room of browsers; the facilitator can still start with one
MAX_OFFERED_TEACHERS = 100_000


@lru_cache(maxsize=32)
def load(path: str) -> Scenario:
    """A scenario file, read once per process: presets are read on every Reset."""
    return load_scenario(path)


def available(launch: Path | None = None) -> dict[str, str]:
    """Preset name -> file: the launch scenario first, then shipped ones of a size a room of browsers
    can each run (files that do not validate are left out)."""
    found: dict[str, str] = {}
    if launch:
        found[load(str(launch)).name] = str(launch)
    for file in sorted(SHIPPED.glob("*.yaml")) if SHIPPED.is_dir() else []:
        try:
            scenario = load(str(file))
        except (ScenarioError, OSError):
            continue
        if teachers(scenario) <= MAX_OFFERED_TEACHERS:
            found.setdefault(scenario.name, str(file))
    return found


def teachers(scenario: Scenario) -> float:
    s = scenario.system
    return s.districts * s.schools_per_district * s.teachers_per_school


def comparison_files() -> tuple[str, str] | None:
    """The dispersed and clustered files for the side-by-side view, or None if either is missing."""
    files = tuple(str(SHIPPED / f"{name}.yaml") for name in COMPARE)
    return files if all(Path(f).is_file() for f in files) else None  # type: ignore[return-value]
