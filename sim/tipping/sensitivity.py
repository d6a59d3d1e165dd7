"""Which critical-mass dimension moves the tipping point most? Morris screening with SALib.

Morris's method (Morris 1991; Campolongo et al. 2007) walks r random one-at-a-time trajectories
through the parameter box, each changing every parameter once by a fixed step; a parameter's
elementary effect is the change in the outcome per step. mu* (the mean absolute effect) ranks how
much a parameter matters; sigma (their spread) shows interactions or non-linearity. It needs
r * (k + 1) design points for k parameters: a screening, cheap enough for a laptop, not a
variance decomposition (Sobol indices would need hundreds of times more runs).

The outcomes are noisy, so each point runs several replicates, with the same seeds at every point
(common random numbers): an elementary effect then compares two runs that differ only in the
parameter, not in their luck. Evaluated around the tipping point (a base where about half the
runs tip), the effect of a dimension on P(tipped) is, to first order, how far it shifts the
threshold times the curve's slope there: the ranking by mu* on P(tipped) is the ranking by how
much each dimension moves the tipping point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from sim.runner import derive_seed
from sim.scenario import ScenarioError
from sim.scenario.problems import Problem
from sim.sweep.execute import Executor, Lost, RunTask
from sim.sweep.plan import RunSpec
from sim.tipping.trials import Base, overrides_for

OUTCOMES = ("p_tipped", "tipping_metric", "tipped_year")
LEVELS = 4  # Morris grid levels: the usual choice; the step is 2/3 of each range


@dataclass(frozen=True)
class Factor:
    key: str
    low: float
    high: float
    integer: bool
    balance: str | None


def factors(base: Base, experiment_parameters: list[Any]) -> list[Factor]:
    """The experiment's parameters as Morris factors: each needs a numeric range."""
    out = []
    for p in experiment_parameters:
        if p.key not in base.bounds:
            why = "needs numeric bounds: between, range or values"
            raise ScenarioError([Problem(str(base.source), None, p.key, why)])
        low, high = base.bounds[p.key]
        if not high > low:
            raise ScenarioError([Problem(str(base.source), None, p.key, "needs a range with low < high", [low, high])])
        integer = bool(getattr(p, "integer", False)) or isinstance(base.value(p.key), int)
        out.append(Factor(p.key, low, high, integer, p.balance))
    return out


def design(factors_: list[Factor], trajectories: int, seed: int) -> np.ndarray:
    problem = _problem(factors_)
    return morris_sample.sample(problem, trajectories, num_levels=LEVELS, seed=seed)


def _problem(factors_: list[Factor]) -> dict[str, Any]:
    return {"num_vars": len(factors_), "names": [f.key for f in factors_],
            "bounds": [[f.low, f.high] for f in factors_]}


def point_overrides(base: Base, factors_: list[Factor], row: np.ndarray) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for factor, x in zip(factors_, row, strict=True):
        overrides.update(overrides_for(base, factor.key, float(x), factor.balance))
    return overrides


def run_design(
    base: Base, factors_: list[Factor], points: np.ndarray, replicates: int, executor: Executor,
    on_run: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Every point x replicate; replicate r has the same seed at every point (common random numbers)."""
    scenarios = [base.build(point_overrides(base, factors_, row)) for row in points]  # validate all first
    tasks = [
        RunTask(RunSpec(f"p{i:04d}-r{r:02d}", i, r, derive_seed(base.seed, r)), scenarios[i], base.years,
                ("tipping_metric",))
        for i in range(len(points)) for r in range(replicates)
    ]
    rows = []
    for result in executor.map_unordered(tasks):
        if isinstance(result, Lost) or result.status != "ok":
            why = result.reason if isinstance(result, Lost) else result.error
            raise RuntimeError(f"run {result.spec.run_id} failed: {why}")
        rows.append({"point": result.spec.point, "replicate": result.spec.replicate,
                     "tipped": result.tipped_year is not None,
                     "tipped_year": result.tipped_year if result.tipped_year is not None else np.nan,
                     "tipping_metric": result.final["tipping_metric"]})
        if on_run:
            on_run()
    runs = pd.DataFrame(rows).sort_values(["point", "replicate"]).reset_index(drop=True)
    for j, factor in enumerate(factors_):
        runs[factor.key] = points[runs["point"].to_numpy(), j]
    return runs


def point_outcomes(runs: pd.DataFrame, points: int, years: int) -> pd.DataFrame:
    """Per point: share tipped, mean final tipping metric, mean year tipped (a run that did not tip
    counts as tipping the year after the run ends, so the mean stays defined)."""
    grouped = runs.assign(tipped_year=runs["tipped_year"].fillna(years + 1)).groupby("point")
    out = pd.DataFrame({
        "p_tipped": grouped["tipped"].mean(),
        "tipping_metric": grouped["tipping_metric"].mean(),
        "tipped_year": grouped["tipped_year"].mean(),
    })
    return out.reindex(range(points))


def analyse(factors_: list[Factor], points: np.ndarray, outcomes: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """mu*, its bootstrap 95% interval, mu and sigma for each factor and outcome, ranked by mu*."""
    problem = _problem(factors_)
    rows = []
    for outcome in OUTCOMES:
        result = morris_analyze.analyze(problem, points, outcomes[outcome].to_numpy(float),
                                        num_levels=LEVELS, num_resamples=1000, seed=seed)
        for j, factor in enumerate(factors_):
            rows.append({"outcome": outcome, "parameter": factor.key, "low": factor.low, "high": factor.high,
                         "mu_star": float(result["mu_star"][j]), "mu_star_conf": float(result["mu_star_conf"][j]),
                         "mu": float(result["mu"][j]), "sigma": float(result["sigma"][j])})
    table = pd.DataFrame(rows)
    table["rank"] = table.groupby("outcome")["mu_star"].rank(ascending=False, method="min").astype(int)
    return table.sort_values(["outcome", "rank"]).reset_index(drop=True)
