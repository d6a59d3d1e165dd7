"""Sweep throughput: runs per second for the Ancash sweep on 1 and 2 local workers and on a Dask LocalCluster.

    .venv/bin/python benchmarks/sweep_throughput.py [--experiment FILE] [--repeats N] [--workers N] [--replicates N]

A script, not a timed test: figures depend on the machine and on what else runs on it, so it prints
them (with the load average) for docs/performance.md instead of asserting. Each configuration runs
the whole sweep into a fresh folder, writing Parquet as the CLI does; the best of --repeats counts.
Local worker start-up is included (the CLI pays it on every sweep); the Dask cluster is started
before the clock starts, as a cluster that a researcher connects to already exists.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil
from sim.sweep.execute import Executor

from sim.sweep import DaskCluster, InProcess, LocalProcesses, read_runs, resolve, run_sweep
from sim.sweep.plan import Plan

ROOT = Path(__file__).resolve().parents[1]


class CpuMeter:
    """CPU seconds used over a sweep by this process and every process under it (workers, forkserver, Dask).

    Unlike wall-clock time, this hardly depends on what else the machine is doing, so it shows what the
    sweep machinery costs even on a shared machine. Processes are sampled as results arrive, since a
    local pool's workers are gone by the time the sweep returns.
    """

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.own = time.process_time()
        self.base = self._descendants()
        self.last = dict(self.base)
        self.sampled = time.monotonic()

    def _descendants(self) -> dict[int, float]:
        found = {}
        for process in self.me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                found[process.pid] = times.user + times.system
        return found

    def sample(self, *_: object) -> None:
        # twice a second at most: walking the process tree costs milliseconds that the workers would lose
        if time.monotonic() - self.sampled >= 0.5:
            self.last.update(self._descendants())
            self.sampled = time.monotonic()

    def stop(self) -> tuple[float, float]:
        """(this process, all processes) CPU seconds since the start."""
        self.sampled = 0.0
        self.sample()
        own = time.process_time() - self.own
        return own, own + sum(cpu - self.base.get(pid, 0.0) for pid, cpu in self.last.items())


def timed(plan: Plan, make: Callable[[], Executor], repeats: int, scratch: Path, label: str) -> Measure:
    best = Measure(0.0, float("inf"), scratch)
    for attempt in range(repeats):
        folder = scratch / f"{label}-{attempt}"
        executor = make()
        meter = CpuMeter()
        started = time.perf_counter()
        report = run_sweep(plan, folder, executor, on_result=meter.sample)
        seconds = time.perf_counter() - started
        own, total = meter.stop()
        assert report.completed == plan.total_runs, report
        runs = plan.total_runs
        print(f"  {label}: {runs / seconds:6.2f} runs/s ({seconds:.1f} s); CPU per run: this process "
              f"{1000 * own / runs:.1f} ms, all processes {1000 * total / runs:.1f} ms; "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        if runs / seconds > best.rate:
            best = Measure(runs / seconds, 1000 * total / runs, folder)
    return best


@dataclass
class Measure:
    rate: float  # runs per second, wall clock
    cpu_ms: float  # CPU milliseconds per run, all processes
    folder: Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "ancash_clustering.yaml")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replicates", type=int, default=None,
                        help="override the experiment's replicates: a longer sweep amortises pool start-up")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    plan = resolve(args.experiment)
    if args.replicates:
        plan.replicates = args.replicates
    n = args.workers
    print(f"{plan.name}: {plan.total_runs} runs of {plan.years} years; {os.cpu_count()} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    measures: dict[str, Measure] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        measures["local, 1 worker"] = timed(plan, InProcess, args.repeats, scratch, "local-1")
        measures[f"local, {n} workers"] = timed(plan, lambda: LocalProcesses(n), args.repeats, scratch, f"local-{n}")
        started = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            startup = time.perf_counter() - started
            measures[f"Dask LocalCluster, {n} workers"] = timed(
                plan, lambda: DaskCluster(client), args.repeats, scratch, f"dask-{n}")
        one, many, dask = measures.values()
        first = read_runs(one.folder).drop(columns="seconds")
        for other in (many, dask):
            pd.testing.assert_frame_equal(first, read_runs(other.folder).drop(columns="seconds"))

    print(f"\nload average after: {os.getloadavg()[0]:.2f}; Dask LocalCluster start-up {startup:.1f} s (not counted)")
    print("| Executor | Runs per second (best) | vs 1 worker | CPU per run, all processes |")
    print("| --- | --- | --- | --- |")
    for label, m in measures.items():
        print(f"| {label} | {m.rate:.2f} | {m.rate / one.rate:.2f}x | {m.cpu_ms:.1f} ms |")
    print(f"\n{n} workers / 1 worker: {many.rate / one.rate:.2f}x measured (aim: at least 1.8x)")
    # with n idle cores the sweep's CPU is spread over n of them: the ceiling its overheads leave
    print(f"  ceiling on {n} idle cores from CPU per run: {min(n, n * one.cpu_ms / many.cpu_ms):.2f}x")
    print(f"Dask / local processes: {dask.rate / many.rate:.2f} measured (aim: at least 0.80)")
    print(f"  from CPU per run: {many.cpu_ms / dask.cpu_ms:.2f}")
    print("Results identical across the three: yes")


if __name__ == "__main__":
    main()
