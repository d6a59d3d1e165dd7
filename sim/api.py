"""The model as a plain function, for other tools: EMA Workbench, SALib, optimisers, notebooks.

    from sim.api import model_function, evaluate_points

    f = model_function("scenarios/clustered.yaml", outcomes=["tipped", "mean_achievement"])
    f(**{"teachers.adoption_threshold_mean": 0.4, "contagion.lapse_rate": 0.2})
    # {'tipped': 0.0, 'mean_achievement': -0.36...}

    # many points at once, as batches on every core: a DataFrame with one column per key path
    evaluate_points("scenarios/clustered.yaml", points, replicates=10)

Keyword arguments are scenario key paths, with dots (`f(**{"a.b": 1})`) or, where a tool wants Python
identifiers, double underscores (`f(a__b=1)`, the same key); `seed` and `replicates` may be passed too.
A call with replicates > 1 returns each outcome as an array, one value per replicate (EMA Workbench's
replications), on matched seeds (the same seeds at every point, so differences between points are not
luck). Outcomes are final-year values of the yearly frame, plus
`tipped` (1 if the scenario's rule was met by the horizon) and `tipped_year` (NaN if not).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import Scenario, load_scenario
from sim.scenario.loading import validating_many

DEFAULT_OUTCOMES = ("tipped", "practising_share", "mean_achievement", "achievement_gap", "achievement_gain",
                    "leadership_index")


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def model_function(
    scenario: Scenario | str | Path, outcomes: Sequence[str] = DEFAULT_OUTCOMES, replicates: int = 1, seed: int = 0,
    years: int | None = None,
) -> Callable[..., dict[str, Any]]:
    """f(**params) -> {outcome: value}: one run (or `replicates` matched runs) of the scenario with params set."""
    base = _scenario(scenario)
    defaults: dict[str, Any] = {"replicates": replicates, "seed": seed}

    def f(**params: Any) -> dict[str, Any]:
        chosen: dict[str, Any] = {k: params.pop(k) for k in ("replicates", "seed") if k in params}
        settings = {**defaults, **chosen}
        frame = evaluate_points(base, pd.DataFrame([params]), int(settings["replicates"]), int(settings["seed"]),
                                outcomes, years, workers=1)
        if int(settings["replicates"]) == 1:
            return {o: float(frame[o].iloc[0]) for o in outcomes}
        return {o: frame[o].to_numpy(float) for o in outcomes}

    f.__doc__ = f"Run {base.name} with scenario values set by key path; returns {', '.join(outcomes)}."
    return f


def evaluate_points(
    scenario: Scenario | str | Path, points: pd.DataFrame, replicates: int = 1, seed: int = 0,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES, years: int | None = None, workers: int | None = None,
) -> pd.DataFrame:
    """Every row of `points` (one column per key path) x replicates, as batches on local processes.

    Returns the points repeated per replicate with `replicate`, `seed` and the outcomes; replicate r
    has the same seed at every point."""
    from sim.jobs import Run, batch_size, make_jobs, run_job
    from sim.parallel import default_workers, local, run_all
    from sim.runner import derive_seed

    base = _scenario(scenario)
    records = points.to_dict("records") if len(points.columns) else [{} for _ in range(len(points))]
    with validating_many():
        scenarios = [base.with_overrides({key_path(k): _plain(v) for k, v in row.items()}) for row in records]
    horizon = years or max((s.years for s in scenarios), default=base.years)
    runs = [Run(f"p{i}-r{r}", i, derive_seed(seed, r), r) for i in range(len(scenarios)) for r in range(replicates)]
    backend = local(workers or (1 if len(runs) < 64 else default_workers(len(runs))))
    model_outcomes = tuple(o for o in outcomes if o not in ("tipped", "tipped_year"))
    jobs = make_jobs(scenarios, runs, horizon, batch_size(scenarios, horizon, len(runs), backend.workers),
                     outcomes=model_outcomes)
    results = pd.concat([r.runs for r in run_all(backend, run_job, jobs)], ignore_index=True)
    failed = results[results["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"run {failed.iloc[0]['run_id']} failed: {failed.iloc[0]['error']}")
    results = results.sort_values(["point", "replicate"]).reset_index(drop=True)
    out = points.iloc[results["point"].to_numpy()].reset_index(drop=True)
    out["replicate"] = results["replicate"].to_numpy()
    out["seed"] = results["seed"].to_numpy()
    for o in model_outcomes:
        out[o] = results[o].to_numpy(float)
    if "tipped" in outcomes:
        out["tipped"] = results["tipped_year"].notna().to_numpy(float)
    if "tipped_year" in outcomes:
        out["tipped_year"] = results["tipped_year"].astype("float64").to_numpy()
    return out


def key_path(name: str) -> str:
    """A parameter name as a scenario key path: `contagion__lapse_rate` (a Python identifier, which EMA
    Workbench 3 will require of names) means `contagion.lapse_rate`; a name with dots is kept."""
    return name if "." in name else name.replace("__", ".")


def _plain(value: Any) -> Any:
    """numpy scalars from samplers (SALib, EMA) as plain Python numbers, which the scenario expects."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
