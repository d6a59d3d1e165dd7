"""Run jobs on a Dask distributed scheduler: a LocalCluster, a scheduler by address, or SLURM jobs.

Jobs are already batches of runs sized for the worker count, so each is one Dask task. A task whose
worker died (KilledWorker, a lost connection, a cancelled SLURM job) is reported as Lost, and the
caller leaves its runs for --resume.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sim.parallel import Done, Lost, WorkersFailed


class DaskBackend:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = self._threads()
        self.description = f"Dask at {client.scheduler.address} ({self.workers} threads)"

    def _threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def map_unordered(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Done | Lost]:
        from distributed import as_completed

        pending = iter(jobs)
        token = uuid.uuid4().hex[:8]
        counter = itertools.count()
        in_flight: dict[Any, Any] = {}
        completed = as_completed()
        checked = time.monotonic()

        def window() -> int:
            # enough queued work to keep every worker busy, including workers that joined since the start
            nonlocal checked
            if time.monotonic() - checked > 5:
                self.workers, checked = self._threads(), time.monotonic()
            return 2 * self.workers + 2

        def submit() -> bool:
            job = next(pending, None)
            if job is None:
                return False
            future = self.client.submit(fn, job, key=f"critical-mass-{next(counter)}-{token}", pure=False)
            in_flight[future] = job
            completed.add(future)
            return True

        try:
            while len(in_flight) < window() and submit():
                pass
            for future in completed:
                job = in_flight.pop(future)
                try:
                    value = future.result()
                except WorkersFailed:
                    # the whole backend gave up while this waited (sim.sweep.slurm raises it from a signal
                    # handler when no worker is left): the sweep stops, rather than report each job lost
                    raise
                except Exception as exc:  # KilledWorker, a lost connection: the runs themselves did not fail
                    yield Lost(job, f"{type(exc).__name__}: {exc}")
                else:
                    yield Done(job, value)
                while len(in_flight) < window() and submit():
                    pass
        finally:
            for future in in_flight:
                future.cancel()
