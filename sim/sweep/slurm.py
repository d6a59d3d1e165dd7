"""Sweeps on a SLURM cluster: worker jobs started with dask-jobqueue, runs sent through Dask.

`critical-mass sweep EXPERIMENT --slurm` submits `jobs` batch jobs. Each runs one single-threaded Dask
worker per core, and the workers connect back to a Dask scheduler inside the sweep's own process. From
there the runs take the `--dask` path (sim.parallel.dask.DaskBackend): batches of runs go to the workers,
and their results come back to this process, which alone writes the results folder. So the results equal
a local sweep's by construction, and compute nodes need no shared file system for them.

What this module adds to dask-jobqueue's SLURMCluster:
- options checked before anything is submitted, first here (formats) and then by SLURM itself
  (`sbatch --test-only` of the real job script: partition, limits, extra options);
- a wait for the first worker that says why none came: each job's state and reason, and its log;
- jobs that end mid-sweep (wall time, scancel, a failed node) noticed and replaced; Dask re-runs the
  batches their workers held;
- a sweep that has had no worker for `wait` seconds (replacements stuck in the queue) stops with
  WorkersFailed, its finished runs saved, for `--resume`;
- batches sized to fit the workers' memory (batch_budget);
- SIGTERM (scancel of a job running the sweep itself) stops the sweep as Ctrl-C does, and every worker
  job is cancelled on the way out.
"""

from __future__ import annotations

import _thread
import contextlib
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.parallel import WorkersFailed
from sim.parallel.dask import DaskBackend

