"""Plausible worlds: values for the assumptions nobody knows, drawn over their ranges or from a posterior.

A world is one set of values for the uncertain assumptions (one column per scenario key path); the
strategies being compared are run in every world. Two ways to get N of them:

- latin_hypercube: spread evenly over plausible ranges (each range cut into N equal slices, one world
  per slice in every dimension, slices paired at random). Use it when the ranges are all that is known:
  every combination is treated as equally plausible, so shares over these worlds are shares of the
  box of ranges, not probabilities of the world we are in.
- from_posterior: drawn with replacement from a calibration's weighted draws (a table of parameter
  values with a `weight` column summing to 1). Shares over these worlds estimate probabilities under
  that calibration. A heavily weighted draw appears several times, and counts once per appearance.
  Every world runs the same replicate seeds (sim.runner.run_many), so the appearances of one draw give
  the same runs and the same verdict: a share's interval counts them as the separate draws from the
  posterior they are, which is how resampling a weighted sample works, but they add no new seed noise.

Both are seeded: the same inputs and seed give the same worlds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.scenario.problems import Problem, ScenarioError, closest

MIN_WORLDS = 10  # fewer worlds cannot say anything about a share: a Wilson interval at n=9 spans ~60 points
WEIGHT = "weight"
WEIGHT_TOLERANCE = 1e-6


def _check_count(n: int, source: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < MIN_WORLDS:
        raise ScenarioError([Problem(source, None, "worlds", f"needs a whole number of at least {MIN_WORLDS}", n)])


def latin_hypercube(
    ranges: Mapping[str, tuple[float, float]], n: int, seed: int, *, integers: Collection[str] = (),
    source: str = "ranges",
) -> pd.DataFrame:
    """n worlds spread over `ranges` ({key path: (low, high)}) by a seeded Latin hypercube.

    Keys in `integers` get whole numbers, each from low to high inclusive equally often (as near as n
    allows). Returns one row per world (index `world`, 0..n-1), one column per key, in the given order.
    """
    _check_count(n, source)
    problems = []
    if not ranges:
        problems.append(Problem(source, None, "", "needs at least one assumption with a range"))
    for key, bounds in ranges.items():
        try:
            low, high = (float(b) for b in bounds)
        except (TypeError, ValueError):
            problems.append(Problem(source, None, key, "needs a range [low, high] of two numbers", bounds))
            continue
        if not (np.isfinite(low) and np.isfinite(high)):
            problems.append(Problem(source, None, key, "needs finite bounds", bounds))
        elif not low < high:
            problems.append(Problem(source, None, key, "needs a range with low < high", [low, high]))
    problems += [Problem(source, None, key, "is marked whole-numbered but has no range",
                         suggestion=closest(key, ranges)) for key in integers if key not in ranges]
    if problems:
        raise ScenarioError(problems)

    keys = list(ranges)
    unit = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng(seed)).random(n)
    columns: dict[str, np.ndarray] = {}
    for j, key in enumerate(keys):
        low, high = (float(b) for b in ranges[key])
        if key in integers:
            # floor over [low, high + 1) gives every whole number the same width of the unit interval
            whole_low, whole_high = int(np.ceil(low)), int(np.floor(high))
            columns[key] = np.minimum(whole_low + np.floor(unit[:, j] * (whole_high - whole_low + 1)),
                                      whole_high).astype(int)
        else:
            columns[key] = low + unit[:, j] * (high - low)
    return pd.DataFrame(columns, index=pd.RangeIndex(n, name="world"))


def from_posterior(
    posterior: pd.DataFrame, n: int, seed: int, *, keys: Collection[str] | None = None,
    source: str = "posterior",
) -> pd.DataFrame:
    """n worlds drawn with replacement from a weighted posterior table, by weight.

    posterior: one column per scenario key path plus `weight` (non-negative, summing to 1). keys: the
    key paths a world may set (e.g. every scenario key, or the assumptions with plausible ranges); a
    column outside them is an error, with the nearest key suggested. Returns one row per world (index
    `world`) with the posterior's parameter columns.
    """
    _check_count(n, source)
    problems = []
    if WEIGHT not in posterior.columns:
        problems.append(Problem(source, None, WEIGHT, "needs a weight column (weights summing to 1)",
                                suggestion=closest(WEIGHT, map(str, posterior.columns))))
    parameters = [c for c in posterior.columns if c != WEIGHT]
    if not parameters:
        problems.append(Problem(source, None, "", "needs at least one parameter column besides weight"))
    if keys is not None:
        problems += [Problem(source, None, str(c), "is not a scenario key that a world may set",
                             suggestion=closest(str(c), keys)) for c in parameters if c not in keys]
    if len(posterior) == 0:
        problems.append(Problem(source, None, "", "has no draws"))
    problems += [Problem(source, None, str(c), "has missing values", int(posterior[c].isna().sum()))
                 for c in parameters if posterior[c].isna().any()]
    if problems:
        raise ScenarioError(problems)

    weights = pd.to_numeric(posterior[WEIGHT], errors="coerce").to_numpy(float)
    if not np.isfinite(weights).all():
        raise ScenarioError([Problem(source, None, WEIGHT, "needs a finite number in every row",
                                     posterior[WEIGHT][~np.isfinite(weights)].iloc[0])])
    if (weights < 0).any():
        raise ScenarioError([Problem(source, None, WEIGHT, "must not be negative", float(weights.min()))])
    if abs(weights.sum() - 1.0) > WEIGHT_TOLERANCE:
        raise ScenarioError([Problem(source, None, WEIGHT, "must sum to 1", float(weights.sum()))])

    rows = np.random.default_rng(seed).choice(len(posterior), size=n, replace=True, p=weights / weights.sum())
    worlds = posterior[parameters].iloc[rows].reset_index(drop=True)
    worlds.index = pd.RangeIndex(n, name="world")
    return worlds
