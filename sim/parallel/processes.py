"""Run jobs in this process, or on local worker processes kept busy with a small window of queued jobs.

Workers are forked from this process when that is safe (sim.parallel.forking: from the main thread, no
other Python thread running), so they start in milliseconds with the model already imported. Otherwise
they are forked from a server process (multiprocessing's forkserver) that imports the model once, about
half a second of a core that the first batches run here meanwhile. Two things multiprocessing does not
give by itself, done here:

- **A script's top level runs once.** A forkserver child normally re-imports the main script
  (`__mp_main__`), so a script that calls the API at top level without `if __name__ ==
  "__main__":` would run again in every worker, or fail. Jobs here only ever call functions of
  the `sim` package, so workers are started without the main module. (A forked worker is a copy
  of this process and imports nothing.)
- **No orphans.** The launcher and every worker die with their parent (sim.parallel.lifeline),
  even when it is killed with SIGKILL.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver, popen_forkserver, spawn
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import Any

from sim.parallel import Done, Lost, WorkersFailed
from sim.parallel.forking import fork_is_safe, forking, ignore_ctrl_c_in_child
from sim.parallel.lifeline import PARENT_ENV, die_with_parent

log = logging.getLogger(__name__)
PRELOAD = ["sim.parallel.forkserver_lifeline", "sim.engine", "sim.jobs", "sim.parallel.processes"]
_launching = threading.Lock()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    if hasattr(pool, "terminate_workers"):  # Python 3.14
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # no public way before 3.14
        with contextlib.suppress(Exception):
            process.terminate()


class _WithoutMainPopen(popen_forkserver.Popen):
    """Starts a worker without the data that would make it import the main module."""

    def _launch(self, process_obj: Any) -> None:
        original = spawn.get_preparation_data

        def without_main(name: str) -> dict[str, Any]:
            data = original(name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            return data

        with _launching:
            spawn.get_preparation_data = without_main
            try:
                super()._launch(process_obj)  # type: ignore[misc]  # untyped in the standard library's stubs
            finally:
                spawn.get_preparation_data = original


class _Process(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _WithoutMainPopen(process_obj)


class _Context(ForkServerContext):
    Process = _Process


def _worker_start() -> None:
    # Ctrl-C is the parent's to handle: it saves what finished and stops the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    launcher = sys.modules.get("sim.parallel.forkserver_lifeline")
    die_with_parent(getattr(launcher, "LAUNCHER_PID", None))


def _forked_worker_start(parent: int) -> None:
    ignore_ctrl_c_in_child()
    die_with_parent(parent)


class InProcess:
    """One worker: runs in this process, which also makes monkeypatching and debugging easy."""

    description = "1 local worker (this process)"
    workers = 1

    def map_unordered(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Done | Lost]:
        for job in jobs:
            yield Done(job, fn(job))


class LocalProcesses:
    """Worker processes on this machine."""

    # a job that was running in two pools that broke is taken as the cause and left for --resume
    MAX_BREAKS_PER_JOB = 2

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"{workers} local worker processes"

    def _pool(self) -> tuple[ProcessPoolExecutor, bool]:
        """A pool, and whether its workers have already started (forked from here) or are still starting."""
        if fork_is_safe():
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_forked_worker_start, initargs=(os.getpid(),))
            try:
                with forking():
                    pool.submit(os.getpid)  # a pool forks all its workers at its first job: here, not beside a thread
            except BaseException:  # a Ctrl-C held back while they started lands here
                _stop_workers(pool)
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            return pool, True
        context = _Context()
        forkserver.set_forkserver_preload(PRELOAD)
        # the launcher takes seconds to import the model: if this process dies meanwhile, it must still notice
        os.environ[PARENT_ENV] = str(os.getpid())
        if threading.current_thread() is threading.main_thread():
            # The launcher ignores Ctrl-C only once it has imported the model; started with SIGINT
            # ignored, it cannot die mid-import with a traceback when the user stops early.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                forkserver.ensure_running()
            finally:
                signal.signal(signal.SIGINT, previous)
        else:
            # here, not in the short-lived thread that queues the first jobs (_warm_up): the launcher dies with
            # the thread that started it (PR_SET_PDEATHSIG, sim.parallel.lifeline), so it must be this one
            forkserver.ensure_running()
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_worker_start), False

    def map_unordered(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Done | Lost]:
        pending: Iterator[Any] = iter(jobs)
        breaks: dict[int, int] = {}
        window = 2 * self.workers
        pool, started = self._pool()
        in_flight: dict[Future[Any], Any] = {}
        # every job of a broken pool fails with it, so which one killed its worker is known only when it ran
        # alone: after a break, the jobs that were in the pool run one at a time, and only a job that breaks
        # the pool alone counts a break (twice: Lost), never the jobs that merely sat beside it
        suspects: collections.deque[Any] = collections.deque()
        fruitless_restarts = 0
        finished = False
        try:
            if not started:
                suspects.extend((yield from self._warm_up(fn, pool, pending, in_flight, window)))
            while True:
                unqueued = None
                if suspects:
                    if not in_flight:
                        job = suspects.popleft()
                        try:
                            in_flight[pool.submit(fn, job)] = job
                        except BrokenProcessPool:
                            unqueued = job
                else:
                    while len(in_flight) < window and (job := next(pending, None)) is not None:
                        try:
                            in_flight[pool.submit(fn, job)] = job
                        except BrokenProcessPool:
                            unqueued = job
                            break
                if not in_flight and not suspects and unqueued is None:
                    finished = True
                    return
                alone = len(in_flight) == 1 and unqueued is None
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED) if in_flight else (set(), set())
                broken = [] if unqueued is None else [unqueued]
                for future in done:
                    job = in_flight.pop(future)
                    try:
                        value = future.result()
                    except BrokenProcessPool:
                        broken.append(job)
                        continue
                    fruitless_restarts = 0
                    yield Done(job, value)
                if not broken:
                    continue
                broken.extend(in_flight.values())
                in_flight.clear()
                if alone:  # this job broke the pool by itself
                    culprit = broken[0]
                    breaks[id(culprit)] = breaks.get(id(culprit), 0) + 1
                    if breaks[id(culprit)] >= self.MAX_BREAKS_PER_JOB:
                        yield Lost(culprit, "its worker process died twice")
                        broken = []
                fruitless_restarts += 1
                if fruitless_restarts > self.MAX_BREAKS_PER_JOB + 1:
                    raise WorkersFailed("worker processes keep dying before finishing any job")
                log.warning("a worker process died; starting a new pool and running %d job(s) again, one at a time",
                            len(broken) + len(suspects))
                suspects.extendleft(reversed(broken))
                pool.shutdown(wait=False, cancel_futures=True)
                pool, _ = self._pool()
        except BaseException:
            # stopped early (Ctrl-C, WorkersFailed, a caller that gave up): cancelling only drops queued jobs,
            # and the interpreter would wait at exit for the batches under way, whose results nobody reads
            _stop_workers(pool)
            raise
        finally:
            # done: wait the moment it takes the idle workers and the pool's thread to end, so that the next pool
            # may fork from this process again (it may not beside that thread)
            pool.shutdown(wait=finished, cancel_futures=True)

    def _warm_up(
        self, fn: Callable[[Any], Any], pool: ProcessPoolExecutor, pending: Iterator[Any], in_flight: dict,
        window: int,
    ) -> Generator[Done, None, list[Any]]:
        """Queue the first jobs from a thread, and run jobs here while the workers start.

        Starting the workers takes half a second or more (the first submit waits for the launcher to
        import the model), while a core is idle; a short run would lose a good share of its time to it.
        Returns the jobs that could not be queued because the pool broke.
        """
        first = list(itertools.islice(pending, window))
        unqueued: list[Any] = []

        def queue() -> None:
            for n, job in enumerate(first):
                try:
                    in_flight[pool.submit(fn, job)] = job
                except Exception:  # a broken pool, or one shut down by a Ctrl-C meanwhile: queue them later
                    unqueued.extend(first[n:])
                    return

        starter = threading.Thread(target=queue, name="start-workers", daemon=True)
        starter.start()
        # only while the launcher starts: once workers exist, this process is needed to keep them fed
        while starter.is_alive():
            job = next(pending, None)
            if job is None:
                break
            yield Done(job, fn(job))
        starter.join()
        return unqueued
