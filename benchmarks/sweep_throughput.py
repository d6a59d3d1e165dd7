"""Sweep throughput: runs per second for the Ancash sweep on 1 and 2 local workers and on a Dask LocalCluster.

    .venv/bin/python benchmarks/sweep_throughput.py [--experiment FILE] [--repeats N] [--workers N]

A script, not a timed test: figures depend on the machine and on what else runs on it, so it prints
them (with the load average) for docs/performance.md instead of asserting. Each configuration runs
the whole sweep into a fresh folder, writing Parquet as the CLI does; the best of --repeats counts.
Local worker start-up is included (the CLI pays it on every sweep); the Dask cluster is started
before the clock starts, as a cluster that a researcher connects to already exists.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.sweep import DaskCluster, InProcess, LocalProcesses, read_runs, resolve, run_sweep
from sim.sweep.execute import Executor
from sim.sweep.plan import Plan

ROOT = Path(__file__).resolve().parents[1]


def timed(plan: Plan, make: Callable[[], Executor], repeats: int, scratch: Path, label: str) -> tuple[float, Path]:
    best, folder = float("inf"), scratch
    for attempt in range(repeats):
        folder = scratch / f"{label}-{attempt}"
        executor = make()
        started, cpu = time.perf_counter(), time.process_time()
        report = run_sweep(plan, folder, executor)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert report.completed == plan.total_runs, report
        best = min(best, seconds)
        # this process's CPU per run: the coordination cost (for 1 worker it includes the runs themselves)
        print(f"  {label}: {plan.total_runs / seconds:6.2f} runs/s ({seconds:.1f} s; "
              f"this process {1000 * cpu / plan.total_runs:.1f} ms CPU per run; "
              f"load average {os.getloadavg()[0]:.2f})", flush=True)
    return plan.total_runs / best, folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "ancash_clustering.yaml")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    plan = resolve(args.experiment)
    n = args.workers
    print(f"{plan.name}: {plan.total_runs} runs of {plan.years} years; {os.cpu_count()} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    rates: dict[str, float] = {}
    folders: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        rates["local, 1 worker"], folders["1"] = timed(plan, InProcess, args.repeats, scratch, "local-1")
        rates[f"local, {n} workers"], folders["n"] = timed(
            plan, lambda: LocalProcesses(n), args.repeats, scratch, f"local-{n}")
        started = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            startup = time.perf_counter() - started
            rates[f"Dask LocalCluster, {n} workers"], folders["dask"] = timed(
                plan, lambda: DaskCluster(client), args.repeats, scratch, f"dask-{n}")

        first = read_runs(folders["1"]).drop(columns="seconds")
        for key in ("n", "dask"):
            pd.testing.assert_frame_equal(first, read_runs(folders[key]).drop(columns="seconds"))

    one, many, dask = rates.values()
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; Dask LocalCluster start-up {startup:.1f} s (not counted)")
    print("| Executor | Runs per second |")
    print("| --- | --- |")
    for label, rate in rates.items():
        print(f"| {label} | {rate:.2f} |")
    print(f"\n{n} workers / 1 worker: {many / one:.2f}x (aim: at least 1.8x)")
    print(f"Dask / local processes: {dask / many:.2f} (aim: within 20%, i.e. at least 0.80)")
    print("Results identical across the three: yes")


if __name__ == "__main__":
    main()
