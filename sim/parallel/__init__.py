"""One parallel layer: map a picklable function over jobs, here, on local processes or on a Dask cluster.

    from sim.parallel import local
    for outcome in local(2).map_unordered(run_job, jobs):
        ...  # Done(job, value) as each finishes, or Lost(job, reason) when its worker died

Every backend calls the same function on the same jobs, so results cannot depend on which ran
them or on how many workers it had. What a job's own failure means is the job function's
business (sim.jobs records a failing run as a result); a backend only reports jobs it could not
finish because a worker died or the cluster failed, so that callers can leave them for --resume.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Done:
    job: Any
    value: Any


@dataclass(frozen=True)
class Lost:
    """A job whose worker died or whose backend failed: not finished, so --resume runs it again."""

    job: Any
    reason: str


class WorkersFailed(RuntimeError):
    """The backend itself cannot go on (not a job's failure); what finished is kept."""


class Backend(Protocol):
    description: str
    workers: int

    def map_unordered(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Done | Lost]: ...


def default_workers(jobs: int | None = None) -> int:
    cores = os.cpu_count() or 1
    return max(1, cores if jobs is None else min(cores, jobs))


def local(workers: int | None = None) -> Backend:
    """This process for one worker, else a pool of local worker processes."""
    from sim.parallel.processes import InProcess, LocalProcesses

    workers = workers or default_workers()
    return InProcess() if workers <= 1 else LocalProcesses(workers)


def run_all(backend: Backend, fn: Callable[[Any], Any], jobs: list[Any],
            on_done: Callable[[Done], None] | None = None) -> list[Any]:
    """Every job's value, in the order of `jobs`; raises WorkersFailed if any job was lost."""
    values: dict[int, Any] = {}
    index = {id(job): i for i, job in enumerate(jobs)}
    for outcome in backend.map_unordered(fn, jobs):
        if isinstance(outcome, Lost):
            raise WorkersFailed(f"a job was lost: {outcome.reason}")
        values[index[id(outcome.job)]] = outcome.value
        if on_done:
            on_done(outcome)
    return [values[i] for i in range(len(jobs))]
