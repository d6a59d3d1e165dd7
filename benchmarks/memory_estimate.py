"""How good is sim.memory's estimate? Peak memory measured against it, for systems of many shapes.

    .venv/bin/python benchmarks/memory_estimate.py           # about 2 minutes
    .venv/bin/python benchmarks/memory_estimate.py --quick   # the small half

Each case runs in its own process: the interpreter's peak RSS after importing the package and
running a tiny scenario (so that every lazy import and cache is in) is the baseline; one run of
the case is then run and its peak RSS taken. The measured cost is peak minus baseline, compared
with sim.memory.estimate. The last line gives measured / table-before-calibration: its median is
what sim.memory.CALIBRATION should be. docs/performance.md records one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]

CASES: dict[str, dict] = {
    "100k teachers": {"system": {"districts": 10, "schools_per_district": 500, "teachers_per_school": 20}},
    "300k teachers": {"system": {"districts": 30, "schools_per_district": 500, "teachers_per_school": 20}},
    "1M teachers": {"system": {"districts": 100, "schools_per_district": 500, "teachers_per_school": 20}},
    "dense network": {"system": {"districts": 10, "schools_per_district": 500, "teachers_per_school": 40},
                      "network": {"within_school_ties": 30, "across_school_ties": 5}},
    "many small schools": {"system": {"districts": 100, "schools_per_district": 2000, "teachers_per_school": 2}},
    "big programme": {"system": {"districts": 10, "schools_per_district": 200, "teachers_per_school": 20},
                      "programme": {"cohort_size": 20000, "cohorts": 10}, "placement": {"max_fellow_share": 1.0}},
    "many districts, many years": {"years": 200, "system": {"districts": 5000, "schools_per_district": 4,
                                                             "teachers_per_school": 5}},
    "wide partners": {"system": {"districts": 10, "schools_per_district": 100, "teachers_per_school": 20},
                      "programme": {"cohort_size": 5000, "cohorts": 10},
                      "partners": {"initial": 1000, "schools_per_partner": 200}},
}
# shipped scenarios, run as they are (all their years)
FILES = {"london.yaml (shipped)": "scenarios/london.yaml", "national.yaml (shipped)": "scenarios/national.yaml"}
QUICK = ["100k teachers", "dense network", "big programme", "wide partners"]
YEARS = 6


def measure(name: str) -> dict:
    import resource

    from sim import Scenario
    from sim.memory import CALIBRATION, estimate, sizes
    from sim.runner import run_once

    run_once(Scenario.from_dict({"years": 2, "system": {"districts": 2, "schools_per_district": 3}}), 0)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if name in FILES:
        from sim import load_scenario

        scenario = load_scenario(ROOT / FILES[name])
    else:
        scenario = Scenario.from_dict({"years": YEARS, **CASES[name]})
    run_once(scenario, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    calibrated = estimate(scenario)
    return {"case": name, "posts": sizes(scenario).posts, "members": sizes(scenario).members,
            "measured": peak - baseline, "estimate": calibrated.bytes,
            "raw": calibrated.bytes / CALIBRATION}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    rows = []
    for name in (QUICK if args.quick else [*CASES, *FILES]):
        done = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, cwd=ROOT,
                              check=True)
        rows.append(json.loads(done.stdout))
    mb = 1024**2
    print("| Case | Teachers | Fellows | Measured (peak above baseline) | Estimate | Estimate / measured |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['posts']:,} | {r['members']:,} | {r['measured'] / mb:,.0f} MB | "
              f"{r['estimate'] / mb:,.0f} MB | {r['estimate'] / r['measured']:.2f} |")
    ratios = [r["measured"] / r["raw"] for r in rows]
    print(f"\nmeasured / raw: median {median(ratios):.2f}, range {min(ratios):.2f} to {max(ratios):.2f} "
          "(the median is sim.memory.CALIBRATION)")


if __name__ == "__main__":
    main()
