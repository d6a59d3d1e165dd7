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
from contextlib import contextmanager
from typing import Any

from sim.parallel import Done, Lost, WorkersFailed


def nanny_environment() -> dict[str, Any]:
    """The environment Dask's nannies give the worker processes they start, less MALLOC_TRIM_THRESHOLD_.

    Dask sets MALLOC_TRIM_THRESHOLD_=65536 (to hand freed memory back to the system at once). Any such
    setting also stops glibc from raising its mmap threshold, so every large NumPy temporary of a batch's
    step is mapped afresh and its pages faulted in again: measured, the same 500 runs took 1.9x the CPU
    (16x the page faults) with it. Dask's other settings (NumPy's libraries on one thread) stay; a None
    removes a variable.
    """
    import dask
    import distributed  # noqa: F401  (registers Dask's distributed configuration)

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ["MALLOC_TRIM_THRESHOLD_"] = None
    return environ


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A Client of a LocalCluster of single-threaded worker processes (a run holds the GIL most of the time,
    so threads would not run in parallel), with nanny_environment()."""
    import dask
    from distributed import Client, LocalCluster  # imported only when asked for: it takes a second

    with dask.config.set({"distributed.nanny.pre-spawn-environ": nanny_environment()}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


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
