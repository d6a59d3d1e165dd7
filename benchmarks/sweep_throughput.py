"""Sweep throughput: runs per second, batched against one run at a time, side by side in one run.

    .venv/bin/python benchmarks/sweep_throughput.py [--experiment FILE] [--replicates N] [--repeats N]
        [--workers N] [--before PATH]

For each configuration the whole sweep runs into a fresh folder through `run_sweep`, writing Parquet
as the command line does, --repeats times (--slow-repeats for the slow one-at-a-time and --before
configurations); the median wall time counts, with the range, and the CPU seconds of this process and
all its workers are measured too (less sensitive to what else the machine runs). Configurations:

- one run at a time, 1 core: batches of one system, in this process;
- batched, 1 core: batches sized by the memory budget, in this process;
- batched, N cores, forked: the same on N local worker processes forked from this process, as a
  `critical-mass sweep` command starts them (sim.parallel.forking);
- batched, N cores, cold launcher: the workers forked instead from multiprocessing's forkserver,
  started afresh in every repeat (its import of the model included), as where forking is not safe
  (another thread running) or CRITICAL_MASS_NO_FORK=1 asks for it;
- batched, N cores, warm launcher: the same with the launcher left running from the repeat before, as
  for a Python session with threads that runs several sweeps (the launcher outlives a sweep);
- batched, Dask: N single-threaded Dask workers (the cluster started before the clock);
- --before PATH: the same sweep with the code of another checkout (e.g. `git worktree add /tmp/before
  dab4d10`), run in a subprocess with that checkout first on the path: the per-run engine as it was,
  reading that checkout's own copy of the experiment file (the same runs; scenario keys have changed);
  skipped when that checkout has no file of the same name.

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
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median

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


def stop_launcher() -> None:
    """Stop the worker launcher (multiprocessing's forkserver) so the next sweep starts it, as a new command does."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # type: ignore[attr-defined]  # private, but what the standard library's tests use


@contextlib.contextmanager
def no_fork() -> Iterator[None]:
    """Workers from the forkserver, as where this process may not fork."""
    from sim.parallel.forking import NO_FORK_ENV

    os.environ[NO_FORK_ENV] = "1"
    try:
        yield
    finally:
        del os.environ[NO_FORK_ENV]


def timed(make_backend: Callable[[], object], plan: object, scratch: Path, repeats: int,
          runs_per_batch: int | None, cold: bool = False) -> tuple[list[float], float]:
    """Every repeat's wall time, and the least CPU time of any repeat."""
    from sim.sweep import run_sweep

    walls, best_cpu = [], float("inf")
    for _ in range(repeats):
        if cold:
            stop_launcher()
        folder = scratch / f"run-{time.monotonic_ns()}"
        meter = Meter()
        start = time.perf_counter()
        report = run_sweep(plan, folder, make_backend(), on_result=meter.sample, runs_per_batch=runs_per_batch)
        walls.append(time.perf_counter() - start)
        best_cpu = min(best_cpu, meter.total())
        assert report.completed == plan.total_runs, report
        shutil.rmtree(folder)
    return walls, best_cpu


def before(tree: Path, experiment: Path, scratch: Path, workers: int, replicates: int | None,
           repeats: int) -> list[float]:
    import json

    walls = []
    for _ in range(repeats):
        folder = scratch / f"before-{time.monotonic_ns()}"
        # the older code reads its own copy of the experiment (scenario keys have changed since)
        args = [sys.executable, "-c", BEFORE_SCRIPT, str(tree / "experiments" / experiment.name), str(folder),
                str(workers)]
        if replicates:
            args.append(str(replicates))
        result = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)},
                                cwd=tree, check=True, timeout=3600)
        walls.append(json.loads(result.stdout.strip().splitlines()[-1])["seconds"])
        shutil.rmtree(folder, ignore_errors=True)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "ancash_clustering.yaml")
    parser.add_argument("--replicates", type=int, default=None, help="replicates per point (default: the file's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--slow-repeats", type=int, default=None,
                        help="repeats of the one-run-at-a-time and --before configurations (default: --repeats)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--before", type=Path, default=None, help="a checkout of the code to compare with")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    slow = args.slow_repeats or args.repeats

    import dataclasses

    from sim.parallel import local
    from sim.parallel.processes import InProcess
    from sim.sweep import resolve

    plan = resolve(args.experiment)
    if args.replicates:
        plan = dataclasses.replace(plan, replicates=args.replicates)
    runs = plan.total_runs
    print(f"{plan.name}: {runs} runs of {plan.years} years; {args.repeats} repeats ({slow} of the slow ones); "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    rows: list[tuple[str, list[float], float | None]] = []
    loads = [os.getloadavg()[0]]

    def add(name: str, walls: list[float], cpu: float | None) -> None:
        rows.append((name, walls, cpu))
        loads.append(os.getloadavg()[0])
        print(f"  {name}: {', '.join(f'{w:.2f}' for w in walls)} s (load {loads[-1]:.2f})", flush=True)

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        add("one run at a time, 1 core", *timed(InProcess, plan, scratch, slow, runs_per_batch=1))
        add("batched, 1 core", *timed(InProcess, plan, scratch, args.repeats, runs_per_batch=None))
        add(f"batched, {args.workers} local worker processes, forked",
            *timed(lambda: local(args.workers), plan, scratch, args.repeats, runs_per_batch=None))
        with no_fork():
            add(f"batched, {args.workers} local worker processes, cold launcher",
                *timed(lambda: local(args.workers), plan, scratch, args.repeats, runs_per_batch=None, cold=True))
            add(f"batched, {args.workers} local worker processes, warm launcher",
                *timed(lambda: local(args.workers), plan, scratch, args.repeats, runs_per_batch=None))
        if not args.no_dask:
            from sim.parallel.dask import DaskBackend, local_cluster

            with local_cluster(args.workers) as client:  # as `critical-mass sweep --dask local` starts one
                walls, _ = timed(lambda: DaskBackend(client), plan, scratch, args.repeats, runs_per_batch=None)
            add(f"batched, Dask ({args.workers} workers)", walls, None)
        if args.before and not (args.before / "experiments" / args.experiment.name).exists():
            print(f"  before: skipped, {args.before} has no experiments/{args.experiment.name} "
                  "(the older code cannot read today's scenario keys)")
        elif args.before:
            for workers in (1, args.workers):
                add(f"before ({args.before.name}), {workers} worker(s)",
                    before(args.before, args.experiment, scratch, workers, args.replicates, slow), None)
    bases = {"one-at-a-time": median(rows[0][1])}
    befores = [r for r in rows if r[0].startswith("before") and "1 worker" in r[0]]
    if befores:
        bases["before, 1 worker"] = median(befores[0][1])
    print(f"\n{runs} runs; wall times over the repeats, runs/s from the median; load average "
          f"{min(loads):.2f} to {max(loads):.2f}")
    print("| Configuration | Repeats | Wall s, median (range) | Runs/s | CPU ms/run (least) | "
          + " | ".join(f"vs {b}" for b in bases) + " |")
    print("|---|---:|---:|---:|---:|" + "---:|" * len(bases))
    for name, walls, cpu in rows:
        mid = median(walls)
        cpu_text = f"{1000 * cpu / runs:.2f}" if cpu is not None else "-"
        ratios = " | ".join(f"{base / mid:.1f}x" for base in bases.values())
        print(f"| {name} | {len(walls)} | {mid:.2f} ({min(walls):.2f}-{max(walls):.2f}) | {runs / mid:,.0f} | "
              f"{cpu_text} | {ratios} |")


if __name__ == "__main__":
    main()
