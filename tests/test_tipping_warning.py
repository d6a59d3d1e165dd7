"""Early-warning indicators on series with a known approach to a transition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.tipping.warning import before_tipping, indicators, summarise, surrogate_p


def ar1(coefficients: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(coefficients.size)
    for i in range(1, coefficients.size):
        x[i] = coefficients[i] * x[i - 1] + rng.normal()
    return x


def test_rising_memory_shows_as_rising_variance_and_autocorrelation() -> None:
    # an AR(1) whose coefficient climbs towards 1: critical slowing down by construction
    rng = np.random.default_rng(0)
    taus = [indicators(ar1(np.linspace(0.1, 0.95, 400), rng)) for _ in range(20)]
    assert sum(t.rising for t in taus) >= 18
    assert np.median([t.variance_tau for t in taus]) > 0.5
    assert np.median([t.autocorrelation_tau for t in taus]) > 0.4


def test_a_stationary_series_shows_no_trend_on_average() -> None:
    rng = np.random.default_rng(1)
    taus = [indicators(ar1(np.full(400, 0.5), rng)) for _ in range(30)]
    assert abs(np.median([t.variance_tau for t in taus])) < 0.3
    assert abs(np.median([t.autocorrelation_tau for t in taus])) < 0.3


def test_run_ups_stop_before_the_tipping_year_and_short_ones_are_counted() -> None:
    yearly = pd.DataFrame({
        "replicate": np.repeat([0, 1, 2], 20), "year": np.tile(np.arange(20), 3),
        "tipping_metric": np.random.default_rng(2).random(60),
        "tipped_year": np.repeat([15.0, 4.0, np.nan], 20),
    })
    runups = before_tipping(yearly)
    assert set(runups) == {0, 1} and runups[0].size == 15 and runups[1].size == 4
    summary, table = summarise(runups)
    assert summary.replicates == 1 and summary.too_short == 1 and len(table) == 1


def test_too_short_a_series_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        indicators(np.arange(4.0))


def test_surrogates_tell_a_real_warning_from_a_detrending_artefact() -> None:
    rng = np.random.default_rng(4)
    # an accelerating curve with constant noise: the raw trends rise (residuals of a smoothed
    # exponential grow with its curvature), but no more than trend-plus-noise surrogates do
    curve = 0.05 * np.exp(np.arange(30) / 10)
    artefacts = [surrogate_p(curve + rng.normal(0, 0.005, 30), surrogates=100, rng=i) for i in range(8)]
    assert np.median([indicators(curve + rng.normal(0, 0.005, 30)).variance_tau for _ in range(8)]) > 0.3
    assert sum(p[0] < 0.05 for p in artefacts) <= 2
    # rising memory is caught by the autocorrelation trend
    rising = [surrogate_p(ar1(np.linspace(0.1, 0.95, 200), rng), surrogates=100, rng=i) for i in range(6)]
    assert sum(p[1] < 0.05 for p in rising) >= 4


def test_summarise_counts_each_indicator_its_own_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every count of the summary against indicators set by hand (each run-up's first value names the
    trends and surrogate p-values its replicate gets), so that the signs and p-values are known exactly."""
    import sim.tipping.warning as warning

    #          variance tau, autocorrelation tau, variance p, autocorrelation p
    known = {0: (0.4, 0.3, 0.01, 0.02),  # both rising, both beyond the trend
             1: (0.2, -0.1, 0.2, 0.6),  # variance rising alone, beyond nothing
             2: (-0.3, -0.2, 0.9, 0.8),  # neither rising
             3: (0.1, -0.5, 0.3, 0.04)}  # variance rising, autocorrelation falling yet beyond (a one-sided p only)

    def by_hand(series: np.ndarray, window: float = 0.5, bandwidth: float | None = None) -> warning.Indicators:
        v, a, _, _ = known[int(series[0])]
        return warning.Indicators(np.zeros(series.size), np.zeros(series.size), v, 0.5, a, 0.5, 5, series.size)

    monkeypatch.setattr(warning, "indicators", by_hand)
    monkeypatch.setattr(warning, "surrogate_p", lambda series, window, surrogates, rng: known[rng][2:])
    runups = {r: np.full(10, float(r)) for r in known} | {9: np.zeros(5)}  # the last too short to analyse
    summary, table = summarise(runups)
    assert (summary.replicates, summary.too_short) == (4, 1) and list(table["replicate"]) == [0, 1, 2, 3]
    assert (summary.variance_rising, summary.autocorrelation_rising, summary.both_rising) == (3, 1, 1)
    assert summary.median_variance_tau == pytest.approx(0.15)
    assert summary.median_autocorrelation_tau == pytest.approx(-0.15)
    assert (summary.variance_beyond_trend, summary.autocorrelation_beyond_trend) == (1, 2)


def test_the_surrogates_noise_has_the_residuals_memory_and_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Surrogates are the series' smooth trend plus AR(1) noise with the residuals' lag-1 coefficient: noise
    with no memory would not be the null of 'no approach to a transition' for a series with memory. (The
    trend p-values themselves hardly tell the two apart: a rolling window over half the series makes any
    noise's indicator smooth, so the surrogates are checked directly.)"""
    import sim.tipping.warning as warning
    from sim.tipping.warning import detrend

    seen: list[np.ndarray] = []  # the series itself, then each surrogate
    real = warning.indicators

    def recording(series: np.ndarray, *args: object) -> warning.Indicators:
        seen.append(np.array(series, float))
        return real(series, *args)

    monkeypatch.setattr(warning, "indicators", recording)
    series = ar1(np.full(300, 0.9), np.random.default_rng(5))[100:]
    surrogate_p(series, surrogates=40, rng=0)
    residuals = detrend(series, 20.0)  # the default bandwidth: a tenth of the 200 points
    noises = [surrogate - (series - residuals) for surrogate in seen[1:]]
    assert len(noises) == 40
    phi = np.corrcoef(residuals[:-1], residuals[1:])[0, 1]
    assert phi > 0.5, "detrending leaves the residuals much of their memory"
    memory = np.mean([np.corrcoef(noise[:-1], noise[1:])[0, 1] for noise in noises])
    assert memory == pytest.approx(phi, abs=0.1)
    assert np.mean([noise.std() for noise in noises]) == pytest.approx(residuals.std(), rel=0.25)


def test_a_stationary_series_with_strong_memory_is_rarely_taken_for_a_warning() -> None:
    """An AR(1) with phi = 0.9 and no approach to anything: its autocorrelation trend is beyond the
    surrogates' (p < 0.05) in few of the series, about as often as the 5% level says."""
    rng = np.random.default_rng(5)
    p = [surrogate_p(ar1(np.full(200, 0.9), rng)[100:], surrogates=60, rng=i) for i in range(10)]
    assert sum(autocorrelation < 0.05 for _, autocorrelation in p) <= 2
    assert sum(variance < 0.05 for variance, _ in p) <= 2
