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
tipping point times the curve's slope there: the ranking by mu* on P(tipped) is the ranking by how
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

from sim.parallel import Backend
from sim.runner import run_final
from sim.scenario import ScenarioError
from sim.scenario.problems import Problem
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
    base: Base, factors_: list[Factor], points: np.ndarray, replicates: int, seed: int, backend: Backend,
    on_run: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Every point x replicate; replicate r has the same seed at every point (common random numbers),
    drawn from `seed`."""
    scenarios = [base.build(point_overrides(base, factors_, row)) for row in points]  # validate all first
    frame = run_final(scenarios, replicates, seed, backend, on_run, years=base.years)
    runs_table = pd.DataFrame({
        "point": frame["point"].astype(int), "replicate": frame["replicate"].astype(int),
        "tipped": frame["tipped_year"].notna().to_numpy(),
        "tipped_year": frame["tipped_year"].astype("float64").to_numpy(),
        "tipping_metric": frame["tipping_metric"].to_numpy(float),
    }).sort_values(["point", "replicate"]).reset_index(drop=True)
    for j, factor in enumerate(factors_):
        runs_table[factor.key] = points[runs_table["point"].to_numpy(), j]
    return runs_table


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


def morris(base: Base, experiment_parameters: list[Any], trajectories: int, replicates: int, seed: int,
           backend: Backend, on_run: Callable[[int], None] | None = None) -> Any:
    """Morris screening of an experiment's parameters; returns a sim.tipping.reports.SensitivityReport."""
    from sim.tipping.reports import SensitivityReport

    chosen = factors(base, experiment_parameters)
    points = design(chosen, trajectories, seed)
    runs = run_design(base, chosen, points, replicates, seed, backend, on_run)
    table = analyse(chosen, points, point_outcomes(runs, len(points), base.years), seed)
    return SensitivityReport(base.name, "morris", chosen, table, runs,
                             {"trajectories": trajectories, "replicates": replicates, "points": len(points),
                              "runs": len(points) * replicates, "seed": seed})