DEFAULT_WALLTIME = "01:00:00"
DEFAULT_MIB_PER_CORE = 2048
# an idle worker with the model imported holds about 200 MiB; Dask stops a worker at 95% of its limit
MIN_MIB_PER_CORE = 512
DEFAULT_WAIT = 3600.0
# states in which a job may still give workers; any other state (COMPLETED, FAILED, TIMEOUT, ...) has ended
ACTIVE_STATES = {"PENDING", "CONFIGURING", "RUNNING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                 "RESIZING", "RESV_DEL_HOLD", "SIGNALING", "STAGE_OUT", "COMPLETING"}
# sbatch options that a --slurm-* option sets; given again as extra lines they would contradict it
OWN_OPTIONS = {"-t": "--slurm-walltime", "--time": "--slurm-walltime", "-p": "--slurm-partition",
               "--partition": "--slurm-partition", "--mem": "--slurm-memory", "--mem-per-cpu": "--slurm-memory",
               "-c": "--slurm-cores", "--cpus-per-task": "--slurm-cores", "-n": "--slurm-cores",
               "--ntasks": "--slurm-cores", "-a": "--slurm-jobs", "--array": "--slurm-jobs"}


class SlurmOptionError(ValueError):
    """A --slurm-* value that cannot work; the message names the option and what it expects."""


class SlurmError(RuntimeError):
    """The SLURM jobs gave the sweep no worker; the message says why and where their logs are."""


@dataclass(frozen=True)
class SlurmOptions:
    jobs: int = 1
    cores: int = 1  # per job, one single-threaded worker per core: a run holds the GIL
    memory_mib: int = DEFAULT_MIB_PER_CORE  # per job
    walltime: str = DEFAULT_WALLTIME  # per job, as sbatch --time takes it
    partition: str | None = None  # None: the cluster's default partition
    extra: tuple[str, ...] = ()  # more sbatch options, one per line, e.g. "--account=my-project"
    wait: float = DEFAULT_WAIT  # seconds without any worker before giving up (at the start, and mid-sweep)

    @classmethod
    def parse(
        cls, jobs: int | None = None, cores: int | None = None, memory: str | None = None,
        walltime: str | None = None, partition: str | None = None, extra: list[str] | tuple[str, ...] = (),
        wait: float | None = None,
    ) -> SlurmOptions:
        """Options as typed on the command line (None: default); SlurmOptionError names a bad one."""
        jobs = _at_least("--slurm-jobs", 1 if jobs is None else jobs, 1)
        cores = _at_least("--slurm-cores", 1 if cores is None else cores, 1)
        return cls(
            jobs=jobs, cores=cores,
            memory_mib=DEFAULT_MIB_PER_CORE * cores if memory is None else parse_memory(memory, cores),
            walltime=DEFAULT_WALLTIME if walltime is None else parse_walltime(walltime),
            partition=None if partition is None else parse_partition(partition),
            extra=tuple(parse_extra(line) for line in extra or ()),
            wait=DEFAULT_WAIT if wait is None else _positive_seconds("--slurm-wait", wait),
        )

    @property
    def workers(self) -> int:
        return self.jobs * self.cores

    @property
    def worker_bytes(self) -> int:
        """Each worker's share of its job's memory: Dask's limit for it, which stops the worker at 95%."""
        return self.memory_mib * 1024**2 // self.cores

    @property
    def batch_bytes(self) -> int:
        """Memory a worker's batch may take: half of the worker's share, since the worker itself holds about
        200 MiB and Dask pauses it at 80%."""
        return self.worker_bytes // 2

    def batch_budget(self, asked: int | None) -> int:
        """The sweep's memory budget for batches (bytes, all workers together, as sim.jobs.batch_size takes it):
        each worker's batch_bytes, or the budget asked for (--memory-budget or its variable) if smaller. This
        machine's default budget does not apply: the jobs' --slurm-memory is what their workers have."""
        whole = self.batch_bytes * self.workers
        return whole if asked is None else min(asked, whole)

    def check_fits(self, run_bytes: int, batch: int | None, what: str) -> None:
        """SlurmOptionError unless a batch (`batch` runs, or one when the batches are sized by memory) of runs
        needing `run_bytes` each fits in batch_bytes. CRITICAL_MASS_SKIP_MEMORY_CHECK=1 skips it, as it skips
        sim.memory's check of this machine."""
        runs = batch or 1
        if run_bytes * runs <= self.batch_bytes or os.environ.get("CRITICAL_MASS_SKIP_MEMORY_CHECK"):
            return
        enough = math.ceil(2 * run_bytes * runs * self.cores / 1024**2)
        batches = f"a batch of {runs} runs needs" if runs > 1 else "one run needs"
        advice = f"ask for --slurm-memory {enough}M or more"
        if self.cores > 1:
            advice += " (or fewer --slurm-cores)"
        if runs > 1:
            advice += ", or a smaller --batch-size"
        raise SlurmOptionError(
            f"--slurm-memory {self.memory_mib}M: {what}: {batches} about {_mib(run_bytes * runs)} (estimated from "
            f"its sizes), and a worker's batch may use half of the worker's share of the job's memory, "
            f"{_mib(self.batch_bytes)} of {_mib(self.worker_bytes)} ({self.cores} worker(s) a job); {advice}. "
            "Set CRITICAL_MASS_SKIP_MEMORY_CHECK=1 to try anyway")

    def describe(self) -> str:
        where = f"partition {self.partition}" if self.partition else "default partition"
        return (f"{self.jobs} job(s) x {self.cores} core(s), {self.memory_mib} MiB, {self.walltime} each, {where}"
                + "".join(f", {line}" for line in self.extra))


def _mib(n: int) -> str:
    return f"{math.ceil(n / 1024**2):,} MiB"  # in sbatch --mem's unit, rounded up as a request would be


def _at_least(option: str, value: int, low: int) -> int:
    if not isinstance(value, int) or value < low:
        raise SlurmOptionError(f"{option} {value!r}: expected a whole number of at least {low}")
    return value


def _positive_seconds(option: str, value: float) -> float:
    if not value > 0 or math.isinf(value):
        raise SlurmOptionError(f"{option} {value!r}: expected a number of seconds above 0")
    return float(value)


_WALLTIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def parse_walltime(text: str) -> str:
    """SLURM's time formats (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) -> [D-]HH:MM:SS."""
    match = _WALLTIME.match(text.strip())
    if not match:
        raise SlurmOptionError(
            f"--slurm-walltime {text!r}: expected SLURM's time format, e.g. 90 (minutes), 02:00:00, or 1-12:00:00 "
            "(1 day 12 hours)")
    days, first, second, third = match.groups()
    numbers = [int(first), *(int(x) for x in (second, third) if x is not None)]
    if days is not None:  # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = [*numbers, 0, 0][:3]
        total = ((int(days) * 24 + hours) * 60 + minutes) * 60 + seconds
    elif len(numbers) == 1:  # MM
        total = numbers[0] * 60
    elif len(numbers) == 2:  # MM:SS
        total = numbers[0] * 60 + numbers[1]
    else:  # HH:MM:SS
        total = (numbers[0] * 60 + numbers[1]) * 60 + numbers[2]
    if total <= 0:
        raise SlurmOptionError(f"--slurm-walltime {text!r}: a job needs some time; expected more than 0")
    days, rest = divmod(total, 86400)
    hms = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}-{hms}" if days else hms


