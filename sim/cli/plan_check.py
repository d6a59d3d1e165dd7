"""Before a sweep runs: how many runs, how long, whether it fits in memory, and whether to refuse.

Shared by `critical-mass sweep` and its `--dry-run`, so both say the same thing at once, also for a
plan of 10^11 runs (counted by arithmetic, sim.sweep.size) that could never be listed.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.cli.common import out
from sim.sweep.plan import Plan, make_plan
from sim.sweep.size import MAX_RUNS, PlanSize, check_size, describe_duration, plan_size, seconds_per_run


def checked_plan(experiment_file: Path, allow_huge: bool, workers: int | None) -> Plan:
    """The validated plan; a plan above MAX_RUNS runs is refused (exit 2) unless allow_huge, after
    saying how long it would take."""
    from sim.scenario import load_scenario
    from sim.sweep.experiment import load_experiment

    loaded = load_experiment(experiment_file)
    size = plan_size(loaded.experiment)
    if size.runs > MAX_RUNS and not allow_huge:
        exp = loaded.experiment
        base = load_scenario(loaded.scenario_path, dict(exp.set))
        years = exp.years or base.years
        out.print(f"{loaded.experiment.name}: {size.points:,} design points x {size.replicates:,} replicate(s) "
                  f"= {size.runs:,} runs of {years} years", markup=False)
        print_estimate(size, seconds_per_run(base, years), _local(workers, size.runs), "the base scenario")
        check_size(loaded)  # raises PlanTooLarge: the message says what to change
    return make_plan(loaded, max_runs=None)


def _local(workers: int | None, runs: int) -> int:
    return max(1, min(workers or os.cpu_count() or 1, runs))


def sweep_workers(plan: Plan, workers: int | None, dask: str | None, batch: int | None = None,
                  budget: int | None = None) -> int | None:
    """Local workers whose batches fit in memory together (the plan's biggest point decides), no more than
    the plan's runs; None when a remote Dask cluster runs the sweep, whose machines this one cannot measure."""
    from sim.memory import check_fits, estimate, fitting_workers

    if dask and dask != "local":
        return None
    biggest = max(range(len(plan.points)), key=lambda i: estimate(plan.scenario(i), plan.years).bytes)
    scenario, source = plan.scenario(biggest), f"{plan.experiment_file} (design point {biggest})"
    if workers:
        check_fits(scenario, workers, plan.years, plan.total_runs, source=source, batch=batch, budget=budget)
        return _local(workers, plan.total_runs)
    return fitting_workers(scenario, _local(None, plan.total_runs), plan.years, plan.total_runs, source=source,
                           batch=batch, budget=budget)


def print_estimate(size: PlanSize, seconds: float, workers: int | None, measured: str) -> None:
    """One line: the time a run took here, and the whole plan's on the workers (or in CPU time)."""
    total = seconds * size.runs
    shown = f"{seconds:.2g} s" if seconds < 10 else describe_duration(seconds)
    where = (f"about {describe_duration(total / workers)} on {workers} local worker(s)" if workers
             else f"about {describe_duration(total)} of CPU time, shared by the cluster's workers")
    out.print(f"Estimated time: {size.runs:,} runs x {shown} (a run of {measured}, measured here in a batch) "
              f"= {where}.", markup=False)


def print_plan_estimate(plan: Plan, workers: int | None) -> None:
    print_estimate(PlanSize(len(plan.points), plan.replicates), seconds_per_run(plan.scenario(0), plan.years),
                   workers, "the first design point")
