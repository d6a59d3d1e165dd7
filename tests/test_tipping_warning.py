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
