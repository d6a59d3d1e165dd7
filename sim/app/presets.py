"""Presets: the shipped scenario files, plus the one the app was started with."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sim.scenario import Scenario, ScenarioError, load_scenario

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT = SHIPPED / "clustered.yaml"
# the side-by-side view: the same programme spread out or clustered (scenarios/*.yaml say so)
COMPARE = ("dispersed", "clustered")


@lru_cache(maxsize=32)
def load(path: str) -> Scenario:
    """A scenario file, read once per process: presets are read on every Reset."""
    return load_scenario(path)


def available(launch: Path | None = None) -> dict[str, str]:
    """Preset name -> file, the launch scenario first; files that do not validate are left out."""
    files = [launch] if launch else []
    files += sorted(SHIPPED.glob("*.yaml")) if SHIPPED.is_dir() else []
    found: dict[str, str] = {}
    for file in files:
        try:
            name = load(str(file)).name
        except (ScenarioError, OSError):
            continue
        found.setdefault(name, str(file))
    return found


def comparison_files() -> tuple[str, str] | None:
    """The dispersed and clustered files for the side-by-side view, or None if either is missing."""
    files = tuple(str(SHIPPED / f"{name}.yaml") for name in COMPARE)
    return files if all(Path(f).is_file() for f in files) else None  # type: ignore[return-value]
