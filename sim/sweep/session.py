"""One sitting of a sweep: run what is missing, save it as it finishes, account for every run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim.sweep.execute import Executor, Lost, RunResult, RunTask
from sim.sweep.lock import sweep_lock
from sim.sweep.plan import Plan, RunSpec
from sim.sweep.store import MANIFEST, SweepStore


@dataclass
class SweepReport:
    total: int  # runs in the whole sweep
    skipped: int  # already done by an earlier sitting
    completed: int = 0
    failed: int = 0
    lost: list[Lost] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def missing(self) -> int:
        return self.total - self.skipped - self.finished


def run_sweep(
    plan: Plan,
    directory: Path,
    executor: Executor,
    resume: bool = False,
    on_result: Callable[[RunResult | Lost], None] | None = None,
    on_start: Callable[[SweepReport], None] | None = None,
    flush_seconds: float = 5.0,
) -> SweepReport:
    """Run every run of the plan not already in directory; failed runs are recorded, never fatal.

    One writer at a time: SweepLocked (exit 2) names the process already writing to directory."""
    with sweep_lock(directory):
        return _run_sweep(plan, directory, executor, resume, on_result, on_start, flush_seconds)


def _run_sweep(
    plan: Plan,
    directory: Path,
    executor: Executor,
    resume: bool,
    on_result: Callable[[RunResult | Lost], None] | None,
    on_start: Callable[[SweepReport], None] | None,
    flush_seconds: float,
) -> SweepReport:
    store = SweepStore(directory, plan, flush_seconds=flush_seconds)
    # --resume on a folder that holds no sweep yet simply starts it, so scripts can always pass it
    if resume and (directory / MANIFEST).exists():
        done = store.reopen()
    else:
        store.create()
        done = set()
    todo = [spec for spec in plan.runs() if spec.run_id not in done]
    report = SweepReport(total=plan.total_runs, skipped=plan.total_runs - len(todo))
    store.start_session(executor.description, getattr(executor, "workers", 1), len(todo))
    if on_start:
        on_start(report)
    started = time.perf_counter()
    status = "interrupted"
    try:
        for result in executor.map_unordered(_tasks(plan, todo)):
            if isinstance(result, Lost):
                report.lost.append(result)
            else:
                store.add(result)
                if result.status == "ok":
                    report.completed += 1
                else:
                    report.failed += 1
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
        store.end_session(report.completed, report.failed, len(report.lost), report.seconds, status)
    return report


def _tasks(plan: Plan, specs: list[RunSpec]) -> Iterator[RunTask]:
    outcomes = tuple(plan.outcomes)
    for spec in specs:
        yield RunTask(spec, plan.scenario(spec.point), plan.years, outcomes)