_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?$", re.IGNORECASE)
_MIB = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024 * 1024}


def parse_memory(text: str, cores: int) -> int:
    """Memory per job as sbatch --mem reads it (a number is megabytes; K, M, G, T are powers of 1024) -> MiB."""
    match = _MEMORY.match(text.strip())
    if not match:
        raise SlurmOptionError(f"--slurm-memory {text!r}: expected a size such as 4G, 4GB or 4000M (as sbatch --mem)")
    mib = math.ceil(float(match.group(1)) * _MIB[match.group(2).upper()])
    if mib < MIN_MIB_PER_CORE * cores:
        raise SlurmOptionError(
            f"--slurm-memory {text!r} is {mib} MiB for {cores} core(s): each core's worker needs at least "
            f"{MIN_MIB_PER_CORE} MiB (about 200 before its first run); ask for {MIN_MIB_PER_CORE * cores}M or more")
    return mib


_PARTITION = re.compile(r"^[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*$")


def parse_partition(text: str) -> str:
    if not _PARTITION.match(text.strip()):
        raise SlurmOptionError(f"--slurm-partition {text!r}: expected a partition name (or several, comma-separated), "
                               "as `sinfo -s` lists them")
    return text.strip()


def parse_extra(line: str) -> str:
    """One more sbatch option for every job, e.g. '--account=my-project' or '#SBATCH --qos=short'."""
    text = line.strip().removeprefix("#SBATCH").strip()
    if not text.startswith("-") or "\n" in text or len(text) < 2:
        raise SlurmOptionError(
            f"--slurm-extra {line!r}: expected one sbatch option as on sbatch's command line, e.g. "
            "--account=my-project, --qos=short or --constraint=skylake")
    name = re.split(r"[=\s]", text, maxsplit=1)[0]
    if name in OWN_OPTIONS:
        raise SlurmOptionError(f"--slurm-extra {line!r}: set this with {OWN_OPTIONS[name]} instead")
    return text


@dataclass(frozen=True)
class JobState:
    state: str
    reason: str

    @property
    def ended(self) -> bool:
        return self.state not in ACTIVE_STATES

    def __str__(self) -> str:
        return self.state + (f" ({self.reason})" if self.reason and self.reason != "None" else "")


def job_states(job_ids: list[str]) -> dict[str, JobState]:
    """Each job's SLURM state; a job that squeue no longer lists has ended."""
    if not job_ids:
        return {}
    found: dict[str, JobState] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        listed = subprocess.run(["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-o", "%i|%T|%r"],
                                capture_output=True, text=True, timeout=30)
        for line in listed.stdout.splitlines():
            job_id, state, reason = [*line.split("|"), "", ""][:3]
            found[job_id.strip()] = JobState(state.strip(), reason.strip())
    return {job_id: found.get(job_id, JobState("ENDED", "no longer listed by squeue")) for job_id in job_ids}


