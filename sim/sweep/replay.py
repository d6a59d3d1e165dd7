"""Replay one run of a sweep from its folder alone, and check that it reproduces what was stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.jobs import Run
from sim.runner import Frames, run_once
from sim.scenario import Scenario
from sim.sweep.plan import Plan
from sim.sweep.store import read_manifest, read_runs


@dataclass
class Replay:
    spec: Run
    scenario: Scenario
    years: int
    overrides: dict[str, Any]
    frames: Frames
    stored: dict[str, Any] | None  # the run's stored row, if it had finished
    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # column: (stored, replayed)

    @property
    def reproduced(self) -> bool:
        return self.stored is not None and not self.differences


def replay_run(directory: str | Path, run_id: str) -> Replay:
    """Rebuild the run's scenario from the manifest (not from files that may have changed since) and run it."""
    plan = Plan.from_manifest(read_manifest(directory))
    spec = plan.find_run(run_id)
    scenario = plan.scenario(spec.point)
    frames = run_once(scenario, spec.seed, plan.years)
    runs = read_runs(directory)
    match = runs[runs["run_id"] == spec.run_id]
    stored = match.iloc[0].to_dict() if len(match) else None
    replay = Replay(spec, scenario, plan.years, plan.points[spec.point].overrides, frames, stored)
    if stored is not None and stored["status"] == "ok":
        replay.differences = _compare(stored, frames["yearly"], plan.outcomes)
    elif stored is not None:
        replay.differences = {"status": (stored["status"], "ok")}
    return replay


def _compare(stored: dict[str, Any], yearly: pd.DataFrame, outcomes: list[str]) -> dict[str, tuple[Any, Any]]:
    last = yearly.iloc[-1]
    tipped_year = yearly["tipped_year"].iloc[0]
    now: dict[str, Any] = {o: float(last[o]) for o in outcomes}
    now["tipped"] = bool(last["tipped"])
    now["tipped_year"] = None if pd.isna(tipped_year) else int(tipped_year)
    differences = {}
    for column, value in now.items():
        before = None if pd.isna(stored[column]) else stored[column]
        # exact: a run is a pure function of scenario and seed, so anything else is a real difference
        if before != value and not (before is not None and value is not None and float(before) == float(value)):
            differences[column] = (before, value)
    return differences
