"""Does a batch stay inside its memory budget? Peak memory of one batch, measured against the budget.

    .venv/bin/python benchmarks/batch_memory.py                    # clustered and london, 0.25 to 2 GB
    .venv/bin/python benchmarks/batch_memory.py --budgets 0.5 --scenarios scenarios/ancash.yaml

The sweep (and run --replicates, compare, tipping search) sizes each worker's batch from a memory
budget with sim.jobs.batch_size, from sim.jobs.system_bytes (an estimate of one system in a batch).
For each scenario and budget this runs, in a fresh process of its own, exactly what a sweep worker
runs: one batch of that size through sim.jobs.run_job, keeping the yearly series as a sweep does.
It reports the peak RSS above a baseline (the interpreter after importing the package and one tiny
run, so lazy imports and caches are in) against the budget (the aim: never above it), what
batch_size planned for (system_bytes times the batch), the whole process's peak RSS, and
sim.memory's estimate for the same systems (sim.memory.estimate, the per-run figure the refusal
check uses, times the batch size). Not a test: it prints a table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["scenarios/clustered.yaml", "scenarios/london.yaml"]
BUDGETS = [0.25, 0.5, 1.0, 2.0]
GIB = 1024**3
MIB = 1024**2


def peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(scenario_path: str, budget_gb: float) -> dict:
    """One batch of the size the budget allows, in this process; peak memory before and after."""
    import time

    from sim import Scenario, load_scenario
    from sim.jobs import Job, Run, batch_size, run_job, system_bytes
    from sim.memory import estimate

    warm = Scenario.from_dict({"years": 2, "system": {"districts": 2, "schools_per_district": 3}})
    run_job(Job({0: warm}, (Run("warm", 0, 1),), years=2, keep="series"))
    baseline = peak_rss()

    scenario = load_scenario(ROOT / scenario_path)
    years = scenario.years
    budget = int(budget_gb * GIB)
    # a worker of a long sweep: runs to spare, one worker, so the budget alone decides the size
    size = batch_size([scenario], years, runs=10**6, workers=1, budget=budget)
    runs = tuple(Run(f"r{k}", 0, 1000 + k, k) for k in range(size))
    started = time.perf_counter()
    result = run_job(Job({0: scenario}, runs, years=years, keep="series"))
    seconds = time.perf_counter() - started
    peak = peak_rss()
    assert (result.runs["status"] == "ok").all(), result.failed
    return {
        "scenario": Path(scenario_path).name, "budget": budget, "batch": size,
        "system_bytes": system_bytes(scenario, years), "estimate": estimate(scenario, years).bytes * size,
        "above_baseline": peak - baseline, "peak": peak, "baseline": baseline, "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS)
    parser.add_argument("--budgets", nargs="+", type=float, default=BUDGETS, help="GB")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], float(args.one[1]))))
        return
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| Scenario | Budget | Systems in the batch | Batch time | Peak above baseline | Of the budget "
          "| Planned (system_bytes x batch) | Whole process peak | sim.memory estimate | Measured / estimate |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    over = []
    for path in args.scenarios:
        for budget in args.budgets:
            done = subprocess.run([sys.executable, __file__, "--one", path, str(budget)], capture_output=True,
                                  text=True, cwd=ROOT, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            share = r["above_baseline"] / r["budget"]
            if share > 1:
                over.append(f"{r['scenario']} at {budget:g} GB")
            print(f"| {r['scenario']} | {budget:g} GB | {r['batch']:,} | {r['seconds']:.1f} s "
                  f"| {r['above_baseline'] / MIB:,.0f} MB | {share:.0%} "
                  f"| {r['system_bytes'] * r['batch'] / MIB:,.0f} MB | {r['peak'] / MIB:,.0f} MB "
                  f"| {r['estimate'] / MIB:,.0f} MB | {r['above_baseline'] / r['estimate']:.2f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("over budget: " + (", ".join(over) if over else "none"))


if __name__ == "__main__":
    main()
