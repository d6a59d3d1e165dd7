"""find_tipping_point on noisy yes/no problems with a known tipping point: honest intervals, fewer runs than a grid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from sim.tipping import NoTransition, find_tipping_point, grid_tipping_point


def logistic_problem(t: float, scale: float):
    return lambda x, rng: rng.random() < expit((x - t) / scale)


def test_intervals_cover_the_true_tipping_point_at_their_stated_rate() -> None:
    # 200 searches, each on a logistic problem with its own known tipping point: a calibrated 95%
    # interval misses about 10 times; outside 0.90-0.99 (about 3 binomial SDs) it is not calibrated
    rng = np.random.default_rng(2024)
    covered, runs = [], []
    for _ in range(200):
        truth = rng.uniform(0.3, 0.7)
        result = find_tipping_point(logistic_problem(truth, 0.02), 0.0, 1.0, tolerance=0.03, rng=rng.integers(2**32))
        assert result.converged and result.width <= 0.03
        covered.append(result.ci[0] <= truth <= result.ci[1])
        runs.append(result.runs)
    coverage = float(np.mean(covered))
    low, high = stats.binom.ppf([0.0015, 0.9985], 200, 0.95) / 200
    assert low <= coverage <= high, f"coverage {coverage:.3f} outside [{low:.3f}, {high:.3f}]"
    assert np.median(runs) < 400


def test_the_search_needs_a_fraction_of_the_runs_of_a_uniform_grid() -> None:
    ratios = []
    for seed in range(4):
        problem = logistic_problem(0.37 + 0.05 * seed, 0.02)
        adaptive = find_tipping_point(problem, 0.0, 1.0, tolerance=0.03, rng=seed)
        grid = grid_tipping_point(problem, 0.0, 1.0, tolerance=0.03, rng=seed)
        assert adaptive.converged and grid.converged
        ratios.append(adaptive.runs / grid.runs)
    # benchmarks/tipping_search.py measures this over many problems; here a loose guard
    assert np.median(ratios) < 0.6, ratios


def test_a_falling_curve_and_a_sharp_step_are_found_too() -> None:
    falling = find_tipping_point(lambda x, rng: rng.random() < expit(-(x - 3.0) / 0.2), 0.0, 10.0, tolerance=0.3, rng=1)
    assert falling.ci[0] <= 3.0 <= falling.ci[1] and falling.fit.slope < 0
    step = find_tipping_point(lambda x, rng: x > 0.6180, 0.0, 1.0, tolerance=0.005, rng=2)
    assert step.converged and step.ci[0] <= 0.6180 <= step.ci[1]
    assert step.runs < 200  # a deterministic step is a bisection: no replicates needed


def test_the_same_rng_gives_the_same_search_however_batches_are_run() -> None:
    problem = logistic_problem(0.5, 0.03)
    serial = find_tipping_point(problem, 0.0, 1.0, tolerance=0.05, rng=7)

    def threaded(f, xs, rngs):
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(f, xs, rngs))

    parallel = find_tipping_point(problem, 0.0, 1.0, tolerance=0.05, rng=7, map_batch=threaded)
    assert serial.tipping_point == parallel.tipping_point and serial.ci == parallel.ci and serial.runs == parallel.runs
    np.testing.assert_array_equal(serial.x, parallel.x)


def test_no_transition_in_the_range_is_reported_not_invented() -> None:
    with pytest.raises(NoTransition, match="outside this range"):
        find_tipping_point(lambda x, rng: True, 0.0, 1.0, rng=0)


def test_the_budget_is_respected_and_reported() -> None:
    result = find_tipping_point(logistic_problem(0.5, 0.2), 0.0, 1.0, tolerance=0.001, rng=3, max_runs=200)
    assert result.runs <= 200 and not result.converged


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="low < high"):
        find_tipping_point(lambda x, rng: True, 1.0, 0.0)
    with pytest.raises(ValueError, match="tolerance"):
        find_tipping_point(lambda x, rng: True, 0.0, 1.0, tolerance=0)
