"""Resolve an experiment against its base scenario: every point's overrides, validated before any run.

A sweep that fails on its 400th run because of a misspelt key path wastes a night; so each design
point is applied to the base scenario here, and every problem is reported against the experiment
file's line with the key path, the value and a suggestion.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sim.jobs import Run
from sim.model_version import model_version
from sim.runner import derive_seed
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.loading import validating_many
from sim.scenario.problems import Problem
from sim.scenario.schema import ROLES
from sim.scenario.yaml_source import value_at
from sim.sweep.design import design_points
from sim.sweep.experiment import LoadedExperiment, Scalar
from sim.sweep.size import MAX_RUNS, check_size

MAX_POINTS_REPORTED = 5


@dataclass(frozen=True)
class Point:
    index: int
    values: dict[str, Scalar]  # the varied parameters, as the design drew them
    overrides: dict[str, Any]  # what is applied to the base: the varied values and any balancing shares


@dataclass
class Plan:
    """Everything a sweep needs to run, resume or replay, and nothing that depends on the machine."""

    name: str
    experiment_file: str
    experiment_text: str
    base: dict[str, Any]  # the base scenario with the experiment's fixed `set` applied, as plain data
    parameters: list[str]
    points: list[Point]
    replicates: int
    years: int
    seed: int
    outcomes: list[str]
    design: str
    version: str = field(default_factory=model_version)  # the package and model code the runs came from
    _scenarios: dict[int, Scenario] = field(default_factory=dict, repr=False)

    def scenario(self, point: int) -> Scenario:
        if point not in self._scenarios:
            self._scenarios[point] = Scenario.from_dict(self.base, self.points[point].overrides)
        return self._scenarios[point]

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.replicates

    def runs(self) -> Iterator[Run]:
        for point in self.points:
            for replicate in range(self.replicates):
                seed = derive_seed(self.seed, point.index, replicate)
                yield Run(self.run_id(point.index, replicate), point.index, seed, replicate)

    def run_id(self, point: int, replicate: int) -> str:
        # zero-padded so that run ids sort in run order as plain text too
        p, r = len(str(max(len(self.points) - 1, 0))), len(str(max(self.replicates - 1, 0)))
        return f"p{point:0{max(p, 3)}d}-r{replicate:0{max(r, 2)}d}"

    def find_run(self, text: str) -> Run:
        """The run named by an id such as p012-r03 (padding optional)."""
        match = re.fullmatch(r"p(\d+)-r(\d+)", text.strip())
        if not match:
            raise ScenarioError([Problem("--run", None, text, "expected a run id such as p003-r01")])
        point, replicate = int(match[1]), int(match[2])
        if point >= len(self.points) or replicate >= self.replicates:
            raise ScenarioError([Problem(
                "--run", None, text,
                f"no such run: the sweep has points 0-{len(self.points) - 1} and replicates 0-{self.replicates - 1}",
            )])
        return Run(self.run_id(point, replicate), point, derive_seed(self.seed, point, replicate), replicate)

    @cached_property
    def parameter_types(self) -> dict[str, str]:
        return {key: _kind([p.values[key] for p in self.points]) for key in self.parameters}

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything that decides a run's result changes."""
        identity = {
            "base": self.base, "points": [p.overrides for p in self.points], "replicates": self.replicates,
            "years": self.years, "seed": self.seed, "outcomes": self.outcomes, "version": self.version,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    def differences(self, other: Plan) -> list[str]:
        """What differs between two plans among what the fingerprint holds, in words (why a resume is refused)."""
        def same(a: Any, b: Any) -> bool:  # compared as the fingerprint does: a stored plan comes from JSON
            return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)

        found = []
        if self.version != other.version:
            found.append(f"the model's code or the package version differs (stored {self.version}, now "
                         f"{other.version})")
        settings = [f"{key} (stored {getattr(self, key)}, now {getattr(other, key)})"
                    for key in ("replicates", "years", "seed", "outcomes")
                    if not same(getattr(self, key), getattr(other, key))]
        if not same([p.overrides for p in self.points], [p.overrides for p in other.points]):
            settings.append("its design points" + (f" ({len(self.points)} stored, {len(other.points)} now)"
                                                   if len(self.points) != len(other.points) else ""))
        if settings:
            found.append(f"the experiment differs in {', '.join(settings)}")
        if not same(self.base, other.base):
            found.append("the base scenario (or the experiment's set: values) differs")
        return found or ["the experiment or its base scenario differs"]

    def to_manifest(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "experiment_file": self.experiment_file,
            "experiment": self.experiment_text,
            "package_version": self.version,
            "fingerprint": self.fingerprint,
            "design": self.design,
            "seed": self.seed,
            "replicates": self.replicates,
            "years": self.years,
            "outcomes": self.outcomes,
            "parameters": self.parameters,
            "parameter_types": self.parameter_types,
            "base_scenario": self.base,
            "points": [{"point_id": p.index, "values": p.values, "overrides": p.overrides} for p in self.points],
            # every run's id and seed follow from these (Plan.runs, derive_seed): a million-run sweep's
            # manifest lists its points, not its runs
            "total_runs": self.total_runs,
        }

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Plan:
        points = [Point(p["point_id"], p["values"], p["overrides"]) for p in manifest["points"]]
        return cls(
            name=manifest["name"], experiment_file=manifest["experiment_file"],
            experiment_text=manifest["experiment"], base=manifest["base_scenario"],
            parameters=manifest["parameters"], points=points, replicates=manifest["replicates"],
            years=manifest["years"], seed=manifest["seed"], outcomes=manifest["outcomes"],
            design=manifest["design"], version=manifest["package_version"],
        )


