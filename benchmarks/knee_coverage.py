"""Coverage of the knee's intervals and the size and power of its test, on toys with a known knee.

    .venv/bin/python benchmarks/knee_coverage.py [--toys 400] [--resamples 999]
    PYTHONPATH=/path/to/piecewise_regression .venv/bin/python benchmarks/knee_coverage.py --muggeo

A study, not a test (tests/test_knee.py keeps a fast version): each toy is a continuous one-bend
line plus Gaussian seed noise, swept at evenly spaced values with replicates, the true bend drawn
uniformly inside the swept range. It prints, for each setting, how often each 95% interval covers
the true bend and its mean width:
  profile    the interval fit_knee reports: {k : RSS(k) <= RSS_min (1 + F(1, n-4; .95) / (n - 4))};
  bootstrap  fit_knee's breakpoint_ci_bootstrap (runs resampled within design points, percentiles);
  muggeo     the delta-method interval of the piecewise-regression package (only with --muggeo, if
             that package is importable; it is not a dependency of this project).
and, on straight-line toys, how often the test says "knee" (its size; 5% is right), and on knee
toys how often it does (its power).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.tipping.knee import fit_knee


@dataclass(frozen=True)
class Setting:
    name: str
    values: np.ndarray
    replicates: int
    slope: float
    change: float
    noise: float
    noise_grows: bool = False  # noise sd proportional to the swept value (seed noise often grows with scale)

    def toy(self, knee: float, rng: np.random.Generator) -> pd.DataFrame:
        x = np.repeat(self.values, self.replicates).astype(float)
        sd = self.noise * (x / self.values.mean() if self.noise_grows else 1.0)
        y = 0.3 + self.slope * x + self.change * np.maximum(x - knee, 0.0) + rng.normal(0.0, 1.0, x.size) * sd
        return pd.DataFrame({"dose": x, "outcome": y})


SETTINGS = [
    Setting("clear: 9 values x 8 replicates", np.arange(5, 50, 5), 8, -0.002, -0.004, 0.010),
    Setting("faint: 9 x 8, half the bend, twice the noise", np.arange(5, 50, 5), 8, -0.002, -0.002, 0.020),
    Setting("sparse: 6 values x 4 replicates", np.arange(5, 35, 5), 4, -0.002, -0.004, 0.010),
    Setting("noise grows with the dose: 9 x 8", np.arange(5, 50, 5), 8, -0.002, -0.004, 0.010, True),
]


def muggeo_interval(toy: pd.DataFrame) -> tuple[float, float] | None:
    import piecewise_regression as pw

    fit = pw.Fit(toy["dose"].to_numpy(), toy["outcome"].to_numpy(), n_breakpoints=1, verbose=False)
    result = fit.get_results()
    if not result["converged"]:
        return None
    return tuple(result["estimates"]["breakpoint1"]["confidence_interval"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toys", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=999)
    parser.add_argument("--muggeo", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)
    print(f"{args.toys} toys per setting, {args.resamples} bootstrap draws, nominal 95%")
    for setting in SETTINGS:
        covered: dict[str, list[bool]] = {"profile": [], "bootstrap": [], "muggeo": []}
        width: dict[str, list[float]] = {"profile": [], "bootstrap": [], "muggeo": []}
        failed = 0
        found, false_alarms = 0, 0
        start = time.perf_counter()
        for t in range(args.toys):
            lo, hi = setting.values[1], setting.values[-2]
            knee = float(rng.uniform(lo + (hi - lo) * 0.1, hi - (hi - lo) * 0.1))
            toy = setting.toy(knee, rng)
            fit = fit_knee(toy, "dose", "outcome", resamples=args.resamples, seed=t)
            found += fit.present
            intervals = {"bootstrap": fit.breakpoint_ci_bootstrap, "profile": fit.breakpoint_ci}
            if args.muggeo:
                intervals["muggeo"] = muggeo_interval(toy)
            for method, ci in intervals.items():
                if ci is None:
                    failed += 1
                    covered[method].append(False)
                    continue
                covered[method].append(ci[0] <= knee <= ci[1])
                width[method].append(ci[1] - ci[0])
            line = Setting(setting.name, setting.values, setting.replicates, setting.slope, 0.0, setting.noise,
                           setting.noise_grows).toy(knee, rng)
            false_alarms += fit_knee(line, "dose", "outcome", resamples=args.resamples, seed=t).present
        seconds = time.perf_counter() - start
        print(f"\n{setting.name}  ({seconds:.1f} s)")
        for method in covered:
            if covered[method]:
                c = np.mean(covered[method])
                print(f"  {method:9s} coverage {c:.3f} (±{1.96 * np.sqrt(c * (1 - c) / len(covered[method])):.3f})"
                      f"  mean width {np.mean(width[method]):.2f}")
        if failed:
            print(f"  muggeo did not converge on {failed} toys (counted as not covering)")
        print(f"  test: says 'knee' on {found / args.toys:.3f} of knee toys (power), "
              f"{false_alarms / args.toys:.3f} of straight-line toys (size; nominal 0.05)")


if __name__ == "__main__":
    main()
