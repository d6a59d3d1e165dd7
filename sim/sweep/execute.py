"""Run sweep tasks: in this process, on local worker processes, or on a Dask cluster.

Every executor calls the same pure function, execute_run, so results cannot depend on which one
ran them or on how many workers it had. A run that raises is a result (status "failed"); a run
whose worker vanished is `Lost` and left for `--resume`.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver, get_context
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.runner import run_once
from sim.scenario import Scenario
from sim.sweep.plan import RunSpec


@dataclass(frozen=True)
class RunTask:
    spec: RunSpec
    scenario: Scenario
    years: int
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class RunResult:
    spec: RunSpec
    status: str  # "ok" or "failed"
    final: dict[str, float]  # each kept outcome at the last year; empty if the run failed
    tipped: bool | None
    tipped_year: int | None
    series: dict[str, np.ndarray] | None  # year, kept outcomes, tipped: one array each
    error: str | None
    seconds: float


@dataclass(frozen=True)
class Lost:
    """A run whose worker died or whose executor failed: not recorded, so --resume runs it again."""

    spec: RunSpec
    reason: str


def execute_run(task: RunTask) -> RunResult:
    """Run one replicate of one design point; never raises for a failure of the model itself."""
    started = time.perf_counter()
    try:
        yearly = run_once(task.scenario, task.spec.seed, task.years)["yearly"]
        # plain arrays: cheap to pickle back and to concatenate in the parent, unlike a DataFrame
        series = {c: yearly[c].to_numpy() for c in ("year", *task.outcomes, "tipped")}
        last = yearly.iloc[-1]
        tipped_year = yearly["tipped_year"].iloc[0]
        return RunResult(
            spec=task.spec, status="ok",
            final={o: float(last[o]) for o in task.outcomes},
            tipped=bool(last["tipped"]),
            tipped_year=None if pd.isna(tipped_year) else int(tipped_year),
            series=series, error=None, seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # a failing run must not stop the sweep; its error is the result
        return RunResult(
            spec=task.spec, status="failed", final={}, tipped=None, tipped_year=None, series=None,
            error=_describe_error(exc), seconds=time.perf_counter() - started,
        )


def _describe_error(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {frame[0].filename}:{frame[0].lineno} in {frame[0].name})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


class WorkersFailed(RuntimeError):
    """The executor itself cannot go on (not a run's failure); what finished is saved, --resume continues."""


class Executor(Protocol):
    description: str

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunResult | Lost]: ...


class InProcess:
    """One worker: runs in this process, which also makes monkeypatching and debugging easy."""

    description = "1 local worker (this process)"
    workers = 1

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunResult | Lost]:
        for task in tasks:
            yield execute_run(task)


