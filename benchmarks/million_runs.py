"""A results store of a million runs: the coordinating process's memory while writing it, and reading it back.

    .venv/bin/python benchmarks/million_runs.py                       # 1,000,000 runs (minutes on 2 cores)
    .venv/bin/python benchmarks/million_runs.py --replicates 500      # 10,000 runs: a quick check of the script
    .venv/bin/python benchmarks/million_runs.py --keep /tmp/million   # keep the store for DuckDB or pandas

A real sweep, not a synthetic store: `critical-mass sweep benchmarks/million_runs.yaml` (a tiny system,
20 adoption thresholds x 50,000 replicates) on local worker processes, through the command line exactly
as a user types it, so the store is written by the sweep's own writer (a part file pair per flush, the
manifest per session). Then, each command timed in its own process:

1. `critical-mass tipping points DIR` on the store as the sweep left it (the sweep compacts its part
   files itself when it ends);
2. `critical-mass sweep --compact DIR` (nothing left to merge after a sweep that finished; timed to
   show what it costs to check);
3. `critical-mass tipping points DIR` again, --repeats times (stopped after --timeout seconds: a
   tipping command that slow is reported as such, not waited for three more times).

For every command it reports the wall time and the peak RSS of the command's own process (the
coordinating process: VmHWM from /proc, polled), and for the sweep also the largest total RSS of its
worker processes at any sample. Aims (issue 12): the sweep's coordinating process under 1 GB; `tipping`
on the million-run store under 30 s. Not a test: it prints figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = ROOT / "benchmarks" / "million_runs.yaml"
CLI = str(Path(sys.executable).with_name("critical-mass"))
MIB = 1024**2


@dataclass
class Measured:
    seconds: float
    peak: int  # the command's own process: its high-water mark of resident memory
    children_peak: int  # largest total RSS of its child processes seen at any sample


def high_water(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class TimedOut(Exception):
    pass


def measured(args: list[str], log: Path, timeout: float | None = None) -> Measured:
    """Run a command, polling its peak memory (and its children's) until it ends (TimedOut: killed at timeout)."""
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        me = psutil.Process(process.pid)
        peak, children = 0, 0
        while process.poll() is None:
            peak = max(peak, high_water(process.pid) or 0)
            total = 0
            with contextlib.suppress(psutil.Error):
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss
            children = max(children, total)
            if timeout is not None and time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                raise TimedOut(f"{' '.join(args[1:3])} still running after {timeout:.0f} s; "
                               f"peak so far {peak / MIB:,.0f} MB")
            time.sleep(0.1)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed (exit {process.returncode}); see {log}:\n"
                         + "\n".join(log.read_text().splitlines()[-20:]))
    return Measured(seconds, peak, children)


def experiment_file(replicates: int | None, folder: Path) -> Path:
    """The benchmark's experiment, with fewer replicates if asked (a copy whose scenario path still resolves)."""
    if replicates is None:
        return EXPERIMENT
    data = yaml.safe_load(EXPERIMENT.read_text())
    data["replicates"] = replicates
    data["scenario"] = str((EXPERIMENT.parent / data["scenario"]).resolve())
    copy = folder / EXPERIMENT.name
    copy.write_text(yaml.safe_dump(data, sort_keys=False))
    return copy


def parts(store: Path) -> int:
    return len(list((store / "runs").glob("part-*.parquet")))


def size_mb(store: Path) -> float:
    return sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / MIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=None, help="per point (default: the file's 50,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timings of tipping on the compacted store")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a tipping command is stopped")
    parser.add_argument("--keep", type=Path, default=None, help="write the store here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        store = args.keep or scratch / "store"
        if store.exists():
            shutil.rmtree(store)
        experiment = experiment_file(args.replicates, scratch)
        load = [os.getloadavg()[0]]
        print(f"load average {load[0]:.2f}; {args.workers} workers; experiment {experiment}", flush=True)

        sweep = measured([CLI, "sweep", str(experiment), "--out", str(store), "--workers", str(args.workers),
                          "--no-figures"], scratch / "sweep.log")
        from sim.sweep.store import read_manifest

        session = read_manifest(store)["sessions"][-1]
        runs = session["completed"] + session["failed"]
        print(f"sweep: {runs:,} runs ({session['failed']} failed) in {sweep.seconds:.1f} s wall "
              f"({runs / session['seconds']:,.0f} runs/s in the sweep itself, "
              f"batches of {session['runs_per_batch']:,}); "
              f"coordinating process peak {sweep.peak / MIB:,.0f} MB; workers together at most "
              f"{sweep.children_peak / MIB:,.0f} MB; {parts(store)} part files, {size_mb(store):,.0f} MB on disk",
              flush=True)
        load.append(os.getloadavg()[0])

        def tipping(label: str) -> Measured:
            out = scratch / f"tipping-{time.monotonic_ns()}"
            result = measured([CLI, "tipping", "points", str(store), "--out", str(out)], scratch / "tipping.log",
                              timeout=args.timeout)
            shutil.rmtree(out, ignore_errors=True)
            print(f"tipping points ({label}): {result.seconds:.1f} s wall, peak {result.peak / MIB:,.0f} MB",
                  flush=True)
            load.append(os.getloadavg()[0])
            return result

        walls: list[float] = []
        try:
            walls.append(tipping(f"as the sweep left it, {parts(store)} parts").seconds)
        except TimedOut as stopped:
            print(f"tipping points: {stopped}", flush=True)
        compacted = measured([CLI, "sweep", "--compact", str(store)], scratch / "compact.log")
        print(f"sweep --compact: {compacted.seconds:.1f} s wall, peak {compacted.peak / MIB:,.0f} MB; "
              f"{parts(store)} part files after", flush=True)
        load.append(os.getloadavg()[0])
        if walls:
            walls += [tipping(f"compacted, {parts(store)} parts").seconds for _ in range(args.repeats)]
            print(f"tipping points: median {statistics.median(walls):.1f} s "
                  f"(range {min(walls):.1f} to {max(walls):.1f}, {len(walls)} runs)")
        print(f"load average during: {min(load):.2f} to {max(load):.2f}")
        print(f"aims: coordinating process under 1 GB while writing: "
              f"{'MET' if sweep.peak < 1024 * MIB else 'NOT MET'} ({sweep.peak / MIB:,.0f} MB); "
              + (f"tipping under 30 s: {'MET' if statistics.median(walls) < 30 else 'NOT MET'} "
                 f"({statistics.median(walls):.1f} s)" if walls else
                 f"tipping under 30 s: NOT MET (stopped after {args.timeout:.0f} s)"))


if __name__ == "__main__":
    main()
