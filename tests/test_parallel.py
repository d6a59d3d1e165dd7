"""The one parallel layer: local processes that start safely from scripts, agree with this process, and
never outlive their parent."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.parallel import Done, Lost, WorkersFailed, local, run_all
from sim.parallel.forking import NO_FORK_ENV
from sim.parallel.processes import InProcess, LocalProcesses
from sim.runner import run_replicates
from tests.helpers import ROOT, small

SCRIPT = """\
from sim.parallel import local
from sim.runner import run_replicates
from tests.helpers import small

print("top level ran")
frames = run_replicates(small(), 6, 0, backend=local(2))
print("rows", len(frames["yearly"]))
"""


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "from the launcher"])
def test_a_script_without_a_main_guard_runs_its_top_level_once(tmp_path: Path, fork: bool) -> None:
    # forked workers are copies of the script's process, output not yet written included: it is written once
    script = tmp_path / "script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=180,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", NO_FORK_ENV: "" if fork else "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("top level ran") == 1, result.stdout
    assert "rows 54" in result.stdout and "Traceback" not in result.stderr


FORKED = """\
import os, sys, threading
from pathlib import Path
from sim.parallel.forking import fork_is_safe
from sim.parallel.processes import LocalProcesses
from sim.sweep.lock import sweep_lock

def holds_the_lock(_):
    fds = os.listdir("/proc/self/fd")
    return os.getpid(), os.getppid(), any(os.path.realpath(f"/proc/self/fd/{fd}").endswith("/.lock") for fd in fds)

print("safe to fork here:", fork_is_safe())
with sweep_lock(Path(sys.argv[1])):
    seen = [done.value for done in LocalProcesses(2).map_unordered(holds_the_lock, range(8))]
mine = all(parent == os.getpid() for _, parent, _ in seen)
print("workers:", len({pid for pid, _, _ in seen}), "children of this process:", mine)
print("a worker holds the lock:", any(held for _, _, held in seen))
print("safe to fork again after a map:", fork_is_safe())  # its pool's thread has ended: the next pool forks too
threading.Thread(target=threading.Event().wait, daemon=True).start()
print("safe to fork beside a thread:", fork_is_safe())
"""


def test_workers_forked_from_a_sweep_do_not_hold_its_folder_lock(tmp_path: Path) -> None:
    """A forked worker gets a copy of every open file: a copy of the sweep's lock would keep the folder locked
    after the sweep ends, for as long as a worker lives. Forking is also refused beside another thread."""
    script = tmp_path / "forked.py"
    script.write_text(FORKED, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "sweep")], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "safe to fork here: True" in result.stdout
    assert "workers: 2 children of this process: True" in result.stdout, result.stdout
    assert "a worker holds the lock: False" in result.stdout
    assert "safe to fork again after a map: True" in result.stdout
    assert "safe to fork beside a thread: False" in result.stdout


CTRL_C_AT_START = """\
import contextlib, os, signal, time
import psutil
from sim.parallel import processes

held_back = processes.forking

@contextlib.contextmanager
def ctrl_c_while_workers_start():
    with held_back():
        yield
        os.kill(os.getpid(), signal.SIGINT)  # the terminal's Ctrl-C, here while the workers are being forked

processes.forking = ctrl_c_while_workers_start
# and in each worker the moment it exists, before it could have set itself to ignore it
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGINT))
try:
    list(processes.LocalProcesses(2).map_unordered(abs, range(8)))
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted")
_, alive = psutil.wait_procs(psutil.Process().children(recursive=True), timeout=5)
print("workers left:", len(alive))
"""


def test_ctrl_c_while_workers_are_forked_interrupts_this_process_only() -> None:
    """Ctrl-C reaches every process of the terminal: held back while the workers are forked, it interrupts this
    process once they have started, and no worker dies of it with a traceback (they leave it to the parent)."""
    result = subprocess.run([sys.executable, "-c", CTRL_C_AT_START], capture_output=True, text=True, cwd=ROOT,
                            timeout=120, start_new_session=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "interrupted" in result.stdout.splitlines(), result.stdout + result.stderr
    assert "workers left: 0" in result.stdout
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr, result.stderr


def test_workers_give_what_this_process_gives() -> None:
    here = run_replicates(small(), 6, 3, backend=InProcess())
    there = run_replicates(small(), 6, 3, backend=LocalProcesses(2))
    for name in here:
        pd.testing.assert_frame_equal(here[name], there[name])


def test_run_all_keeps_the_order_of_the_jobs() -> None:
    assert run_all(local(2), abs, [-3, 1, -2, 5]) == [3, 1, 2, 5]
    seen: list[int] = []
    run_all(InProcess(), abs, [-1, -2], on_done=lambda done: seen.append(done.value))
    assert seen == [1, 2] and isinstance(Done(1, 2), Done)



def test_dask_reports_a_dead_workers_job_lost_but_stops_when_the_backend_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A result that cannot be fetched is a lost job; WorkersFailed while waiting for one stops the backend.

    sim.sweep.slurm gives up on a SLURM sweep left without workers by raising WorkersFailed from a signal
    handler in the main thread, and that thread is often inside Future.result(), waiting on a gather from a
    worker that is gone. Each failure is raised from Future.result() here, as it would be there."""
    from distributed import Client, Future, LocalCluster

    from sim.parallel.dask import DaskBackend

    def result_raising(error: BaseException) -> Callable[..., Any]:
        def result(self: Future, timeout: float | None = None) -> Any:
            raise error
        return result

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        backend = DaskBackend(client)
        assert [o.value for o in backend.map_unordered(abs, [-1])] == [1]
        monkeypatch.setattr(Future, "result", result_raising(OSError("connection to the worker lost")))
        outcomes = list(backend.map_unordered(abs, [-2]))
        assert isinstance(outcomes[0], Lost) and "connection to the worker lost" in outcomes[0].reason
        monkeypatch.setattr(Future, "result", result_raising(WorkersFailed("no worker left")))
        with pytest.raises(WorkersFailed, match="no worker left"):
            list(backend.map_unordered(abs, [-3, -4]))



