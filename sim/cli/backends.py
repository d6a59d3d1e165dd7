"""Where a command's runs go: local worker processes, a Dask cluster, or SLURM jobs (sweep and calibrate)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import UsageError, err, out

if TYPE_CHECKING:
    from sim.parallel import Backend
    from sim.sweep.slurm import SlurmOptions


def check_dask(dask: str | None) -> None:
    """Refuse an empty --dask: it would pass for no Dask at all, and the runs go to local processes unasked."""
    if dask is not None and not dask.strip():
        raise UsageError(f"--dask {dask!r} is empty: give a Dask scheduler's address, e.g. tcp://head-node:8786, "
                         "or 'local' for a cluster on this machine (without --dask, local processes run it)")


@contextlib.contextmanager
def backend_for(dask: str | None, workers: int | None, runs: int, slurm: SlurmOptions | None = None,
             directory: Path = Path("."), name: str = "") -> Iterator[Backend]:
    from sim.parallel import local

    if slurm:
        yield from _slurm_backend(slurm, directory, name)
        return
    if not dask:
        yield local(workers or max(1, min(os.cpu_count() or 1, runs)))
        return
    from distributed import Client  # imported only when asked for: it takes a second

    from sim.parallel.dask import DaskBackend, local_cluster

    if dask == "local":
        with local_cluster(workers or os.cpu_count() or 1) as client:
            yield DaskBackend(client)
        return
    import dask as dask_config

    try:
        # Dask's own setting (DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT) decides how long to keep trying
        client = Client(dask, timeout=dask_config.config.get("distributed.comm.timeouts.connect"))
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach a Dask scheduler at {dask}: {exc}") from None
    with client:
        yield DaskBackend(client)


def job_name(name: str) -> str:
    """The SLURM job name for a sweep: it names the jobs' #SBATCH line and their log files, so a name from a
    shared experiment file keeps letters, digits, '.', '_' and '-' only."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()  # Áncash -> Ancash
    return "critical-mass-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._") or "sweep")[:60]


def _slurm_backend(options: SlurmOptions, directory: Path, name: str) -> Iterator[Backend]:
    from sim.sweep.slurm import SlurmError, SlurmOptionError, slurm_backend
    from sim.sweep.store import SLURM_LOGS

    logs = directory / SLURM_LOGS
    out.print(f"Submitting SLURM jobs: {options.describe()}; their logs go to {logs}/", markup=False)
    try:
        with slurm_backend(options, logs, job_name(name), notify=partial(err.print, markup=False)) as backend:
            yield backend
    except SlurmOptionError as exc:
        raise UsageError(str(exc)) from None
    except SlurmError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(1) from None
