"""`critical-mass sweep --slurm` end to end on a real one-node SLURM cluster (scripts/local-slurm).

Every sweep goes through the real command line and real SLURM jobs, and is compared with the same
sweep run locally: the results must be identical, including after a job is cancelled, after a job is
killed by SLURM at its wall time, and after --resume. The tests share one cluster, so they run on one
test worker (xdist_group), in order. The wall-time test's sweep starts first and is checked last: SLURM's
shortest time limit is a minute, enforced every 30 s, so its job dies 60-90 s after it starts, and the
other tests run meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.parallel.processes import InProcess
from sim.sweep import read_manifest, read_runs, resolve, run_sweep
from sim.sweep.store import RUNS
from tests.test_sweep import comparable, write_experiment
from tests.test_sweep_cli import CLI, LONG_EXPERIMENT, process

pytestmark = [pytest.mark.xdist_group("slurm"), pytest.mark.usefixtures("local_slurm", "walltime_sweep")]

JOBS_LINE = re.compile(r"first worker connected; jobs ([\d, ]+)")


def local_sweep(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same sweep in this process: the tables a SLURM sweep must equal."""
    local = path.parent / "local"
    run_sweep(resolve(path), local, InProcess())
    return comparable(local)


def assert_same(expected: tuple[pd.DataFrame, pd.DataFrame], folder: Path) -> None:
    got = comparable(folder)
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


def job_info(job_id: str) -> dict[str, str]:
    shown = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True)
    return dict(field.split("=", 1) for field in shown.stdout.split() if "=" in field)


def active_jobs(name: str) -> list[str]:
    listed = subprocess.run(["squeue", "-h", "-n", name, "-o", "%i"], capture_output=True, text=True, check=True)
    return listed.stdout.split()


class Sweep:
    """A `critical-mass sweep` running in the background, its stderr in a file that can be read as it goes.

    One run a batch: the sweep lasts long enough (a few seconds) for a cancel or a freeze to land mid-sweep.
    """

    job = ""  # the first job's id, once known
    frozen_with = 0
    environs: tuple[dict[str, str], ...] = ()  # of the first job's processes

    def __init__(self, path: Path, out: str, *options: str) -> None:
        self.folder = path.parent / out
        self.log = path.parent / f"{out}.stderr"
        self.out = path.parent / f"{out}.stdout"
        with self.log.open("w") as stderr, self.out.open("w") as stdout:
            self.process = subprocess.Popen(
                [*CLI, "sweep", str(path), "--out", out, "--slurm", "--save-every", "0.2", "--no-figures",
                 "--batch-size", "1", *options],
                cwd=path.parent, stdout=stdout, stderr=stderr, env={**os.environ, "COLUMNS": "200"},
            )

    @property
    def stderr(self) -> str:
        return self.log.read_text()

    @property
    def stdout(self) -> str:
        return self.out.read_text()

    def wait_for(self, what: str, condition, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{what} did not happen (exit code {self.process.returncode}):\n{self.stderr}")
            time.sleep(0.1)

    def first_jobs(self) -> list[str]:
        self.wait_for("a worker connecting", lambda: JOBS_LINE.search(self.stderr))
        return [j.strip() for j in JOBS_LINE.search(self.stderr).group(1).split(",")]

    def saved(self) -> int:
        return len(read_runs(self.folder)) if list((self.folder / RUNS).glob("part-*.parquet")) else 0

    def finish(self, seconds: float = 180) -> int:
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"the sweep did not finish within {seconds} s:\n{self.stderr}")

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM, as scancel would send to a sweep run as a job: it stops as Ctrl-C does, cancelling its
            # jobs (SIGINT may be ignored by a process started in the background)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


