"""The model as a noisy yes/no experiment: run a base scenario with one value set, did it tip?

    base = load_base("experiments/programme_scale.yaml")     # or a scenario file
    trial = ModelTrial(base, "programme.cohort_size")
    trial(25, np.random.default_rng(0))                     # True if that run tipped

A trial is plain data (the base scenario as a dict), so it pickles to worker processes; each run's
seed is drawn from the generator it is given, so a batch run on workers gives the same answers as
the same batch run here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.jobs import Run, batch_size, make_jobs, run_job
from sim.parallel import Backend, run_all
from sim.runner import run_once
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.problems import Problem
from sim.scenario.schema import ROLES
from sim.scenario.yaml_source import value_at
from sim.sweep.experiment import is_experiment  # bounded: a hostile file cannot hang it
from sim.tipping.search import BatchMap


@dataclass(frozen=True)
class Base:
    """What a search or a ramp starts from: a scenario (as data), its years and seed, and, when it
    came from an experiment, that experiment's parameters (bounds and balancing shares)."""

    name: str
    scenario: dict[str, Any]
    years: int
    seed: int
    source: Path
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    balances: dict[str, str] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()  # keys set on the command line (`--set`): chosen, so never drawn in worlds
    # keys an experiment varies in a table of points (design: table): varied, but over no range
    tabled: tuple[str, ...] = ()

    def build(self, overrides: dict[str, Any] | None = None) -> Scenario:
        return Scenario.from_dict(self.scenario, overrides or {})

    def value(self, key: str) -> Any:
        return value_at(self.scenario, key)

    def overridden(self, overrides: dict[str, Any]) -> Base:
        """This base with scenario values set (`--set`); setting `years` sets the years every run lasts, and
        `name` the name results are filed under (an experiment's years and name otherwise stay its own)."""
        import dataclasses

        built = self.build(overrides)
        return dataclasses.replace(
            self, scenario=built.model_dump(mode="json"),
            years=built.years if "years" in overrides else self.years,
            name=built.name if "name" in overrides else self.name,
            fixed=tuple(dict.fromkeys([*self.fixed, *overrides])),
        )


def load_base(path: str | Path) -> Base:
    """A scenario file, or an experiment file's base scenario with its fixed `set` applied."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Problem(str(path), None, "", "no such file")])
    if not is_experiment(path):
        scenario = load_scenario(path)
        return Base(scenario.name, scenario.model_dump(mode="json"), scenario.years, 0, path)
    from sim.sweep.experiment import load_experiment
    from sim.sweep.plan import make_plan

    loaded = load_experiment(path)
    plan = make_plan(loaded)
    bounds: dict[str, tuple[float, float]] = {}
    balances: dict[str, str] = {}
    for p in loaded.experiment.parameters:
        levels = p.levels()
        numbers = [v for v in (levels or p.between or []) if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:
            bounds[p.key] = (float(min(numbers)), float(max(numbers)))
        if p.balance:
            balances[p.key] = p.balance
    tabled = tuple(plan.parameters) if loaded.experiment.design == "table" else ()
    return Base(plan.name, plan.base, plan.years, plan.seed, path, bounds, balances, tabled=tabled)


def numeric_value(base: Base, key: str) -> float | int:
    """The base's value at key, which must be a number to search or ramp over."""
    value = base.value(key)
    if value is None:
        parent, _, last = key.rpartition(".")
        holder = value_at(base.scenario, parent) if parent else base.scenario
        if isinstance(holder, dict) and last in holder:  # a key left null (placement.clustering beside host_schools)
            raise ScenarioError([Problem(str(base.source), None, key, f"is unset (null) here, so there is no number "
                                         f"to search or ramp over; give it one first, e.g. --set {key}=VALUE")])
        raise ScenarioError([Problem(str(base.source), None, key, "no such scenario key")])
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError([Problem(str(base.source), None, key, "must be a number to search or ramp over", value)])
    return value


def search_range(base: Base, key: str, low: float | None, high: float | None) -> tuple[float, float]:
    """--low and --high, or the experiment's bounds for key: finite, low below high, and holding at least two
    values of a whole-numbered key (its values are rounded: 2 to 2.4 is 2 alone)."""
    current = numeric_value(base, key)
    problems = [Problem(option, None, key, "must be a finite number", value)
                for option, value in (("--low", low), ("--high", high))
                if value is not None and not math.isfinite(value)]
    if problems:
        raise ScenarioError(problems)
    bounds = base.bounds.get(key)
    low = low if low is not None else (bounds[0] if bounds else None)
    high = high if high is not None else (bounds[1] if bounds else None)
    if low is None or high is None:
        why = (f"{base.source} varies this key in a table of points (design: table), which sets no range"
               if key in base.tabled else f"{base.source} does not vary this key")
        raise ScenarioError([Problem("--low/--high", None, key, f"give --low and --high: {why}")])
    if not high > low:
        raise ScenarioError([Problem("--low/--high", None, key, f"--low must be below --high (got {low:g} and "
                                                                 f"{high:g})")])
    if isinstance(current, int) and round(high) == round(low):
        raise ScenarioError([Problem("--low/--high", None, key, f"takes whole numbers, and {low:g} to {high:g} holds "
                                     f"only {round(low)} once rounded; give a range holding at least two")])
    return low, high