def _kind(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "string"


def make_plan(loaded: LoadedExperiment, max_runs: int | None = MAX_RUNS) -> Plan:
    """Resolve and validate every design point; raise ScenarioError before anything runs.

    A plan of more than max_runs runs (None: no limit) is refused first, by arithmetic (PlanTooLarge)."""
    check_size(loaded, max_runs)
    exp = loaded.experiment
    scenario = load_scenario(loaded.scenario_path)
    base = scenario.model_dump(mode="json")
    if exp.set:
        set_origins: dict[str, tuple[str | int, ...]] = {key: ("set", key) for key in exp.set}
        base = _checked(loaded, base, dict(exp.set), set_origins, "").model_dump(mode="json")

    drawn = design_points(exp, loaded.points_path)
    table = loaded.points_path if exp.design == "table" else None
    origins: dict[str, tuple[str | int, ...]] = {}
    for i, p in enumerate(exp.parameters):
        origins[p.key] = ("parameters", i, "key")
        if p.balance:
            origins[p.balance] = ("parameters", i, "balance")
    points: list[Point] = []
    problems: list[Problem] = []
    bad_points = 0
    scenarios: dict[int, Scenario] = {}
    with validating_many():
        for index, values in enumerate(drawn):
            try:
                overrides = _with_balances(loaded, base, values)
                scenarios[index] = _checked(loaded, base, overrides, origins, _describe(values))
            except ScenarioError as exc:
                bad_points += 1
                found = exc.problems if table is None else _in_table(table, index, exc.problems)
                if bad_points <= MAX_POINTS_REPORTED:
                    problems.extend(p for p in found if p not in problems)
                continue
            points.append(Point(index, values, overrides))
    if problems:
        if bad_points > MAX_POINTS_REPORTED:
            problems.append(Problem(str(loaded.path), None, "parameters",
                                    f"{bad_points} of {len(drawn)} design points have problems; the first "
                                    f"{MAX_POINTS_REPORTED} are shown"))
        raise ScenarioError(problems)
    return Plan(
        name=exp.name, experiment_file=str(loaded.path), experiment_text=loaded.text, base=base,
        parameters=[p.key for p in exp.parameters] if table is None else list(drawn[0]), points=points,
        replicates=exp.replicates,
        years=exp.years or scenario.years, seed=exp.seed, outcomes=list(exp.outcomes), design=exp.design,
        _scenarios=scenarios,
    )


def _in_table(table: Path, index: int, problems: list[Problem]) -> list[Problem]:
    """A table point's problems at its row of the table (line index + 2 of a CSV, after the header)."""
    line = index + 2 if table.suffix.lower() == ".csv" else None
    return [Problem(str(table), line, p.path, f"{p.message.split(' (at design point')[0]} (row {index + 1})", p.value,
                    p.suggestion) for p in problems]


def _with_balances(loaded: LoadedExperiment, base: dict[str, Any], values: dict[str, Scalar]) -> dict[str, Any]:
    """Add, for each parameter with a balance, the other share moved by the opposite amount."""
    overrides: dict[str, Any] = dict(values)
    for i, p in enumerate(loaded.experiment.parameters):
        if not p.balance:
            continue
        start, was, now = overrides.get(p.balance, value_at(base, p.balance)), value_at(base, p.key), values[p.key]
        if not all(_is_number(v) for v in (start, was, now)):
            raise ScenarioError([Problem(
                str(loaded.path), loaded.line_of("parameters", i, "balance"), p.key,
                f"balance works on numbers only, and {p.key} or {p.balance} is not one", now,
            )])
        overrides[p.balance] = round(start - (now - was), 12)
    return overrides


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(values: dict[str, Scalar]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _checked(loaded: LoadedExperiment, base: dict[str, Any], overrides: dict[str, Any],
             origins: dict[str, tuple[str | int, ...]], point: str) -> Scenario:
    """Apply overrides to the base; restate any problem at the experiment line that caused it."""
    try:
        return Scenario.from_dict(base, overrides)
    except ScenarioError as exc:
        raise ScenarioError([_relocate(loaded, p, overrides, origins, point) for p in exc.problems]) from None


def _relocate(loaded: LoadedExperiment, problem: Problem, overrides: dict[str, Any],
              origins: dict[str, tuple[str | int, ...]], point: str) -> Problem:
    key = _owner(problem.path, origins)
    line = loaded.line_of(*origins[key]) if key else None
    where = f" (at design point {point})" if point else ""
    suggestion = problem.suggestion
    if suggestion and problem.message == "unknown key":
        # the scenario validator suggests a field name; a whole key path is what the experiment needs
        parts = problem.path.split(".")
        rest = key.split(".")[len(parts):] if key and key.startswith(problem.path + ".") else []
        suggestion = ".".join([*parts[:-1], suggestion, *rest])
    message = problem.message
    if key and key != problem.path and problem.path.startswith(key):
        message = f"{problem.message} (setting {key})"
    if key and origins[key][-1] == "balance":
        varied = loaded.experiment.parameters[int(origins[key][1])].key
        message += f" (this share balances {varied}; narrow its values or balance with a larger share)"
    if key and "roles" in problem.path and "sum to 1" in message:
        message += ("; a role share varied alone breaks the sum: add `balance: <another role's key path>` "
                    f"to take the change from another role ({', '.join(ROLES)})")
    value = problem.value if problem.value is not None else overrides.get(problem.path)
    return Problem(str(loaded.path), line, problem.path or key or "", message + where, value, suggestion)


def _owner(path: str, origins: dict[str, tuple[str | int, ...]]) -> str | None:
    """The experiment key whose override the problem at path comes from (the longest that fits)."""
    fits = [k for k in origins if k == path or k.startswith(path + ".") or path.startswith(k + ".") or not path]
    return max(fits, key=len) if fits else None


def resolve(path: str | Path, max_runs: int | None = MAX_RUNS) -> Plan:
    """The validated plan of an experiment file; above max_runs runs (default 10 million), PlanTooLarge."""
    from sim.sweep.experiment import load_experiment

    return make_plan(load_experiment(path), max_runs)
