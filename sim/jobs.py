"""The unit of parallel work: a job is a batch of runs, stepped together by the batch engine.

    job = Job(scenarios={0: scenario}, runs=(Run("r00", 0, seed, 0),), years=20)
    result = run_job(job)       # JobResult: one row per run (final outcomes), and optionally the series/frames

One rule for failures everywhere: a run that raises is a result with status "failed" and its
error, never the end of a sweep, and a failing run does not lose its batch-mates' results (the
batch is run again one system at a time to find which failed). Jobs are plain data, so they
pickle to worker processes and to Dask workers alike.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.engine import Batch
from sim.engine.observe import SYSTEM_COLUMNS
from sim.scenario import Scenario

OUTCOME_COLUMNS: tuple[str, ...] = tuple(c for c in SYSTEM_COLUMNS if c != "tipped")


@dataclass(frozen=True)
class Run:
    run_id: str
    point: int  # key of the run's scenario in the job (a design point)
    seed: int
    replicate: int = 0


@dataclass(frozen=True)
class Job:
    """Runs to make together. `keep`: "final" (one row per run), "series" (and every year's kept
    outcomes), or "frames" (and the model's full yearly, districts and roles frames)."""

    scenarios: dict[int, Scenario]
    runs: tuple[Run, ...]
    years: int
    outcomes: tuple[str, ...] = OUTCOME_COLUMNS
    keep: str = "final"
    tag: Any = None  # whatever the caller needs back with the result (e.g. its batch number)


@dataclass
class JobResult:
    job: Job
    # run_id, point, replicate, seed, outcomes at the last year, tipped, tipped_year, status, error, seconds
    runs: pd.DataFrame
    series: pd.DataFrame | None = None  # run_id, year, kept outcomes, tipped
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)  # with run_id first

    @property
    def failed(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]


def run_job(job: Job) -> JobResult:
    """Run every run of the job as one batch; if the batch fails, run each alone to isolate failures."""
    started = time.perf_counter()
    try:
        parts = [_run_batch(job, list(job.runs))]
    except Exception:  # one bad system must not take its batch-mates with it
        parts = [_run_alone(job, run) for run in job.runs]
    seconds = time.perf_counter() - started
    runs = pd.concat([p.runs for p in parts], ignore_index=True)
    # a batch's seconds are shared by its runs
    runs["seconds"] = seconds / max(len(runs), 1) if len(parts) == 1 else runs["seconds"]
    series = [p.series for p in parts if p.series is not None]
    frames: dict[str, pd.DataFrame] = {}
    for name in parts[0].frames:
        frames[name] = pd.concat([p.frames[name] for p in parts if name in p.frames], ignore_index=True)
    return JobResult(job, runs, pd.concat(series, ignore_index=True) if series else None, frames)


def _run_alone(job: Job, run: Run) -> JobResult:
    started = time.perf_counter()
    try:
        result = _run_batch(job, [run])
    except Exception as exc:
        row = {"run_id": run.run_id, "point": run.point, "replicate": run.replicate, "seed": run.seed,
               **dict.fromkeys(job.outcomes, np.nan), "tipped": None, "tipped_year": pd.NA,
               "status": "failed", "error": describe_error(exc), "seconds": time.perf_counter() - started}
        # the seed as uint64, as in a run that finished: concatenated with uint64 seeds, an int64 one would
        # turn the column to float64 and round its batch-mates' seeds (a replay would then use the wrong seed)
        return JobResult(job, pd.DataFrame([row]).astype({"tipped_year": "Int64", "seed": np.uint64}))
    result.runs["seconds"] = time.perf_counter() - started
    return result


def _run_batch(job: Job, runs: Sequence[Run]) -> JobResult:
    batch = Batch([job.scenarios[r.point] for r in runs], [r.seed for r in runs], years=job.years)
    batch.run(job.years)
    yearly = batch.yearly()
    ids = pd.DataFrame({
        "run_id": [r.run_id for r in runs], "point": [r.point for r in runs],
        "replicate": [r.replicate for r in runs], "seed": np.array([r.seed for r in runs], dtype=np.uint64),
    })
    last = yearly[yearly["year"] == job.years].reset_index(drop=True)
    final = pd.concat([ids, last[list(job.outcomes)], last[["tipped", "tipped_year"]]], axis=1)
    final["status"], final["error"], final["seconds"] = "ok", None, np.nan
    result = JobResult(job, final)
    if job.keep in ("series", "frames"):
        series = yearly[["system", "year", *job.outcomes, "tipped"]].copy()
        series.insert(0, "run_id", ids["run_id"].to_numpy()[series.pop("system").to_numpy()])
        result.series = series
    if job.keep == "frames":
        for name, frame in batch.frames().items():
            system = frame.pop("system").to_numpy()
            for column in ("seed", "replicate", "run_id"):
                frame.insert(0, column, ids[column].to_numpy()[system])
            result.frames[name] = frame
    return result