def _check_with_sbatch(script: str) -> None:
    """Let SLURM judge the real job script without submitting it: partition, limits, extra options."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="critical-mass-job-") as file:
        file.write(script)
        file.flush()
        try:
            checked = subprocess.run(["sbatch", "--test-only", file.name], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise SlurmError("sbatch --test-only did not answer within 60 s: is the SLURM controller up? "
                             "(scontrol ping)") from None
    if checked.returncode != 0:
        said = "; ".join(line.removeprefix("sbatch: error: ").strip() for line in checked.stderr.splitlines()
                         if line.strip()) or f"exit code {checked.returncode}"
        raise SlurmOptionError(f"SLURM refuses the worker job (sbatch --test-only): {said}")


def _log_tail(log_dir: Path, job_name: str, job_id: str, lines: int = 8) -> str:
    shown = []
    for suffix in ("err", "out"):
        path = log_dir / f"{job_name}-{job_id}.{suffix}"
        with contextlib.suppress(OSError):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                shown.append(f"  last lines of {path}:\n" + "\n".join(f"    {line}" for line in tail))
    return "\n".join(shown)


class _Supervisor:
    """Watches the jobs' workers from a thread while the sweep runs; see the module's docstring."""

    POLL_SECONDS = 1.0
    # a job whose workers have all been gone this long has ended (a worker that crashed alone is back sooner)
    GRACE_SECONDS = 3.0
    NOTE_EVERY = 30.0
    STATES_EVERY = 5.0

    def __init__(self, cluster: Any, options: SlurmOptions, log_dir: Path, job_name: str,
                 notify: Callable[[str], None]) -> None:
        self.cluster, self.options = cluster, options
        self.client: Any = None  # the sweep's distributed.Client, once connected
        self.log_dir, self.job_name, self.notify = log_dir, job_name, notify
        self.seen: set[str] = set()  # jobs (by cluster name) whose workers have connected
        self.gone_since: dict[str, float] = {}
        self.gave_up: str | None = None
        self._stop = threading.Event()

    # --- what the cluster holds ----------------------------------------------------------------

    def job_ids(self) -> dict[str, str]:
        return {name: job.job_id for name, job in list(self.cluster.workers.items()) if job.job_id}

    def worker_names(self) -> set[str]:
        return {info["name"] for info in self.client.scheduler_info()["workers"].values()}

    def describe_jobs(self) -> str:
        states = job_states(list(self.job_ids().values()))
        return ", ".join(f"job {job_id} {state}" for job_id, state in states.items()) or "no job submitted"

    # --- start-up -------------------------------------------------------------------------------

    def wait_for_first_worker(self) -> None:
        started = time.monotonic()
        next_note = started + self.NOTE_EVERY
        next_states, states, ids = started + 2, {}, []
        while not (names := self.worker_names()):
            if time.monotonic() >= next_states:  # squeue now and then: a cluster's controller serves everyone
                ids = list(self.job_ids().values())
                states = job_states(ids)
                next_states = time.monotonic() + self.STATES_EVERY
            if states and all(state.ended for state in states.values()):
                tails = "\n".join(filter(None, (_log_tail(self.log_dir, self.job_name, i) for i in ids)))
                raise SlurmError(
                    "the worker job(s) ended before a worker reached this machine: "
                    + ", ".join(f"job {i} {s}" for i, s in states.items())
                    + f". Their output is in {self.log_dir}/ (if that folder is not visible on the compute "
                    "nodes, SLURM could not write there: see docs/sweeps.md)" + (f"\n{tails}" if tails else ""))
            waited = time.monotonic() - started
            if waited > self.options.wait:
                ids = list(self.job_ids().values())
                states = job_states(ids)
                raise SlurmError(
                    f"no worker within {self.options.wait:g} s (--slurm-wait): "
                    + (", ".join(f"job {i} {s}" for i, s in states.items()) or "no job was submitted (sbatch "
                       "failed; see the messages above)")
                    + ". A PENDING job waits for the cluster: wait longer, or ask for less (cores, memory, time); "
                    "a RUNNING job whose worker never connects means the compute node cannot reach this machine "
                    f"(logs: {self.log_dir}/)")
            if time.monotonic() >= next_note:
                self.notify(f"waiting for SLURM ({waited:.0f} s): "
                            + (", ".join(f"job {i} {s}" for i, s in states.items()) or "submitting"))
                next_note += self.NOTE_EVERY
            time.sleep(self.POLL_SECONDS)
        # seen from now: a job cancelled before the watcher's first look must still count as one that ended
        self._mark_seen(names)

    def _mark_seen(self, names: set[str]) -> None:
        for job in list(self.cluster.workers):
            if _connected(job, names):
                self.seen.add(job)
                self.gone_since.pop(job, None)

    # --- while the sweep runs -------------------------------------------------------------------

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        thread = threading.Thread(target=self._watch, name="slurm-jobs", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(timeout=30)

    def on_sigterm(self, signum: int, frame: Any) -> None:
        if self.gave_up:
            raise WorkersFailed(self.gave_up)
        # scancel of a job that runs the sweep itself, or a plain kill: stop as Ctrl-C does, saving what
        # finished and cancelling the jobs on the way out
        raise KeyboardInterrupt

    def _watch(self) -> None:
        no_workers_since: float | None = None
        while not self._stop.wait(self.POLL_SECONDS):
            try:
                names = self.worker_names()
            except Exception:  # the client is closing: the sweep is over
                return
            now = time.monotonic()
            # ended jobs first, so that a sweep about to give up has asked for their replacements
            self._mark_seen(names)
            gone = [job for job in list(self.cluster.workers) if job in self.seen and not _connected(job, names)]
            ended = [job for job in gone if now - self.gone_since.setdefault(job, now) >= self.GRACE_SECONDS]
            if ended:
                self._replace(ended)
            if names:
                no_workers_since = None
            elif no_workers_since is None:
                no_workers_since = now
            elif now - no_workers_since > self.options.wait:
                self.gave_up = (f"no SLURM worker for {self.options.wait:g} s (--slurm-wait; {self.describe_jobs()})"
                                f"; worker logs: {self.log_dir}/")
                # the main thread waits for results; it gets this as SIGTERM, which on_sigterm turns into
                # WorkersFailed: the sweep saves what finished and says to --resume
                _thread.interrupt_main(signal.SIGTERM)
                return

    def _replace(self, ended: list[str]) -> None:
        ids = self.job_ids()
        states = job_states([ids[job] for job in ended if job in ids])
        try:
            self.cluster.sync(_drop_and_refill, self.cluster, ended, self.options.jobs)
        except Exception as exc:  # sbatch refused the replacement: the sweep goes on with the jobs it has
            self.notify(f"could not submit a replacement SLURM job: {exc}")
        for job in ended:
            self.seen.discard(job)
            self.gone_since.pop(job, None)
        for job_id, state in states.items():
            self.notify(f"SLURM job {job_id} ended ({state}); Dask re-runs the runs its workers held, and a new "
                        "job replaces it")


def _connected(job: str, names: set[str]) -> bool:
    """Whether any of the job's workers is connected (a job of several cores names its workers job-0, job-1...)."""
    return any(name == job or name.startswith(f"{job}-") for name in names)


