"""Sweep throughput: runs per second, batched against one run at a time, side by side in one run.

    .venv/bin/python benchmarks/sweep_throughput.py [--experiment FILE] [--replicates N] [--repeats N]
        [--workers N] [--before PATH]

For each configuration the whole sweep runs into a fresh folder through `run_sweep`, writing Parquet
as the command line does; the best of --repeats counts, and the CPU seconds of this process and all
its workers are measured too (less sensitive to what else the machine runs). Configurations:

- one run at a time, 1 core: batches of one system, in this process;
- batched, 1 core: batches sized by the memory budget, in this process;
- batched, N cores: the same on N local worker processes (start-up included);
- batched, Dask: N single-threaded Dask workers (the cluster started before the clock);
- --before PATH: the same sweep with the code of another checkout (e.g. `git worktree add /tmp/before
  dab4d10`), run in a subprocess with that checkout first on the path: the per-run engine as it was,
  reading that checkout's own copy of the experiment file (the same runs; scenario keys have changed).

A script, not a timed test: it prints figures for docs/performance.md instead of asserting.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

BEFORE_SCRIPT = """
import sys, time, json, os
from pathlib import Path
from sim.sweep import LocalProcesses, InProcess, resolve, run_sweep
plan = resolve(sys.argv[1])
if len(sys.argv) > 4:
    import dataclasses
    plan = dataclasses.replace(plan, replicates=int(sys.argv[4]))
executor = InProcess() if int(sys.argv[3]) == 1 else LocalProcesses(int(sys.argv[3]))
start = time.perf_counter()
report = run_sweep(plan, Path(sys.argv[2]), executor)
print(json.dumps({"runs": report.completed, "seconds": time.perf_counter() - start}))
"""


def cpu_seconds() -> float:
    """CPU of this process and every process under it (living ones; finished workers are sampled by `meter`)."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


class Meter:
    """Samples the CPU time of worker processes as batches finish (a pool's workers are gone by the end)."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.start = sum(psutil.Process().cpu_times()[:2])

    def sample(self, *_: object) -> None:
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                self.seen[child.pid] = sum(child.cpu_times()[:2])

    def total(self) -> float:
        self.sample()
        return sum(psutil.Process().cpu_times()[:2]) - self.start + sum(self.seen.values())


def timed(make_backend: Callable[[], object], plan: object, scratch: Path, repeats: int,
          runs_per_batch: int | None) -> tuple[float, float]:
    from sim.sweep import run_sweep

    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        folder = scratch / f"run-{time.monotonic_ns()}"
        meter = Meter()
        start = time.perf_counter()
        report = run_sweep(plan, folder, make_backend(), on_result=meter.sample, runs_per_batch=runs_per_batch)
        wall = time.perf_counter() - start
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, meter.total())
        assert report.completed == plan.total_runs, report
        shutil.rmtree(folder)
    return best_wall, best_cpu


def before(tree: Path, experiment: Path, scratch: Path, workers: int, replicates: int | None,
           repeats: int) -> float:
    import json

    best = float("inf")
    for _ in range(repeats):
        folder = scratch / f"before-{time.monotonic_ns()}"
        # the older code reads its own copy of the experiment (scenario keys have changed since)
        own = tree / "experiments" / experiment.name
        source = own if own.exists() else experiment
        args = [sys.executable, "-c", BEFORE_SCRIPT, str(source), str(folder), str(workers)]
        if replicates:
            args.append(str(replicates))
        result = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)},
                                cwd=tree, check=True, timeout=3600)
        best = min(best, json.loads(result.stdout.strip().splitlines()[-1])["seconds"])
        shutil.rmtree(folder, ignore_errors=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "ancash_clustering.yaml")
    parser.add_argument("--replicates", type=int, default=None, help="replicates per point (default: the file's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--before", type=Path, default=None, help="a checkout of the code to compare with")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()

    import dataclasses

    from sim.parallel import local
    from sim.parallel.processes import InProcess
    from sim.sweep import resolve

    plan = resolve(args.experiment)
    if args.replicates:
        plan = dataclasses.replace(plan, replicates=args.replicates)
    runs = plan.total_runs
    print(f"{plan.name}: {runs} runs of {plan.years} years; load average {os.getloadavg()[0]:.2f}; "
          f"best of {args.repeats}")
    rows: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        wall, cpu = timed(InProcess, plan, scratch, args.repeats, runs_per_batch=1)
        rows.append(("one run at a time, 1 core", wall, cpu))
        wall, cpu = timed(InProcess, plan, scratch, args.repeats, runs_per_batch=None)
        rows.append(("batched, 1 core", wall, cpu))
        wall, cpu = timed(lambda: local(args.workers), plan, scratch, args.repeats, runs_per_batch=None)
        rows.append((f"batched, {args.workers} local worker processes", wall, cpu))
        if not args.no_dask:
            from distributed import Client, LocalCluster

            from sim.parallel.dask import DaskBackend

            with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                wall, cpu = timed(lambda: DaskBackend(client), plan, scratch, args.repeats, runs_per_batch=None)
            rows.append((f"batched, Dask ({args.workers} workers)", wall, None))
        if args.before:
            for workers in (1, args.workers):
                rows.append((f"before ({args.before.name}), {workers} worker(s)",
                             before(args.before, args.experiment, scratch, workers, args.replicates, args.repeats),
                             None))
    base = rows[0][1]
    print(f"{'configuration':48s} {'wall s':>8s} {'runs/s':>8s} {'CPU ms/run':>11s} {'vs one-at-a-time':>17s}")
    for name, wall, cpu in rows:
        cpu_text = f"{1000 * cpu / runs:11.2f}" if cpu is not None else f"{'-':>11s}"
        print(f"{name:48s} {wall:8.2f} {runs / wall:8.0f} {cpu_text} {base / wall:16.1f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
