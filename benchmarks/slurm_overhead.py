"""SLURM overhead: the same sweep through the local SLURM cluster and through local processes, side by side.

    .venv/bin/python benchmarks/slurm_overhead.py [--replicates 100] [--repeats 3] [--workers 2] [--cores 1]

Runs experiments/ancash_clustering.yaml (20 points) with its replicates scaled (default 100: 2,000
runs), from a copy in a temporary folder, through the real command line both ways, one after the
other in each repeat (the order alternates, so that drifting load favours neither):

    critical-mass sweep EXP --workers N --no-figures
    critical-mass sweep EXP --slurm --slurm-jobs N/C --slurm-cores C --no-figures

on the one-node cluster of scripts/local-slurm (started here if it is not running, and stopped
after). The time counted is the whole command, from start to exit: for SLURM that includes checking
and submitting the jobs, waiting for them to start, the workers' start-up, and cancelling the jobs at
the end. A script, not a timed test: it prints the figures (with the load average) for
docs/performance.md and checks that both give identical results.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import yaml

from sim.sweep import read_runs

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("critical-mass"))
LOCAL_SLURM = ROOT / "scripts" / "local-slurm"
SWEEP_LINE = re.compile(r"(\d+) run\(s\) in ([\d.]+) s")


def scaled_experiment(source: Path, replicates: int, folder: Path) -> Path:
    experiment = yaml.safe_load(source.read_text(encoding="utf-8"))
    experiment["replicates"] = replicates
    experiment["scenario"] = str((source.parent / experiment["scenario"]).resolve())
    path = folder / source.name
    path.write_text(yaml.safe_dump(experiment, sort_keys=False), encoding="utf-8")
    return path


class CpuMeter:
    """CPU seconds of every process of one sweep: the command and all under it, and the SLURM jobs' processes.

    Job processes are not the command's descendants (slurmd starts them), so they are found by their
    environment: the job id SLURM gives them beside this cluster's SLURM_CONF. Processes are sampled
    twice a second from a thread; CPU is far less sensitive than wall time to what else the machine
    runs, so it shows what each route costs even on a busy machine.
    """

    def __init__(self, root: int, slurm_conf: str) -> None:
        self.root, self.conf = root, slurm_conf
        self.seen: dict[int, float] = {}
        self.kinds: dict[int, str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _ours(self) -> list[psutil.Process]:
        found = []
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.root)
            found = [root, *root.children(recursive=True)]
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                environ = process.environ()
                if "SLURM_JOB_ID" in environ and environ.get("SLURM_CONF") == self.conf:
                    found.append(process)
        return found

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            for process in self._ours():
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    self.seen[process.pid] = times.user + times.system
                    if process.pid not in self.kinds:
                        self.kinds[process.pid] = self._kind(process)

    def _kind(self, process: psutil.Process) -> str:
        """Which part of a route a process is: where the extra CPU of one route goes."""
        if process.pid == self.root:
            return "sweep process"
        line = " ".join(process.cmdline())
        in_job = "SLURM_JOB_ID" in process.environ()
        if "dask_worker" in line:
            return "nanny"
        if "multiprocessing" in line and "resource_tracker" not in line:
            return "Dask worker" if in_job else "pool worker"
        return "job script and others" if in_job else "other (sbatch, squeue, helpers)"

    def total(self) -> float:
        self.stop.set()
        self.thread.join()
        return sum(self.seen.values())

    def by_kind(self) -> dict[str, float]:
        split: dict[str, float] = {}
        for pid, seconds in self.seen.items():
            kind = self.kinds.get(pid, "other (sbatch, squeue, helpers)")
            split[kind] = split.get(kind, 0.0) + seconds
        return split


def timed_sweep(path: Path, out: Path, options: list[str], env: dict[str, str]
                ) -> tuple[float, float, float, dict[str, float]]:
    """(whole command, the sweep's own 'runs in X s', CPU of all its processes, that CPU by kind of process)
    in seconds."""
    started = time.perf_counter()
    with open(out.parent / f"{out.name}.stdout", "w+") as stdout, open(out.parent / f"{out.name}.stderr", "w+") as err:
        command = subprocess.Popen([CLI, "sweep", str(path), "--out", str(out), "--no-figures", *options],
                                   stdout=stdout, stderr=err, env=env, cwd=out.parent)
        meter = CpuMeter(command.pid, env["SLURM_CONF"])
        code = command.wait()
        seconds = time.perf_counter() - started
        cpu = meter.total()
        split = meter.by_kind()
        stdout.seek(0)
        err.seek(0)
        printed, complaints = stdout.read(), err.read()
    if code != 0:
        sys.exit(f"sweep {' '.join(options)} failed:\n{printed}\n{complaints}")
    return seconds, float(SWEEP_LINE.search(printed).group(2)), cpu, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "ancash_clustering.yaml")
    parser.add_argument("--replicates", type=int, default=100, help="100 gives 2,000 runs of the Ancash sweep")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="local processes, and SLURM workers in all")
    parser.add_argument("--cores", type=int, default=1, help="cores (workers) per SLURM job")
    args = parser.parse_args()
    if args.workers % args.cores:
        sys.exit("--workers must be a multiple of --cores")

    env = {**os.environ, "COLUMNS": "200"}
    env["SLURM_CONF"] = subprocess.run([LOCAL_SLURM, "env"], capture_output=True, text=True,
                                       check=True).stdout.strip().removeprefix("export SLURM_CONF=")
    running = subprocess.run([LOCAL_SLURM, "status"], capture_output=True, env=env).returncode == 0
    if not running:
        started = subprocess.run([LOCAL_SLURM, "start"], capture_output=True, text=True, env=env)
        if started.returncode != 0:
            sys.exit(f"cannot start the local SLURM:\n{started.stdout}{started.stderr}")
    ways = {
        f"local, {args.workers} processes": ["--workers", str(args.workers)],
        f"SLURM, {args.workers // args.cores} job(s) x {args.cores} core(s)":
            ["--slurm", "--slurm-jobs", str(args.workers // args.cores), "--slurm-cores", str(args.cores),
             "--slurm-walltime", "2:00:00", "--slurm-memory", f"{args.cores}G"],
    }
    seconds: dict[str, list[float]] = {label: [] for label in ways}
    sweeping: dict[str, list[float]] = {label: [] for label in ways}
    cpu: dict[str, list[float]] = {label: [] for label in ways}
    splits: dict[str, list[dict[str, float]]] = {label: [] for label in ways}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = scaled_experiment(args.experiment, args.replicates, Path(tmp))
            runs = 20 * args.replicates
            print(f"{runs} runs of {args.experiment.name}; {os.cpu_count()} cores; "
                  f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
            outs = {}
            for repeat in range(args.repeats):
                order = list(ways) if repeat % 2 == 0 else list(reversed(ways))
                for label in order:
                    out = Path(tmp) / f"{label.split(',')[0]}-{repeat}"
                    whole, sweep, used, split = timed_sweep(path, out, ways[label], env)
                    splits[label].append(split)
                    seconds[label].append(whole)
                    sweeping[label].append(sweep)
                    cpu[label].append(used)
                    outs[label] = out
                    print(f"  repeat {repeat + 1}, {label}: {whole:.1f} s in all ({runs / whole:.1f} runs/s), "
                          f"runs {sweep:.1f} s, start-up and the rest {whole - sweep:.1f} s; CPU "
                          f"{1000 * used / runs:.1f} ms a run; load average {os.getloadavg()[0]:.2f}", flush=True)
                local_s, slurm_s = (seconds[label][-1] for label in ways)
                print(f"  repeat {repeat + 1}: SLURM / local = {slurm_s / local_s:.2f}", flush=True)
            first, *others = (read_runs(out).drop(columns="seconds") for out in outs.values())
            for other in others:
                pd.testing.assert_frame_equal(first, other)
    finally:
        if not running:
            subprocess.run([LOCAL_SLURM, "stop"], capture_output=True, env=env)

    local, slurm = ways
    ratios = [s / local_s for local_s, s in zip(seconds[local], seconds[slurm], strict=True)]
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    print("| Route | Wall time, median (min-max) | of which start-up and the rest, median | CPU a run, median |")
    print("| --- | --- | --- | --- |")
    for label in ways:
        whole, overhead = seconds[label], [w - s for w, s in zip(seconds[label], sweeping[label], strict=True)]
        print(f"| {label} | {statistics.median(whole):.1f} s ({min(whole):.1f}-{max(whole):.1f}) | "
              f"{statistics.median(overhead):.1f} s | {1000 * statistics.median(cpu[label]) / runs:.1f} ms |")
    print(f"\nSLURM / local wall time, each repeat side by side: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f} (aim: at most 1.30)")
    cpu_ratio = statistics.median(cpu[slurm]) / statistics.median(cpu[local])
    print(f"SLURM / local CPU of all processes, start-up included: {cpu_ratio:.2f} (hardly depends on other load; "
          f"where the sweep has its {args.workers} cores to itself, wall time should scale about so)")
    print("\nCPU by process, median over repeats (seconds for the whole sweep):")
    for label in ways:
        kinds = sorted({kind for split in splits[label] for kind in split})
        shown = ", ".join(f"{kind} {statistics.median(split.get(kind, 0.0) for split in splits[label]):.1f}"
                          for kind in kinds)
        print(f"  {label}: {shown}")
    print("Results identical: yes")


if __name__ == "__main__":
    main()
