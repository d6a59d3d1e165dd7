"""Which dimension drives the outcome, alone and through interactions? Sobol' indices with SALib.

Morris (sim.tipping.sensitivity) screens cheaply; Sobol' decomposes the outcome's variance over the
parameter box: the first-order index S1 of a parameter is the share of the variance it explains on
its own, the total-order index ST adds every interaction it takes part in. ST - S1 large: the
parameter matters through others; ST near 0: it can be fixed anywhere in its range.

The design is Saltelli's (SALib.sample.sobol: two Sobol' sequence matrices and their cross-overs),
N * (D + 2) points for D parameters (N * (2D + 2) with second-order indices), N a power of 2. It is
not the plain quasi-random Sobol' sequence a sweep can draw: the analysis needs the cross-over
structure and the points in SALib's order. Indices and their intervals come from SALib's estimators
(Saltelli 2010, Jansen) with bootstrap confidence intervals.

    fs = [Factor("programme.cohort_size", 5, 40, True, None), ...]      # sim.tipping.sensitivity.Factor
    runs_needed(fs, n=512, replicates=4)                                 # print before running
    points = design(fs, n=512, seed=1)                                   # rows in SALib's order
    table = design_frame(fs, points, base_values)                        # one column per key path
    # ... run every point x replicate, replicate r with the same seed at every point ...
    indices = analyse(fs, runs, n=512)                                   # runs: point, replicate, outcomes

Seed noise: each point's outcome is the mean of its replicates, and replicate r uses the same seed at
every point (common random numbers, as Morris does), so the noise a point keeps is largely shared by
all points and cancels in the estimators' differences. What is left inflates every total index a
little; `noise_share` in the result estimates it (the replicate variance of a point's mean over the
variance of the point means): below about 0.05, trust the indices; above, add replicates.
The intervals (SALib's bootstrap over the base samples) are the error of estimating the indices from N
samples of the parameter box given, with each point's seed noise averaged in; the other assumptions are
held fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from sim.scenario.problems import Problem, ScenarioError

if TYPE_CHECKING:
    from sim.tipping.sensitivity import Factor


def points_needed(factors: int | Sequence[Factor], n: int, *, second_order: bool = False) -> int:
    """Design points of a Saltelli design: N (D + 2), or N (2D + 2) with second-order indices."""
    d = factors if isinstance(factors, int) else len(factors)
    return n * (2 * d + 2 if second_order else d + 2)


def runs_needed(factors: int | Sequence[Factor], n: int, replicates: int, *, second_order: bool = False) -> int:
    """Model runs for a Sobol' analysis: design points x replicates (for the CLI to print before running)."""
    return points_needed(factors, n, second_order=second_order) * replicates


def _check(factors: Sequence[Factor], n: int, source: str) -> None:
    problems = []
    if len(factors) < 2:
        problems.append(Problem(source, None, "parameters", "a Sobol' analysis needs at least 2 parameters",
                                len(factors)))
    for f in factors:
        if not (np.isfinite(f.low) and np.isfinite(f.high) and f.high > f.low):
            problems.append(Problem(source, None, f.key, "needs a range with low < high", [f.low, f.high]))
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        nearest = 2 ** max(1, round(np.log2(max(float(n), 2.0)))) if isinstance(n, int | float) else None
        problems.append(Problem(source, None, "n", "needs a power of 2 (the Sobol' sequence is balanced only "
                                "at powers of 2)", n, suggestion=str(nearest) if nearest else None))
    if problems:
        raise ScenarioError(problems)


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem. A whole-numbered factor spans [low, high + 1) and is floored in the design, so
    each whole number from low to high is equally likely."""
    return {"num_vars": len(factors), "names": [f.key for f in factors],
            "bounds": [[f.low, f.high + 1] if f.integer else [f.low, f.high] for f in factors]}


def design(
    factors: Sequence[Factor], n: int, seed: int, *, second_order: bool = False, source: str = "experiment",
) -> np.ndarray:
    """Saltelli's design: points x factors, in the order analyse() expects; whole-numbered factors floored."""
    _check(factors, n, source)
    points = sobol_sample.sample(problem(factors), n, calc_second_order=second_order, seed=seed)
    for j, f in enumerate(factors):
        if f.integer:
            points[:, j] = np.minimum(np.floor(points[:, j]), f.high)
    return points


def design_frame(
    factors: Sequence[Factor], points: np.ndarray, base_values: Mapping[str, float] | None = None,
    *, source: str = "experiment",
) -> pd.DataFrame:
    """The design as a table a sweep can run: index `point`, one column per key path.

    A factor with a balancing share moves that share the other way (as Morris's overrides do), so the
    total stays at the base's; base_values gives the base scenario's values of both keys. Several
    factors balancing one share move it by the sum of their changes.
    """
    frame = pd.DataFrame(points, columns=[f.key for f in factors])
    frame.index.name = "point"
    for f in factors:
        if f.integer:
            frame[f.key] = frame[f.key].round().astype(int)
    balanced = [(f, f.balance) for f in factors if f.balance]
    base = dict(base_values or {})
    missing = sorted({k for f, share in balanced for k in (f.key, share) if k not in base})
    if missing:
        raise ScenarioError([Problem(source, None, k, "a balancing share needs the base scenario's value")
                             for k in missing])
    for share in dict.fromkeys(s for _, s in balanced):
        moved = sum(frame[f.key] - float(base[f.key]) for f, s in balanced if s == share)
        frame[share] = (float(base[share]) - moved).round(12)
    return frame


