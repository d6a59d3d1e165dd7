"""The dose-response knee on toys with a known bend: estimate, interval coverage, the test, the sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.plain_words import Uncertainty
from sim.scenario.problems import ScenarioError
from sim.tipping.knee import fit_knee, knee_sentence

DOSES = np.arange(5, 50, 5)  # 9 swept values, like fellows a year


def toy(knee: float | None, rng: np.random.Generator, *, replicates: int = 8, noise: float = 0.01,
        slope: float = -0.002, change: float = -0.004) -> pd.DataFrame:
    x = np.repeat(DOSES, replicates).astype(float)
    bend = 0.0 if knee is None else change * np.maximum(x - knee, 0.0)
    return pd.DataFrame({"fellows": x, "gap": 0.3 + slope * x + bend + rng.normal(0.0, noise, x.size)})


def test_a_clear_knee_is_found_with_its_slopes() -> None:
    fit = fit_knee(toy(22.0, np.random.default_rng(1)), "fellows", "gap")
    assert fit.present and fit.p_value < 0.01
    assert fit.breakpoint_ci[0] <= 22.0 <= fit.breakpoint_ci[1]
    assert abs(fit.breakpoint - 22.0) < 4
    assert fit.slope_before_ci[0] <= -0.002 <= fit.slope_before_ci[1]
    assert fit.slope_after_ci[0] <= -0.006 <= fit.slope_after_ci[1]
    assert (fit.points, fit.runs, fit.low, fit.high) == (9, 72, 5.0, 45.0)


def test_the_same_table_and_seed_give_the_same_answer_whatever_the_row_order() -> None:
    runs = toy(30.0, np.random.default_rng(2))
    shuffled = runs.sample(frac=1.0, random_state=3)
    assert fit_knee(runs, "fellows", "gap", seed=5) == fit_knee(shuffled, "fellows", "gap", seed=5)


def test_the_knee_interval_covers_the_true_knee_at_about_its_stated_rate() -> None:
    # 150 toys, the knee drawn inside the swept range; the study in benchmarks/knee_coverage.py uses
    # 400 a setting. Binomial sd at 150 toys is 0.018, so [0.89, 0.99] is about +-3.3 sd around 0.95.
    rng = np.random.default_rng(20240601)
    covered = []
    for t in range(150):
        knee = float(rng.uniform(12.0, 38.0))
        fit = fit_knee(toy(knee, rng), "fellows", "gap", resamples=299, seed=t)
        covered.append(fit.breakpoint_ci[0] <= knee <= fit.breakpoint_ci[1])
    assert 0.89 <= np.mean(covered) <= 0.99, np.mean(covered)


def test_the_test_rarely_sees_a_knee_in_a_straight_line_and_always_sees_a_clear_one() -> None:
    rng = np.random.default_rng(7)
    false_alarms = [fit_knee(toy(None, rng), "fellows", "gap", resamples=199, seed=t).present for t in range(100)]
    found = [fit_knee(toy(float(rng.uniform(15, 35)), rng), "fellows", "gap", resamples=199, seed=t).present
             for t in range(40)]
    assert np.mean(false_alarms) <= 0.12, np.mean(false_alarms)  # nominal 0.05; sd at 100 toys is 0.022
    assert np.mean(found) >= 0.95


def test_a_smooth_curve_is_flagged_as_more_than_one_bend() -> None:
    rng = np.random.default_rng(4)
    x = np.repeat(np.arange(0, 100, 10), 10).astype(float)
    runs = pd.DataFrame({"dose": x, "y": 1 / (1 + np.exp(-(x - 50) / 6)) + rng.normal(0, 0.01, x.size)})
    fit = fit_knee(runs, "dose", "y")
    assert fit.present and fit.lack_of_fit_p < 0.05
    assert "One bend does not describe the whole curve" in knee_sentence(fit, Uncertainty.SEED)


def test_a_deterministic_outcome_needs_no_noise_to_decide() -> None:
    x = np.repeat(DOSES, 2).astype(float)
    line = pd.DataFrame({"dose": x, "y": 1.0 + 0.5 * x})
    bent = pd.DataFrame({"dose": x, "y": 1.0 + 0.5 * x - np.maximum(x - 20, 0)})
    assert not fit_knee(line, "dose", "y").present
    fit = fit_knee(bent, "dose", "y")
    assert fit.present and fit.breakpoint == pytest.approx(20, abs=1e-3)
    assert fit.slope_before == pytest.approx(0.5) and fit.slope_after == pytest.approx(-0.5)
    assert knee_sentence(fit, Uncertainty.SEED).endswith("it turns from rising to falling.")


def test_sentences_say_the_knee_or_its_absence_and_the_uncertainty() -> None:
    fit = fit_knee(toy(22.0, np.random.default_rng(1)), "fellows", "gap")
    text = knee_sentence(fit, Uncertainty.SEED, outcome="the gap", parameter="fellows a year", unit=" SD",
                         per="additional fellow")
    low, _high = fit.breakpoint_ci
    assert text.startswith(f"Above about {round(fit.breakpoint)} fellows a year (95% interval {round(low)}–")
    assert "seed noise only" in text and "per additional fellow" in text and "falls" in text and "faster" in text
    flat = fit_knee(toy(None, np.random.default_rng(3)), "fellows", "gap")
    text = knee_sentence(flat, "seed noise and the assumptions' plausible ranges", outcome="the gap",
                         parameter="fellows a year")
    assert text.startswith("No knee: the gap changes linearly over the values swept (5–45 fellows a year)")
    assert "seed noise and the assumptions' plausible ranges" in text
    with pytest.raises(ValueError, match="uncertainty must be one of"):
        knee_sentence(flat, "some noise")


def test_an_interval_at_the_edge_of_the_sweep_says_to_sweep_further() -> None:
    # a knee at 9, one step above the lowest dose swept (5): found, with its interval reaching the edge
    fit = fit_knee(toy(9.0, np.random.default_rng(1), noise=0.02, change=-0.01), "fellows", "gap")
    assert fit.present and fit.ci_at_low_edge
    assert "sweep further" in knee_sentence(fit, Uncertainty.SEED)


@pytest.mark.parametrize(("runs", "message"), [
    (pd.DataFrame({"fellows": [1.0, 2, 3, 4] * 2}), "gap: no such column"),
    (pd.DataFrame({"fellows": [1.0, 2, 3] * 2, "gap": 0.0}), "at least 4 swept values"),
    (pd.DataFrame({"fellows": [1.0, 2, 3, 4, 5, 1, 2, 3, 4], "gap": 0.0}), "at least 2 replicates"),
    (pd.DataFrame({"fellows": [1.0, 2, 3, 4] * 2, "gap": [0.0, np.nan] * 4}), "needs a finite number"),
    (pd.DataFrame({"fellows": ["a", "b", "c", "d"] * 2, "gap": 0.0}), "fellows: needs a finite number"),
])
def test_bad_tables_get_a_clear_error(runs: pd.DataFrame, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        fit_knee(runs, "fellows", "gap", source="sweep.parquet")