def _worker_start() -> None:
    # Ctrl-C is the parent's to handle: it saves what finished and stops the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a parent killed with SIGKILL cannot stop its pool; a worker whose parent is gone stops itself
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class LocalProcesses:
    """Worker processes on this machine, kept busy with a small window of queued runs."""

    # a task that was running in two pools that broke is taken as the cause and left for --resume
    MAX_BREAKS_PER_TASK = 2

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local worker processes"

    def _pool(self) -> ProcessPoolExecutor:
        context = get_context("forkserver")
        context.set_forkserver_preload(["sim.model", "sim.runner", "sim.sweep.execute"])
        if threading.current_thread() is threading.main_thread():
            # The forkserver ignores Ctrl-C only once it has imported the model; started with SIGINT
            # ignored, it cannot die mid-import with a traceback when the user stops the sweep early.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                forkserver.ensure_running()
            finally:
                signal.signal(signal.SIGINT, previous)
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_worker_start)

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunResult | Lost]:
        pending: Iterator[RunTask] = iter(tasks)
        breaks: dict[str, int] = {}
        window = 4 * self.workers
        pool = self._pool()
        in_flight: dict[Future[RunResult], RunTask] = {}
        fruitless_restarts = 0
        try:
            retry = yield from self._warm_up(pool, pending, in_flight, window)
            while True:
                while not retry and len(in_flight) < window and (task := next(pending, None)) is not None:
                    try:
                        in_flight[pool.submit(execute_run, task)] = task
                    except BrokenProcessPool:
                        retry.append(task)
                if not in_flight and not retry:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED) if in_flight else (set(), set())
                for future in done:
                    task = in_flight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        breaks[task.spec.run_id] = breaks.get(task.spec.run_id, 0) + 1
                        if breaks[task.spec.run_id] >= self.MAX_BREAKS_PER_TASK:
                            yield Lost(task.spec, "its worker process died twice")
                        else:
                            retry.append(task)
                        continue
                    fruitless_restarts = 0
                    yield result
                if retry:
                    fruitless_restarts += 1
                    if fruitless_restarts > self.MAX_BREAKS_PER_TASK + 1:
                        raise WorkersFailed("worker processes keep dying before finishing any run")
                    # every queued task of a broken pool fails with it; start a new pool and queue them again
                    retry.extend(in_flight.values())
                    in_flight.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
                    pending = itertools.chain(retry, pending)
                    retry = []
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _warm_up(
        self, pool: ProcessPoolExecutor, pending: Iterator[RunTask], in_flight: dict, window: int
    ) -> Generator[RunResult, None, list[RunTask]]:
        """Queue the first runs from a thread, and run runs here until the pool delivers.

        Starting the workers takes a second or two (the first submit waits for the forkserver to import
        the model); a short sweep would lose a good share of its time to it. Returns the runs that could
        not be queued because the pool broke.
        """
        first = list(itertools.islice(pending, window))
        unqueued: list[RunTask] = []

        def queue() -> None:
            for n, task in enumerate(first):
                try:
                    in_flight[pool.submit(execute_run, task)] = task
                except Exception:  # a broken pool, or one shut down by a Ctrl-C meanwhile: queue them later
                    unqueued.extend(first[n:])
                    return

        starter = threading.Thread(target=queue, name="start-workers", daemon=True)
        starter.start()
        while starter.is_alive() or not any(f.done() for f in list(in_flight)):
            if not starter.is_alive() and not in_flight:
                break  # the pool broke before taking anything
            task = next(pending, None)
            if task is None:
                break
            yield execute_run(task)
        starter.join()
        return unqueued


def execute_batch(tasks: list[RunTask]) -> list[RunResult]:
    """Several runs in one task: on a cluster, per-task overhead would otherwise rival a short run."""
    return [execute_run(task) for task in tasks]


class DaskCluster:
    """Runs on an existing Dask distributed scheduler: a LocalCluster, or SLURM/PBS via dask-jobqueue."""

    # runs are grouped so that a task takes about this long; one run per task while run time is unknown
    TASK_SECONDS = 0.5
    MAX_RUNS_PER_TASK = 32

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = self._threads()
        self.description = f"Dask at {client.scheduler.address} ({self.workers} threads)"

    def _threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def map_unordered(self, tasks: Iterable[RunTask]) -> Iterator[RunResult | Lost]:
        from distributed import as_completed

        pending = iter(tasks)
        token = uuid.uuid4().hex[:8]
        in_flight: dict[Any, list[RunTask]] = {}
        completed = as_completed()
        run_seconds: list[float] = []
        checked = time.monotonic()

        def window() -> int:
            # enough queued work to keep every worker busy, including workers that joined since the start
            nonlocal checked
            if time.monotonic() - checked > 5:
                self.workers, checked = self._threads(), time.monotonic()
            return 2 * self.workers + 2

        def submit() -> bool:
            size = 1
            if run_seconds:
                mean = sum(run_seconds[-50:]) / len(run_seconds[-50:])
                size = max(1, min(self.MAX_RUNS_PER_TASK, int(self.TASK_SECONDS / max(mean, 1e-3))))
            batch = list(itertools.islice(pending, size))
            if not batch:
                return False
            key = f"critical-mass-{batch[0].spec.run_id}-{len(batch)}-{token}"
            future = self.client.submit(execute_batch, batch, key=key, pure=False)
            in_flight[future] = batch
            completed.add(future)
            return True

        try:
            while len(in_flight) < window() and submit():
                pass
            for future in completed:
                batch = in_flight.pop(future)
                try:
                    results = future.result()
                except Exception as exc:  # KilledWorker, a lost connection: the runs themselves did not fail
                    for task in batch:
                        yield Lost(task.spec, f"{type(exc).__name__}: {exc}")
                else:
                    for result in results:
                        run_seconds.append(result.seconds)
                        yield result
                while len(in_flight) < window() and submit():
                    pass
        finally:
            for future in in_flight:
                future.cancel()


def local_executor(workers: int) -> Executor:
    return InProcess() if workers <= 1 else LocalProcesses(workers)
