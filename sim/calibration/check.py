"""Simulation-based calibration: does the posterior cover parameter values the data really came from?

    problem = synthetic_problem(folder, index=0, seed=1)   # truth drawn from the prior, targets from the model
    covered = solve(problem, backend)                       # {parameter: truth inside the 90% interval?}

Each problem draws true values from the prior, runs the model there (fresh seeds, `replicates`
runs averaged, as a candidate is), adds each target's normal error of its sd, and writes a
calibration file whose targets are those values. Under the error model the calibration assumes,
the 90% posterior interval should hold the truth in 90% of problems; a wider-than-exact posterior
(temperature above 1) would hold it more often, an overconfident one less.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.calibration.analysis import INTERVAL, weighted_quantile
from sim.calibration.evaluate import simulate
from sim.calibration.schema import LoadedCalibration, load_calibration
from sim.parallel import Backend
from sim.runner import derive_seed

# a small system, so that a problem takes seconds: 2 districts x 6 schools x 10 teachers, 4 cohorts of 25
SCENARIO = {
    "name": "sbc", "years": 6,
    "system": {"districts": 2, "schools_per_district": 6, "teachers_per_school": 10},
    "programme": {"cohort_size": 25, "cohorts": 4},
}
PRIORS: list[dict[str, Any]] = [
    {"key": "alumni.exit_rate", "between": [0.0, 0.25]},
    {"key": "programme.practise_on_arrival", "between": [0.3, 1.0]},
]
TARGETS: list[dict[str, Any]] = [
    {"outcome": "alumni_in_education_share", "sd": 0.03},
    {"outcome": "fellow_class_effect", "year": 1, "sd": 0.006},
]


@dataclass
class Problem:
    index: int
    truth: dict[str, float]
    loaded: LoadedCalibration
    directory: Path


def synthetic_problem(folder: Path, index: int, seed: int, backend: Backend, replicates: int = 2,
                      populations: int = 4, population_size: int = 100) -> Problem:
    rng = np.random.default_rng([seed, index])
    truth = {p["key"]: float(rng.uniform(*p["between"])) for p in PRIORS}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sbc_scenario.yaml").write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    draft = {"name": f"sbc_{index}", "scenario": "sbc_scenario.yaml", "parameters": PRIORS,
             "targets": [{**t, "value": 0.0} for t in TARGETS], "replicates": replicates, "seed": seed + index,
             "populations": populations, "population_size": population_size}
    path = folder / f"sbc_{index}.yaml"
    path.write_text(yaml.safe_dump(draft, sort_keys=False), encoding="utf-8")
    loaded = load_calibration(path)
    seeds = np.array([[derive_seed(seed, 99, index, r) for r in range(replicates)]], dtype=np.int64)
    values, _ = simulate([loaded.scenario(truth)], seeds, loaded.years, loaded.measures, backend)
    observed = values[0].mean(axis=0) + rng.normal(0.0, [t["sd"] for t in TARGETS])
    draft["targets"] = [{**t, "value": float(v)} for t, v in zip(TARGETS, observed, strict=True)]
    path.write_text(yaml.safe_dump(draft, sort_keys=False), encoding="utf-8")
    return Problem(index, truth, load_calibration(path), folder / f"sbc_{index}")


@dataclass
class Solved:
    problem: Problem
    covered: dict[str, bool]
    width_share: dict[str, float]  # the 90% interval's width over the prior's 90% width
    last_epsilon: float
    posterior: object  # the last population (pandas DataFrame): key paths and weight
    seconds: float


def solve(problem: Problem, backend: Backend) -> Solved:
    import time

    from sim.calibration.history import posterior as last_population
    from sim.calibration.history import read_particles
    from sim.calibration.smc import run_smc

    cal = problem.loaded.calibration
    started = time.perf_counter()
    problem.directory.mkdir(parents=True, exist_ok=True)
    # the ABC run itself, without the report (figures cost a second or two a problem)
    result = run_smc(problem.loaded, problem.directory, populations=cal.populations,
                     population_size=cal.population_size, seed=cal.seed, backend=backend, resume=False)
    posterior = last_population(read_particles(problem.directory, problem.loaded), problem.loaded)
    w = posterior["weight"].to_numpy()
    covered, width = {}, {}
    for prior in cal.parameters:
        x = posterior[prior.key].to_numpy()
        low, high = (weighted_quantile(x, w, q) for q in INTERVAL)
        covered[prior.key] = bool(low <= problem.truth[prior.key] <= high)
        width[prior.key] = (high - low) / (0.9 * (prior.between[1] - prior.between[0]))
    return Solved(problem, covered, width, result.last_epsilon, posterior, time.perf_counter() - started)