# session, not module: under xdist, another module's tests may run between these, which would end a
# module fixture early and start a second wall-time sweep
@pytest.fixture(scope="session")
def walltime_sweep(local_slurm: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    """The wall-time test's sweep, on a one-minute job whose worker is frozen (SIGSTOP) with runs in hand.

    A stuck worker, as a cluster sometimes has: the sweep outlasts the job without keeping a core busy.
    """
    folder = tmp_path_factory.mktemp("walltime")
    path = write_experiment(folder, LONG_EXPERIMENT.replace("name: tiny_sweep", "name: walltime_sweep"))
    sweep = Sweep(path, "out", "--slurm-walltime", "1")
    # reaped as soon as it ends: its test runs last (tests/scheduling.py), and until then this worker runs
    # other tests, which should not find a finished sweep among this process's children
    threading.Thread(target=sweep.process.wait, name="walltime-sweep-reaper", daemon=True).start()
    sweep.job = sweep.first_jobs()[0]
    # a fifth of the runs done first (fewer left for the replacement job), yet far from the end on a fast machine
    sweep.wait_for("a fifth of the runs saved", lambda: sweep.saved() >= 20)
    pids = processes_of_job(sweep.job)
    sweep.environs = tuple(environ_of(pid) for pid in pids)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    sweep.frozen_with = sweep.saved()
    try:
        yield sweep
    finally:
        sweep.stop()


@pytest.fixture
def partition_down() -> Iterator[Callable[[], None]]:
    """Take the local partition down on request (running jobs go on, queued ones wait); always back up after."""

    def down() -> None:
        subprocess.run(["scontrol", "update", "PartitionName=local", "State=DOWN"], check=True)

    try:
        yield down
    finally:
        subprocess.run(["scontrol", "update", "PartitionName=local", "State=UP"], check=True)


def test_slurm_sweep_equals_a_local_sweep_and_its_jobs_get_what_was_asked(tmp_path: Path) -> None:
    path = write_experiment(tmp_path)
    done = process("sweep", str(path), "--out", "out", "--no-figures", "--slurm", "--slurm-jobs", "2",
               "--slurm-partition", "local", "--slurm-walltime", "0:10:00", "--slurm-memory", "1G",
               "--slurm-extra=--comment=critical-mass-test", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Sweep: 18 runs, 18 ok, 0 failed, 0 missing" in done.stdout
    assert_same(local_sweep(path), tmp_path / "out")

    jobs = [j.strip() for j in JOBS_LINE.search(done.stderr).group(1).split(",")]
    assert len(jobs) == 2
    for job in jobs:
        info = job_info(job)
        assert (info["Partition"], info["TimeLimit"], info["Comment"]) == ("local", "00:10:00", "critical-mass-test")
        assert info["MinMemoryNode"] == "1G" and info["NumCPUs"] == "1"
        assert info["JobState"] == "CANCELLED", "the sweep cancels its jobs when it ends"
    # one job may have waited in the queue all along (the wall-time test's job holds a core)
    assert any((tmp_path / "out" / "slurm-logs" / f"critical-mass-tiny_sweep-{job}.err").exists() for job in jobs)
    assert read_manifest(tmp_path / "out")["sessions"][0]["executor"].startswith("SLURM, 2 job(s) x 1 core(s)")


def test_scancel_of_a_job_mid_sweep_then_resume_equals_a_local_sweep(tmp_path: Path, partition_down) -> None:
    path = write_experiment(tmp_path, LONG_EXPERIMENT)
    # long enough for the first worker to start on a busy 2-core machine (3-4 s on a quiet one), short enough
    # that the wait for the replacement, which cannot start, costs the suite little
    sweep = Sweep(path, "out", "--slurm-wait", "10")
    job = sweep.first_jobs()[0]
    sweep.wait_for("a first part saved", lambda: sweep.saved() > 0)
    partition_down()  # no job can start now: the replacement for the cancelled one stays queued
    subprocess.run(["scancel", job], check=True)
    expected = local_sweep(path)  # while the sweep waits in vain for a worker

    assert sweep.finish() == 1, sweep.stderr
    assert f"SLURM job {job} ended (CANCELLED" in sweep.stderr, sweep.stderr
    assert "no SLURM worker for 10 s" in sweep.stderr
    assert re.search(r"job \d+ PENDING", sweep.stderr), f"the replacement should wait in the queue:\n{sweep.stderr}"
    assert "continue with --resume" in sweep.stderr
    saved = sweep.saved()
    assert 0 < saved < 99, f"the cancel should land mid-sweep ({saved} runs saved)"
    assert active_jobs("critical-mass-tiny_sweep") == [], "the queued replacement is cancelled when the sweep stops"
    assert read_manifest(sweep.folder)["sessions"][-1]["status"].startswith("stopped: WorkersFailed")

    subprocess.run(["scontrol", "update", "PartitionName=local", "State=UP"], check=True)
    resumed = process("sweep", str(path), "--out", "out", "--resume", "--no-figures", "--slurm", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{saved} were already done" in resumed.stdout
    assert "Sweep: 99 runs, 99 ok, 0 failed, 0 missing" in resumed.stdout
    assert_same(expected, sweep.folder)


def test_a_job_slurm_refuses_or_that_fails_at_once_is_reported_not_waited_for(tmp_path: Path) -> None:
    path = write_experiment(tmp_path)
    refused = process("sweep", str(path), "--out", "refused", "--slurm", "--slurm-partition", "nosuch", cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "SLURM refuses the worker job (sbatch --test-only): invalid partition specified: nosuch" in refused.stderr
    assert not (tmp_path / "refused").exists(), "nothing was submitted, so nothing is left behind"

    failed = process("sweep", str(path), "--out", "failed", "--slurm", cwd=tmp_path,
                 DASK_JOBQUEUE__SLURM__PYTHON="/nonexistent/python")  # as if the nodes lacked this environment
    assert failed.returncode == 1, failed.stderr
    assert re.search(r"the worker job\(s\) ended before a worker reached this machine: job \d+ FAILED", failed.stderr)
    assert "/nonexistent/python: No such file or directory" in failed.stderr, "the job's own log is shown"
    assert "Traceback" not in refused.stderr + failed.stderr


# handed out last, to the cluster's worker (tests/scheduling.py): SLURM's clock runs while that worker runs
# the rest of the suite, instead of it waiting here for the kill
@pytest.mark.xdist_group("slurm-last")
def test_a_job_killed_at_its_wall_time_is_noticed_and_its_runs_redone(walltime_sweep: Sweep) -> None:
    sweep = walltime_sweep
    assert sweep.frozen_with < 99, "the worker should freeze mid-sweep"
    expected = local_sweep(sweep.folder.parent / "experiment.yaml")  # while SLURM's clock runs
    assert sweep.finish(seconds=240) == 0, sweep.stderr
    assert job_info(sweep.job)["JobState"] == "TIMEOUT"
    assert f"SLURM job {sweep.job} ended (TIMEOUT" in sweep.stderr
    assert "Sweep: 99 runs, 99 ok, 0 failed, 0 missing" in sweep.stdout
    assert_same(expected, sweep.folder)


def test_workers_keep_glibcs_default_allocation_and_single_threaded_numpy(walltime_sweep: Sweep) -> None:
    # Dask's nanny would start its worker with MALLOC_TRIM_THRESHOLD_, which doubles a batch's CPU time
    # (sim.sweep.slurm._keep_malloc); its other settings (NumPy's libraries on one thread) stay
    workers = [environ for environ in walltime_sweep.environs if environ.get("OMP_NUM_THREADS") == "1"]
    assert workers, "the Dask worker process, started by the nanny with OMP_NUM_THREADS=1"
    assert not any("MALLOC_TRIM_THRESHOLD_" in environ for environ in walltime_sweep.environs)


def environ_of(pid: int) -> dict[str, str]:
    with contextlib.suppress(OSError):
        pairs = (Path("/proc") / str(pid) / "environ").read_bytes().decode(errors="replace").split("\0")
        return dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    return {}


def processes_of_job(job_id: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                environ = (proc / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"SLURM_JOB_ID={job_id}".encode() in environ:
                found.append(int(proc.name))
    assert found, f"no process of job {job_id} found"
    return found