def describe_error(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {frame[0].filename}:{frame[0].lineno} in {frame[0].name})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


# --- how many systems a batch holds --------------------------------------------------------------------

DEFAULT_MEMORY_BUDGET = 2 * 1024**3  # bytes a batch may use: the default `--memory-budget`
BUDGET_VARIABLE = "CRITICAL_MASS_MEMORY_BUDGET"  # GB; sets the budget of every command that has no option for it


def memory_budget() -> int:
    """The batch memory budget in bytes: CRITICAL_MASS_MEMORY_BUDGET (GB) if set, else 2 GB."""
    asked = asked_budget(None)
    return DEFAULT_MEMORY_BUDGET if asked is None else asked


def asked_budget(option_gb: float | None) -> int | None:
    """The budget the user asked for, in bytes: --memory-budget (option_gb), else CRITICAL_MASS_MEMORY_BUDGET,
    else None (this machine's default applies where it makes sense; SLURM jobs size by their own memory)."""
    import os

    if option_gb is not None:
        return budget_bytes(option_gb, "--memory-budget")
    text = os.environ.get(BUDGET_VARIABLE, "").strip()
    return budget_bytes(text, BUDGET_VARIABLE) if text else None


def budget_bytes(gb: str | float, source: str) -> int:
    """A budget given in GB (from `source`: the option or variable that gave it) in bytes; a clear error
    for anything but a finite number from 0.01 to a million."""
    import math

    from sim.scenario.problems import Problem, ScenarioError

    try:
        value = float(gb)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.01 <= value <= 1e6):
        raise ScenarioError([Problem(source, None, "", f"expected a number of GB from 0.01 to 1e6, got {gb!r}")])
    return int(value * 1024**3)


def system_bytes(scenario: Scenario, years: int) -> int:
    """Memory one system takes in a batch: its arrays, its ties and the recorded years (an estimate
    that errs high; benchmarks/batch_memory.py checks it against measured peaks)."""
    s = scenario.system
    schools = s.districts * s.schools_per_district
    posts = schools * s.teachers_per_school * (1 + s.school_size_spread**2)
    ties = posts * 2 * (scenario.network.within_school_ties + scenario.network.across_school_ties)
    members = sum(scenario.programme.sizes())
    grades = s.grades
    arrays = posts * 90 + ties * 12 * 3 + members * (120 + 24 * scenario.network.alumni_ties) + schools * (
        grades * 16 * 3 + 120)
    recorded = (years + 1) * (len(SYSTEM_COLUMNS) * 8 + s.districts * 20 * 8)
    # working copies made during a year (exposure, sparse products, sorts) roughly double the arrays
    return int(2.5 * arrays + recorded + 20_000)


def batch_size(scenarios: Sequence[Scenario], years: int, runs: int, workers: int,
               budget: int | None = None, most: int = 4096) -> int:
    """Systems per batch: as many as the memory budget allows (per worker), with at least four
    batches per worker when there are several workers and enough runs, so that they finish together
    and this process has batches to run while the workers start (sim.parallel.processes).
    budget: bytes (default: memory_budget(), i.e. CRITICAL_MASS_MEMORY_BUDGET or 2 GB)."""
    budget = memory_budget() if budget is None else budget
    per_system = max(system_bytes(s, years) for s in scenarios)
    by_memory = max(1, budget // max(workers, 1) // per_system)
    balanced = max(1, -(-runs // (4 * workers))) if workers > 1 else runs
    return int(max(1, min(by_memory, balanced, most)))


def make_jobs(scenarios: Mapping[int, Scenario] | Sequence[Scenario], runs: Sequence[Run], years: int, size: int,
              keep: str = "final",
              outcomes: Sequence[str] = OUTCOME_COLUMNS) -> list[Job]:
    """Split runs (in order) into jobs of at most `size`, each holding only the scenarios its runs use;
    runs whose scenarios differ in grades go to different jobs (a batch shares its grades)."""
    jobs = []
    by_grades: dict[int, list[Run]] = {}
    for run in runs:
        by_grades.setdefault(scenarios[run.point].system.grades, []).append(run)
    for group in by_grades.values():
        for start in range(0, len(group), size):
            chunk = group[start:start + size]
            jobs.append(Job(
                scenarios={p: scenarios[p] for p in sorted({r.point for r in chunk})}, runs=tuple(chunk),
                years=years, outcomes=tuple(outcomes), keep=keep,
            ))
    return jobs