def point_means(runs: pd.DataFrame, outcomes: Sequence[str], points: int, source: str = "runs") -> pd.DataFrame:
    """Each point's mean over its replicates, in point order; every point needs the same replicates
    (a missing run would break the design's pairing and the common random numbers)."""
    needed = ["point", "replicate", *outcomes]
    missing = [c for c in needed if c not in runs.columns]
    if missing:
        raise ScenarioError([Problem(source, None, c, "no such column in the runs table") for c in missing])
    replicates = runs.groupby("point")["replicate"].apply(lambda r: tuple(sorted(r)))
    expected = pd.RangeIndex(points)
    absent = expected.difference(replicates.index)
    if len(absent) or len(replicates.index.difference(expected)):
        raise ScenarioError([Problem(source, None, "point", f"needs every design point 0..{points - 1} exactly",
                                     f"{len(absent)} missing, {len(replicates.index.difference(expected))} extra")])
    if replicates.nunique() != 1:
        raise ScenarioError([Problem(source, None, "replicate", "every point needs the same replicates "
                                     "(common random numbers)", replicates[replicates != replicates.iloc[0]].index[0])])
    if runs[list(outcomes)].isna().any().any():
        column = runs[list(outcomes)].isna().any().idxmax()
        raise ScenarioError([Problem(source, None, column, "has missing values: fill them (e.g. a run that did not "
                                     "tip as the year after the horizon) before the analysis")])
    return runs.groupby("point")[list(outcomes)].mean().reindex(expected)


def noise_share(runs: pd.DataFrame, outcome: str) -> float:
    """Seed noise in a point's mean (replicate variance / replicates, averaged over points) over the
    variance of the point means. Nan with one replicate a point."""
    grouped = runs.groupby("point")[outcome]
    replicates = grouped.size().min()
    if replicates < 2:
        return float("nan")
    spread = grouped.mean().var(ddof=1)
    noise = grouped.var(ddof=1).mean() / replicates
    return float(noise / spread) if spread > 0 else float("inf")


def analyse(
    factors: Sequence[Factor], runs: pd.DataFrame, n: int, outcomes: Sequence[str] | None = None, *,
    second_order: bool = False, confidence: float = 0.95, resamples: int = 1000, seed: int = 0,
    source: str = "runs",
) -> pd.DataFrame:
    """First- and total-order indices with confidence intervals, per outcome and parameter, ranked by ST.

    runs: one row per run with `point` (the row of design()), `replicate` and outcome columns
    (default: every numeric column except point, replicate and the factors' keys). Intervals are
    SALib's bootstrap over design rows, at `confidence`. second_order must match the design's; the
    second-order indices themselves are not returned (SALib's analyze gives them from the same runs).
    """
    _check(factors, n, source)
    keys = {f.key for f in factors} | {f.balance for f in factors if f.balance}
    outcomes = list(outcomes) if outcomes is not None else [
        c for c in runs.columns
        if c not in {"point", "replicate", *keys} and pd.api.types.is_numeric_dtype(runs[c])]
    means = point_means(runs, outcomes, points_needed(factors, n, second_order=second_order), source)
    salib_problem = problem(factors)
    rows = []
    for outcome in outcomes:
        y = means[outcome].to_numpy(float)
        constant = np.ptp(y) == 0
        result = None if constant else sobol_analyze.analyze(
            salib_problem, y, calc_second_order=second_order, num_resamples=resamples, conf_level=confidence,
            seed=seed)
        noise = noise_share(runs, outcome)
        for j, f in enumerate(factors):
            s1, s1c, st, stc = ((0.0, 0.0, 0.0, 0.0) if result is None else
                                (float(result["S1"][j]), float(result["S1_conf"][j]),
                                 float(result["ST"][j]), float(result["ST_conf"][j])))
            rows.append({"outcome": outcome, "parameter": f.key, "low": f.low, "high": f.high,
                         "S1": s1, "S1_low": s1 - s1c, "S1_high": s1 + s1c,
                         "ST": st, "ST_low": st - stc, "ST_high": st + stc,
                         "interactions": st - s1, "noise_share": noise, "constant": constant})
    table = pd.DataFrame(rows)
    table["rank"] = table.groupby("outcome")["ST"].rank(ascending=False, method="min").astype(int)
    return table.sort_values(["outcome", "rank"]).reset_index(drop=True)


def sobol(base: Any, experiment_parameters: list[Any], n: int, replicates: int, seed: int, backend: Any,
          on_run: Any = None) -> Any:
    """Sobol' indices of an experiment's parameters on P(tipped), the tipping metric and the year of tipping;
    replicate r has the same seed at every point. Returns a sim.tipping.reports.SensitivityReport."""
    from sim.tipping.reports import SensitivityReport
    from sim.tipping.sensitivity import OUTCOMES, factors, run_design

    chosen = factors(base, experiment_parameters)
    points = design(chosen, n, seed, source=str(base.source))
    runs = run_design(base, chosen, points, replicates, seed, backend, on_run)
    runs["p_tipped"] = runs["tipped"].astype(float)
    runs["tipped_year"] = runs["tipped_year"].fillna(base.years + 1)  # not tipped: the year after the horizon
    table = analyse(chosen, runs, n, list(OUTCOMES), seed=seed, source=str(base.source))
    table["S1_conf"] = (table["S1_high"] - table["S1_low"]) / 2
    table["ST_conf"] = (table["ST_high"] - table["ST_low"]) / 2
    return SensitivityReport(base.name, "sobol", chosen, table, runs,
                             {"samples": n, "replicates": replicates, "points": len(points),
                              "runs": len(points) * replicates, "seed": seed})