def end_scenario(base: Base, key: str, x: float, balance: str | None, option: str) -> Scenario:
    """The base scenario with key = x, its problems named after the option that gave x (--low, --to) rather
    than --set: the base itself is valid, so any problem comes from x."""
    try:
        return base.build(overrides_for(base, key, x, balance))
    except ScenarioError as exc:
        problems = []
        for problem in exc.problems:
            if problem.source != "--set":
                problems.append(problem)
            elif balance is None and "sum to 1" in problem.message and key.rsplit(".", 1)[-1] in ROLES:
                others = ", ".join(r for r in ROLES if r != key.rsplit(".", 1)[-1])
                problems.append(Problem(
                    "--key", None, key,
                    f"moves one role share without another to balance it (at {option} {x:g}: {problem.message}); "
                    f"give an experiment file whose parameter {key} has `balance: <another role's key path>` "
                    f"(a role of the same stage: {others}) to take the change"))
            else:
                problems.append(Problem(option, None, problem.path, problem.message, problem.value,
                                        problem.suggestion))
        raise ScenarioError(problems) from None


def overrides_for(base: Base, key: str, x: float, balance: str | None = None) -> dict[str, Any]:
    """key = x (a whole number if the scenario's value is one), and the balancing share if any."""
    current = numeric_value(base, key)
    value: float | int = round(x) if isinstance(current, int) else float(x)
    overrides: dict[str, Any] = {key: value}
    if balance:
        other = base.value(balance)
        if not isinstance(other, int | float):
            raise ScenarioError([Problem(str(base.source), None, balance, "balance must name a number", other)])
        overrides[balance] = round(float(other) - (value - float(current)), 12)
    return overrides


def seed_from(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**63 - 1))


@dataclass(frozen=True)
class ModelTrial:
    """f(x, rng) for find_threshold: run the base scenario with key = x; True if it tipped
    (the scenario's own rule: the yearly tipped_year is set)."""

    base: Base
    key: str
    balance: str | None = None

    def scenario(self, x: float) -> Scenario:
        return self.base.build(overrides_for(self.base, self.key, x, self.balance))

    def __call__(self, x: float, rng: np.random.Generator) -> bool:
        yearly = run_once(self.scenario(x), seed_from(rng), self.base.years)["yearly"]
        return bool(yearly["tipped_year"].notna().iloc[0])

    def on(self, backend: Backend) -> BatchMap:
        """A batch function that runs this trial's batches of runs on a backend (local processes, Dask)."""

        def run_batch(_: object, xs: Sequence[float], rngs: Sequence[np.random.Generator]) -> list[bool]:
            scenarios = [self.scenario(x) for x in xs]
            runs = [Run(f"x{i}", i, seed_from(r)) for i, r in enumerate(rngs)]
            size = batch_size(scenarios, self.base.years, len(runs), backend.workers)
            jobs = make_jobs(scenarios, runs, self.base.years, size, outcomes=("tipping_metric",))
            answers: dict[int, bool] = {}
            for result in run_all(backend, run_job, jobs):
                if len(result.failed):
                    bad = result.failed.iloc[0]
                    raise RuntimeError(f"a run at {self.key}={xs[int(bad['point'])]} failed: {bad['error']}")
                for point, year in zip(result.runs["point"], result.runs["tipped_year"], strict=True):
                    answers[int(point)] = not pd.isna(year)
            return [answers[i] for i in range(len(xs))]

        return run_batch


def check_search(base: Base, key: str, low: float | None, high: float | None,
                 tolerance: float | None) -> tuple[float, float, float]:
    """The search's range and tolerance, each end a valid scenario, before anything runs."""
    check_tolerance(tolerance)
    low, high = search_range(base, key, low, high)
    balance = base.balances.get(key)
    end_scenario(base, key, low, balance, "--low"), end_scenario(base, key, high, balance, "--high")
    return low, high, 0.02 * (high - low) if tolerance is None else tolerance


def check_tolerance(tolerance: float | None) -> None:
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance > 0):
        raise ScenarioError([Problem("--tolerance", None, "", "must be a finite number above 0", tolerance)])


def search(base: Base, key: str, low: float | None = None, high: float | None = None, tolerance: float | None = None,
           confidence: float = 0.95, max_runs: int = 3000, seed: int | None = None, backend: Backend | None = None,
           on_round: Any = None) -> Any:
    """The adaptive search for the tipping point in `key` (sim.tipping.search), run on a backend;
    returns a sim.tipping.reports.SearchReport. Bounds default to the experiment's."""
    from sim.parallel import local
    from sim.tipping.reports import SearchReport
    from sim.tipping.search import find_tipping_point

    low, high, tolerance = check_search(base, key, low, high, tolerance)
    trial = ModelTrial(base, key, base.balances.get(key))
    seed = base.seed if seed is None else seed
    result = find_tipping_point(trial, low, high, tolerance, confidence, np.random.default_rng(seed),
                                max_runs=max_runs, map_batch=trial.on(backend or local()), on_round=on_round)
    return SearchReport(base.name, key, low, high, tolerance, seed, base.years, str(base.source), result)
