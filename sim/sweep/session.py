"""One sitting of a sweep: run what is missing as batches, save each batch as it finishes, account for every run."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.jobs import DEFAULT_MEMORY_BUDGET, Job, JobResult, Run, batch_size, make_jobs, run_job
from sim.parallel import Backend, Lost
from sim.scenario import Scenario
from sim.sweep.lock import sweep_lock
from sim.sweep.plan import Plan
from sim.sweep.store import MANIFEST, SweepStore

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    total: int  # runs in the whole sweep
    skipped: int  # already done by an earlier sitting
    completed: int = 0
    failed: int = 0
    lost: list[Lost] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    batch_size: int = 0

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def missing(self) -> int:
        return self.total - self.skipped - self.finished


def plan_batch_size(plan: Plan, runs: int, workers: int, memory_budget: int | None = None) -> int:
    """Systems per batch for a sweep's runs: sized by its biggest design point, wherever in the design that
    is (sim.jobs.batch_size; the plan has built every point's scenario already, so this costs microseconds)."""
    return batch_size([plan.scenario(p.index) for p in plan.points], plan.years, runs, workers, memory_budget)


def run_sweep(
    plan: Plan,
    directory: Path,
    backend: Backend,
    resume: bool = False,
    on_result: Callable[[JobResult | Lost], None] | None = None,
    on_start: Callable[[SweepReport], None] | None = None,
    flush_seconds: float = 5.0,
    runs_per_batch: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> SweepReport:
    """Run every run of the plan not already in directory; failed runs are recorded, never fatal.

    Runs go out as batches (sim.jobs) of `runs_per_batch` systems, by default as many as the memory
    budget allows per worker; each finished batch is written to the store at once (at most
    `flush_seconds` of finished work is ever unsaved). One writer at a time: SweepLocked (exit 2)
    names the process already writing to directory (sim/sweep/lock.py).
    """
    with sweep_lock(directory):
        return _run_sweep(plan, directory, backend, resume, on_result, on_start, flush_seconds, runs_per_batch,
                          memory_budget)


def _run_sweep(
    plan: Plan, directory: Path, backend: Backend, resume: bool,
    on_result: Callable[[JobResult | Lost], None] | None, on_start: Callable[[SweepReport], None] | None,
    flush_seconds: float, runs_per_batch: int | None, memory_budget: int,
) -> SweepReport:
    store = SweepStore(directory, plan, flush_seconds=flush_seconds)
    # --resume on a folder that holds no sweep yet simply starts it, so scripts can always pass it
    if resume and (directory / MANIFEST).exists():
        done = store.reopen()
    else:
        store.create()
        done = set()
    remaining = plan.total_runs - len(done)
    scenarios = _Scenarios(plan)
    size = runs_per_batch or plan_batch_size(plan, remaining, backend.workers, memory_budget)
    report = SweepReport(total=plan.total_runs, skipped=plan.total_runs - remaining, batch_size=size)
    store.start_session(backend.description, backend.workers, remaining, size)
    log.info("sweep %s: %d of %d runs to do, %d a batch, on %s", plan.name, remaining, plan.total_runs, size,
             backend.description)
    if on_start:
        on_start(report)
    # jobs are made as the backend asks for them, so a million-run sweep never holds its runs in memory
    todo = (run for run in plan.runs() if run.run_id not in done)
    jobs = _jobs(scenarios, todo, plan.years, size, plan.outcomes)
    started = time.perf_counter()
    status = "interrupted"
    try:
        for outcome in backend.map_unordered(run_job, jobs):
            if isinstance(outcome, Lost):
                log.warning("a batch of %d runs was lost (%s); --resume runs it again", len(outcome.job.runs),
                            outcome.reason)
                report.lost.append(outcome)
                if on_result:
                    on_result(outcome)
                continue
            result: JobResult = outcome.value
            store.add(result)
            failed = len(result.failed)
            report.failed += failed
            report.completed += len(result.runs) - failed
            if on_result:
                on_result(result)
        status = "complete" if not report.lost else "incomplete"
    except BaseException as exc:
        report.interrupted = True
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {type(exc).__name__}: {exc}"
        raise
    finally:
        # whatever stopped us, what has finished is saved before we go
        store.flush()
        report.seconds = time.perf_counter() - started
        lost_runs = sum(len(lost.job.runs) for lost in report.lost)
        store.end_session(report.completed, report.failed, lost_runs, report.seconds, status)
    return report


class _Scenarios(Mapping[int, Scenario]):
    """The plan's scenarios by point, validated once each and only when a batch needs them."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def __getitem__(self, point: int) -> Scenario:
        return self.plan.scenario(point)

    def __iter__(self) -> Iterator[int]:
        return (p.index for p in self.plan.points)

    def __len__(self) -> int:
        return len(self.plan.points)


def _jobs(scenarios: _Scenarios, runs: Iterator[Run], years: int, size: int, outcomes: list[str]) -> Iterator[Job]:
    while chunk := list(itertools.islice(runs, size)):
        yield from make_jobs(scenarios, chunk, years, size, keep="series", outcomes=outcomes)
