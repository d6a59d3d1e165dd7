"""The tipping boundary of a sweep over two parameters: where P(tipped) = 1/2, and how sure that is.

Two views, both from the runs table:

- **along a parameter, level by level**: at each value of the other parameter a logistic fit in
  this one gives a tipping point and its profile-likelihood interval (sim.tipping.fit), which needs
  nothing but a grid and says plainly where a level has no transition;
- **a smooth surface**: logit P = b0 + b1 x + b2 y + b3 x y, whose P = 1/2 contour is
  y = -(b0 + b1 x) / (b2 + b3 x), with a band from a bootstrap that resamples runs within each
  design point; works for sampled designs (Latin hypercube, Sobol) too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit, log_expit

from sim.tipping.detect import TIPPED, ok_runs
from sim.tipping.fit import Binomial, fit_logistic, no_crossing


def along(runs: pd.DataFrame, across: str, level: str, confidence: float = 0.95) -> pd.DataFrame:
    """For each value of `level`, the tipping point in `across` with its interval (or why there is none)."""
    runs = ok_runs(runs)
    lo, hi = float(runs[across].min()), float(runs[across].max())
    rows = []
    for value, group in runs.groupby(level, sort=True):
        data = Binomial.from_outcomes(group[across].to_numpy(float), group[TIPPED].to_numpy(bool))
        row: dict[str, object] = {level: value, "tipping_point": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                                  "note": ""}
        if not data.mixed:
            row["note"] = f"{'every' if data.k.sum() else 'no'} run tipped"
        elif (why := no_crossing(data, across)) is not None:
            row["note"] = why
        else:
            fit = fit_logistic(data, (lo, hi), confidence)
            row.update(tipping_point=fit.midpoint, ci_low=fit.ci[0], ci_high=fit.ci[1],
                       note="a step between two values" if fit.separated else "")
        rows.append(row)
    return pd.DataFrame(rows)


def _features(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(x), x, y, x * y])


def _fit_surface(features: np.ndarray, k: np.ndarray, n: np.ndarray, penalty: float) -> np.ndarray:
    """Logistic regression by maximum likelihood with a small ridge penalty: without it a grid where
    P jumps from 0 to 1 between two points has no finite fit."""

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = features @ beta
        ll = (k * log_expit(eta) + (n - k) * log_expit(-eta)).sum()
        grad = features.T @ (k - n * expit(eta))
        ridge = penalty * (beta[1:] ** 2).sum()
        return -ll + ridge, -grad + 2 * penalty * np.concatenate([[0.0], beta[1:]])

    result = optimize.minimize(loss, np.zeros(features.shape[1]), jac=True, method="L-BFGS-B")
    return result.x


def surface(
    runs: pd.DataFrame, across: str, level: str, confidence: float = 0.95, resamples: int = 300,
    seed: int = 0, mesh: int = 60, penalty: float = 0.01,
) -> pd.DataFrame:
    """The P = 1/2 contour as `level` -> `across` (`across` at the contour for each level on a mesh),
    with a bootstrap band; NaN where the contour leaves the swept range."""
    runs = ok_runs(runs)
    grouped = runs.groupby([across, level])[TIPPED].agg(["sum", "count"]).reset_index()
    x, y = grouped[across].to_numpy(float), grouped[level].to_numpy(float)
    k, n = grouped["sum"].to_numpy(float), grouped["count"].to_numpy(float)
    # standardise so one penalty suits parameters of any scale
    (mx, sx), (my, sy) = (x.mean(), x.std() or 1.0), (y.mean(), y.std() or 1.0)
    features = _features((x - mx) / sx, (y - my) / sy)
    levels = np.linspace(y.min(), y.max(), mesh)
    rng = np.random.default_rng(seed)

    def contour(beta: np.ndarray) -> np.ndarray:
        v = (levels - my) / sy
        denominator = beta[1] + beta[3] * v
        with np.errstate(divide="ignore", invalid="ignore"):
            u = -(beta[0] + beta[2] * v) / denominator
        xs = u * sx + mx
        return np.where((xs >= x.min()) & (xs <= x.max()) & (np.abs(denominator) > 1e-9), xs, np.nan)

    estimate = contour(_fit_surface(features, k, n, penalty))
    p = k / n
    draws = np.array([contour(_fit_surface(features, rng.binomial(n.astype(np.int64), p).astype(float), n, penalty))
                      for _ in range(resamples)])
    alpha = (1 - confidence) / 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a mesh level no resample reaches is NaN, as intended
        found = np.isfinite(draws).mean(axis=0)
        low = np.nanquantile(np.where(np.isfinite(draws), draws, np.nan), alpha, axis=0) if resamples else estimate
        high = np.nanquantile(np.where(np.isfinite(draws), draws, np.nan), 1 - alpha, axis=0) if resamples else estimate
    # a band is shown only where most resamples put the contour inside the swept range
    low, high = np.where(found >= 0.5, low, np.nan), np.where(found >= 0.5, high, np.nan)
    return pd.DataFrame({level: levels, across: estimate, f"{across}_low": low, f"{across}_high": high})
