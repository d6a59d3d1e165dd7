"""The result of running one scenario's replicates: tidy frames, a summary, and the files it writes.

    result = run_scenario(scenario, replicates=5, seed=0)
    result.summary            # RunSummary: start/end of each outcome with its 5-95% range, tipping
    result.write(directory)   # yearly/districts/roles Parquet, summary.json, scenario.yaml, report.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from sim.analysis.summary import RunSummary, describe_rule, summarise
from sim.results_io import write_frames, write_json, write_text
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.figure_process import FigureProcess


@dataclass
class ScenarioRun:
    scenario: Scenario  # exactly what ran, --years and --set included
    frames: dict[str, pd.DataFrame]
    seed: int
    overrides: list[str] = field(default_factory=list)

    @cached_property
    def summary(self) -> RunSummary:
        return summarise(self.frames["yearly"], self.scenario.name, describe_rule(self.scenario))

    def write(self, directory: Path, drawer: FigureProcess | None = None) -> Path:
        """Write every result file (each atomically); return the report's path. A `drawer` draws the
        report's figures in its own process while this one writes the rest."""
        from sim.report import run_report

        pending = drawer.draw({self.scenario.name: self.frames["yearly"]}, directory) if drawer else None
        write_frames(self.frames, directory)
        write_json({**self.summary.as_dict(), "seed": self.seed, "overrides": self.overrides,
                    "uncertainty": "seed noise only: ranges are over replicates with the scenario's own assumptions"},
                   directory / "summary.json")
        write_text(yaml.safe_dump(self.scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True),
                   directory / "scenario.yaml")
        return run_report(self.summary, self.frames["yearly"], self.scenario, directory,
                          pngs=pending() if pending else None)


def run_scenario(scenario: Scenario, replicates: int, seed: int, workers: int | None = None,
                 on_progress: Callable[[int], None] | None = None, overrides: list[str] | None = None,
                 **backend: Any) -> ScenarioRun:
    from sim.runner import run_replicates

    frames = run_replicates(scenario, replicates, seed, scenario.years, workers, on_progress, **backend)
    return ScenarioRun(scenario, frames, seed, list(overrides or []))
