"""A still baseline: with the programme off, nothing moves by itself over 20 years (issue 15, item 2)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.engine import Batch
from sim.validation import systems
from sim.validation.jobs import Job, scenario_cost
from sim.validation.report import Family, Measure, Row, markdown_table, status_of
from sim.validation.systems import Effort

YEARS = 20
LIMIT = 0.01
COLUMNS = ("mean_achievement", "district_support", "ministry_alignment")


def drift(name: str, seed: int) -> dict[str, float]:
    """How far each column moves between the start and year YEARS with the programme off."""
    scenario = systems.load(name).with_overrides(
        {"programme.cohort_size": 0, "programme.cohort_sizes": None, "years": YEARS})
    batch = Batch([scenario], [seed])
    batch.run()
    yearly = batch.yearly()
    return {c: float(yearly[c].iloc[-1] - yearly[c].iloc[0]) for c in COLUMNS}


def seeds_for(name: str, effort: Effort) -> range:
    return range(1) if name == "national" else range(effort.baseline_seeds)


def jobs(effort: Effort) -> list[Job]:
    return [Job(f"baseline:{name}:{seed}", "baseline:drift", (name, seed), cost=scenario_cost(name, years=YEARS))
            for name in effort.scenarios for seed in seeds_for(name, effort)]


def assemble(effort: Effort, results: dict[str, Any]) -> Family:
    family = Family("baseline")
    still(family, effort, {(name, seed): results[f"baseline:{name}:{seed}"]
                           for name in effort.scenarios for seed in seeds_for(name, effort)})
    return family


def still(family: Family, effort: Effort, drifts: dict[tuple[str, int], dict[str, float]]) -> None:
    """The row and table from drift's results, keyed by (scenario, seed)."""
    names = list(dict.fromkeys(name for name, _ in drifts))
    table, worst, moving = [], (0.0, "", ""), []
    for name in names:
        row: dict[str, str] = {"scenario": name}
        seeds = [seed for n, seed in drifts if n == name]
        for column in COLUMNS:
            ms = [family.add(Measure.exact(f"baseline.{name}.{column}.seed{seed}", drifts[name, seed][column],
                                           digits=5, full_only=name == "national" or seed > 0))
                  for seed in seeds]
            largest = max(ms, key=lambda m: abs(m.value))
            row[f"{column} (largest change)"] = f"{largest.value:+.5f}"
            if abs(largest.value) > abs(worst[0]):
                worst = (largest.value, name, column)
            if any(abs(m.value) >= LIMIT for m in ms):
                moving.append(f"{name} {column}")
        row["seeds"] = ", ".join(str(s) for s in seeds)
        table.append(row)
    ok = not moving
    family.rows.append(Row(
        "baseline", "A still baseline: without the programme nothing moves by itself",
        "issue 15 (no published figure: a property the model must have)",
        f"mean achievement, district support and ministry alignment each move by less than {LIMIT} over {YEARS} "
        "years, in every shipped scenario",
        f"each shipped scenario with programme.cohort_size 0 (and no cohort_sizes), {YEARS} years; seeds "
        f"{', '.join(str(s) for s in range(effort.baseline_seeds))} (national: 0 only"
        + (")" if "national" in names else "; national only in a full run)"),
        f"largest change {worst[0]:+.5f} ({worst[1]}, {worst[2]}); still in "
        f"{len(names) - len({m.split()[0] for m in moving})} of {len(names)}",
        "deterministic (exact), per seed", status_of(ok),
        "" if ok else f"moving: {', '.join(moving)}. A scenario that starts past a tipping condition (practice, "
        "a leader's or an office's) moves by itself: start it at rest (teachers.initial_practice: equilibrium, "
        "institutions' initial levels below what they need), or state the trend with its source",
    ))
    family.details += (
        "### The still baseline\n\n"
        f"Each shipped scenario with the programme switched off, run {YEARS} years (seed 0, and in a full run "
        f"seeds 0–{effort.baseline_seeds - 1} but national, which is a million teachers and runs once). The "
        "columns are the largest change from the start over the seeds.\n\n"
        + markdown_table(pd.DataFrame(table)) + "\n\n"
    )