@contextlib.contextmanager
def _on_sigterm(supervisor: _Supervisor) -> Iterator[None]:
    """From the first job submitted to the last cancelled, SIGTERM stops the sweep cleanly (see on_sigterm)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, supervisor.on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cancel(job_ids: list[str]) -> None:
    if job_ids:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["scancel", *job_ids], capture_output=True, timeout=60)


async def _drop_and_refill(cluster: Any, ended: list[str], jobs: int) -> None:
    # on the cluster's event loop: forget the ended jobs (scancel, in case one is still ending), then submit
    # new ones until `jobs` are queued or running again
    for name in ended:
        job = cluster.workers.pop(name, None)
        if job is not None:
            with contextlib.suppress(Exception):
                await job.close()
    cluster.scale(jobs=jobs)


@contextlib.contextmanager
def slurm_client(
    options: SlurmOptions, log_dir: Path, job_name: str = "critical-mass",
    notify: Callable[[str], None] = lambda message: None,
) -> Iterator[Any]:
    """A distributed.Client whose workers run in SLURM jobs; every job is cancelled on the way out.

    Raises SlurmOptionError if SLURM refuses the job (sbatch --test-only), SlurmError if no worker came.
    """
    if shutil.which("sbatch") is None:
        raise SlurmOptionError("--slurm needs SLURM's commands (sbatch, squeue, scancel) on PATH: run the sweep on "
                               "a cluster's login node, or try it here with scripts/local-slurm start")
    import dask

    # The supervisor replaces ended jobs itself. Dask's own clean-up of a lost worker's job (after this
    # timeout) would cancel the replacement, which takes the ended job's name, while it is still queued.
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "3650 days"}):
        yield from _client(options, Path(log_dir).resolve(), job_name, notify)


def _keep_malloc() -> str:
    """The job script's line that keeps glibc's default memory allocation in the workers (see
    sim.parallel.dask.nanny_environment)."""
    from sim.parallel.dask import nanny_environment

    return f"export DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON={shlex.quote(repr(nanny_environment()))}"


def _client(options: SlurmOptions, log_dir: Path, job_name: str, notify: Callable[[str], None]) -> Iterator[Any]:
    import dask
    from dask_jobqueue import SLURMCluster  # imported only when asked for: it brings in the scheduler
    from distributed import Client

    new_folders = [folder for folder in (log_dir, log_dir.parent) if not folder.exists()]
    log_dir.mkdir(parents=True, exist_ok=True)
    cluster = SLURMCluster(
        cores=options.cores, processes=options.cores,  # one single-threaded worker process per core
        job_script_prologue=[*(dask.config.get("jobqueue.slurm.job-script-prologue", None) or []), _keep_malloc()],
        memory=f"{options.memory_mib}MiB", job_mem=f"{options.memory_mib}M",
        walltime=options.walltime, queue=options.partition, job_extra_directives=list(options.extra),
        job_name=job_name, log_directory=str(log_dir),
        # no dashboard, and the scheduler's small HTTP server on any free port rather than a warning about 8787
        scheduler_options={"dashboard": False, "dashboard_address": ":0"}, silence_logs="error",
    )
    supervisor = _Supervisor(cluster, options, log_dir, job_name, notify)
    refused = False
    with _on_sigterm(supervisor):
        try:
            try:
                _check_with_sbatch(cluster.job_script())
            except SlurmOptionError:
                refused = True
                raise
            with Client(cluster) as client:
                supervisor.client = client
                cluster.scale(jobs=options.jobs)
                supervisor.wait_for_first_worker()
                notify(f"SLURM: first worker connected; jobs {', '.join(supervisor.job_ids().values())}")
                with supervisor.watching():
                    yield client
        finally:
            # cancel every job first: closing the cluster would otherwise wait on workers that cannot answer
            # (a stuck node), and a worker's own clean exit gains nothing here
            _cancel([job.job_id for job in list(cluster.workers.values()) if job.job_id])
            cluster.close()
            if refused:  # nothing was submitted: leave no empty log folder (dask-jobqueue made it) behind
                for folder in new_folders:
                    with contextlib.suppress(OSError):
                        folder.rmdir()


@contextlib.contextmanager
def slurm_backend(
    options: SlurmOptions, log_dir: Path, job_name: str = "critical-mass",
    notify: Callable[[str], None] = lambda message: None,
) -> Iterator[DaskBackend]:
    """The sweep's backend on SLURM: the Dask backend (sim.parallel.dask), its workers in SLURM jobs."""
    with slurm_client(options, log_dir, job_name, notify) as client:
        backend = DaskBackend(client)
        backend.description = f"SLURM, {options.describe()}, through {backend.description}"
        # what was asked for, not the workers connected so far: batches are sized for it, and the manifest
        # records it (the backend counts the connected workers again as they come and go)
        backend.workers = options.workers
        yield backend
