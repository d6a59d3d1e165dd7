"""Compare strategies: run each scenario on matched seeds, measure them over the same population, say
what the comparison can and cannot tell, and write it all down.

    result = compare_scenarios({"dispersed": a, "clustered": b}, replicates=20, seed=0)
    result.differences    # sim.analysis.compare.Difference, scenario minus baseline, 95% intervals
    result.warnings       # e.g. more than one lever differs; the systems differ
    result.write(folder)  # each scenario's tidy frames, differences.parquet/.csv, report.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.analysis.compare import (
    POOLABLE,
    Difference,
    changed_levers,
    common_districts,
    common_tipping,
    compare,
    differences_frame,
)
from sim.analysis.narrative import describe_difference
from sim.results_io import write_frames, write_parquet, write_text
from sim.scenario import Scenario


@dataclass
class Comparison:
    scenarios: dict[str, Scenario]
    frames: dict[str, dict[str, pd.DataFrame]]  # per scenario: yearly, districts, roles
    differences: list[Difference]
    replicates: int
    seed: int
    population: str  # where tipping is measured
    warnings: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return differences_frame(self.differences)

    def sentences(self) -> list[str]:
        return [describe_difference(d) for d in self.differences]

    def write(self, directory: Path) -> Path:
        """Every scenario's frames, the differences (Parquet and CSV), and report.html; each file atomically."""
        from sim.report import compare_report

        for name, frames in self.frames.items():
            write_frames(frames, directory / name)
        table = self.frame()
        write_parquet(table, directory / "differences.parquet")
        write_text(table.to_csv(index=False), directory / "differences.csv")
        yearly = {name: frames["yearly"] for name, frames in self.frames.items()}
        return compare_report(yearly, self.differences, self.scenarios, directory, self.warnings)


def compare_scenarios(
    scenarios: dict[str, Scenario], replicates: int, seed: int, years: int | None = None,
    workers: int | None = None, on_progress: Callable[[int], None] | None = None,
) -> Comparison:
    from sim.runner import run_many

    names = list(scenarios)
    frames = run_many([scenarios[n] for n in names], replicates, seed, years, workers, on_progress)
    per_scenario = {
        name: {k: f[f["point"] == i].drop(columns="point").reset_index(drop=True) for k, f in frames.items()}
        for i, name in enumerate(names)
    }
    warnings = lever_notes(scenarios)
    tipping, population, notes = tipping_population(scenarios, {n: f["districts"] for n, f in per_scenario.items()})
    warnings += notes
    differences = compare({n: f["yearly"] for n, f in per_scenario.items()}, tipping=tipping, population=population)
    return Comparison(scenarios, per_scenario, differences, replicates, seed, population, warnings)


def tipping_population(
    scenarios: dict[str, Scenario], districts: dict[str, pd.DataFrame],
) -> tuple[pd.DataFrame | None, str, list[str]]:
    """Where tipping is judged so that every scenario is measured over the same population: the union of
    the districts any compared programme works in (per replicate), each scenario with its own rule.

    Returns the common tipping table (None when it cannot be pooled), the population's words, and notes."""
    notes = []
    rules = {(s.tipping.metric, s.tipping.level, s.tipping.sustained_years) for s in scenarios.values()}
    tipping, population = None, "own tipping scope"
    metric = next(iter(scenarios.values())).tipping.metric
    if len(rules) > 1:
        notes.append("the scenarios' tipping rules differ: each is judged by its own rule")
    elif metric in POOLABLE:
        common = common_districts(districts)
        if common:
            tipping = common_tipping(districts, scenarios, common)
            counts = sorted({len(v) for v in common.values()})
            many = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
            population = f"{many} programme district{'s' if counts[-1] > 1 else ''}"
            first = next(iter(common.values()))
            notes.append(f"tipping is measured over the {many} district(s) any of these programmes works in "
                         f"(replicate 0: {', '.join(first[:8])}{'...' if len(first) > 8 else ''}), with each "
                         "scenario's own rule: the same population in every scenario")
    else:
        scopes = {(s.tipping.scope, s.tipping.district_count, tuple(s.tipping.district_names))
                  for s in scenarios.values()}
        if len(scopes) > 1 or next(iter(scopes))[0] == "programme_districts":
            notes.append(f"tipping on {metric} cannot be pooled over a common set of districts, so each scenario "
                         "is judged over its own scope, which may not be the same population; set tipping.scope "
                         "to system, most_disadvantaged or named to compare over one population")
    return tipping, population, notes


def lever_notes(scenarios: dict[str, Scenario]) -> list[str]:
    """What a reader must know about what differs: the systems themselves, or more than one lever at once."""
    from sim.report import differing_settings

    notes = []
    differing = list(differing_settings(scenarios).index)
    levers = changed_levers(differing)
    if "the school system" in levers:
        notes.append("the school systems differ (" + ", ".join(k for k in differing if k.startswith("system."))
                     + "): differences include the systems, not only the strategies")
    strategy_levers = [lever for lever in levers if lever not in ("the school system", "the tipping rule")]
    if len(strategy_levers) > 1:
        notes.append(f"these scenarios differ in {len(strategy_levers)} levers at once "
                     f"({'; '.join(strategy_levers)}): a difference cannot be put down to any one of them; "
                     "compare one lever at a time")
    return notes
