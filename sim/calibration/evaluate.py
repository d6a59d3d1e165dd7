"""Run the model for many candidate parameter sets at once and measure each target: batches on the parallel layer.

    values = simulate(scenarios, seeds, years=20, measures=[("alumni_school_leader", 20)], backend=local(2))
    values.shape  # (candidates, replicates, targets)

A candidate's replicates and all candidates of a round are systems of one or more batches
(sim.engine.Batch), split into jobs sized by sim.jobs.batch_size and run by sim.parallel (local
processes or Dask). Every system is identical to a batch of one with its seed, so the values do not
depend on the number of workers or on how runs were grouped. This module never imports the ABC
library: worker processes import it to run `evaluate`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.calibration.outcomes import Outcome, measure_frames, measure_state, parse_outcome
from sim.jobs import Run, batch_size, describe_error, make_jobs
from sim.scenario import Scenario

Measure = tuple[str, int]  # an outcome's text and the year it is read at


@dataclass(frozen=True)
class EvaluationJob:
    """Runs to make together, and what to measure in each. Plain data: it pickles to any worker."""

    scenarios: dict[int, Scenario]
    runs: tuple[Run, ...]
    years: int
    measures: tuple[Measure, ...]


@dataclass
class Evaluated:
    job: EvaluationJob
    values: np.ndarray  # (runs, measures) in the job's run order
    errors: list[str | None]  # per run: None, or why it failed
    seconds: float  # wall time of the job in its worker
    cpu_seconds: float  # the worker's CPU time for the job (wall time inflates when other jobs share the cores)


def evaluate(job: EvaluationJob) -> Evaluated:
    """Run the job's runs as one batch; if the batch fails, run each alone so one bad run names itself."""
    started, cpu = time.perf_counter(), time.process_time()
    try:
        values = _run_batch(job, list(job.runs))
        errors: list[str | None] = [None] * len(job.runs)
    except Exception:  # one bad system must not hide which it was
        values = np.full((len(job.runs), len(job.measures)), np.nan)
        errors = []
        for i, run in enumerate(job.runs):
            try:
                values[i] = _run_batch(job, [run])[0]
                errors.append(None)
            except Exception as exc:
                errors.append(describe_error(exc))
    return Evaluated(job, values, errors, time.perf_counter() - started, time.process_time() - cpu)


def _run_batch(job: EvaluationJob, runs: Sequence[Run]) -> np.ndarray:
    from sim.engine import Batch

    outcomes = [parse_outcome(text) for text, _ in job.measures]
    batch = Batch([job.scenarios[r.point] for r in runs], [r.seed for r in runs], years=job.years)
    values = np.zeros((len(runs), len(job.measures)))
    state_years = {year for (_, year), o in zip(job.measures, outcomes, strict=True) if o.needs_state}

    def observe_state() -> None:
        for k, ((_, year), outcome) in enumerate(zip(job.measures, outcomes, strict=True)):
            if year == batch.state.year:
                for term in outcome.terms:
                    if term.needs_state:
                        values[:, k] += measure_state(term, batch.state, batch.params)

    if 0 in state_years:
        observe_state()
    for _ in range(job.years):
        batch.step()
        if batch.state.year in state_years:
            observe_state()
    _add_frame_terms(batch, job.measures, outcomes, values)
    return values


def _add_frame_terms(batch: object, measures: Sequence[Measure], outcomes: list[Outcome], values: np.ndarray) -> None:
    frames = {t.frame for o in outcomes for t in o.terms}
    yearly = batch.yearly() if frames & {"yearly", "roles"} else None  # type: ignore[attr-defined]
    districts = batch.districts() if "districts" in frames else None  # type: ignore[attr-defined]
    for k, ((_, year), outcome) in enumerate(zip(measures, outcomes, strict=True)):
        for term in outcome.terms:
            if not term.needs_state:
                values[:, k] += measure_frames(term, year, yearly, districts)


class ModelRunFailed(RuntimeError):
    """A model run raised: a bug or an impossible scenario, never a reason to drop a candidate quietly."""


def simulate(
    scenarios: Sequence[Scenario],
    seeds: np.ndarray,
    years: int,
    measures: Sequence[Measure],
    backend: object,
) -> tuple[np.ndarray, float]:
    """Every candidate's replicates on the backend; returns the values (candidates, replicates, measures)
    and the CPU seconds the runs took (summed over workers)."""
    from sim.parallel import run_all

    candidates, replicates = seeds.shape
    runs = [Run(f"c{c}-r{r}", c, int(seeds[c, r]), r) for c in range(candidates) for r in range(replicates)]
    workers = getattr(backend, "workers", 1)
    size = batch_size(list(scenarios), years, len(runs), workers)
    jobs = [EvaluationJob(j.scenarios, j.runs, years, tuple(measures))
            for j in make_jobs(dict(enumerate(scenarios)), runs, years, size, outcomes=())]
    values = np.full((candidates, replicates, len(measures)), np.nan)
    seconds = 0.0
    for result in run_all(backend, evaluate, jobs):  # type: ignore[arg-type]
        seconds += result.cpu_seconds
        for i, run in enumerate(result.job.runs):
            if result.errors[i] is not None:
                raise ModelRunFailed(f"a model run failed (candidate {run.point}, replicate {run.replicate}, seed "
                                     f"{run.seed}): {result.errors[i]}")
            values[run.point, run.replicate] = result.values[i]
    return values, seconds
