"""How big a sweep is, and how long it would take, before anything is enumerated or run.

A grid of two 10,000-step ranges with 1,000 replicates is 10^11 runs; listing its points alone
would take longer than anyone waits. Counting is arithmetic (the product of each parameter's
number of levels, or the number of samples, times the replicates), so the answer comes at once,
and a plan above MAX_RUNS is refused unless the user says they mean it (`--allow-huge`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sim.scenario import Problem, Scenario, ScenarioError
from sim.sweep.experiment import Experiment, LoadedExperiment

MAX_RUNS = 10_000_000


@dataclass(frozen=True)
class PlanSize:
    points: int
    replicates: int

    @property
    def runs(self) -> int:
        return self.points * self.replicates


def plan_size(experiment: Experiment) -> PlanSize:
    """Design points and replicates, by arithmetic: nothing is listed."""
    if experiment.design == "grid":
        points = math.prod(p.level_count() or 1 for p in experiment.parameters)
    else:
        points = experiment.samples or 1
    return PlanSize(points, experiment.replicates)


class PlanTooLarge(ScenarioError):
    """A plan above the run limit, refused before anything is listed (exit 2)."""


def check_size(loaded: LoadedExperiment, max_runs: int | None = MAX_RUNS) -> PlanSize:
    """The plan's size; PlanTooLarge if it is above max_runs (None: no limit)."""
    size = plan_size(loaded.experiment)
    if max_runs is not None and size.runs > max_runs:
        raise PlanTooLarge([Problem(
            str(loaded.path), loaded.line_of("parameters"), "parameters",
            f"{size.points:,} design points x {size.replicates:,} replicate(s) = {size.runs:,} runs, above the limit "
            f"of {max_runs:,}; use fewer levels or a sampled design (design: latin_hypercube with samples: N) or "
            "fewer replicates, or confirm with --allow-huge",
        )])
    return size


def seconds_per_run(scenario: Scenario, years: int, budget: float = 1.0, systems: int = 4) -> float:
    """One run's time, measured here: build a small batch of the scenario's systems (runs are stepped in
    batches) and run years until `budget` seconds have passed, then extrapolate the years left at the rate
    measured. A short measurement, even for a big system (a single system when a batch would be large)."""
    from sim.engine import Batch  # the engine loads only when a plan is measured
    from sim.memory import estimate

    systems = max(1, min(systems, (512 * 1024**2) // max(estimate(scenario, years).bytes, 1)))
    started = time.perf_counter()
    batch = Batch([scenario] * systems, list(range(systems)), years=years)
    built = time.perf_counter()
    done = 0
    while done < years and time.perf_counter() - started < budget:
        batch.step()
        done += 1
    per_year = (time.perf_counter() - built) / done if done else 0.0
    return ((built - started) + per_year * years) / systems


def describe_duration(seconds: float) -> str:
    """3 s, 4.2 min, 7.5 h, 12 days, 310 years: the unit a person would use."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size if unit in ("years", "days") else seconds >= size:
            return f"{seconds / size:,.1f} {unit}" if seconds / size < 100 else f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
