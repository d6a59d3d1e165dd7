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
    """Where tipping is judged so that every scenario is measured over the same population.

    A scope fixed when the system is built (the whole system, the most disadvantaged districts, named
    districts) and the same in every scenario already is one population: each run's own tipping stands,
    as `run` reports it. A scope that moves with placement (programme_districts), or scopes that differ,
    are replaced by the union of the districts any compared programme works in (per replicate), each
    scenario with its own rule.

    Returns the common tipping table (None when each run's own tipping stands), the population's words,
    and notes."""
    notes = []
    rules = {(s.tipping.metric, s.tipping.level, s.tipping.sustained_years, s.tipping.by_district,
              s.tipping.by_district and s.tipping.district_share) for s in scenarios.values()}
    scopes = {(s.tipping.scope, s.tipping.district_count if s.tipping.scope == "most_disadvantaged" else 0,
               tuple(s.tipping.district_names) if s.tipping.scope == "named" else ()) for s in scenarios.values()}
    if len(scopes) == 1 and next(iter(scopes))[0] != "programme_districts":
        if len(rules) > 1:
            notes.append("the scenarios' tipping rules differ: each is judged by its own rule, over the same "
                         "population")
        return None, scope_words(next(iter(scenarios.values()))), notes
    tipping, population = None, "own tipping scope"
    # a district count can be re-counted over any districts, a teacher-weighted mean pooled over them
    unpoolable = sorted({s.tipping.metric for s in scenarios.values()
                         if not s.tipping.by_district and s.tipping.metric not in POOLABLE})
    if not unpoolable:
        common = common_districts(districts)
        if common:
            tipping = common_tipping(districts, scenarios, common)
            counts = sorted({len(v) for v in common.values()})
            many = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
            population = f"{many} programme district{'s' if counts[-1] > 1 else ''}"
            first = next(iter(common.values()))
            why = ("the tipping scope moves with where the programme works"
                   if len(scopes) == 1 else "the scenarios' tipping scopes differ")
            notes.append(f"{why}, so tipping is measured over the {many} district(s) any of these programmes "
                         f"works in (replicate 0: {', '.join(first[:8])}{'...' if len(first) > 8 else ''}), with "
                         "each scenario's own rule: the same population in every scenario")
            if len(rules) > 1:
                notes.append("the scenarios' tipping rules differ: each is judged by its own rule over those "
                             "districts")
    else:
        notes.append(f"tipping on {', '.join(unpoolable)} cannot be pooled over a common set of districts, so each "
                     "scenario is judged over its own scope, which may not be the same population; set "
                     "tipping.scope to system, most_disadvantaged or named (the same in every scenario) to "
                     "compare over one population")
    return tipping, population, notes


def scope_words(scenario: Scenario) -> str:
    """The population a fixed tipping scope names, in a reader's words."""
    tip = scenario.tipping
    if tip.scope == "most_disadvantaged":
        n = tip.district_count
        return f"the {n} most disadvantaged district{'s' if n > 1 else ''}"
    if tip.scope == "named":
        return "district" + ("s " if len(tip.district_names) > 1 else " ") + ", ".join(tip.district_names)
    return "whole system"


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
