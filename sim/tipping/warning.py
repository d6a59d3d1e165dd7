"""Early-warning indicators: does variance, or memory, rise as a system approaches its transition?

Near a tipping point a system recovers more slowly from small shocks ("critical slowing down";
Scheffer et al. 2009, Dakos et al. 2012), so over the run-up its fluctuations grow (rolling
variance) and each year resembles the last more (lag-1 autocorrelation). The usual test: take the
series before the transition, remove its slow trend, compute both indicators in a rolling window,
and measure their trend with Kendall's tau; a rise shows as tau > 0.

Assumptions, and why they matter here: a slowly changing driver, a transition through a fold,
and many observations before it. The model records one value a year, and its shipped scenarios tip
within 2 to 12 years, so a run-up holds only a handful of points; docs/tipping.md reports what
that gives, rather than assuming the indicators work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.ndimage import gaussian_filter1d


@dataclass(frozen=True)
class Indicators:
    variance: np.ndarray  # rolling variance of the residuals, NaN until the window is full
    autocorrelation: np.ndarray  # rolling lag-1 autocorrelation of the residuals
    variance_tau: float  # Kendall's tau of each indicator against time
    variance_p: float
    autocorrelation_tau: float
    autocorrelation_p: float
    window: int
    points: int  # length of the series analysed

    @property
    def rising(self) -> bool:
        """Both indicators trend upward (tau > 0)."""
        return self.variance_tau > 0 and self.autocorrelation_tau > 0


def detrend(series: np.ndarray, bandwidth: float | None) -> np.ndarray:
    """Residuals after a Gaussian-kernel smooth (bandwidth in points); None removes only the mean."""
    series = np.asarray(series, float)
    if bandwidth is None:
        return series - series.mean()
    return series - gaussian_filter1d(series, bandwidth, mode="nearest")


def _rolling(values: np.ndarray, window: int, statistic: str) -> np.ndarray:
    """The statistic over each window ending at each point (NaN until the first window is full)."""
    out = np.full(values.size, np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    if statistic == "variance":
        out[window - 1:] = windows.var(axis=1, ddof=1)
        return out
    a, b = windows[:, :-1], windows[:, 1:]
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    scale = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out[window - 1:] = np.where(scale > 0, (a * b).sum(axis=1) / scale, np.nan)
    return out


def _trend(indicator: np.ndarray) -> tuple[float, float]:
    ok = np.isfinite(indicator)
    if ok.sum() < 3:
        return float("nan"), float("nan")
    tau, p = stats.kendalltau(np.flatnonzero(ok), indicator[ok])
    return float(tau), float(p)


def indicators(series: np.ndarray, window: float = 0.5, bandwidth: float | None = None) -> Indicators:
    """Rolling variance and lag-1 autocorrelation of a series, and their Kendall trends.

    window: points in the rolling window, or a fraction of the series (half, by convention).
    bandwidth: of the Gaussian detrending, in points (default: a tenth of the series, at least 2).
    """
    series = np.asarray(series, float)
    size = round(window * series.size) if window < 1 else int(window)
    if size < 3 or series.size < size + 2:
        raise ValueError(f"a series of {series.size} points is too short for a rolling window of {size}")
    residuals = detrend(series, bandwidth if bandwidth is not None else max(2.0, series.size / 10))
    variance = _rolling(residuals, size, "variance")
    autocorrelation = _rolling(residuals, size, "autocorrelation")
    v_tau, v_p = _trend(variance)
    a_tau, a_p = _trend(autocorrelation)
    return Indicators(variance, autocorrelation, v_tau, v_p, a_tau, a_p, size, series.size)


def surrogate_p(
    series: np.ndarray, window: float = 0.5, bandwidth: float | None = None, surrogates: int = 200,
    rng: np.random.Generator | int | None = 0,
) -> tuple[float, float]:
    """One-sided p-values of both Kendall trends against series with no approach to a transition.

    Each surrogate is the series' own smooth trend plus AR(1) noise with the residuals' constant
    coefficient and spread (after Dakos et al. 2012). The surrogates carry whatever a trend does to
    the indicators, so a rise that detrending an accelerating curve leaves behind (it does: the
    residuals of a smoothed exponential grow with its curvature) is not taken for a warning.
    """
    series = np.asarray(series, float)
    observed = indicators(series, window, bandwidth)
    width = bandwidth if bandwidth is not None else max(2.0, series.size / 10)
    trend = series - detrend(series, width)
    residuals = series - trend
    a, b = residuals[:-1], residuals[1:]
    phi = float(np.clip(np.corrcoef(a, b)[0, 1], -0.99, 0.99)) if a.std() > 0 and b.std() > 0 else 0.0
    sigma = float(np.std(b - phi * a)) or 1e-12
    rng = np.random.default_rng(rng)
    taus = np.empty((surrogates, 2))
    for i in range(surrogates):
        noise = np.empty(series.size)
        noise[0] = rng.normal(0, sigma / np.sqrt(1 - phi * phi))
        for j in range(1, series.size):
            noise[j] = phi * noise[j - 1] + rng.normal(0, sigma)
        ind = indicators(trend + noise, window, bandwidth)
        taus[i] = ind.variance_tau, ind.autocorrelation_tau
    p_variance = (1 + np.sum(taus[:, 0] >= observed.variance_tau)) / (1 + surrogates)
    p_autocorrelation = (1 + np.sum(taus[:, 1] >= observed.autocorrelation_tau)) / (1 + surrogates)
    return float(p_variance), float(p_autocorrelation)


def before_tipping(yearly: pd.DataFrame, column: str = "tipping_metric") -> dict[int, np.ndarray]:
    """Per replicate, the series from the start up to (not including) the year it tipped.

    Replicates that never tipped are left out: there is no transition for them to warn of."""
    out = {}
    for replicate, run in yearly.groupby("replicate"):
        tipped = run["tipped_year"].dropna()
        if len(tipped):
            year = int(tipped.iloc[0])
            out[int(replicate)] = run.loc[run["year"] < year, column].to_numpy(float)
    return out


@dataclass(frozen=True)
class Summary:
    replicates: int  # replicates with a run-up long enough to analyse
    too_short: int  # replicates that tipped too soon to analyse
    variance_rising: int  # of those analysed, with tau > 0
    autocorrelation_rising: int
    both_rising: int
    median_variance_tau: float
    median_autocorrelation_tau: float
    variance_beyond_trend: int  # rising more than trend-plus-noise surrogates do (p < 0.05)
    autocorrelation_beyond_trend: int


def summarise(
    runups: dict[int, np.ndarray], window: float = 0.5, minimum: int = 8, surrogates: int = 200
) -> tuple[Summary, pd.DataFrame]:
    """Indicators for every run-up of at least `minimum` points; a table row per replicate."""
    rows, short = [], 0
    for replicate, series in runups.items():
        if series.size < minimum:
            short += 1
            continue
        ind = indicators(series, window)
        p_v, p_a = surrogate_p(series, window, surrogates=surrogates, rng=replicate)
        rows.append({"replicate": replicate, "points": ind.points, "window": ind.window,
                     "variance_tau": ind.variance_tau, "autocorrelation_tau": ind.autocorrelation_tau,
                     "variance_p_surrogate": p_v, "autocorrelation_p_surrogate": p_a})
    table = pd.DataFrame(rows, columns=["replicate", "points", "window", "variance_tau", "autocorrelation_tau",
                                        "variance_p_surrogate", "autocorrelation_p_surrogate"])
    v, a = table["variance_tau"], table["autocorrelation_tau"]
    return Summary(
        replicates=len(table), too_short=short, variance_rising=int((v > 0).sum()),
        autocorrelation_rising=int((a > 0).sum()), both_rising=int(((v > 0) & (a > 0)).sum()),
        median_variance_tau=float(v.median()) if len(v) else float("nan"),
        median_autocorrelation_tau=float(a.median()) if len(a) else float("nan"),
        variance_beyond_trend=int((table["variance_p_surrogate"] < 0.05).sum()),
        autocorrelation_beyond_trend=int((table["autocorrelation_p_surrogate"] < 0.05).sum()),
    ), table


def early_warning(base: Any, years: int | None, replicates: int, seed: int, workers: int | None = None,
                  on_progress: Any = None) -> Any:
    """Run replicates of a scenario and compute the indicators over each one's run-up to tipping;
    returns a sim.tipping.reports.WarningReport."""
    from sim.runner import run_replicates
    from sim.tipping.reports import WarningReport

    years = years or base.years
    frames = run_replicates(base.build(), replicates, seed, years, workers, on_progress)
    runups = before_tipping(frames["yearly"], "tipping_metric")
    summary, table = summarise(runups)
    return WarningReport(base.name, replicates, years, seed, runups, summary, table)
