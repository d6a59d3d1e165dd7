"""Threshold search against a uniform grid: interval coverage, and runs needed for the same width.

    .venv/bin/python benchmarks/tipping_search.py [--repetitions 300] [--grid-repetitions 60] [--workers 2]

Synthetic problems with a known answer: P(yes | x) = logistic((x - t) / scale) on [0, 1], t drawn
uniformly from [0.25, 0.75] afresh for each repetition. For each (scale, tolerance) setting it runs
sim.tipping.find_tipping_point and, as the baseline, sim.tipping.grid_tipping_point (21 evenly spaced
values, one more replicate of each per round, the same fit and interval, stopping at the same
width). It prints, and writes to benchmarks/results/tipping_search.json: how often each 95%
interval held the truth, the mean runs each needed, and their ratio. Figures depend only on the
seeds, not on the machine; docs/tipping.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.special import expit

from sim.tipping import find_tipping_point, grid_tipping_point

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = [(0.03, 0.02), (0.02, 0.03), (0.01, 0.01), (0.05, 0.05)]  # (logistic scale, tolerance)


def one(task: tuple[str, float, float, int]) -> tuple[bool, int, float]:
    method, scale, tolerance, repetition = task
    rng = np.random.default_rng([repetition, int(scale * 1e4), int(tolerance * 1e4)])
    truth = rng.uniform(0.25, 0.75)

    def problem(x: float, r: np.random.Generator) -> bool:
        return bool(r.random() < expit((x - truth) / scale))

    search = find_tipping_point if method == "adaptive" else grid_tipping_point
    result = search(problem, 0.0, 1.0, tolerance=tolerance, rng=rng.integers(2**32))
    return bool(result.ci[0] <= truth <= result.ci[1]), result.runs, result.width


def summarise(results: list[tuple[bool, int, float]]) -> dict[str, float]:
    covered = np.array([r[0] for r in results])
    runs = np.array([r[1] for r in results])
    n = covered.size
    low, high = stats.binomtest(int(covered.sum()), n).proportion_ci(0.95)
    return {"repetitions": n, "coverage": float(covered.mean()), "coverage_ci": [float(low), float(high)],
            "runs_mean": float(runs.mean()), "runs_median": float(np.median(runs)),
            "width_mean": float(np.mean([r[2] for r in results]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=300)
    parser.add_argument("--grid-repetitions", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    report = []
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for scale, tolerance in SETTINGS:
            adaptive = summarise(list(pool.map(one, [("adaptive", scale, tolerance, r)
                                                      for r in range(args.repetitions)], chunksize=4)))
            grid = summarise(list(pool.map(one, [("grid", scale, tolerance, r)
                                                  for r in range(args.grid_repetitions)], chunksize=2)))
            ratio = adaptive["runs_mean"] / grid["runs_mean"]
            report.append({"scale": scale, "transition_width": 2 * np.log(9) * scale, "tolerance": tolerance,
                           "adaptive": adaptive, "grid_21": grid, "runs_ratio": ratio})
            print(f"scale {scale:.2f} (10-90% width {2 * np.log(9) * scale:.3f}), tolerance {tolerance:.2f}: "
                  f"adaptive coverage {adaptive['coverage']:.3f} ({adaptive['coverage_ci'][0]:.3f}-"
                  f"{adaptive['coverage_ci'][1]:.3f}) of {adaptive['repetitions']}, {adaptive['runs_mean']:.0f} runs; "
                  f"grid coverage {grid['coverage']:.3f} of {grid['repetitions']}, {grid['runs_mean']:.0f} runs; "
                  f"ratio {ratio:.2f}", flush=True)
    out = ROOT / "benchmarks" / "results" / "tipping_search.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    seconds = round(time.perf_counter() - started, 1)
    out.write_text(json.dumps({"settings": report, "seconds": seconds}, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