ORPHANED_CHILD = """\
import os, sys, time
from sim.parallel.lifeline import die_with_parent
marker = sys.argv[1]
read_end, write_end = os.pipe()
child = os.fork()
if child == 0:
    parent = os.getppid()
    os.close(write_end)
    os.read(read_end, 1)  # empty: the parent has exited
    while os.getppid() == parent:
        time.sleep(0.01)
    die_with_parent(parent)
    open(marker, "w").write("outlived its parent")
    os._exit(0)
die_with_parent(os.getppid())  # a parent that is still there: returns
print(child)
"""


def test_a_worker_whose_parent_died_before_it_asked_to_die_with_it_exits_at_once(tmp_path: Path) -> None:
    """The race a signal hits while workers start: the parent is gone before the child asks to die with it."""
    import psutil

    marker = tmp_path / "survivor"
    result = subprocess.run([sys.executable, "-c", ORPHANED_CHILD, str(marker)], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    child = int(result.stdout)
    deadline = time.monotonic() + 30
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not marker.exists(), "a process re-parented before it asked to die with its parent kept running"


def test_local_dask_workers_keep_glibcs_memory_allocation_and_the_rest_of_dasks_settings() -> None:
    """`--dask local`: Dask's MALLOC_TRIM_THRESHOLD_ makes every large temporary fault its pages in again."""
    import os

    from sim.parallel.dask import local_cluster

    with local_cluster(1) as client:
        seen = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert list(seen.values()) == [(None, "1")], seen


STOPPED_EARLY = """
import time
from sim.parallel import Done
from sim.parallel.processes import LocalProcesses

outcomes = LocalProcesses(2).map_unordered(time.sleep, [0.0, 60.0, 60.0, 60.0])
assert isinstance(next(outcomes), Done)  # the quick job; the three others are under way or queued
outcomes.close()  # as when Ctrl-C, a lost job or the caller stops the map
"""


def test_a_map_stopped_early_does_not_wait_for_the_batches_under_way(tmp_path: Path) -> None:
    """The process ends in seconds, not after the minute its workers' batches would take: nobody reads them."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STOPPED_EARLY], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30, "the process waited for batches nobody will read"


def test_workers_started_from_another_thread_live_as_long_as_the_map(caplog: pytest.LogCaptureFixture) -> None:
    """The launcher dies with the thread that started it (PR_SET_PDEATHSIG): started by the short-lived thread
    that queues the first jobs, it died under the first pool, which broke and was started again."""
    import threading

    result: dict[str, Any] = {}
    jobs = [0.3 + i * 1e-6 for i in range(12)]  # long enough that the pool's workers run most of them
    worker = threading.Thread(target=lambda: result.update(values=run_all(LocalProcesses(2), time.sleep, jobs)))
    with caplog.at_level("WARNING", logger="sim.parallel.processes"):
        worker.start()
        worker.join(timeout=120)
    assert result["values"] == [None] * len(jobs)
    assert "worker process died" not in caplog.text


CRASH = "import os; os._exit(1)"  # a job that takes its worker process down, as a segfault or the OOM killer would


def test_a_job_that_kills_its_worker_is_lost_alone_and_its_neighbours_finish(caplog: pytest.LogCaptureFixture) -> None:
    """Every job of a broken pool fails with it; only the one that breaks the pool when it runs alone is lost
    (it used to take the jobs queued beside it down with it)."""
    jobs = [f"import time; time.sleep(0.3)  # {i}" for i in range(7)]
    jobs.insert(1, CRASH)  # in the first window, which goes to the pool (see the test below)
    outcomes = list(LocalProcesses(2).map_unordered(exec, jobs))
    lost = [o.job for o in outcomes if isinstance(o, Lost)]
    assert lost == [CRASH]
    assert sorted(o.job for o in outcomes if isinstance(o, Done)) == sorted(j for j in jobs if j != CRASH)


def test_workers_that_die_whatever_they_run_stop_the_map() -> None:
    # four jobs: the first window of 2 workers, all sent to the pool (later ones may run in this process while
    # the workers start, and this one would end it)
    jobs = [f"{CRASH}  # {i}" for i in range(4)]
    with pytest.raises(WorkersFailed, match="keep dying"):
        list(LocalProcesses(2).map_unordered(exec, jobs))
