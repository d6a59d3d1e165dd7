"""Fits of a transition: logistic tipping points with profile and bootstrap intervals, sigmoids, Firth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from sim.tipping.fit import (
    WIDTH_PER_SCALE,
    Binomial,
    bootstrap_logistic,
    firth_logistic,
    fit_logistic,
    fit_sigmoid,
    separated,
)


def logistic_data(t: float, scale: float, n: int, seed: int) -> Binomial:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    return Binomial.from_outcomes(x, rng.random(n) < expit((x - t) / scale))


def test_logistic_fit_recovers_a_known_tipping_point_and_width() -> None:
    fit = fit_logistic(logistic_data(0.42, 0.05, 4000, 1), (0, 1))
    assert fit.ci[0] < 0.42 < fit.ci[1]
    assert abs(fit.midpoint - 0.42) < 0.01
    assert fit.transition_width == pytest.approx(WIDTH_PER_SCALE * 0.05, rel=0.15)
    assert fit.slope > 0 and not fit.separated and not fit.ci_open


def test_a_falling_curve_has_a_negative_slope_and_the_same_tipping_point() -> None:
    data = logistic_data(0.42, 0.05, 4000, 1)
    fit = fit_logistic(Binomial(data.x, data.n, data.n - data.k), (0, 1))
    assert fit.slope < 0
    assert fit.ci[0] < 0.42 < fit.ci[1]


def test_separated_data_give_the_step_and_an_interval_around_the_gap() -> None:
    x = np.repeat([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 5)
    data = Binomial.from_outcomes(x, x > 0.5)
    assert separated(data)
    fit = fit_logistic(data, (0, 1))
    assert fit.separated
    assert 0.4 <= fit.midpoint <= 0.6
    # the data cannot say where in the gap the step is, so the interval holds the whole gap
    assert fit.ci[0] <= 0.401 and fit.ci[1] >= 0.599
    assert np.isfinite(firth_logistic(data)[1])  # Firth's slope stays finite


def test_bootstrap_interval_of_a_sweep_like_design_holds_the_truth() -> None:
    rng = np.random.default_rng(3)
    x = np.repeat(np.linspace(0, 1, 11), 20)
    data = Binomial.from_outcomes(x, rng.random(x.size) < expit((x - 0.55) / 0.08))
    point, width = bootstrap_logistic(data, (0, 1), resamples=400, rng=1)
    assert point.ci[0] < 0.55 < point.ci[1]
    assert width.ci[0] < WIDTH_PER_SCALE * 0.08 < width.ci[1]


def test_sigmoid_fit_recovers_a_known_sigmoid() -> None:
    rng = np.random.default_rng(5)
    x = np.repeat(np.linspace(0, 10, 11), 8)
    y = 0.1 + 0.8 * expit((x - 6.0) / 0.7) + rng.normal(0, 0.03, x.size)
    fit = fit_sigmoid(x, y, resamples=100, rng=2)
    assert fit.inside
    assert fit.ci[0] < 6.0 < fit.ci[1]
    assert abs(fit.midpoint - 6.0) < 0.3
    assert fit.lower == pytest.approx(0.1, abs=0.03) and fit.upper == pytest.approx(0.9, abs=0.03)
    assert fit.transition_width == pytest.approx(WIDTH_PER_SCALE * 0.7, rel=0.25)


def test_a_straight_line_is_not_reported_as_a_transition() -> None:
    rng = np.random.default_rng(6)
    x = np.repeat(np.linspace(0, 1, 8), 5)
    fit = fit_sigmoid(x, 0.3 * x + rng.normal(0, 0.01, x.size), resamples=20, rng=1)
    assert not fit.inside


def test_a_tipping_point_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="same"):
        fit_logistic(Binomial.from_outcomes(np.array([0.0, 1.0]), np.array([True, True])))


def test_quasi_separation_at_the_lowest_value_is_located_not_an_error() -> None:
    """1 of 3 tipped at the lowest value and all at the next: the step is at the first value (a world of a
    tipping-over-worlds grid hit this)."""
    fit = fit_logistic(Binomial(np.array([5.0, 10.0]), np.array([3.0, 3.0]), np.array([1.0, 3.0])), (5.0, 60.0))
    assert fit.separated and 5.0 <= fit.midpoint <= 10.0 and fit.ci[0] == 5.0 and fit.ci_open


def test_an_outcome_flat_within_the_noise_has_no_transition_and_a_real_step_has_one() -> None:
    import pandas as pd

    from sim.tipping.detect import outcome_transition

    rng = np.random.default_rng(3)
    x = np.repeat(np.linspace(0, 60, 12), 20)
    step = np.where(x > 30, 1.0, 0.0)
    runs = pd.DataFrame({"k": x, "flat": rng.normal(0, 0.1, x.size), "step": step + rng.normal(0, 0.1, x.size),
                         "status": "ok", "tipped": False})
    flat = outcome_transition(runs, "k", "flat", resamples=20)
    assert np.isnan(flat.tipping_point) and "no change beyond the seed noise" in flat.note
    stepped = outcome_transition(runs, "k", "step", resamples=20)
    assert 27 < stepped.tipping_point < 33


def test_a_boundary_level_on_one_side_of_one_half_says_so_instead_of_a_point() -> None:
    import pandas as pd

    from sim.tipping.boundary import along

    rng = np.random.default_rng(2)
    x = np.repeat(np.linspace(0, 1, 6), 10)
    rows = [pd.DataFrame({"a": x, "b": level, "status": "ok", "tipped": rng.random(x.size) < p})
            for level, p in ((0, 0.9), (1, 0.1), (2, 0.0))]
    table = along(pd.concat(rows, ignore_index=True), "a", "b").set_index("b")
    assert table["tipping_point"].isna().all()
    inside = "at every value of a (0 to 1): no tipping point inside them"
    assert table.loc[0, "note"] == f"P(tipped) at or above 1/2 {inside}"
    assert table.loc[1, "note"] == f"P(tipped) below 1/2 {inside}"
    assert table.loc[2, "note"] == "no run tipped"


def test_a_sweep_with_many_runs_a_point_fits_the_same_sigmoid_through_point_means() -> None:
    from sim.tipping.fit import LARGE_SWEEP_POINT, _sigmoid_params

    rng = np.random.default_rng(4)
    x = np.repeat(np.linspace(0, 1, 8), LARGE_SWEEP_POINT + 500)
    y = 0.2 + 0.5 * expit((x - 0.45) / 0.08) + rng.normal(0, 0.2, x.size)
    fit = fit_sigmoid(x, y, resamples=10, rng=1)
    through_runs = _sigmoid_params(x, y)
    assert fit.midpoint == pytest.approx(through_runs[0], abs=1e-4)
    assert fit.ci[0] < 0.45 < fit.ci[1] and fit.ci[1] - fit.ci[0] < 0.05


def test_a_knee_in_a_sweep_with_many_runs_a_point_is_found_through_the_normal_limit() -> None:
    import pandas as pd

    from sim.tipping.knee import LARGE_POINT, fit_knee

    rng = np.random.default_rng(5)
    x = np.repeat(np.arange(0.0, 12.0), LARGE_POINT * 10)
    y = np.where(x < 6, 0.1 * x, 0.6 + 0.01 * (x - 6)) + rng.normal(0, 0.5, x.size)
    fit = fit_knee(pd.DataFrame({"k": x, "y": y, "status": "ok"}), "k", "y")  # speed: benchmarks/million_runs.py
    assert fit.breakpoint_ci[0] <= 6 <= fit.breakpoint_ci[1] and fit.p_value < 0.01
    assert fit.slope_before == pytest.approx(0.1, abs=0.01) and fit.slope_after == pytest.approx(0.01, abs=0.01)


def test_the_surfaces_contour_is_where_a_known_two_parameter_boundary_lies() -> None:
    """Runs tip with logit P = 20 ((1 + y) x - 0.3 - 0.7 y), a surface of the fitted family with a real x*y
    term: P = 1/2 on x = (0.3 + 0.7 y) / (1 + y), curving from 0.3 at y = 0 to 0.5 at y = 1. The estimated
    contour lies on it (a sign slip in the interaction term moves it by about 0.1) and its band holds it."""
    import pandas as pd

    from sim.tipping.boundary import surface

    rng = np.random.default_rng(1)
    x, y = (np.repeat(grid.ravel(), 10) for grid in np.meshgrid(np.linspace(0, 1, 21), np.linspace(0, 1, 11)))
    runs = pd.DataFrame({"x": x, "y": y, "status": "ok",
                         "tipped": rng.random(x.size) < expit(20 * ((1 + y) * x - 0.3 - 0.7 * y))})
    contour = surface(runs, "x", "y", resamples=100, seed=1, mesh=11)
    truth = (0.3 + 0.7 * contour["y"]) / (1 + contour["y"])
    assert contour["x"].notna().all()
    assert (contour["x"] - truth).abs().max() < 0.05
    assert ((contour["x_low"] <= contour["x"]) & (contour["x"] <= contour["x_high"])).all()
    assert ((contour["x_low"] <= truth) & (truth <= contour["x_high"])).mean() >= 0.8
    assert (contour["x_high"] - contour["x_low"]).max() < 0.1  # an informative band, not the whole range


def test_the_share_tipped_at_each_design_point_has_its_interval_at_the_confidence_asked() -> None:
    """points.csv: with --confidence 0.9 its Wilson intervals are 90% ones, like every other interval there."""
    import pandas as pd

    from sim.analysis.compare import wilson
    from sim.tipping.detect import tipped_by_point

    runs = pd.DataFrame({"x": [0.0] * 10 + [1.0] * 10, "tipped": [True] * 3 + [False] * 7 + [True] * 8 + [False] * 2,
                         "status": "ok"})
    at_90, at_95 = tipped_by_point(runs, ["x"], 0.9), tipped_by_point(runs, ["x"])
    low, high = wilson(np.array([3.0, 8.0]), np.array([10.0, 10.0]), 0.9)
    np.testing.assert_allclose(at_90["p_tipped_low"], low)
    np.testing.assert_allclose(at_90["p_tipped_high"], high)
    assert (at_90["p_tipped_high"] - at_90["p_tipped_low"] < at_95["p_tipped_high"] - at_95["p_tipped_low"]).all()


@pytest.mark.parametrize("tipped, words", [
    ([0, 0, 0, 0, 3], "below 1/2 at every value of fellows (0 to 4): no tipping point inside them"),
    ([0, 1, 2, 4, 7], "below 1/2 at every value of fellows (0 to 4)"),
    ([12, 15, 18, 20, 20], "at or above 1/2 at every value of fellows (0 to 4)"),
    ([7, 4, 2, 1, 0], "below 1/2 at every value of fellows (0 to 4)"),  # falling: the same words
])
def test_p_tipped_on_one_side_of_a_half_everywhere_has_no_tipping_point_at_the_edge(tipped: list[int],
                                                                                     words: str) -> None:
    """At most 7 of 20 runs tip at any value: the best logistic midpoint sat on the last value with a tight
    interval, which read as "tips at 4 (3.95-4)"; the runs say only that it does not tip within 0..4."""
    from sim.tipping.detect import probability_tipping_point

    runs = pd.DataFrame([{"fellows": float(x), "tipped": i < k, "status": "ok"}
                         for x, k in enumerate(tipped) for i in range(20)])
    point = probability_tipping_point(runs, "fellows")
    assert np.isnan(point.tipping_point) and np.isnan(point.ci[0]) and words in point.note
