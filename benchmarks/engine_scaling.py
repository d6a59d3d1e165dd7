"""Engine speed and memory against system size, the per-agent oracle, and the floor.

    .venv/bin/python benchmarks/engine_scaling.py            # full run (about 5 minutes), writes docs/
    .venv/bin/python benchmarks/engine_scaling.py --quick    # up to 100,000 teachers

Each size runs in its own process so its peak memory is its own. For each size it reports the time
to build the system (arrays, network, Mesa views), the median time per simulated year, peak RSS, and
the floor: the bare sparse matrix-vector products, random draws and vector updates one year needs,
on the same network, timed in the same process. The oracle (tests/oracle.py) is timed on the sizes
it can reach. Not a test: figures depend on the machine; docs/performance.md records one run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = [1_000, 10_000, 50_000, 100_000, 300_000, 1_000_000]
ORACLE_SIZES = [1_000, 10_000, 50_000]
YEARS = 6


def scenario_for(teachers: int):
    from sim import Scenario

    districts = max(1, teachers // 8_000)
    schools = max(1, round(teachers / 20 / districts))
    return Scenario.from_dict({
        "years": YEARS,
        "system": {"districts": districts, "schools_per_district": schools, "teachers_per_school": 20},
        "programme": {"cohort_size": max(10, teachers // 500), "cohorts": YEARS},
        "placement": {"districts": "most_disadvantaged", "district_count": max(1, districts // 4),
                      "clustering": 0.3},
    })


def floor_year(state, scenario, rng: np.random.Generator) -> None:
    """What one year cannot do without: the draws, sparse products and vector updates of a step."""
    ties, n, c = state.static_ties, state.posts.size, scenario.contagion
    weight = 1.0 + c.strength_weight * state.posts.strength + c.rootedness_weight * state.posts.rootedness
    theta = state.posts.threshold - 0.1 * state.districts.support[state.posts.district]
    practising = state.posts.practising.copy()
    leave = rng.random(n) < 0.12  # turnover
    practising &= ~leave
    reach = ties @ weight
    for _ in range(c.rounds_per_year):
        exposure = (ties @ (practising * weight)) / np.maximum(reach, 1e-12)
        practising |= (exposure >= theta) & (rng.random(n) < c.adoption_probability)
        practising |= rng.random(n) < 0.001
    exposure = (ties @ (practising * weight)) / np.maximum(reach, 1e-12)
    practising &= ~((exposure < theta) & (rng.random(n) < 0.2))
    share = np.bincount(state.posts.school, weights=practising, minlength=state.schools.size)
    state.schools.cohorts += (0.08 * share / state.schools.teachers)[:, None]


def measure_one(teachers: int, oracle: bool) -> dict:
    from sim.build import build_system

    from sim import SchoolSystemModel

    scenario = scenario_for(teachers)
    start = time.perf_counter()
    model = SchoolSystemModel(scenario, rng=1)
    build = time.perf_counter() - start
    years = []
    for _ in range(YEARS):
        t = time.perf_counter()
        model.run_for(1)
        years.append(time.perf_counter() - t)
    state = build_system(scenario, np.random.default_rng(2))
    rng = np.random.default_rng(3)
    floors = []
    for _ in range(YEARS):
        t = time.perf_counter()
        floor_year(state, scenario, rng)
        floors.append(time.perf_counter() - t)
    result = {
        "teachers": int(model.state.posts.size),
        "ties": int(model.state.static_ties.nnz),
        "build_s": build,
        "year_s": median(years[1:]),
        "floor_s": median(floors[1:]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if oracle:
        sys.path.insert(0, str(ROOT))
        from tests.oracle import OracleModel

        orc = OracleModel(scenario, rng=1)
        orc.prepare(model)
        t = time.perf_counter()
        orc.run_for(1)
        result["oracle_year_s"] = time.perf_counter() - t
    return result


def memory_baseline_mb() -> float:
    code = "import resource, sim.model; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 100,000 teachers")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--oracle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.oracle)))
        return

    sizes = [s for s in SIZES if not args.quick or s <= 100_000]
    baseline = memory_baseline_mb()
    rows = []
    for size in sizes:
        cmd = [sys.executable, __file__, "--one", str(size)] + (["--oracle"] if size in ORACLE_SIZES else [])
        row = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout)
        row["mb_per_1000_teachers"] = (row["peak_rss_mb"] - baseline) / row["teachers"] * 1000
        rows.append(row)
        print(format_row(row), flush=True)
    out = ROOT / "benchmarks" / "results" / "engine_scaling.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"baseline_rss_mb": baseline, "rows": rows}, indent=2) + "\n")
    plot(rows, ROOT / "docs" / "performance_scaling.png")
    print(f"wrote {out} and docs/performance_scaling.png")


def format_row(r: dict) -> str:
    oracle = ""
    if "oracle_year_s" in r:
        oracle = f"  oracle {r['oracle_year_s']:.2f}s/yr ({r['oracle_year_s'] / r['year_s']:.0f}x)"
    return (f"{r['teachers']:>9,} teachers  build {r['build_s']:6.2f}s  year {r['year_s']:.4f}s  "
            f"floor {r['floor_s']:.4f}s ({r['year_s'] / r['floor_s']:.1f}x)  peak {r['peak_rss_mb']:.0f} MB{oracle}")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["teachers"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.loglog(n, [r["year_s"] for r in rows], "o-", label="engine, per simulated year")
    ax.loglog(n, [r["floor_s"] for r in rows], "s--", label="floor (bare sparse products and updates)")
    ax.loglog(n, [r["build_s"] for r in rows], "^:", label="building the system")
    orc = [r for r in rows if "oracle_year_s" in r]
    ax.loglog([r["teachers"] for r in orc], [r["oracle_year_s"] for r in orc], "x-", label="per-agent oracle, per year")
    ax.set_xlabel("teachers")
    ax.set_ylabel("seconds")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
