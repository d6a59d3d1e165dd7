"""How close PRIM's and CART's boxes come to a known limit, and whether they restrict noise inputs.

    .venv/bin/python benchmarks/discovery_recovery.py [--toys 40] [--cases 300] [--flip 0.1]

A study, not a test (tests/test_discovery.py keeps a fast version and the tolerance measured here):
each toy's outcome is True exactly where input `a` is above 0.6, with three noise inputs (a number, a
whole number, a category) and a share `--flip` of labels flipped at random. It prints the largest and
95th-percentile distance of the first box's lower limit from 0.6, and how many first boxes restricted
a noise input.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sim.analysis.discovery import cart_boxes, prim_boxes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toys", type=int, default=40)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--flip", type=float, default=0.0)
    args = parser.parse_args()
    errors: dict[str, list[float]] = {"prim": [], "cart": []}
    noisy: dict[str, int] = {"prim": 0, "cart": 0}
    start = time.perf_counter()
    for seed in range(args.toys):
        rng = np.random.default_rng(seed)
        n = args.cases
        inputs = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n),
                               "c": rng.integers(0, 10, n), "d": rng.choice(["x", "y", "z"], n)})
        outcome = (inputs["a"] > 0.6).to_numpy() ^ (rng.random(n) < args.flip)
        found = {"prim": prim_boxes(inputs, outcome, max_boxes=1), "cart": cart_boxes(inputs, outcome)}
        for method, boxes in found.items():
            first = boxes[0]
            noisy[method] += any(r.parameter != "a" for r in first.restrictions)
            on_a = [r for r in first.restrictions if r.parameter == "a"]
            errors[method].append(on_a[0].low - 0.6 if on_a and on_a[0].low is not None else np.nan)
    seconds = time.perf_counter() - start
    print(f"{args.toys} toys of {args.cases} cases, {args.flip:.0%} of labels flipped ({seconds:.0f} s)")
    for method, distances in errors.items():
        e = np.abs(np.array(distances))
        print(f"  {method}: lower limit within {np.nanmax(e):.4f} of 0.6 "
              f"(95th percentile {np.nanquantile(e, 0.95):.4f}); "
              f"no limit on a in {int(np.isnan(e).sum())}; a noise input restricted in {noisy[method]} of {args.toys}")


if __name__ == "__main__":
    main()
