"""Tipping points from a finished sweep: a logistic curve for P(tipped), a sigmoid for each outcome.

Reads the sweep's runs table (sim.sweep.read_runs); runs no model. For one varied parameter,
every outcome gets a tipping point, a bootstrap interval (resampling runs within each design point)
and a transition width. Two varied parameters go to sim.tipping.boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.compare import wilson
from sim.tipping.fit import Binomial, bootstrap_logistic, fit_logistic, fit_sigmoid, no_crossing

TIPPED = "tipped"


@dataclass(frozen=True)
class TippingPoint:
    parameter: str
    outcome: str  # "tipped" for P(tipped), else a continuous outcome's column
    method: str  # logistic or sigmoid
    tipping_point: float
    ci: tuple[float, float]
    transition_width: float
    width_ci: tuple[float, float]
    direction: str  # rises or falls with the parameter
    note: str  # why a number is missing or should be read with care ("" when none)

    def row(self) -> dict[str, object]:
        return {
            "parameter": self.parameter, "outcome": self.outcome, "method": self.method,
            "tipping_point": self.tipping_point, "ci_low": self.ci[0], "ci_high": self.ci[1],
            "transition_width": self.transition_width, "width_ci_low": self.width_ci[0],
            "width_ci_high": self.width_ci[1], "direction": self.direction, "note": self.note,
        }


NAN2 = (float("nan"), float("nan"))


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "ok"] if "status" in runs else runs


def probability_tipping_point(
    runs: pd.DataFrame, parameter: str, confidence: float = 0.95, resamples: int = 1000, seed: int = 0
) -> TippingPoint:
    """P(tipped) against one parameter: the value where it crosses 1/2, with a bootstrap interval."""
    runs = ok_runs(runs)
    data = Binomial.from_outcomes(runs[parameter].to_numpy(float), runs[TIPPED].to_numpy(bool))
    lo, hi = float(data.x.min()), float(data.x.max())
    if not data.mixed:
        every = "every" if data.k.sum() else "no"
        return TippingPoint(parameter, TIPPED, "logistic", np.nan, NAN2, np.nan, NAN2, "",
                         f"{every} run tipped: the tipping point lies outside {lo:g}..{hi:g}")
    if data.x.size < 2:
        return TippingPoint(parameter, TIPPED, "logistic", np.nan, NAN2, np.nan, NAN2, "", "one value only")
    why = no_crossing(data, parameter)
    if why is not None:
        return TippingPoint(parameter, TIPPED, "logistic", np.nan, NAN2, np.nan, NAN2, "", why)
    fit = fit_logistic(data, (lo, hi), confidence)
    direction = "rises" if fit.slope > 0 else "falls"
    if fit.separated:
        # every run below one value agrees, and every run above: resampling those runs cannot vary a
        # step, so the interval is the profile likelihood's, which knows how little a step pins down
        return TippingPoint(parameter, TIPPED, "logistic", fit.midpoint, fit.ci, np.nan, NAN2, direction,
                         "a step between design points (profile-likelihood interval)")
    point, width = bootstrap_logistic(data, (lo, hi), confidence, resamples, seed)
    note = "interval reaches the edge of the values swept" if fit.ci_open else ""
    if not (lo <= point.ci[0] and point.ci[1] <= hi):
        note = "interval leaves the values swept"
    return TippingPoint(parameter, TIPPED, "logistic", point.estimate, point.ci, width.estimate, width.ci,
                     direction, note)


def outcome_transition(
    runs: pd.DataFrame, parameter: str, outcome: str, confidence: float = 0.95, resamples: int = 100, seed: int = 0
) -> TippingPoint:
    """A sigmoid through a continuous outcome: where it is halfway between its two levels."""
    runs = ok_runs(runs)
    x, y = runs[parameter].to_numpy(float), runs[outcome].to_numpy(float)
    flat = _flat(runs, parameter, outcome, 1 - confidence)
    if flat is not None:
        # a sigmoid fitted to an outcome that does not move beyond the seed noise would place a "transition"
        # in the noise: say there is none, and why
        return TippingPoint(parameter, outcome, "sigmoid", np.nan, NAN2, np.nan, NAN2, "",
                            f"no change beyond the seed noise (one-way ANOVA over the values swept, p = {flat:.2g})")
    try:
        fit = fit_sigmoid(x, y, confidence, resamples, seed)
    except ValueError as exc:
        return TippingPoint(parameter, outcome, "sigmoid", np.nan, NAN2, np.nan, NAN2, "", str(exc))
    direction = "rises" if fit.upper > fit.lower else "falls"
    if not fit.inside:
        # a midpoint outside the values swept, or a rise wider than them, is a trend, not a tipping point
        return TippingPoint(parameter, outcome, "sigmoid", np.nan, NAN2, np.nan, NAN2, direction,
                         "no transition inside the values swept")
    lo, hi = float(np.min(x)), float(np.max(x))
    note = "" if lo <= fit.ci[0] and fit.ci[1] <= hi else "interval leaves the values swept"
    return TippingPoint(parameter, outcome, "sigmoid", fit.midpoint, fit.ci, fit.transition_width, fit.width_ci,
                     direction, note)


def _flat(runs: pd.DataFrame, parameter: str, outcome: str, alpha: float) -> float | None:
    """The ANOVA p-value when the outcome's means at the values swept do not differ beyond the noise, else None."""
    from scipy import stats

    groups = [g.to_numpy(float) for _, g in runs.groupby(parameter)[outcome] if g.notna().sum() >= 2]
    groups = [g[np.isfinite(g)] for g in groups]
    if len(groups) < 2 or all(np.ptp(g) == 0 for g in groups):
        return None  # too few values to tell, or no noise at all: leave it to the fit
    p = float(stats.f_oneway(*groups).pvalue)
    return p if np.isfinite(p) and p > alpha else None


def tipping_points(
    runs: pd.DataFrame, parameter: str, outcomes: list[str], confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """A row per outcome (P(tipped) first) for a sweep over one parameter."""
    rows = [probability_tipping_point(runs, parameter, confidence, seed=seed).row()]
    rows += [outcome_transition(runs, parameter, o, confidence, seed=seed).row() for o in outcomes]
    return pd.DataFrame(rows)


def tipped_by_point(runs: pd.DataFrame, parameters: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """Per design point: runs, share tipped and a Wilson interval at `confidence` (honest with few runs)."""
    runs = ok_runs(runs)
    grouped = runs.groupby(parameters)[TIPPED].agg(["sum", "count"]).reset_index()
    tipped, n = grouped["sum"].to_numpy(float), grouped["count"].to_numpy(float)
    low, high = wilson(tipped, n, confidence)
    return pd.DataFrame({**{k: grouped[k] for k in parameters}, "runs": grouped["count"].astype(int),
                         "p_tipped": tipped / n, "p_tipped_low": np.clip(low, 0, 1),
                         "p_tipped_high": np.clip(high, 0, 1)})
